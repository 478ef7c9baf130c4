//! The intake API's attachments end to end, against the real binary over real mutual TLS: an
//! app's application carries a scanned paper 臨個票 (PDF) and a photo of the insurance card
//! (PNG); the paper goes through the municipality's scan path — its doubtful values wait in
//! the officer's review queue — and the sheet read from it is linked to the application, whose
//! attachments the officer sees, stored content-addressed and sealed; a replay stores nothing
//! twice; the same paper as two page images (JPEG, PNG) is read as one paper; a PDF that is no
//! paper sheet keeps the application, with a finding for the officer and the app. An
//! oversized attachment, a PNG declared a PDF, bad base64 and too many attachments are each
//! refused with their code and nothing stored, and the reference client attaches files given
//! on its command line.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::intake::{accept, application, inbox, reference_client, register_app};
use common::municipal::{paper, scan};
use common::{Gateway, at_rest, database, in_clear, send};
use image::ImageFormat;
use kakehashi_adapter_scan::{Limits, PageImage, page_images};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CONFIG: &str =
    "[security]\nrequests_per_second_per_terminal = 2000\nrequests_per_second_per_address = 2000\n";

/// A PNG's first bytes and a marker to look for at rest.
const CARD: &[u8] = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR insurance-card-photo";

/// 10 MiB: the most one attachment may have.
const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

fn attachment(file_name: &str, media_type: &str, role: &str, bytes: &[u8]) -> Value {
    json!({
        "file_name": file_name,
        "media_type": media_type,
        "role": role,
        "content": STANDARD.encode(bytes),
    })
}

/// The application without an access key (its sheet comes on paper), with `attachments`.
fn with_attachments(attachments: Vec<Value>) -> Value {
    let mut body = application("");
    body.as_object_mut().unwrap().remove("access_key");
    body["attachments"] = Value::Array(attachments);
    body
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How many applications, raw inputs, idempotency keys and submissions the store holds.
async fn stored_counts(gw: &Gateway) -> [i64; 4] {
    let mut conn = database(&gw.data_dir).await;
    let mut counts = [0; 4];
    for (count, table) in counts.iter_mut().zip([
        "applications",
        "raw_inputs",
        "intake_requests",
        "submissions",
    ]) {
        *count = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap();
    }
    counts
}

/// The codes of the intake's audited refusals, oldest first.
async fn intake_refusals(gw: &Gateway) -> Vec<String> {
    let mut conn = database(&gw.data_dir).await;
    sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'application.intake' AND outcome = 'refused' ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_paper_sheet_attached_is_scanned_into_the_review_queue_and_linked() {
    // Printed and scanned before logging in: it takes seconds in a debug build (tests/scan.rs).
    let pdf = scan(&[paper()]);
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw.officer("officer1").await;
    let pocket = register_app(&gw, "pocket", "pocket-app");
    accept(&officer, "app:pocket").await;

    let mut rinkohyo = attachment("rinkohyo.pdf", "application/pdf", "paper_sheet", &pdf);
    rinkohyo["document_type"] = json!("臨床調査個人票");
    let mut card = attachment("card.png", "image/png", "other", CARD);
    card["document_type"] = json!("保険証の写し");
    let body = with_attachments(vec![rinkohyo, card]);
    let (status, receipt) = send(pocket.deliver(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["findings"], json!([]), "{receipt}");
    let receipt_number = receipt["receipt_number"].as_str().unwrap().to_owned();

    // The officer sees the application with its attachments and the sheet read from the paper.
    let (status, seen) = send(officer.get(&format!("/v1/applications/{receipt_number}"))).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let sheet_id = seen["linked_sheet_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no sheet linked: {seen}"))
        .to_owned();
    assert_eq!(
        seen["application"]["attachments"],
        json!([
            {"file_name": "rinkohyo.pdf", "document_type": "臨床調査個人票", "media_type": "application/pdf",
             "size": pdf.len(), "sha256": sha256(&pdf), "role": "paper_sheet"},
            {"file_name": "card.png", "document_type": "保険証の写し", "media_type": "image/png",
             "size": CARD.len(), "sha256": sha256(CARD), "role": "other"},
        ])
    );
    // The sheet is the municipality's, read by the scan path; its doubtful values wait in the
    // review queue.
    let (status, sheet) = send(officer.get(&format!("/v1/sheets/{sheet_id}"))).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let (status, queue) = send(officer.get("/v1/review")).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let tasks = queue["tasks"].as_array().unwrap();
    assert!(!tasks.is_empty(), "{queue}");
    assert!(tasks.iter().all(|t| t["sheet_id"] == sheet_id.as_str()));
    assert!(
        tasks
            .iter()
            .any(|t| t["target"] == "administrative.recipient_number"),
        "{queue}"
    );

    // Stored content-addressed, sealed, described by the attachments table.
    let mut conn = database(&gw.data_dir).await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT sha256, role FROM application_attachments ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (sha256(&pdf), "paper_sheet".to_owned()),
            (sha256(CARD), "other".to_owned())
        ]
    );
    // Each attachment is the officer's to download, as received, audited with the patient.
    let path = format!("/v1/applications/{receipt_number}/attachments");
    let card_file = officer.get(&format!("{path}/1")).send().await.unwrap();
    assert_eq!(card_file.status(), StatusCode::OK);
    let headers = card_file.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"card.png\""),
        "{headers:?}"
    );
    assert_eq!(card_file.bytes().await.unwrap().as_ref(), CARD);
    let (status, missing) = send(officer.get(&format!("{path}/2"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let mut conn = database(&gw.data_dir).await;
    let reads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'application.attachment_read' AND outcome = 'ok' AND patient_ref IS NOT NULL",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(reads, 1);

    let disk = at_rest(&gw.data_dir).await;
    assert!(
        !in_clear(&disk, "insurance-card-photo"),
        "the card is in clear"
    );
    assert!(
        !in_clear(&disk, "rinkohyo.pdf"),
        "the file name is in clear"
    );

    // The same request again: the same receipt, nothing stored twice.
    let before = stored_counts(&gw).await;
    let (status, again) = send(pocket.deliver(&body)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (&again["id"], &again["replayed"]),
        (&receipt["id"], &json!(true))
    );
    assert_eq!(stored_counts(&gw).await, before);

    // The same paper photographed, a page a file — the first a JPEG, the second a PNG — is one
    // paper: read as such, its sheet linked, its doubtful values in the review queue.
    let pages = page_images(&pdf, &Limits::default()).unwrap();
    let encoded = |page: &PageImage, format| {
        let mut bytes = Vec::new();
        page.image
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    };
    let (first, second) = (
        encoded(&pages[0], ImageFormat::Jpeg),
        encoded(&pages[1], ImageFormat::Png),
    );
    let body = with_attachments(vec![
        attachment("page1.jpg", "image/jpeg", "paper_sheet", &first),
        attachment("page2.png", "image/png", "paper_sheet", &second),
    ]);
    let (status, receipt) = send(pocket.deliver_under("k-photo", &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    assert_eq!(receipt["findings"], json!([]), "{receipt}");
    let number = receipt["receipt_number"].as_str().unwrap();
    let (_, seen) = send(officer.get(&format!("/v1/applications/{number}"))).await;
    let photographed = seen["linked_sheet_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no sheet linked: {seen}"));
    assert_ne!(photographed, sheet_id);
    let (_, queue) = send(officer.get("/v1/review")).await;
    assert!(
        queue["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["sheet_id"] == photographed),
        "{queue}"
    );

    // A PDF that is no paper sheet: the application is stored all the same, unlinked, with a
    // finding the app reads in its receipt and the officer in the application.
    let not_a_sheet = b"%PDF-1.7\n%%EOF\n";
    let body = with_attachments(vec![attachment(
        "letter.pdf",
        "application/pdf",
        "paper_sheet",
        not_a_sheet,
    )]);
    let (status, receipt) = send(pocket.deliver_under("k-2", &body)).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let finding = &receipt["findings"][0];
    assert_eq!(finding["code"], "intake.paper_sheet_unread", "{receipt}");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["location"]["element"], "/attachments/0/content");
    assert!(
        finding["message"].as_str().unwrap().contains("letter.pdf"),
        "{finding}"
    );
    assert!(!finding["message_ja"].as_str().unwrap().is_empty());
    let number = receipt["receipt_number"].as_str().unwrap();
    let (_, seen) = send(officer.get(&format!("/v1/applications/{number}"))).await;
    assert_eq!(seen["linked_sheet_id"], Value::Null, "{seen}");
    assert_eq!(seen["findings"][0]["code"], "intake.paper_sheet_unread");
    assert_eq!(
        seen["application"]["attachments"][0]["sha256"],
        sha256(not_a_sheet)
    );
    assert_eq!(inbox(&officer).await.len(), 3);
}

#[tokio::test]
async fn attachments_that_cannot_be_taken_are_refused_with_their_code_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    // A body limit of 16 MiB: room for one attachment of 10 MiB, not for two of 7.
    let gw = Gateway::start(
        &dir.path().join("data"),
        &format!("max_body_bytes = {}\n{CONFIG}", 16 << 20),
    );
    let officer = gw.officer("officer1").await;
    let pocket = register_app(&gw, "pocket", "pocket-app");
    accept(&officer, "app:pocket").await;
    let mut oversized = b"%PDF-1.7\n".to_vec();
    oversized.resize(MAX_ATTACHMENT_BYTES + 1, b' ');
    let pdf = b"%PDF-1.7\n%%EOF\n".as_slice();
    let mut half = b"%PDF-1.7\n".to_vec();
    half.resize(7 << 20, b' ');
    let mut bad_base64 = attachment("a.pdf", "application/pdf", "other", pdf);
    bad_base64["content"] = json!("JVBERi0x*Ny4K");
    let cases = [
        (
            vec![attachment(
                "big.pdf",
                "application/pdf",
                "other",
                &oversized,
            )],
            StatusCode::PAYLOAD_TOO_LARGE,
            "intake.attachment_too_large",
            "big.pdf",
        ),
        (
            vec![
                attachment("a.pdf", "application/pdf", "other", pdf),
                attachment("card.pdf", "application/pdf", "other", CARD),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.attachment_disguised",
            "card.pdf",
        ),
        (
            vec![bad_base64],
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.attachment_encoding",
            "a.pdf",
        ),
        (
            vec![attachment("a.pdf", "application/pdf", "other", pdf); 11],
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.too_many_attachments",
            "11",
        ),
        (
            vec![
                attachment("a.pdf", "application/pdf", "other", &half),
                attachment("b.pdf", "application/pdf", "other", &half),
            ],
            StatusCode::PAYLOAD_TOO_LARGE,
            "request.too_large",
            "",
        ),
    ];
    let before = stored_counts(&gw).await;
    for (attachments, status, code, named) in cases {
        let (answered, error) = send(pocket.deliver(&with_attachments(attachments))).await;
        assert_eq!(
            (answered, error["code"].as_str()),
            (status, Some(code)),
            "{error}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(named),
            "{error}"
        );
        assert!(
            error["message_ja"].as_str().unwrap().contains(named),
            "{error}"
        );
        // The handler audits its refusals; a body over the limit never reaches it.
        if code.starts_with("intake.") {
            let audited = intake_refusals(&gw).await;
            assert_eq!(audited.last().map(String::as_str), Some(code));
        }
    }
    assert_eq!(stored_counts(&gw).await, before, "nothing stored");
    assert!(inbox(&officer).await.is_empty());

    // The reference client attaches files given on its command line.
    let file = dir.path().join("application.json");
    std::fs::write(&file, with_attachments(Vec::new()).to_string()).unwrap();
    let photo = dir.path().join("card.png");
    std::fs::write(&photo, CARD).unwrap();
    let (file, photo) = (file.to_str().unwrap(), photo.to_str().unwrap());
    // A paper sheet as an image that is no picture: taken, with the finding that it was unread.
    let paper_sheet = format!("paper_sheet:{photo}");
    let (sent, receipt, stderr) = reference_client(
        &gw,
        "pocket-app",
        &pocket.credential,
        &["send", "--attach", &paper_sheet, file],
    );
    assert!(sent, "{stderr}");
    let receipt: Value = serde_json::from_str(&receipt).unwrap();
    let finding = &receipt["findings"][0];
    assert_eq!(finding["code"], "intake.paper_sheet_unread", "{receipt}");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("scan.malformed_image"),
        "{finding}"
    );
    let other = format!("other:{photo}");
    let (sent, receipt, stderr) = reference_client(
        &gw,
        "pocket-app",
        &pocket.credential,
        &["send", "--attach", &other, file],
    );
    assert!(sent, "{stderr}");
    let receipt: Value = serde_json::from_str(&receipt).unwrap();
    let number = receipt["receipt_number"].as_str().unwrap();
    let (_, seen) = send(officer.get(&format!("/v1/applications/{number}"))).await;
    assert_eq!(
        seen["application"]["attachments"][0],
        json!({"file_name": "card.png", "media_type": "image/png", "size": CARD.len(),
               "sha256": sha256(CARD), "role": "other"})
    );
}
