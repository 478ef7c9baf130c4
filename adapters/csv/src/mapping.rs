//! CSV mapping files (`mappings/csv/NAME.toml`): how one EHR's export lays out its columns.
//!
//! ```toml
//! description = "Hospital A's EHR export, one 臨個票 per row"
//! encoding = "auto"          # auto | utf-8 | shift_jis
//! header = true              # the first line names the columns
//! kind = "nanbyo"            # when no column gives the kind
//!
//! [[columns]]
//! column = "患者氏名"         # by header name …
//! field = "patient.name"
//!
//! [[columns]]
//! index = 12                 # … or by 1-based position
//! item = "alsfrs_r.speech"
//!
//! [[columns]]
//! column = "介護"
//! field = "clinical.long_term_care"
//! map = { "J1" = "要支援1", "K3" = "要介護3" }   # the EHR's local codes
//!
//! [[item_pairs]]             # item code and value in neighbouring columns
//! code = { column = "項目1" }
//! value = { column = "値1" }
//!
//! absent = ["mg_adl.talking"]  # what this export never carries (no warning on every row)
//! ```

use std::collections::BTreeMap;

use kakehashi_sdk::{AdapterError, HeaderField, MappedSource, MappingTarget, SheetKind};
use serde::Deserialize;

/// Text encoding of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 when the bytes are valid UTF-8 (BOM or not), Shift_JIS (CP932) otherwise.
    #[default]
    Auto,
    #[serde(rename = "utf-8")]
    Utf8,
    /// Windows code page 932, the Shift_JIS Japanese EHRs write.
    #[serde(alias = "cp932")]
    ShiftJis,
}

/// A column, by header name or by 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnRef {
    /// The column's header text (needs `header = true`).
    #[serde(default)]
    pub column: Option<String>,
    /// The column's 1-based position.
    #[serde(default)]
    pub index: Option<u32>,
}

/// Where a column's value goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    #[serde(flatten)]
    pub source: ColumnRef,
    /// A canonical header field, by path (`patient.date_of_birth`).
    #[serde(default)]
    pub field: Option<HeaderField>,
    /// A disease item, by the template's item code.
    #[serde(default)]
    pub item: Option<String>,
    /// Local codes of the EHR translated before the value is read.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
}

/// A pair of columns holding an item code and its value (entity–attribute–value exports).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPair {
    pub code: ColumnRef,
    pub value: ColumnRef,
}

/// A CSV layout.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvMapping {
    /// What export this is, for people.
    pub description: String,
    #[serde(default)]
    pub encoding: Encoding,
    /// Field separator, one ASCII character.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Whether the first line names the columns.
    #[serde(default = "default_true")]
    pub header: bool,
    /// Sheet kind when no column says.
    #[serde(default = "default_kind")]
    pub kind: SheetKind,
    pub columns: Vec<ColumnMapping>,
    #[serde(default)]
    pub item_pairs: Vec<ItemPair>,
    /// Item codes and header-field paths this export never carries: the sheets say so
    /// (`Provenance::absent`), and a total that needs them is not reported as incomplete on
    /// every row. A required item stays required: the export simply cannot supply it.
    #[serde(default)]
    pub absent: Vec<String>,
}

fn default_delimiter() -> char {
    ','
}

fn default_true() -> bool {
    true
}

fn default_kind() -> SheetKind {
    SheetKind::Nanbyo
}

impl CsvMapping {
    /// Where each column goes, or the first column that names no target or two.
    pub fn sources(&self, name: &str) -> Result<Vec<MappedSource>, AdapterError> {
        self.columns
            .iter()
            .map(|c| {
                let source = match (&c.source.column, c.source.index) {
                    (Some(column), None) => format!("column `{column}`"),
                    (None, Some(index)) => format!("column #{index}"),
                    _ => {
                        return Err(AdapterError::mapping(
                            "mapping.invalid",
                            format!("mapping `{name}`: every column needs either `column` (a header name) or `index` (1-based)"),
                            format!("マッピング `{name}`: 各列には column（ヘッダー名）か index（1 始まりの位置）のどちらか一方が必要です"),
                        ));
                    }
                };
                let target = match (&c.field, &c.item) {
                    (Some(field), None) => MappingTarget::Field(*field),
                    (None, Some(item)) => MappingTarget::Item(item.clone()),
                    _ => {
                        return Err(AdapterError::mapping(
                            "mapping.invalid",
                            format!("mapping `{name}`: {source} needs exactly one of `field` and `item`"),
                            format!("マッピング `{name}`: {source} には field か item のどちらか一方が必要です"),
                        ));
                    }
                };
                Ok(MappedSource::new(source, target).with_values(c.map.values().cloned()))
            })
            .collect()
    }
}
