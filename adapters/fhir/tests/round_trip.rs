//! Sheet → FHIR → sheet loses nothing: every sheet of the conformance corpus — the public FHIR
//! examples read in place, the kit's own FHIR cases, and the hospital CSV exports (whose
//! sheets carry every header field a hospital fills, insurance and 行政記載欄 included) and the
//! registry's JSON Lines export —
//! written out as the gateway's FHIR Bundle and read back, is the same sheet byte for byte,
//! apart from its provenance (which document, which line), which necessarily names the new
//! document.

#[path = "support/catalog.rs"]
mod catalog;

use std::path::{Path, PathBuf};

use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_adapter_fhir::{FhirAdapter, sheet_bundle};
use kakehashi_adapter_jsonl::JsonlAdapter;
use kakehashi_sdk::{Adapter, Input, MappingContext, Record, Sheet};

/// The FHIR base the Bundles name their Questionnaires under.
const BASE: &str = "https://127.0.0.1:8443/fhir";

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let shared = std::env::var_os("KAKEHASHI_FHIR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/testdata/fhir"));
    for dir in [shared, root.join("conformance/fhir/cases")] {
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    files
}

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
    let context = catalog.context();
    let sheets_of =
        |adapter: &dyn Adapter, bytes: &[u8], mapping: Option<&str>| -> Option<Vec<Sheet>> {
            let input = Input {
                bytes,
                content_type: None,
                sha256: "",
            };
            let context = MappingContext { mapping, ..context };
            let converted = adapter.convert(&input, &context).ok()?;
            Some(
                converted
                    .into_iter()
                    .filter_map(|c| match c.record {
                        Record::Sheet(sheet) => Some(*sheet),
                        _ => None,
                    })
                    .collect(),
            )
        };
    let kit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/corpus");
    let documents = corpus()
        .into_iter()
        .map(|p| (p, &FhirAdapter as &dyn Adapter, None))
        .chain(
            ["csv/hospital-a.csv", "csv/clinic-b.csv"]
                .map(|name| (kit.join(name), &CsvAdapter as &dyn Adapter, None)),
        )
        .chain([(
            kit.join("jsonl/registry-export.jsonl"),
            &JsonlAdapter as &dyn Adapter,
            Some("registry-export"),
        )]);
    let mut compared = 0;
    let mut failures = Vec::new();
    for (path, adapter, mapping) in documents {
        let bytes = std::fs::read(&path).unwrap();
        let Some(sheets) = sheets_of(adapter, &bytes, mapping) else {
            continue; // a document the kit expects to be rejected
        };
        for (n, sheet) in sheets.iter().enumerate() {
            let template = catalog.templates.for_sheet(sheet);
            let id = uuid_for(&path, n);
            let bundle = sheet_bundle(sheet, template, &id, "completed", BASE).unwrap();
            let back = sheets_of(&FhirAdapter, bundle.as_bytes(), None).unwrap_or_default();
            compared += 1;
            let (before, after) = (
                content(sheet),
                back.first().map(content).unwrap_or_default(),
            );
            if back.len() != 1 || before != after {
                failures.push(format!(
                    "{} sheet {n}: {} sheet(s) back\n--- before\n{before}\n--- after\n{after}",
                    path.display(),
                    back.len()
                ));
            }
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

fn uuid_for(path: &Path, n: usize) -> String {
    let name = format!("{}#{n}", path.display());
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string()
}
