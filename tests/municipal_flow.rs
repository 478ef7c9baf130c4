//! The whole municipal flow against the real binary and the reference receiver over real mutual
//! TLS: a hospital's CSV → a designated doctor confirms a sheet and gets its access key → the
//! applicant's Mynaportal application carries the key → the officer imports the download, which
//! links the application and binds the sheet to the municipality → judgment → masked print →
//! the back office's decision file (認定, research consent) → the sheet reaches the national DB
//! exactly once → the 受給者証 issuing file and the PMH registration carry the 受給者番号.
//!
//! And the ways it goes wrong, each answering a located error and changing nothing: a wrong
//! access key, a tampered or truncated download, an unknown 受付番号, a decision for an unknown
//! application (the valid decision in the same file is not applied either), a decision for an
//! application not yet linked to its sheet.

mod common;

use std::time::{Duration, Instant};

use common::municipal::{RECEIPT, SAMPLE_KEY, decision_file, download_with_key, repo_file};
use common::{Gateway, HOSPITAL, MUNICIPALITY, Receiver, Session, corpus, send};
use kakehashi_access_key::AccessKey;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Fast retries, generous rates: the test must not wait.
const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\n[push]\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1\n";

/// An application of the sample without an access key.
const UNLINKED: &str = "241010089569207";

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

async fn import_download(officer: &Session, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        officer
            .post("/v1/applications/import")
            .header("content-type", "application/zip")
            .body(body),
    )
    .await
}

async fn import_decisions(officer: &Session, body: Vec<u8>) -> (StatusCode, Value) {
    send(
        officer
            .post("/v1/certifications/import?layout=city-a")
            .header("content-type", "text/csv")
            .body(body),
    )
    .await
}

async fn get_ok(session: &Session, path: &str) -> Value {
    let (status, body) = send(session.get(path)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// What an officer can see of the municipality's state: the applications, the one of the
/// flow, the sheets and the decision's PMH export (or its 404).
async fn officer_state(officer: &Session) -> Value {
    let application = get_ok(officer, &format!("/v1/applications/{RECEIPT}")).await;
    let sheet = match application["linked_sheet_id"].as_str() {
        Some(id) => get_ok(officer, &format!("/v1/sheets/{id}")).await,
        None => Value::Null,
    };
    let (pmh_status, pmh) = send(officer.get(&format!("/v1/certifications/{RECEIPT}/pmh"))).await;
    json!({
        "applications": get_ok(officer, "/v1/applications").await,
        "application": application,
        "sheets": get_ok(officer, "/v1/sheets").await,
        "sheet": sheet,
        "pmh": [pmh_status.as_u16(), pmh],
    })
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The text of a PDF without white space (pdftotext breaks lines where the layout does).
fn pdftotext(pdf: &[u8]) -> String {
    squeeze(&common::pdf_text(pdf))
}

/// The sheets the receiver holds receipts for, once `count` arrived (or after `limit`).
async fn receipts_after(receiver: &Receiver, count: usize, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let sheets: Vec<String> = receiver
            .receipts()
            .await
            .iter()
            .map(|r| r["sheet_id"].as_str().unwrap().to_owned())
            .collect();
        if sheets.len() >= count || started.elapsed() > limit {
            return sheets;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A clean sheet of the hospital's CSV (submitted for no municipality: the patient has not
/// applied yet) whose data carries no consent, so nothing is sent before the decision.
async fn sheet_without_consent(doctor: &Session) -> (String, Value) {
    let (status, submission) = send(
        doctor
            .post("/v1/submissions?mapping=hospital-a")
            .header("content-type", "text/csv")
            .body(std::fs::read(corpus("hospital-a.csv")).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    for s in submission["sheets"].as_array().unwrap() {
        if s["has_errors"] != false {
            continue;
        }
        let id = s["id"].as_str().unwrap();
        let view = get_ok(doctor, &format!("/v1/sheets/{id}")).await;
        if view["sheet"]["administrative"]["research_consent"] != true {
            return (id.to_owned(), view["sheet"].clone());
        }
    }
    panic!("no clean sheet without consent in {submission}");
}

#[tokio::test]
async fn csv_to_decision_to_national_db_and_every_error_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let receiver = gw.start_receiver(&dir.path().join("receiver"));
    gw.configure(&format!("endpoint = \"{}\"\n", receiver.endpoint()));
    gw.restart();
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw
        .user(
            "officer1",
            MUNICIPALITY,
            "municipal_officer",
            "municipality",
        )
        .await;

    // The hospital's CSV; the doctor confirms one sheet and gets its access key.
    let (id, sheet) = sheet_without_consent(&doctor).await;
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let key = confirmed["access_key"].as_str().unwrap().to_owned();
    assert_ne!(key, SAMPLE_KEY);

    // A wrong key at lookup: well-formed but nobody's; and a typo the check character catches.
    let empty = get_ok(&officer, "/v1/sheets").await;
    assert_eq!(empty, json!([]));
    let stranger = AccessKey::generate().unwrap().to_string();
    let (status, error) = send(
        officer
            .post("/v1/access-keys/lookup")
            .json(&json!({ "access_key": stranger })),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("access_key.unknown")),
        "{error}"
    );
    assert!(!error["message_ja"].as_str().unwrap().is_empty());
    let mut typo = key.clone().into_bytes();
    typo[0] = if typo[0] == b'7' { b'8' } else { b'7' };
    let (status, error) = send(
        officer
            .post("/v1/access-keys/lookup")
            .json(&json!({ "access_key": String::from_utf8(typo).unwrap() })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["code"].as_str().unwrap().starts_with("access_key."));
    assert_eq!(
        get_ok(&officer, "/v1/sheets").await,
        empty,
        "a wrong key bound a sheet"
    );
    let (status, _) = send(officer.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A tampered download (an entry climbing out of its folder) and a truncated one: refused,
    // located, nothing stored.
    let download = download_with_key(&key);
    let (status, error) = import_download(
        &officer,
        rename(&download, "241011089570012/", "../../../../evil"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "mynaportal.path_traversal");
    assert_eq!(error["location"]["entry"], "../../../../evil申請書.xml");
    let (status, error) = import_download(&officer, download[..download.len() - 40].to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "mynaportal.archive");
    assert_eq!(get_ok(&officer, "/v1/applications").await, json!([]));
    assert_eq!(get_ok(&officer, "/v1/sheets").await, empty);

    // The download: the application's key links the sheet and binds it to the municipality.
    let (status, imported) = import_download(&officer, download).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!(imported["summary"]["created"], 4, "{imported}");
    let application = get_ok(&officer, &format!("/v1/applications/{RECEIPT}")).await;
    assert_eq!(application["linked_sheet_id"], id.as_str(), "{application}");
    let bound = get_ok(&officer, &format!("/v1/sheets/{id}")).await;
    assert_eq!(bound["municipality_id"], MUNICIPALITY);
    assert_ne!(
        bound["sheet"]["administrative"]["recipient_number"],
        "0001016"
    );

    // An unknown 受付番号 in the status route.
    let before = officer_state(&officer).await;
    let (status, error) = send(
        officer
            .post("/v1/applications/999999999999999/status")
            .json(&json!({ "status": "completed" })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("999999999999999")
    );
    assert_eq!(officer_state(&officer).await, before);

    // The judgment: the officer's reading of the sheet against the disease's criteria.
    let judgment = get_ok(&officer, &format!("/v1/sheets/{id}/judgment")).await;
    assert_eq!(judgment["outcome"], "needs_review", "{judgment}");
    assert_eq!(judgment["outcome_ja"], "要確認");
    // 重症度 is met by the Barthel Index; the template has no machine rule for the diagnostic
    // category of this disease, so the board judges that part.
    assert_eq!(judgment["severity"]["outcome"], "eligible", "{judgment}");
    assert_eq!(judgment["severity"]["met_rule"], "barthel_85");
    assert_eq!(judgment["category"]["outcome"], "needs_review");

    // The masked print for the review board: no name.
    let response = officer
        .get(&format!("/v1/sheets/{id}/print?masked=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = pdftotext(&response.bytes().await.unwrap());
    let name = squeeze(sheet["patient"]["name"].as_str().unwrap());
    let surname = sheet["patient"]["name"]
        .as_str()
        .unwrap()
        .split(['　', ' '])
        .next()
        .unwrap()
        .to_owned();
    assert!(!text.contains(&name) && !text.contains(&surname), "{text}");
    assert!(text.contains("（マスク）"), "{text}");

    // A decision file whose first decision is for this application and valid, but whose
    // second names an unknown 受付番号: refused at line 3, and the first is not applied.
    let before = officer_state(&officer).await;
    let (status, error) = import_decisions(&officer, decision_file(&[2, 3], &[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "certification.unknown_application");
    assert_eq!(error["location"]["line"], 3, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("241010089569124")
    );
    assert!(error["message_ja"].as_str().unwrap().contains("3 行目"));
    // A decision for an application not yet linked to a sheet.
    let (status, error) = import_decisions(
        &officer,
        decision_file(&[2, 3], &[("241010089569124", UNLINKED)]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "certification.unlinked_application");
    assert!(error["message"].as_str().unwrap().contains(UNLINKED));
    // A decision with an error finding (a wrong check digit in the 公費負担者番号).
    let (status, error) =
        import_decisions(&officer, decision_file(&[2], &[("54130018", "54130019")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "certification.invalid_record");
    assert_eq!(error["location"]["line"], 2, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("identifier.check_digit")
    );
    assert_eq!(
        error["findings"][0]["code"], "identifier.check_digit",
        "{error}"
    );
    assert_eq!(error["findings"][0]["item"], "payer_number", "{error}");
    assert_eq!(error["findings"][0]["location"]["line"], 2, "{error}");
    // A fixed-length file (city-b): its first decision is this application's, the second
    // names an unknown one, located by line and byte.
    let (status, error) = send(
        officer
            .post("/v1/certifications/import?layout=city-b")
            .header("content-type", "application/octet-stream")
            .body(repo_file("conformance/corpus/municipal/city-b.dat")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "certification.unknown_application");
    assert_eq!(error["location"]["line"], 2, "{error}");
    assert_eq!(error["location"]["byte"], 1, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("line 2, byte 1")
    );
    assert_eq!(
        officer_state(&officer).await,
        before,
        "a refused file changed something"
    );
    assert_eq!(before["application"]["status"], "submitted");
    assert_eq!(before["pmh"][0], 404);
    assert_eq!(receiver.receipts().await, Vec::<Value>::new());

    // The decision: 認定 with research consent. The application is 完了, the sheet shows the
    // 受給者番号, and the delivery is enqueued in the same transaction.
    let decision = decision_file(&[2], &[]);
    let (status, applied) = import_decisions(&officer, decision.clone()).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(applied["summary"]["recorded"], 1, "{applied}");
    assert_eq!(applied["summary"]["enqueued"], 1, "{applied}");
    let one = &applied["decisions"][0];
    assert_eq!(one["receipt_number"], RECEIPT);
    assert_eq!(one["sheet_id"], id.as_str());
    assert_eq!(one["decision"], "certified");
    assert_eq!(one["application_status"], "completed");
    assert_eq!(one["completed"], true);
    assert_eq!(one["delivery"], "enqueued");
    let after = officer_state(&officer).await;
    assert_eq!(after["application"]["status"], "completed");
    let admin = &after["sheet"]["sheet"]["administrative"];
    assert_eq!(admin["recipient_number"], "0001016", "{admin}");
    assert_eq!(admin["payer_number"], "54130018");
    assert_eq!(admin["certification"], "certified");
    assert_eq!(admin["research_consent"], true);

    // The national DB gets the sheet exactly once, even when the file is imported again.
    let sheets = receipts_after(&receiver, 1, Duration::from_secs(30)).await;
    assert_eq!(sheets, vec![id.clone()]);
    let (status, again) = import_decisions(&officer, decision).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["summary"]["unchanged"], 1, "{again}");
    assert_eq!(again["decisions"][0]["outcome"], "unchanged");
    assert_eq!(officer_state(&officer).await, after);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receipts_after(&receiver, 2, Duration::ZERO).await,
        vec![id.clone()]
    );

    // What the back office needs for the 受給者証: the issuing file in the layout, and the
    // PMH registration.
    let response = officer
        .get("/v1/certifications/issuing-file?layout=city-a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=shift_jis"
    );
    let file = response.bytes().await.unwrap();
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&file);
    assert!(!malformed);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].starts_with("受付番号,受給者番号"), "{text}");
    assert!(
        rows[1].starts_with(&format!("{RECEIPT},0001016,54130018,難病,認定")),
        "{text}"
    );
    let pmh = get_ok(&officer, &format!("/v1/certifications/{RECEIPT}/pmh")).await;
    assert_eq!(pmh["medicalSubsidyRecipientNumber"], "0001016", "{pmh}");
    assert_eq!(pmh["medicalSubsidyInsurerNumber"], "54130018");
    let (status, error) = send(officer.get("/v1/certifications/999999999999999/pmh")).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // A doctor gets none of it.
    let (status, _) = send(doctor.get(&format!("/v1/certifications/{RECEIPT}/pmh"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every step is in the audit trail, without personal data.
    let admin = gw.admin("admin1").await;
    let trail = get_ok(&admin, "/v1/audit?limit=1000").await;
    let actions: Vec<(&str, &str)> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("certification.import", "refused"),
        ("certification.import", "ok"),
        ("certification.issuing_file", "ok"),
        ("certification.pmh", "ok"),
        ("certification.pmh", "not_found"),
        ("certification.pmh", "denied"),
        ("application.link", "ok"),
    ] {
        assert!(actions.contains(&expected), "{expected:?} missing");
    }
    let text = trail.to_string();
    for personal in [name.as_str(), surname.as_str(), "0001016", "山田"] {
        assert!(!text.contains(personal), "{personal} in the audit trail");
    }
}
