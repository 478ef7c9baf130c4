//! Printed documents of a stored sheet: the sheet print — in full, or masked for the review
//! board (審査会) — and the registration card (登録者証).
//!
//! Turning a canonical `Sheet` into pages lives here in the gateway, beside the checks and the
//! catalog it needs (templates for labels and units); `crates/pdf` stays a generic writer of
//! A4 pages with an embedded Japanese font that knows nothing of sheets. Masking happens before
//! anything reaches that writer ([`layout`]), so a masked value is not in the file at all.

mod card;
mod layout;
mod sheet;

pub use card::{RegistrationCard, registration_card};
pub use layout::Disclosure;
pub use sheet::{SheetPrint, sheet_print};
