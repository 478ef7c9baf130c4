//! Where a record and each of its values came from, so that every finding can point at the
//! line, column or element of the original document.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A place in a source document. Which parts are set depends on the format: CSV gives a line
/// and a column, XML and FHIR an element path, a scan a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceLocation {
    /// The file inside an archive (an entry of a Mynaportal download), when the source is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// 1-based physical line in the decoded document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column (field) number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// 1-based byte position in the record (fixed-length files, counted in the file's
    /// encoding: a full-width Shift_JIS character is two bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte: Option<u32>,
    /// The column's header (or a fixed-length field's name), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_name: Option<String>,
    /// Path of an element in a structured document (FHIR, XML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// 1-based page of a scanned document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

impl SourceLocation {
    /// A location in a delimited text file.
    pub fn cell(line: u64, column: u32, column_name: Option<&str>) -> Self {
        Self {
            line: Some(line),
            column: Some(column),
            column_name: column_name.map(str::to_owned),
            ..Self::default()
        }
    }

    /// A whole line.
    pub fn line(line: u64) -> Self {
        Self {
            line: Some(line),
            ..Self::default()
        }
    }
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(e) = &self.entry {
            parts.push(format!("entry {e}"));
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        match (self.column, &self.column_name, self.byte) {
            (Some(c), Some(n), _) => parts.push(format!("column {c} ({n})")),
            (Some(c), None, _) => parts.push(format!("column {c}")),
            (None, Some(n), None) => parts.push(format!("column {n}")),
            (None, Some(_), Some(_)) | (None, None, _) => {}
        }
        match (self.byte, &self.column_name, self.column) {
            (Some(b), Some(n), None) => parts.push(format!("byte {b} ({n})")),
            (Some(b), _, _) => parts.push(format!("byte {b}")),
            (None, _, _) => {}
        }
        if let Some(e) = &self.element {
            parts.push(format!("element {e}"));
        }
        if let Some(p) = self.page {
            parts.push(format!("page {p}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// How a record was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The adapter that produced the record, e.g. `csv`.
    pub adapter: String,
    /// The mapping file the adapter used, when it uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    /// Lower-case hex SHA-256 of the source document's bytes, as received.
    pub source_sha256: String,
    /// 0-based index of this record among the records of the source document.
    pub record_index: u32,
    /// Where the record as a whole starts (for CSV: its line).
    pub record_location: SourceLocation,
    /// Where each header field came from, keyed by its canonical path (`patient.date_of_birth`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, SourceLocation>,
    /// Recognition confidence (0–1) of each header field read by OCR, by canonical path; item
    /// values carry theirs in `Item::confidence`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confidence: BTreeMap<String, f32>,
    /// 前回値踏襲: the stored sheet this draft was renewed from (its id), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed_from: Option<String>,
    /// Header-field paths and item codes whose value was carried over from `renewed_from` and
    /// that nobody has touched since; a designated doctor's confirmation clears them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub carried_over: BTreeSet<String>,
    /// Header fields whose text could not be read (an impossible date such as `R6.2.30`), by
    /// path, with the text as written: the value is not lost, and the field counts as filled
    /// in (its one finding says why it is unreadable).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unreadable: BTreeMap<String, String>,
    /// Item codes and header-field paths the source format does not carry at all (a mapping's
    /// `absent`): formulas that need them are not reported as incomplete on every record.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub absent: BTreeSet<String>,
}
