//! The municipal back-office adapter. Prefectures and designated cities keep certification
//! results in their own back-office systems (認定事務 / 受給者証発行システム) and exchange files
//! with them — CSV, often CP932, or fixed-length records counted in CP932 bytes. This crate reads
//! their decision files (受給者番号, 認定 / 不認定, 階層区分, 有効期間, research consent, per
//! application) into canonical [`kakehashi_sdk::Certification`]s with a layout from
//! `mappings/municipal/`, writes the 受給者証 issuing file in the same layout, shapes a
//! certification for the Digital Agency's PMH hub, prices the monthly co-payment cap from the
//! published tables (`mappings/reference/copayment.toml`), and proposes the 階層区分 from an
//! applicant's self-information.
//!
//! Pure like every adapter: bytes and mapping text in, records or bytes out.
#![forbid(unsafe_code)]

mod adapter;
pub mod copayment;
mod export;
mod issuing;
mod kana;
pub mod layout;
mod pmh;
mod read;
pub mod tier;
mod value;

pub use adapter::{MunicipalAdapter, read_decisions};
pub use copayment::{CopaymentError, CopaymentTables};
pub use export::ExportError;
pub use issuing::{IssuingRow, write_issuing_file};
pub use kana::to_halfwidth_katakana;
pub use layout::Layout;
pub use pmh::{BasicFiveInfo, PmhRegistration, pmh_registration};
pub use tier::{CopaymentProposal, propose_tier};
