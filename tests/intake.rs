//! The intake API (applications from apps) end to end, against the real binary over real mutual
//! TLS: an app vendor is registered with a terminal and a machine credential through the CLI;
//! its application is refused until the municipality accepts the app; a malformed access key,
//! an unauthenticated call, a person's token and another app's credential are refused, each
//! with its code and nothing stored; an accepted application with a doctor's access key lands
//! in the officer's inbox with its channel, linked to the sheet, with the 階層区分 and cap its
//! self-information points to and the sheet's machine judgment; a replay answers the same
//! receipt, another body under the same key 409; the app reads its status as the officer moves
//! it (要再申請 with its reason), then 完了 with the 受給者番号 once the back office's decision
//! file is imported, and another app reads nothing.

mod common;

use common::intake::{INTAKE, application, inbox, reference_client, register_app, sheet_with_key};
use common::municipal::decision_file;
use common::{Gateway, HOSPITAL, database, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CONFIG: &str =
    "[security]\nrequests_per_second_per_terminal = 2000\nrequests_per_second_per_address = 2000\n";

/// Replaces the character at `position` of a key by another key symbol: a typo.
fn mistyped(key: &str, position: usize) -> String {
    key.char_indices()
        .map(|(i, c)| {
            if i == position {
                if c == '7' { '8' } else { '7' }
            } else {
                c
            }
        })
        .collect()
}

/// The intake audit records: action and outcome, oldest first.
async fn intake_audit(gw: &Gateway) -> Vec<(String, String, Option<String>)> {
    let mut conn = database(&gw.data_dir).await;
    sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT action, outcome, detail FROM audit_events
         WHERE action IN ('application.intake', 'intake.authenticate', 'app.acceptance') ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn apps_deliver_applications_into_the_inbox_and_read_their_status() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw.officer("officer1").await;
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let pocket = register_app(&gw, "pocket", "pocket-app");
    let other = register_app(&gw, "other", "other-app");
    let (sheet_id, key) = sheet_with_key(&doctor).await;

    // Unauthenticated: the app's terminal without a credential; a person's token is none.
    let (status, error) = send(pocket.deliver_as(None, &application(&key))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(error["code"], "intake.credential_required");
    assert!(!error["message_ja"].as_str().unwrap().is_empty());
    let (status, error) = send(pocket.deliver_as(Some(&officer.token), &application(&key))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(error["code"], "intake.credential_invalid");
    // Another app's credential at this app's terminal.
    let (status, error) =
        send(pocket.deliver_as(Some(&other.credential), &application(&key))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["code"], "intake.wrong_organisation");
    // An app's credential opens no person's endpoint.
    let (status, error) = send(pocket.get("/v1/applications")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");

    // The municipality has not accepted the app yet.
    let (status, error) = send(pocket.deliver(&application(&key))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["code"], "intake.not_accepted");
    assert!(inbox(&officer).await.is_empty());

    // The officer accepts it (an unknown app cannot be accepted).
    let (status, error) = send(
        officer
            .post("/v1/applications/accepted-apps")
            .json(&json!({"app_id": "app:nobody", "accepted": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["code"], "intake.unknown_app");
    let (status, accepted) = send(
        officer
            .post("/v1/applications/accepted-apps")
            .json(&json!({"app_id": "app:pocket", "accepted": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["apps"][0]["app_id"], "app:pocket");
    assert_eq!(accepted["apps"][0]["accepted_by"], "officer1");

    // A mistyped key, an application without an idempotency key, a renewal without its
    // 受給者番号 and an unreadable date: each refused with its code, nothing stored.
    let (status, error) = send(pocket.deliver(&application(&mistyped(&key, 3)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "access_key.malformed");
    assert_eq!(error["location"]["element"], "/access_key");
    let (status, error) = send(pocket.post(INTAKE).json(&application(&key))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "intake.idempotency_key");
    let mut broken = application(&key);
    broken["patient"]["date_of_birth"] = json!("yesterday");
    broken.as_object_mut().unwrap().remove("recipient_number");
    let (status, error) = send(pocket.deliver(&broken)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "intake.invalid_application");
    assert_eq!(error["location"]["element"], "/patient/date_of_birth");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("recipient_number"),
        "{error}"
    );
    assert!(inbox(&officer).await.is_empty());

    // Accepted: into the inbox with its channel, linked to the doctor's sheet.
    let (status, receipt) = send(pocket.deliver(&application(&key))).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = receipt["id"].as_str().unwrap().to_owned();
    let receipt_number = receipt["receipt_number"].as_str().unwrap().to_owned();
    assert!(
        receipt_number.len() == 15
            && receipt_number.starts_with("00")
            && receipt_number.bytes().all(|b| b.is_ascii_digit()),
        "{receipt}"
    );
    assert_eq!(
        (
            &receipt["status"],
            &receipt["status_ja"],
            &receipt["replayed"]
        ),
        (&json!("processing"), &json!("処理中"), &json!(false))
    );
    let listed = inbox(&officer).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["channel"], "app:pocket");
    assert_eq!(listed[0]["receipt_number"], receipt_number.as_str());
    assert_eq!(listed[0]["linked_sheet_id"], sheet_id.as_str());
    let (status, seen) = send(officer.get(&format!("/v1/applications/{receipt_number}"))).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["channel"], "app:pocket");
    assert_eq!(seen["status"], "submitted");
    let a = &seen["application"];
    assert_eq!(a["patient"]["name_kana"], "オノ トモコ");
    assert_eq!(a["patient"]["insurance"]["insurer_number"], "06111306");
    assert_eq!(a["applicant"]["phone"], "03-1234-5678");
    assert_eq!(a["intake"]["procedure"], "renewal");
    assert_eq!(a["intake"]["recipient_number"], "0001016");
    assert_eq!(a["intake"]["research_consent"], true);
    assert_eq!(
        a["intake"]["self_information"]["income"]["data"]["members"][0]["income_levy"],
        52000
    );
    assert_eq!(
        a["intake"]["self_information"]["household"]["retrieved_at"],
        "2026-12-01T10:00:05+09:00"
    );
    // The tier the self-information points to, with its reasons, and the linked sheet's
    // machine judgment as of the application's date.
    let proposal = &seen["copayment_proposal"];
    assert_eq!(
        (
            &proposal["tier"],
            &proposal["tier_ja"],
            &proposal["monthly_cap"]
        ),
        (
            &json!("general_income_2"),
            &json!("一般所得Ⅱ"),
            &json!(20000)
        ),
        "{proposal}"
    );
    assert_eq!(proposal["fiscal_year"], 2026);
    assert_eq!(proposal["reasons"][0]["code"], "tier.income_levy");
    assert!(
        proposal["reasons"][0]["message_ja"]
            .as_str()
            .unwrap()
            .contains("212,000円"),
        "{proposal}"
    );
    let judgment = &seen["judgment"];
    assert!(judgment["outcome_ja"].is_string(), "{seen}");
    assert_eq!(judgment["application_date"], a["applied_on"]);
    // The sheet is now the municipality's, as after an officer's lookup.
    let (status, sheet) = send(officer.get(&format!("/v1/sheets/{sheet_id}"))).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");

    // The same request again (members in another order): the same receipt.
    let mut reordered = serde_json::Map::new();
    for (k, v) in application(&key).as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let (status, again) = send(pocket.deliver(&reordered)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (&again["id"], &again["replayed"]),
        (&json!(id), &json!(true))
    );
    assert_eq!(again["receipt_number"], receipt_number.as_str());
    // Another body under the same key.
    let mut changed = application(&key);
    changed["research_consent"] = json!(false);
    let (status, error) = send(pocket.deliver(&changed)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "intake.idempotency_conflict");
    assert_eq!(inbox(&officer).await.len(), 1);

    // The app follows the status as the officer moves it; another app sees nothing.
    let (status, view) = send(pocket.get(&format!("{INTAKE}/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["status"], "processing");
    assert_eq!(view["certification"], Value::Null);
    let status_path = format!("/v1/applications/{receipt_number}/status");
    let too_long = "あ".repeat(1001);
    let (status, error) = send(
        officer
            .post(&status_path)
            .json(&json!({"status": "resubmission_required", "reason": too_long})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "application.bad_reason");
    let reason = "臨床調査個人票の記載日が古いため、新しいものを添えて申請してください";
    let (status, moved) = send(
        officer
            .post(&status_path)
            .json(&json!({"status": "resubmission_required", "reason": reason})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, view) = send(pocket.get(&format!("{INTAKE}/{id}"))).await;
    assert_eq!(
        (&view["status"], &view["status_ja"], &view["status_reason"]),
        (
            &json!("resubmission_required"),
            &json!("要再申請"),
            &json!(reason)
        )
    );
    let (status, error) = send(other.get(&format!("{INTAKE}/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["code"], "not_found");

    // The back office decides: its decision file (認定) makes the application 完了, and the
    // app reads the 受給者番号 and the validity, and no longer the returned status's reason.
    let decision = decision_file(&[2], &[("241010089569116", receipt_number.as_str())]);
    let (status, applied) = send(
        officer
            .post("/v1/certifications/import?layout=city-a")
            .header("content-type", "text/csv")
            .body(decision),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(
        applied["decisions"][0]["application_status"], "completed",
        "{applied}"
    );
    let (_, view) = send(pocket.get(&format!("{INTAKE}/{id}"))).await;
    assert_eq!(
        (&view["status"], &view["status_ja"]),
        (&json!("completed"), &json!("完了"))
    );
    let certification = &view["certification"];
    assert_eq!(
        (
            &certification["decision"],
            &certification["recipient_number"],
            &certification["valid_from"],
            &certification["valid_to"]
        ),
        (
            &json!("certified"),
            &json!("0001016"),
            &json!("2025-04-01"),
            &json!("2026-03-31")
        ),
        "{view}"
    );
    assert_eq!(
        view["status_reason"],
        Value::Null,
        "a reason is of its status: {view}"
    );
    // Once final (完了), the applicant can no longer withdraw it.
    let (status, error) = send(pocket.post(&format!("{INTAKE}/{id}/withdraw"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["code"], "intake.not_open");
    assert!(!error["message_ja"].as_str().unwrap().is_empty(), "{error}");

    // Every refusal and every delivery is in the audit trail.
    let audit = intake_audit(&gw).await;
    let outcomes: Vec<(&str, &str)> = audit
        .iter()
        .map(|(a, o, _)| (a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("intake.authenticate", "denied"),
            ("intake.authenticate", "denied"),
            ("intake.authenticate", "denied"),
            ("application.intake", "refused"),
            ("app.acceptance", "refused"),
            ("app.acceptance", "ok"),
            ("application.intake", "refused"),
            ("application.intake", "refused"),
            ("application.intake", "refused"),
            ("application.intake", "ok"),
            ("application.intake", "replayed"),
            ("application.intake", "refused"),
        ],
        "{audit:?}"
    );
    assert_eq!(audit[3].2.as_deref(), Some("intake.not_accepted"));
}

#[tokio::test]
async fn the_reference_client_sends_a_file_again_as_a_replay_and_reads_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let officer = gw.officer("officer1").await;
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let pocket = register_app(&gw, "pocket", "pocket-app");
    let (_, key) = sheet_with_key(&doctor).await;
    let file = dir.path().join("application.json");
    std::fs::write(&file, application(&key).to_string()).unwrap();
    let file = file.to_str().unwrap();

    // Not yet accepted by the municipality: refused, said with the code.
    let (sent, _, refused) =
        reference_client(&gw, "pocket-app", &pocket.credential, &["send", file]);
    assert!(!sent);
    assert!(refused.contains("intake.not_accepted"), "{refused}");

    let (status, accepted) = send(
        officer
            .post("/v1/applications/accepted-apps")
            .json(&json!({"app_id": "app:pocket", "accepted": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    let (sent, first, stderr) =
        reference_client(&gw, "pocket-app", &pocket.credential, &["send", file]);
    assert!(sent, "{stderr}");
    let first: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(first["replayed"], false, "{first}");
    // The same file again: its SHA-256 is the key, so the same receipt.
    let (sent, again, stderr) =
        reference_client(&gw, "pocket-app", &pocket.credential, &["send", file]);
    assert!(sent, "{stderr}");
    let again: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(
        (&again["id"], &again["replayed"]),
        (&first["id"], &json!(true))
    );
    assert_eq!(inbox(&officer).await.len(), 1);

    let id = first["id"].as_str().unwrap();
    let (read, status, stderr) =
        reference_client(&gw, "pocket-app", &pocket.credential, &["status", id]);
    assert!(read, "{stderr}");
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        (&status["id"], &status["status_ja"]),
        (&first["id"], &json!("処理中"))
    );

    // The applicant withdraws it (取消): 取消受付 for the app and in the officer's inbox; the
    // same again answers the same; another app cannot.
    let other = register_app(&gw, "other", "other-app");
    let (status, error) = send(other.post(&format!("{INTAKE}/{id}/withdraw"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    for _ in 0..2 {
        let (status, withdrawn) = send(pocket.post(&format!("{INTAKE}/{id}/withdraw"))).await;
        assert_eq!(status, StatusCode::OK, "{withdrawn}");
        assert_eq!(
            (&withdrawn["status"], &withdrawn["status_ja"]),
            (&json!("withdrawal_accepted"), &json!("取消受付"))
        );
    }
    assert_eq!(inbox(&officer).await[0]["status"], "withdrawal_accepted");

    // A wrong credential: refused, and the client says so.
    let (read, _, refused) = reference_client(&gw, "pocket-app", "kka_wrong", &["status", id]);
    assert!(!read);
    assert!(refused.contains("intake.credential_invalid"), "{refused}");
}
