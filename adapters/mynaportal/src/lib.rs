//! The Mynaportal adapter: e-applications (申請) municipalities download from Mynaportal's
//! 申請管理, as a ZIP of one XML per application plus its attachments (PDFs, photos; at most
//! 10 MB per application). The XML layout is not public and differs per form, so a mapping
//! file (`mappings/mynaportal/NAME.toml`, see [`mapping`]) says which element holds the 受付番号,
//! applicant, patient, disease, access key and attachments.
//!
//! The archive is untrusted ([`archive`]): traversal names, zip bombs and oversized entries are
//! refused before any XML is read. A download is read whole or not at all: any error names the
//! archive entry and, inside XML, the line and element path.
#![forbid(unsafe_code)]

mod adapter;
pub mod archive;
mod export;
pub mod mapping;
mod xml;

pub use adapter::{CATEGORY, Download, MynaportalAdapter};
pub use archive::{Entry, Limits};
pub use export::ExportError;
pub use mapping::{MynaportalMapping, StatusExport, choose_mapping};
