//! The CSV adapter: hospital EHR exports, one sheet per row, in whatever column layout the EHR
//! writes. A mapping file (`mappings/csv/NAME.toml`, see [`mapping`]) says which column holds
//! which canonical field or disease item; values are read with the SDK's parsers (和暦 dates,
//! sex codes, full-width digits), and encodings are UTF-8 or Shift_JIS (CP932).
//!
//! Structural problems — an undecodable byte, a row with too few or too many fields, a mapped
//! column the file lacks — reject the document with an error naming the line. A value that cannot
//! be read rejects nothing: it becomes a finding on its sheet, located by line and column.
#![forbid(unsafe_code)]

mod adapter;
mod decode;
pub mod mapping;

pub use adapter::{CsvAdapter, LineCounter};
pub use decode::decode;
pub use mapping::CsvMapping;
