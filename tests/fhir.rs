//! FHIR out and back in: a sheet written as a Bundle of Patient and QuestionnaireResponse
//! converts back to the same sheet, decimals as written; a template's Questionnaire marks its
//! auto-calculated items.

use kakehashi::catalog::Catalog;
use kakehashi::pipeline::{self, content_hash};
use kakehashi::store::Completion;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{DiseaseKey, Input, Sheet, SheetKind};

fn convert(catalog: &Catalog, bytes: &[u8]) -> Vec<(Sheet, Vec<kakehashi_sdk::Finding>)> {
    let sha = content_hash(bytes);
    let input = Input {
        bytes,
        content_type: Some("application/fhir+json"),
        sha256: &sha,
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    match pipeline::convert(
        &FhirAdapter,
        catalog,
        &input,
        None,
        "00000000-0000-0000-0000-000000000000",
        today,
    ) {
        Completion::Accepted(sheets) => sheets.into_iter().map(|s| (s.sheet, s.findings)).collect(),
        Completion::Rejected(r) => panic!("{r:?}"),
    }
}

#[test]
fn a_sheet_goes_out_as_fhir_and_comes_back_the_same() {
    let catalog = Catalog::load(None).unwrap();
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/fhir/cases/shoman-t1d-bundle.json"
    ))
    .unwrap();
    let (original, _) = convert(&catalog, &bytes).remove(0);
    assert_eq!(
        original.items["t1d.hba1c_1"].as_written.as_deref(),
        Some("7.50")
    );

    let id = "2f1e9a3c-0d5b-5c4e-8a7f-1b2c3d4e5f60";
    let bundle = kakehashi_adapter_fhir::sheet_bundle(&original, id, "in-progress").unwrap();
    assert!(bundle.contains(r#""valueDecimal":7.50"#), "{bundle}");
    let (back, findings) = convert(&catalog, bundle.as_bytes()).remove(0);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.code.starts_with("fhir.unreadable"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(back.kind, SheetKind::Shoman);
    assert_eq!(back.disease, original.disease);
    assert_eq!(back.patient, original.patient);
    assert_eq!(back.institution, original.institution);
    assert_eq!(back.child, original.child);
    let values = |s: &Sheet| {
        s.items
            .iter()
            .map(|(k, i)| (k.clone(), i.value.clone(), i.as_written.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&back), values(&original));
}

#[test]
fn a_questionnaire_marks_its_calculated_items_and_names_its_disease() {
    let catalog = Catalog::load(None).unwrap();
    let key = DiseaseKey {
        kind: SheetKind::Shoman,
        group: Some(7),
        number: 1,
    };
    let template = catalog.templates.get(&key).unwrap();
    let q = kakehashi_adapter_fhir::questionnaire(template);
    assert_eq!(q["url"], kakehashi_adapter_fhir::canonical(&key));
    let items = q["item"][1]["item"].as_array().unwrap();
    let mean = items
        .iter()
        .find(|i| i["linkId"] == "t1d.hba1c_mean")
        .unwrap();
    assert_eq!(mean["readOnly"], true);
    let expression = mean["extension"][0]["valueExpression"]["expression"]
        .as_str()
        .unwrap();
    assert!(
        expression.contains("'t1d.hba1c_1' | 't1d.hba1c_2' | 't1d.hba1c_3'")
            && expression.contains("avg()"),
        "{expression}"
    );
    let hba1c = items.iter().find(|i| i["linkId"] == "t1d.hba1c_1").unwrap();
    assert_eq!(
        (hba1c["type"].as_str(), hba1c["required"].as_bool()),
        (Some("decimal"), Some(true))
    );
    let header = q["item"][0]["item"].as_array().unwrap();
    assert!(header.iter().any(|i| i["linkId"] == "child.height_cm"));
    assert!(header.iter().all(|i| i["linkId"] != "disease.number"));
}
