//! Mynaportal applications end to end, against the real binary over real mutual TLS: a tampered
//! or truncated download is refused with the entry named and stores nothing; the sample
//! download imports as a municipal officer; importing it again changes nothing; statuses move
//! only along allowed transitions; the status export is CP932 CSV; nobody but municipal
//! officers gets in, and an officer of another municipality finds nothing.

mod common;

use std::path::Path;

use common::{Gateway, HOSPITAL, Session, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 2000\n";

fn sample() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("conformance/corpus/mynaportal/sample-download.zip"),
    )
    .unwrap()
}

async fn import(officer: &Session, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        officer
            .post("/v1/applications/import")
            .header("content-type", "application/zip")
            .body(body),
    )
    .await
}

async fn set_status(officer: &Session, receipt: &str, status: &str) -> (StatusCode, Value) {
    send(
        officer
            .post(&format!("/v1/applications/{receipt}/status"))
            .json(&json!({ "status": status })),
    )
    .await
}

/// Replaces every occurrence of `from` in `bytes` with `to` (same length), as a tamperer
/// renaming an entry in both the local header and the central directory would.
fn rename(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = bytes.to_vec();
    let mut renamed = 0;
    for i in 0..bytes.len().saturating_sub(from.len()) {
        if &bytes[i..i + from.len()] == from.as_bytes() {
            out[i..i + to.len()].copy_from_slice(to.as_bytes());
            renamed += 1;
        }
    }
    assert!(renamed >= 2, "{from} occurs {renamed} times");
    out
}

#[tokio::test]
async fn downloads_import_idempotently_and_statuses_move_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw.officer("officer1").await;
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;

    // A tampered download: an entry renamed to climb out of the folder. Refused, named,
    // nothing stored — not even the applications that were fine.
    let tampered = rename(&sample(), "241011089570012/", "../../../../evil");
    let (status, error) = import(&officer, tampered).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "mynaportal.path_traversal");
    assert_eq!(error["location"]["entry"], "../../../../evil申請書.xml");
    assert!(!error["message_ja"].as_str().unwrap().is_empty());
    // A truncated one.
    let whole = sample();
    let (status, error) = import(&officer, whole[..whole.len() - 40].to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "mynaportal.archive");
    let (status, listed) = send(officer.get("/v1/applications")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed, json!([]), "a refused download stored something");

    // The sample: four applications.
    let (status, imported) = import(&officer, sample()).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["mapping"], "pittari-nanbyo");
    assert_eq!(imported["summary"]["created"], 4, "{imported}");
    let (_, listed) = send(officer.get("/v1/applications")).await;
    let receipts: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["receipt_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        receipts,
        [
            "241010089569116",
            "241010089569207",
            "241010089569355",
            "241011089570012"
        ]
    );
    assert!(
        !listed.to_string().contains("架空"),
        "a list shows personal data"
    );
    let (_, processing) = send(officer.get("/v1/applications?status=処理中")).await;
    assert_eq!(processing.as_array().unwrap().len(), 1);
    assert_eq!(processing[0]["receipt_number"], "241010089569207");
    let (status, error) = send(officer.get("/v1/applications?status=受付中")).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("application.bad_status"))
    );

    // One application in full: the access key awaits linking; the paper sheet is marked.
    let (status, one) = send(officer.get("/v1/applications/241010089569116")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["application"]["access_key"], "CN4X-CVS2-52G1-EP90-673D");
    assert_eq!(one["linked_sheet_id"], Value::Null);
    assert_eq!(one["status"], "submitted");
    let (_, paper) = send(officer.get("/v1/applications/241010089569355")).await;
    assert_eq!(
        paper["application"]["attachments"][0]["role"],
        "paper_sheet"
    );
    let (status, _) = send(officer.get("/v1/applications/999999999999999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Importing the same download again changes nothing.
    let (status, again) = import(&officer, sample()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["summary"]["unchanged"], 4, "{again}");

    // 状態遷移: forward, then final.
    let (status, moved) = set_status(&officer, "241010089569116", "processing").await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(
        (moved["previous"].as_str(), moved["changed"].as_bool()),
        (Some("submitted"), Some(true))
    );
    let (status, _) = set_status(&officer, "241010089569116", "completed").await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = set_status(&officer, "241010089569116", "processing").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "application.transition");
    let (status, _) = set_status(&officer, "241010089569207", "submitted").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "back to 提出済 is not a transition"
    );
    // A re-download still saying 提出済 does not reopen the completed application.
    let (_, stale) = import(&officer, sample()).await;
    assert_eq!(stale["summary"]["status_kept"], 1, "{stale}");

    // The bulk status export: CP932 CSV, Mynaportal's labels.
    let response = officer
        .get("/v1/applications/status-export")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=shift_jis"
    );
    let bytes = response.bytes().await.unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert_eq!(
        text,
        "受付番号,処理状況\r\n241010089569116,完了\r\n241010089569207,処理中\r\n241010089569355,提出済\r\n241011089570012,要再申請\r\n"
    );

    // Another municipality's officer finds nothing.
    gw.add_organisation("municipality", "270008", "大阪府", "municipality-b");
    let osaka = gw
        .user(
            "officer2",
            "municipality:270008",
            "municipal_officer",
            "municipality-b",
        )
        .await;
    let (status, listed) = send(osaka.get("/v1/applications")).await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    let (status, _) = send(osaka.get("/v1/applications/241010089569116")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = set_status(&osaka, "241010089569207", "completed").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Only municipal officers.
    let (status, error) = send(doctor.get("/v1/applications")).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.denied"))
    );
    let (status, _) = import(&doctor, sample()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
