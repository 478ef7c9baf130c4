//! FHIR out and back in: a sheet written as a Bundle of Patient and QuestionnaireResponse
//! converts back to the same sheet, decimals as written; a template's Questionnaire marks its
//! auto-calculated items; and the same through the real binary's API: a hospital posts
//! `application/fhir+json`, reads the sheet back as FHIR and posts that again.

mod common;

use kakehashi::catalog::Catalog;
use kakehashi::pipeline::{self, content_hash};
use kakehashi::store::Completion;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{DiseaseKey, Input, Sheet, SheetKind, TreatmentKind};
use reqwest::StatusCode;
use serde_json::Value;

use common::{Gateway, HOSPITAL, Session, send};

/// The FHIR base of the tests that build documents without a gateway.
const BASE: &str = "https://127.0.0.1:8443/fhir";

const T1D_BUNDLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/conformance/fhir/cases/shoman-t1d-bundle.json"
);

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
    let bytes = std::fs::read(T1D_BUNDLE).unwrap();
    let (mut original, _) = convert(&catalog, &bytes).remove(0);
    // Typed by the checks, and kept as written.
    assert_eq!(
        original.items["t1d.hba1c_1"].as_written.as_deref(),
        Some("7.50")
    );
    // The 医療意見書's items the example lacks, and the hospital's patient id, travel too.
    for (path, text) in [
        ("patient.hospital_patient_id", "P-00123"),
        ("child.current_assessment", "改善"),
        ("child.criteria_met", "該当"),
        ("clinical.complications", "あり"),
        ("clinical.complications_detail", "橋本病"),
        ("clinical.treatment_plan", "強化インスリン療法を継続する"),
        ("clinical.treatments.replacement", "レボチロキシン"),
        ("clinical.treatments.diet", "カーボカウント; 間食の調整"),
    ] {
        let field = kakehashi_sdk::HeaderField::ALL
            .iter()
            .find(|f| f.path() == path)
            .unwrap();
        field.apply(&mut original, text).unwrap();
    }

    let id = "2f1e9a3c-0d5b-5c4e-8a7f-1b2c3d4e5f60";
    let template = catalog.templates.for_sheet(&original);
    let bundle =
        kakehashi_adapter_fhir::sheet_bundle(&original, template, id, "in-progress", BASE).unwrap();
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
    let kept = |s: &Sheet| {
        (
            s.clinical.complications,
            s.clinical.complications_detail.clone(),
            s.clinical.treatment_plan.clone(),
            s.clinical
                .treatments
                .iter()
                .map(|t| (t.kind, t.name.clone()))
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(kept(&back), kept(&original));
    let added = original
        .clinical
        .treatments
        .iter()
        .filter(|t| matches!(t.kind, TreatmentKind::Replacement | TreatmentKind::Diet))
        .count();
    assert_eq!(added, 3);
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
    let q = kakehashi_adapter_fhir::questionnaire(template, BASE);
    assert_eq!(
        q["url"],
        "https://127.0.0.1:8443/fhir/Questionnaire/shoman-07-001"
    );
    assert_eq!(q["version"], template.form_version);
    let items = group(&q, "items");
    let mean = items
        .iter()
        .find(|i| i["linkId"] == "t1d.hba1c_mean")
        .unwrap();
    assert_eq!(mean["readOnly"], true);
    let expression = mean["extension"][0]["valueExpression"]["expression"]
        .as_str()
        .unwrap();
    // Normative FHIRPath only: the mean (of the answered inputs: the template allows a partial
    // mean) as a sum over the count, rounded with `div`.
    assert!(
        expression.contains("where(linkId = 't1d.hba1c_3')")
            && expression.contains(".count()")
            && expression.contains("div 1")
            && !expression.contains("avg()"),
        "{expression}"
    );
    let hba1c = items.iter().find(|i| i["linkId"] == "t1d.hba1c_1").unwrap();
    assert_eq!(
        (hba1c["type"].as_str(), hba1c["required"].as_bool()),
        (Some("decimal"), Some(true))
    );
    let header = group(&q, "header");
    assert!(header.iter().any(|i| i["linkId"] == "child.height_cm"));
    assert!(header.iter().all(|i| i["linkId"] != "disease.number"));
    let linked = |id: &str| header.iter().find(|i| i["linkId"] == id).unwrap().clone();
    assert_eq!(linked("child.criteria_met")["type"], "boolean");
    assert_eq!(linked("child.current_assessment")["type"], "choice");
    assert_eq!(
        linked("child.current_assessment")["answerOption"][1]["valueCoding"]["display"],
        "寛解"
    );
    assert_eq!(linked("clinical.treatments.diet")["type"], "string");

    // A weighted score (CDAI) is a sum of weighted answers plus its constant.
    let crohn = catalog
        .templates
        .get(&DiseaseKey {
            kind: SheetKind::Nanbyo,
            group: None,
            number: 96,
        })
        .unwrap();
    let q = kakehashi_adapter_fhir::questionnaire(crohn, BASE);
    let cdai = group(&q, "items")
        .iter()
        .find(|i| i["linkId"] == "cdai.total")
        .unwrap();
    let expression = cdai["extension"][0]["valueExpression"]["expression"]
        .as_str()
        .unwrap();
    assert!(
        expression.contains("linkId = 'cdai.liquid_stools_7d').answer.value * 2)")
            && expression.contains("iif(%resource.repeat(item).where(linkId = 'cdai.antidiarrheal').answer.value, 1, 0)) * 30)")
            && expression.contains(" + (100))"),
        "{expression}"
    );
}

/// The items of a Questionnaire's top-level group `link_id`.
fn group<'q>(questionnaire: &'q Value, link_id: &str) -> &'q Vec<Value> {
    questionnaire["item"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["linkId"] == link_id))
        .and_then(|g| g["item"].as_array())
        .unwrap_or_else(|| panic!("no group {link_id}"))
}

async fn submit_fhir(clerk: &Session, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        clerk
            .post("/v1/submissions")
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

/// The one sheet of an accepted submission, as the API shows it.
async fn only_sheet(clerk: &Session, submission: &Value) -> Value {
    let sheets = submission["sheets"].as_array().unwrap();
    assert_eq!(sheets.len(), 1, "{submission}");
    let id = sheets[0]["id"].as_str().unwrap();
    let (status, view) = send(clerk.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

#[tokio::test]
async fn a_hospital_posts_fhir_reads_it_back_as_fhir_and_posts_that_again() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), "");
    let clerk = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;

    // Picked by Content-Type alone; the unreadable `valueQuantity.value: "abc"` is a located
    // error finding, not a lost value and not a rejected document.
    let bundle = std::fs::read(T1D_BUNDLE).unwrap();
    let (status, submission) = submit_fhir(&clerk, "application/fhir+json", bundle).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    let view = only_sheet(&clerk, &submission).await;
    let sheet = &view["sheet"];
    assert_eq!(sheet["provenance"]["adapter"], "fhir");
    assert_eq!(sheet["disease"]["name"], "1型糖尿病");
    assert_eq!(sheet["items"]["t1d.hba1c_1"]["as_written"], "7.50");
    let unreadable: Vec<_> = view["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "fhir.unreadable")
        .collect();
    assert!(
        unreadable.iter().any(|f| {
            f["location"]["element"] == "$.entry[7].resource.valueQuantity"
                && f["message"].as_str().unwrap().contains(r#""abc""#)
        }),
        "{unreadable:?}"
    );

    // Out as a Bundle of Patient and QuestionnaireResponse, decimals as written.
    let id = view["id"].as_str().unwrap();
    let response = clerk
        .get(&format!("/v1/sheets/{id}?format=fhir"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let text = response.text().await.unwrap();
    assert!(text.contains(r#""valueDecimal":7.50"#), "{text}");
    let out: Value = serde_json::from_str(&text).unwrap();
    let types: Vec<_> = out["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    // The treatments (治療歴) go out too.
    assert_eq!(
        types,
        ["Patient", "QuestionnaireResponse", "MedicationRequest"]
    );

    // The response names its Questionnaire by a canonical URL with the form's version, and the
    // gateway answers that URL with that Questionnaire.
    let canonical = out["entry"][1]["resource"]["questionnaire"]
        .as_str()
        .unwrap();
    let (url, version) = canonical.split_once('|').expect("a version after |");
    let path = url
        .strip_prefix(&gw.base)
        .unwrap_or_else(|| panic!("{url} is not under the gateway's {}", gw.base));
    assert_eq!(path, "/fhir/Questionnaire/shoman-07-001");
    let response = clerk.get(path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let questionnaire: Value = response.json().await.unwrap();
    assert_eq!(questionnaire["resourceType"], "Questionnaire");
    assert_eq!(
        (
            questionnaire["url"].as_str(),
            questionnaire["version"].as_str()
        ),
        (Some(url), Some(version))
    );
    assert!(!version.is_empty());

    // And back in: the same patient, disease and values, as a new submission of new bytes.
    let (status, again) = submit_fhir(&clerk, "application/fhir+json", text.into_bytes()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["duplicate"], false);
    let back = only_sheet(&clerk, &again).await;
    for part in ["patient", "disease", "institution", "child"] {
        assert_eq!(back["sheet"][part], sheet[part], "{part}");
    }
    for (code, item) in sheet["items"].as_object().unwrap() {
        assert_eq!(
            back["sheet"]["items"][code]["value"], item["value"],
            "{code}"
        );
    }

    // An unknown format is refused by name.
    let (status, body) = send(clerk.get(&format!("/v1/sheets/{id}?format=xml"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("request.unknown_format"))
    );
}

#[tokio::test]
async fn templates_are_questionnaires_and_unreadable_fhir_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), "");
    let clerk = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;

    let response = clerk
        .get("/v1/templates/shoman/7-1/questionnaire")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let questionnaire: Value = response.json().await.unwrap();
    assert_eq!(questionnaire["resourceType"], "Questionnaire");
    assert_eq!(
        questionnaire["url"],
        kakehashi_adapter_fhir::canonical(
            &DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(7),
                number: 1,
            },
            &format!("{}/fhir", gw.base)
        )
    );
    let (status, body) = send(clerk.get("/v1/templates/nanbyo/999/questionnaire")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // At their canonical URLs: a template's and a common form; a disease without a template,
    // a slug the gateway does not write and no form at all are 404 in both languages.
    for slug in ["shoman-07-001", "nanbyo-common"] {
        let (status, body) = send(clerk.get(&format!("/fhir/Questionnaire/{slug}"))).await;
        assert_eq!(status, StatusCode::OK, "{slug}: {body}");
        assert_eq!(
            body["url"],
            format!("{}/fhir/Questionnaire/{slug}", gw.base)
        );
    }
    for slug in ["nanbyo-999", "shoman-7-1", "patient-001"] {
        let (status, body) = send(clerk.get(&format!("/fhir/Questionnaire/{slug}"))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{slug}"
        );
        assert!(body["message"].as_str().unwrap().contains(slug), "{body}");
        assert!(
            body["message_ja"].as_str().unwrap().contains("様式"),
            "{body}"
        );
    }
    // Signed-in users only.
    let anonymous = gw
        .client(Some("hospital"))
        .get(gw.url("/fhir/Questionnaire/shoman-07-001"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // Broken JSON declared as FHIR: rejected with line and column, and still journaled.
    let broken = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/conformance/fhir/cases/not-json.json"
    ))
    .unwrap();
    let (status, body) = submit_fhir(&clerk, "application/fhir+json", broken).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "fhir.syntax");
    assert_eq!(body["location"]["line"], 5);
    let id = body["submission_id"].as_str().unwrap();
    let (status, stored) = send(clerk.get(&format!("/v1/submissions/{id}"))).await;
    assert_eq!(
        (status, &stored["status"]),
        (StatusCode::OK, &Value::from("rejected"))
    );
}
