//! Sheet → FHIR → sheet loses nothing: every sheet of the conformance corpus — the public FHIR
//! examples read in place, the kit's own FHIR cases, and the hospital CSV exports (whose
//! sheets carry every header field a hospital fills, insurance and 行政記載欄 included) and the
//! registry's JSON Lines export —
//! written out as the gateway's FHIR Bundle and read back, is the same sheet byte for byte,
//! apart from its provenance (which document, which line), which necessarily names the new
//! document.

#[path = "support/catalog.rs"]
mod catalog;
#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use kakehashi_adapter_fhir::{FhirAdapter, sheet_bundle};
use kakehashi_sdk::Sheet;

/// The FHIR base the Bundles name their Questionnaires under.
const BASE: &str = "https://127.0.0.1:8443/fhir";

/// The sheet's canonical JSON without what names its source: the provenance, and each item's
/// and treatment's location in the document.
fn content(sheet: &Sheet) -> String {
    let mut json = serde_json::to_value(sheet).unwrap();
    json.as_object_mut().unwrap().remove("provenance");
    if let Some(items) = json.get_mut("items").and_then(|i| i.as_object_mut()) {
        for item in items.values_mut() {
            item.as_object_mut().unwrap().remove("source");
        }
    }
    if let Some(treatments) = json
        .pointer_mut("/clinical/treatments")
        .and_then(|t| t.as_array_mut())
    {
        for treatment in treatments {
            treatment.as_object_mut().unwrap().remove("source");
        }
    }
    serde_json::to_string_pretty(&json).unwrap()
}

#[test]
fn every_corpus_sheet_reads_back_the_same_from_its_fhir_bundle() {
    let catalog = catalog::catalog();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut compared = 0;
    let mut failures = Vec::new();
    for corpus_sheet in corpus::sheets(&root, catalog.context()) {
        let sheet = &corpus_sheet.sheet;
        let template = catalog.templates.for_sheet(sheet);
        let bundle =
            sheet_bundle(sheet, template, &corpus_sheet.uuid(), "completed", BASE).unwrap();
        let back = corpus::sheets_of(&FhirAdapter, bundle.as_bytes(), catalog.context())
            .unwrap_or_default();
        compared += 1;
        let (before, after) = (
            content(sheet),
            back.first().map(content).unwrap_or_default(),
        );
        if back.len() != 1 || before != after {
            failures.push(format!(
                "{} sheet {}: {} sheet(s) back\n--- before\n{before}\n--- after\n{after}",
                corpus_sheet.path.display(),
                corpus_sheet.index,
                back.len()
            ));
        }
    }
    eprintln!("{compared} sheets written out as FHIR and read back");
    assert!(compared >= 250, "only {compared} sheets compared");
    assert!(
        failures.is_empty(),
        "{} of {compared} sheets changed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
