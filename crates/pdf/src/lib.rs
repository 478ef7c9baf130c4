//! Printable A4 PDFs with Japanese text, for the paper the subsidy process still runs on: the
//! notice that hands designated doctors (指定医) their initial passwords, one per medical
//! institution, and later masked prints of clinical survey sheets for review boards.
//!
//! Text is set in one embedded TrueType font — IPAex Gothic from Debian's
//! `fonts-ipaexfont-gothic` by default — subset to the glyphs used, with a `ToUnicode` map so
//! that the printed text can still be searched and copied (`pdftotext` returns it exactly).
//!
//! A document refuses characters its font cannot draw instead of printing gaps or boxes in a
//! name or a password: [`Document::finish`] fails with [`PdfError::MissingGlyphs`] listing
//! them, and [`Font::missing_chars`] lets a caller check and substitute beforehand.
//!
//! ```no_run
//! use std::path::Path;
//! use kakehashi_pdf::{DEFAULT_FONT_PATH, Document, Font};
//!
//! let font = Font::load(Path::new(DEFAULT_FONT_PATH))?;
//! let mut doc = Document::new(&font, "指定医 交付通知書");
//! let page = doc.page();
//! page.text(20.0, 20.0, 16.0, "指定医 交付通知書");
//! page.line(20.0, 30.0, 190.0, 30.0, 0.5);
//! let pdf: Vec<u8> = doc.finish()?;
//! # Ok::<(), kakehashi_pdf::PdfError>(())
//! ```

#![forbid(unsafe_code)]

mod document;
mod error;
mod font;
mod wrap;

pub use document::{Document, PAGE_HEIGHT_PT, PAGE_WIDTH_PT, PT_PER_MM, Page};
pub use error::PdfError;
pub use font::{DEFAULT_FONT_PATH, Font};
