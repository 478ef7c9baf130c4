//! End to end, seed 003's paper path without the typing: a municipal officer uploads a scanned
//! PDF of a paper 臨個票 to the real gateway over mutual TLS; the values OCR doubts or the
//! checks refuse wait in the review queue with the cut-out of their box; the sheet cannot be
//! registered until the queue is empty; after review it is registered. Bad scans are refused
//! with a located, bilingual error and nothing is stored for them.

mod common;

use std::path::Path;

use common::municipal::{paper, scan};
use common::{Gateway, HOSPITAL, MUNICIPALITY, Session, send};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 2000\n";

async fn upload(s: &Session, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        s.post("/v1/submissions")
            .header("content-type", "application/pdf")
            .body(body),
    )
    .await
}

#[tokio::test]
async fn a_scanned_paper_sheet_becomes_a_registered_sheet_after_review() {
    // Made before logging in: printing and scanning takes seconds in a debug build, long enough
    // for the gateway to close the session's idle connection (header read timeout) just as the
    // upload reuses it.
    let pdf = scan(&[paper()]);
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw
        .user(
            "officer1",
            MUNICIPALITY,
            "municipal_officer",
            "municipality",
        )
        .await;
    let clerk = gw.user("clerk1", HOSPITAL, "clerk", "hospital").await;

    let (status, submission) = upload(&officer, pdf).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    assert_eq!(submission["adapter"], "scan");
    assert_eq!(submission["municipality_id"], MUNICIPALITY);
    let sheet_id = submission["sheets"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(submission["sheets"].as_array().unwrap().len(), 1);

    // Not registered while values wait for review.
    let confirm = format!("/v1/sheets/{sheet_id}/confirm");
    let (status, body) = send(officer.post(&confirm)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "review.pending");
    assert!(body["message_ja"].as_str().unwrap().contains("確認待ち"));

    // The queue: the wrong check digit is there, with its reason and its box's image.
    let (status, queue) = send(officer.get("/v1/review")).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let tasks = queue["tasks"].as_array().unwrap().clone();
    assert!(tasks.iter().all(|t| t["sheet_id"] == sheet_id.as_str()));
    let recipient = tasks
        .iter()
        .find(|t| t["target"] == "administrative.recipient_number")
        .unwrap_or_else(|| panic!("no review of the check digit in {queue}"));
    assert!(
        recipient["reasons"]
            .as_array()
            .unwrap()
            .contains(&json!("identifier.check_digit")),
        "{recipient}"
    );
    assert_eq!(recipient["label"], "受給者番号");
    assert_eq!(recipient["location"]["page"], 1);
    for task in &tasks {
        let response = officer
            .get(task["image"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/png");
        assert!(response.bytes().await.unwrap().starts_with(b"\x89PNG"));
    }

    // Other organisations see neither the queue nor the images.
    let (status, body) = send(clerk.get("/v1/review")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = send(clerk.get(tasks[0]["image"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A value the field cannot hold is refused and changes nothing.
    let recipient_path = format!("/v1/review/{}", recipient["id"].as_str().unwrap());
    let (status, body) = send(
        officer
            .post(&recipient_path)
            .json(&json!({ "value": "12三4566" })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "review.invalid_value");
    let truth = paper();

    // Review: the reviewer reads each box; the municipality knows its own 受給者番号.
    for task in &tasks {
        let target = task["target"].as_str().unwrap();
        let value = match target {
            "administrative.recipient_number" => Some("1234566".to_owned()),
            other => truth.get(other).cloned(),
        };
        let path = format!("/v1/review/{}", task["id"].as_str().unwrap());
        let (status, body) = send(officer.post(&path).json(&json!({ "value": value }))).await;
        assert_eq!(status, StatusCode::OK, "{target}: {body}");
        assert_eq!(body["task"]["status"], "resolved");
        assert_eq!(body["task"]["resolved_by"], "officer1");
    }
    // Once only.
    let (status, body) = send(
        officer
            .post(&recipient_path)
            .json(&json!({ "value": "1234566" })),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "review.resolved");
    let (_, queue) = send(officer.get("/v1/review")).await;
    assert_eq!(queue["tasks"], json!([]));

    // The sheet as registered holds what the paper says (and the corrected number).
    let (status, sheet) = send(officer.get(&format!("/v1/sheets/{sheet_id}"))).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let errors: Vec<&Value> = sheet["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let s = &sheet["sheet"];
    assert_eq!(s["administrative"]["recipient_number"], "1234566");
    assert_eq!(s["disease"]["number"], 49);
    assert_eq!(s["patient"]["sex"], "female");
    assert_eq!(s["items"]["sledai.score"]["value"], 12);
    assert_eq!(s["provenance"]["adapter"], "scan");
    let (status, body) = send(officer.post(&confirm)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "confirmed");
}

#[tokio::test]
async fn bad_scans_are_refused_with_located_bilingual_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw
        .user(
            "officer1",
            MUNICIPALITY,
            "municipal_officer",
            "municipality",
        )
        .await;

    let (status, body) = upload(&officer, b"%PDX not really".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert_eq!(body["code"], "scan.not_pdf");
    assert!(body["message_ja"].as_str().unwrap().contains("PDF"));

    // A PDF with text (not a scan) is an unknown form, located at its page.
    let font = Font::load(Path::new(DEFAULT_FONT_PATH)).unwrap();
    let mut doc = kakehashi_pdf::Document::new(&font, "text");
    doc.page().text(20.0, 20.0, 14.0, "臨床調査個人票 2403-1");
    let (status, body) = upload(&officer, doc.finish().unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "scan.unknown_form");
    assert_eq!(body["location"]["page"], 1);
    assert!(body["submission_id"].is_string(), "journaled: {body}");

    // An officer sends paper scans only.
    let (status, body) = send(
        officer
            .post("/v1/submissions?adapter=csv")
            .header("content-type", "text/csv")
            .body("a,b\n1,2\n"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "access.denied");
}
