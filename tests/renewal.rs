//! Renewals (前回値踏襲) against the real binary over mutual TLS: a hospital confirms last
//! year's 潰瘍性大腸炎 sheet, renews it into this year's draft with every carried value marked,
//! gets the same draft when it asks again, edits it (a changed value loses its mark), and its
//! designated doctor's confirmation clears the marks. Another hospital cannot renew from the
//! sheet until the first hospital records the patient's consent, and then gets the patient's
//! values without the first hospital's own. Every renewal and consent is in the audit trail.

mod common;

use std::path::Path;

use common::{Gateway, HOSPITAL, corpus, database, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOSPITAL_B: &str = "hospital:2710000011";

/// The corpus's first 潰瘍性大腸炎 (97) row, alone in a file of Hospital A's layout.
fn ulcerative_colitis_csv() -> Vec<u8> {
    let mut reader = csv::Reader::from_path(corpus("hospital-a.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|r| r.get(0).map(|n| n.trim_start_matches('\u{feff}')) == Some("97"))
        .expect("a 97 row in the corpus");
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    out.write_record(&row).unwrap();
    out.into_inner().unwrap()
}

fn marks(view: &Value) -> Vec<String> {
    view["sheet"]["provenance"]["carried_over"]
        .as_array()
        .map(|a| a.iter().map(|m| m.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// Audit records of renewals and carry-over consents: (action, outcome, object, patient, detail).
async fn renewal_audit(data_dir: &Path) -> Vec<[Option<String>; 5]> {
    let mut conn = database(data_dir).await;
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    sqlx::query_as::<_, Row>(
        "SELECT action, outcome, object_id, patient_ref, detail FROM audit_events
         WHERE action IN ('sheet.renew', 'sheet.carryover_consent') ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(a, o, id, p, d)| [a, o, id, p, d])
    .collect()
}

#[tokio::test]
async fn a_hospital_renews_last_year_s_sheet_and_another_only_with_consent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let gw = Gateway::start(
        &data,
        "[security]\nrequests_per_second_per_terminal = 2000\n",
    );
    gw.add_organisation("hospital", "2710000011", "大阪北病院", "hospital-b");
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let clerk = gw.user("clerk1", HOSPITAL, "clerk", "hospital").await;
    let other = gw.user("dr-b", HOSPITAL_B, "doctor", "hospital-b").await;

    // Last year's sheet, confirmed.
    let (status, submission) = send(
        doctor
            .post("/v1/submissions?mapping=hospital-a")
            .header("content-type", "text/csv")
            .body(ulcerative_colitis_csv()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    let last_year = submission["sheets"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(submission["sheets"][0]["has_errors"], false, "{submission}");
    let renew = format!("/v1/sheets/{last_year}/renew");
    let (status, refused) = send(clerk.post(&renew)).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("renewal.not_confirmed")),
        "a draft is not renewed from"
    );
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{last_year}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let (_, previous) = send(doctor.get(&format!("/v1/sheets/{last_year}"))).await;

    // This year's draft: the clerk starts it; the values carry over, marked.
    let (status, draft) = send(clerk.post(&renew)).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    assert_ne!(draft_id, last_year);
    assert_eq!(draft["status"], "draft");
    let sheet = &draft["sheet"];
    assert_eq!(sheet["application_type"], "renewal");
    assert_eq!(sheet["provenance"]["renewed_from"], last_year.as_str());
    assert_eq!(sheet["patient"], previous["sheet"]["patient"]);
    assert_eq!(
        sheet["items"]["uc.hemoglobin"]["value"],
        previous["sheet"]["items"]["uc.hemoglobin"]["value"]
    );
    assert!(sheet["institution"]["date_written"].is_null(), "{sheet}");
    assert!(sheet["administrative"]["research_consent"].is_null());
    let carried = marks(&draft);
    for mark in [
        "patient.name",
        "patient.hospital_patient_id",
        "clinical.onset",
        "institution.doctor_name",
        "uc.stools_per_day",
        "uc.hemoglobin",
    ] {
        assert!(
            carried.contains(&mark.to_owned()),
            "{mark} not in {carried:?}"
        );
    }
    assert!(
        draft["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["item"] == "institution.date_written"),
        "the doctor writes the date anew: {}",
        draft["findings"]
    );

    // Asking again gives the same draft.
    let (status, again) = send(doctor.post(&renew)).await;
    assert_eq!(
        (status, again["id"].as_str()),
        (StatusCode::OK, Some(draft_id.as_str()))
    );

    // The doctor changes one value and dates the sheet: that value's mark goes.
    let mut edited = draft["sheet"].clone();
    let stools = edited["items"]["uc.stools_per_day"]["value"]
        .as_i64()
        .unwrap();
    edited["items"]["uc.stools_per_day"] = json!({ "value": stools + 1 });
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    edited["institution"]["date_written"] = json!(yesterday.to_string());
    let (status, updated) = send(doctor.put(&format!("/v1/sheets/{draft_id}")).json(&edited)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let carried = marks(&updated);
    assert!(
        !carried.contains(&"uc.stools_per_day".to_owned()),
        "{carried:?}"
    );
    assert!(carried.contains(&"uc.hemoglobin".to_owned()), "{carried:?}");
    assert!(!carried.contains(&"institution.date_written".to_owned()));

    // Confirmation: the doctor vouches for every value, the marks go.
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{draft_id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let (_, renewed) = send(doctor.get(&format!("/v1/sheets/{draft_id}"))).await;
    assert_eq!(renewed["status"], "confirmed");
    assert!(
        marks(&renewed).is_empty(),
        "{}",
        renewed["sheet"]["provenance"]
    );
    assert_eq!(
        renewed["sheet"]["provenance"]["renewed_from"],
        last_year.as_str()
    );

    // Another hospital: nothing without the patient's consent (as if there were no sheet).
    let (status, hidden) = send(other.post(&renew)).await;
    assert_eq!(
        (status, hidden["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let consent = format!("/v1/sheets/{last_year}/carryover-consent");
    let (status, _) = send(
        other
            .post(&consent)
            .json(&json!({ "organisation_id": HOSPITAL_B })),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the other hospital cannot consent for itself"
    );
    let (status, bad) = send(
        clerk
            .post(&consent)
            .json(&json!({ "organisation_id": "municipality:130001" })),
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("renewal.organisation")
        )
    );
    let (status, recorded) = send(
        clerk
            .post(&consent)
            .json(&json!({ "organisation_id": HOSPITAL_B })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{recorded}");
    let (status, theirs) = send(other.post(&renew)).await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert_eq!(
        theirs["sheet"]["patient"]["name"],
        previous["sheet"]["patient"]["name"]
    );
    assert!(
        theirs["sheet"]["patient"]["hospital_patient_id"].is_null(),
        "not their patient id"
    );
    assert!(
        theirs["sheet"]["institution"]["name"].is_null(),
        "not their institution"
    );
    assert!(!marks(&theirs).contains(&"institution.doctor_name".to_owned()));
    assert_eq!(theirs["organisation_id"], HOSPITAL_B);
    // The first hospital's own draft is not theirs to read.
    let (status, _) = send(other.get(&format!("/v1/sheets/{draft_id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Watched: every renewal and consent, with the patient's pseudonym, refusals too.
    let audit = renewal_audit(&data).await;
    let outcomes: Vec<(&str, &str)> = audit
        .iter()
        .map(|[a, o, ..]| (a.as_deref().unwrap(), o.as_deref().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("sheet.renew", "refused"),
            ("sheet.renew", "ok"),
            ("sheet.renew", "ok"),
            ("sheet.renew", "denied"),
            ("sheet.carryover_consent", "denied"),
            ("sheet.carryover_consent", "ok"),
            ("sheet.renew", "ok"),
        ],
        "{audit:?}"
    );
    let patient = audit[1][3].clone().expect("a pseudonym");
    assert!(
        audit
            .iter()
            .skip(1)
            .all(|r| r[3].as_ref() == Some(&patient)),
        "{audit:?}"
    );
    assert!(
        audit[6][4]
            .as_deref()
            .unwrap()
            .contains("another hospital, with the patient's consent")
    );
    assert!(audit[2][4].as_deref().unwrap().contains("exists already"));
}
