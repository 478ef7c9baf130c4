//! A Bundle of several patients: each sheet carries the findings about its own patient's
//! resources and those about no patient, not the findings about the others' (every sheet once
//! carried every patient's, which also made a Bundle of many patients take time growing with
//! the square of its size).

#[path = "support/catalog.rs"]
mod catalog;

use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Input, Record};

/// A Condition of `subject` coded with nothing the notified-disease lists know.
fn unknown_condition(n: usize, subject: &str) -> serde_json::Value {
    serde_json::json!({"fullUrl": format!("urn:uuid:9a3e2c10-0000-4000-8000-{n:012}"),
        "resource": {"resourceType": "Condition", "subject": {"reference": subject},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "Z99.9"}],
                     "text": format!("unknown {n}")}}})
}

#[test]
fn each_sheet_has_the_findings_about_its_own_patient_and_none_about_the_others() {
    let patients = [
        ("urn:uuid:9a3e2c10-0000-4000-8000-a00000000001", "一郎"),
        ("urn:uuid:9a3e2c10-0000-4000-8000-a00000000002", "二郎"),
    ];
    let mut entries: Vec<serde_json::Value> = patients
        .iter()
        .map(|(url, name)| {
            serde_json::json!({"fullUrl": url, "resource": {"resourceType": "Patient",
                "name": [{"text": format!("山田 {name}")}], "birthDate": "1970-01-01"}})
        })
        .collect();
    entries.push(unknown_condition(1, patients[0].0));
    entries.push(unknown_condition(2, patients[0].0));
    entries.push(unknown_condition(3, patients[1].0));
    // About no patient: on every sheet.
    entries.push(
        serde_json::json!({"resource": {"resourceType": "QuestionnaireResponse",
        "status": "completed", "questionnaire": "https://example.org/Questionnaire/other"}}),
    );
    let bytes = serde_json::to_vec_pretty(
        &serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": entries}),
    )
    .unwrap();

    let catalog = catalog::catalog();
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: "",
    };
    let converted = FhirAdapter.convert(&input, &catalog.context()).unwrap();
    let mut found: Vec<(String, Vec<String>)> = converted
        .iter()
        .map(|c| {
            let Record::Sheet(sheet) = &c.record else {
                panic!("not a sheet: {:?}", c.record);
            };
            let mut unknown: Vec<String> = c
                .findings
                .iter()
                .filter_map(|f| match f.code.as_str() {
                    "fhir.not_a_notified_disease" => f.message.split('`').nth(1).map(str::to_owned),
                    "fhir.unknown_questionnaire" => Some("the questionnaire".to_owned()),
                    _ => None,
                })
                .collect();
            unknown.sort();
            (sheet.patient.name.clone().unwrap_or_default(), unknown)
        })
        .collect();
    found.sort();
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        found,
        [
            (
                "山田 一郎".to_owned(),
                names(&["the questionnaire", "unknown 1", "unknown 2"])
            ),
            (
                "山田 二郎".to_owned(),
                names(&["the questionnaire", "unknown 3"])
            ),
        ]
    );
}
