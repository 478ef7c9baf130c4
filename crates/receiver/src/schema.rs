//! The canonical sheet check: the published JSON Schema, compiled once.
//!
//! Errors are reported by JSON pointer with the value masked: a refusal names where a sheet is
//! wrong, never what it says.

use jsonschema::Validator;
use serde_json::Value;

use crate::ReceiverError;

/// The published schema of the canonical sheet.
const SHEET_SCHEMA: &str = include_str!("../../../conformance/schema/sheet.schema.json");

/// How many schema errors a refusal names.
const REPORTED_ERRORS: usize = 5;

/// The compiled sheet schema.
pub(crate) struct SheetSchema(Validator);

impl SheetSchema {
    pub(crate) fn load() -> Result<Self, ReceiverError> {
        let schema: Value =
            serde_json::from_str(SHEET_SCHEMA).map_err(|e| ReceiverError::Schema(e.to_string()))?;
        jsonschema::validator_for(&schema)
            .map(Self)
            .map_err(|e| ReceiverError::Schema(e.to_string()))
    }

    /// The first errors of `sheet` as `pointer: reason` (the root is `/`), or `Ok`.
    pub(crate) fn check(&self, sheet: &Value) -> Result<(), Vec<String>> {
        let errors: Vec<String> = self
            .0
            .iter_errors(sheet)
            .take(REPORTED_ERRORS)
            .map(|error| {
                let pointer = error.instance_path.to_string();
                let pointer = if pointer.is_empty() {
                    "/".into()
                } else {
                    pointer
                };
                format!("{pointer}: {}", error.masked())
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
