//! Conversion time grows linearly with the document: a Bundle four times as large takes about
//! four times as long, not sixteen. Locations (line numbers) and references were once found by
//! scanning from the start of the document each time, which made a 50 MB bundle run for
//! minutes. Both sizes are timed in the same run, each the best of several tries, by the CPU
//! time of the test's own thread (a busy machine deschedules the thread but does not add to
//! it; wall-clock time did, and the ratio reached 11 under a parallel build), and only their
//! ratio is asserted.

#[path = "support/catalog.rs"]
mod catalog;
#[path = "support/cpu.rs"]
mod cpu;

use std::time::Duration;

use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Input};

/// A Bundle of one Patient and a QuestionnaireResponse with `n` answers (each a location on the
/// sheet), and `n` Observations that reference the Patient by `urn:uuid:` (each a reference
/// to resolve), pretty-printed so that the document has many lines.
fn bundle(n: usize) -> Vec<u8> {
    let patient = "urn:uuid:0b4a8f55-7c6f-4f1e-9c84-3f2e6a1d9b10";
    let mut entries = vec![serde_json::json!({
        "fullUrl": patient,
        "resource": {"resourceType": "Patient", "birthDate": "1980-04-01", "gender": "female",
                     "name": [{"text": "山田 花子"}]}
    })];
    let answers: Vec<serde_json::Value> = (0..n)
        .map(|i| serde_json::json!({"linkId": format!("note_{i}"), "answer": [{"valueString": "x"}]}))
        .collect();
    entries.push(serde_json::json!({
        "fullUrl": "urn:uuid:7d1c1a40-3f9a-4a47-8f0e-2d7b9e0c5a21",
        "resource": {"resourceType": "QuestionnaireResponse", "status": "completed",
                     "questionnaire": "https://example.invalid/kakehashi/fhir/Questionnaire/nanbyo-049",
                     "subject": {"reference": patient},
                     "item": [{"linkId": "items", "item": answers}]}
    }));
    for i in 0..n {
        entries.push(serde_json::json!({
            "fullUrl": format!("urn:uuid:00000000-0000-4000-8000-{i:012}"),
            "resource": {"resourceType": "Observation", "status": "final",
                         "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                         "subject": {"reference": patient},
                         "valueQuantity": {"value": 60 + i % 40, "unit": "/min"}}
        }));
    }
    let doc = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries});
    serde_json::to_vec_pretty(&doc).unwrap()
}

fn best_of(tries: usize, mut run: impl FnMut()) -> Duration {
    (0..tries)
        .map(|_| {
            let start = cpu::thread_cpu();
            run();
            cpu::thread_cpu() - start
        })
        .min()
        .unwrap()
}

#[test]
fn four_times_the_document_takes_about_four_times_as_long() {
    let catalog = catalog::catalog();
    let context = catalog.context();
    let convert = |bytes: &[u8]| {
        let input = Input {
            bytes,
            content_type: Some("application/fhir+json"),
            sha256: "",
        };
        let sheets = FhirAdapter.convert(&input, &context).expect("converts");
        assert_eq!(sheets.len(), 1);
    };
    let small = bundle(500);
    let large = bundle(2_000);
    assert!(large.len() > 3 * small.len());
    convert(&small); // warm up
    let t_small = best_of(3, || convert(&small));
    let t_large = best_of(3, || convert(&large));
    let ratio = t_large.as_secs_f64() / t_small.as_secs_f64();
    eprintln!(
        "{} bytes: {t_small:?}; {} bytes: {t_large:?}; ratio {ratio:.1}",
        small.len(),
        large.len()
    );
    // Linear would be 4; quadratic 16. The margin absorbs a busy machine.
    assert!(ratio < 8.0, "time grew {ratio:.1}× for 4× the input");
}
