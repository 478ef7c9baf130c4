//! The one place that touches fhir-sdk's typed model (R4B, see the crate docs). A resource is
//! read into `fhir_sdk::r4b::resources::Resource` — the strict structural check: an object
//! where the specification says array, a string where it says number, an unknown resource
//! type — and its [`Shape`] taken, so that [`crate::readable`] can see what the model kept.
//!
//! Everything generic over fhir-sdk's types is instantiated here, once, behind two plain
//! functions: its serde code takes minutes to compile, and no other crate should pay for it.

use fhir_sdk::r4b::resources::Resource;

use crate::shape::{Shape, shape_of};

/// Why the typed model refused a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ModelError {
    pub reason: String,
}

/// Reads a JSON document as an R4B resource; the shape of what the model understood.
pub fn round_trip(bytes: &[u8]) -> Result<Shape, ModelError> {
    let resource: Resource = serde_json::from_slice(bytes).map_err(|e| ModelError {
        reason: without_position(&e),
    })?;
    shape_of(&resource).map_err(|e| ModelError {
        reason: e.to_string(),
    })
}

/// Whether the model reads a document (no round trip).
pub fn reads(bytes: &[u8]) -> Result<(), ModelError> {
    serde_json::from_slice::<Resource>(bytes)
        .map(drop)
        .map_err(|e| ModelError {
            reason: without_position(&e),
        })
}

/// Why fhir-sdk drops a choice element (`value[x]`, `onset[x]`, …): it reads a malformed one
/// as absent without an error, so the element's JSON is read again as its data type, named by
/// the element's suffix (`valueQuantity` → Quantity), to get the reason. `None` for data types
/// not listed here; the caller then says only that the element could not be read.
pub fn choice_error(element: &str, json: &[u8]) -> Option<String> {
    use fhir_sdk::r4b::types;
    fn check<T: serde::de::DeserializeOwned>(json: &[u8]) -> Option<String> {
        serde_json::from_slice::<T>(json)
            .err()
            .map(|e| without_position(&e))
    }
    const TYPES: [&str; 14] = [
        "Quantity",
        "CodeableConcept",
        "Coding",
        "Period",
        "Range",
        "Ratio",
        "Reference",
        "Identifier",
        "Decimal",
        "Integer",
        "Boolean",
        "String",
        "DateTime",
        "Date",
    ];
    let data_type = TYPES.iter().find(|t| {
        element
            .strip_suffix(**t)
            .is_some_and(|prefix| prefix.chars().last().is_some_and(char::is_lowercase))
    })?;
    match *data_type {
        "Quantity" => check::<types::Quantity>(json),
        "CodeableConcept" => check::<types::CodeableConcept>(json),
        "Coding" => check::<types::Coding>(json),
        "Period" => check::<types::Period>(json),
        "Range" => check::<types::Range>(json),
        "Ratio" => check::<types::Ratio>(json),
        "Reference" => check::<types::Reference>(json),
        "Identifier" => check::<types::Identifier>(json),
        "Decimal" => check::<f64>(json),
        "Integer" => check::<i32>(json),
        "Boolean" => check::<bool>(json),
        "String" => check::<String>(json),
        "DateTime" => check::<fhir_sdk::DateTime>(json),
        _ => check::<fhir_sdk::Date>(json),
    }
}

/// serde_json's message without its " at line L column C" (a position in the re-serialised
/// fragment, not in the document).
pub fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
