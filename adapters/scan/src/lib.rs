//! The scanned-paper adapter: the municipality's paper path (seed 003) without the outsourced
//! typing. A scanned PDF of paper 臨個票 / 意見書 is cut into page images; each page's form and
//! page number are found from its printed registration marks and form code; each field's box,
//! straightened through the marks, is read with the character set of its type (Tesseract `jpn`,
//! or ink measurement for check boxes and circled choices). Every value carries its confidence,
//! the cut-out it was read from and the reasons to doubt it: a value is accepted without a
//! person only when independent evidence agrees (every character sure, a second read the same,
//! the other fields of the form consistent with it — see [`Reason`]).
//!
//! Form templates are data (`mappings/scan/*.toml`, see [`template`]); a page that matches none
//! is refused as an unknown form rather than misread. Inputs are bounded before decoding
//! ([`Limits`]): page count, image size, inflated size.
#![forbid(unsafe_code)]

mod adapter;
mod crosscheck;
mod evidence;
mod image_pdf;
mod ocr;
mod pdf;
mod postal;
mod read;
mod readings;
mod register;
#[cfg(feature = "synth")]
pub mod synth;
pub mod template;
mod variants;

pub use adapter::{CATEGORY, ScanAdapter, ScanOptions};
pub use evidence::Reason;
pub use image_pdf::pdf_of_page_images;
pub use ocr::{Charset, OcrError, OcrPool, Recognised, Symbol};
pub use pdf::{Limits, PageImage, looks_like_pdf, memory_bound, page_images};
pub use read::CUT_PX_PER_MM;
pub use register::{Affine, register};
pub use template::FormTemplate;
