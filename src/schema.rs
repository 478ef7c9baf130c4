//! The published JSON Schema of canonical records (`conformance/schema/`).

use kakehashi_sdk::{Record, Sheet};

/// JSON Schema (draft 2020-12) of a canonical sheet.
pub fn sheet_schema() -> serde_json::Value {
    schemars::schema_for!(Sheet).to_value()
}

/// JSON Schema (draft 2020-12) of any canonical record, tagged by `record_type`.
pub fn record_schema() -> serde_json::Value {
    schemars::schema_for!(Record).to_value()
}

/// The files of `conformance/schema/`, by name.
pub fn published() -> [(&'static str, serde_json::Value); 2] {
    [
        ("sheet.schema.json", sheet_schema()),
        ("record.schema.json", record_schema()),
    ]
}
