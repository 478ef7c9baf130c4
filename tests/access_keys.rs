//! Access keys (アクセスキー) against the real binary over real mutual TLS: a doctor's
//! confirmation issues a key; a municipal officer who types it (in lower case, with spaces)
//! gets the sheet and their municipality keeps it; a typo is caught by the check character;
//! another municipality cannot take the sheet; the printed notice carries the key and a new
//! key revokes the old; wrong keys answer 404 until the person and terminal are blocked (429);
//! an expired key opens nothing; every attempt is in the audit trail and no key is stored.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Gateway, HOSPITAL, MUNICIPALITY, Session, at_rest, corpus, database, in_clear, send};
use kakehashi_access_key::AccessKey;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MUNICIPALITY_B: &str = "municipality:270008";
const LOOKUP: &str = "/v1/access-keys/lookup";

/// Generous request rates: the tests exercise the access-key limit, not these.
const RATES: &str =
    "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\n";

/// A gateway with a second municipality and its terminal.
fn start(dir: &Path, access_keys: &str) -> Gateway {
    let gw = Gateway::start(
        &dir.join("data"),
        &format!("{RATES}[access_keys]\n{access_keys}"),
    );
    gw.add_organisation("municipality", "270008", "大阪府", "municipality-b");
    gw
}

/// Submits the hospital's CSV for no municipality (the patient has not applied yet); the ids
/// of the sheets without errors.
async fn clean_sheets(doctor: &Session) -> Vec<String> {
    let body = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let (status, submission) = send(
        doctor
            .post("/v1/submissions?mapping=hospital-a")
            .header("content-type", "text/csv")
            .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    let clean: Vec<String> = submission["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["has_errors"] == false)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(clean.len() >= 2, "{submission}");
    clean
}

/// Confirms a sheet; the answer, which carries its key.
async fn confirm(doctor: &Session, id: &str) -> Value {
    let (status, answer) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

async fn lookup(session: &Session, key: &str) -> (StatusCode, Value) {
    send(session.post(LOOKUP).json(&json!({ "access_key": key }))).await
}

fn listed(list: &Value, id: &str) -> bool {
    list.as_array().unwrap().iter().any(|s| s["id"] == id)
}

/// The audit records of access-key actions: (action, outcome, object id, patient ref, detail).
async fn access_key_audit(data_dir: &Path) -> Vec<[Option<String>; 5]> {
    let mut conn = database(data_dir).await;
    sqlx::query_as::<
        _,
        (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
    >(
        "SELECT action, outcome, object_id, patient_ref, detail FROM audit_events
         WHERE action LIKE 'access_key.%' OR action = 'sheet.confirm' ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .into_iter()
    .map(|(a, o, id, p, d)| [a, o, id, p, d])
    .collect()
}

#[tokio::test]
async fn a_confirmed_sheet_reaches_the_municipality_that_presents_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "");
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw.officer("officer1").await;
    let officer_b = gw
        .user(
            "officer2",
            MUNICIPALITY_B,
            "municipal_officer",
            "municipality-b",
        )
        .await;
    let sheets = clean_sheets(&doctor).await;
    let id = &sheets[0];

    // No municipality was named: no officer sees the sheet yet.
    let (_, list) = send(officer.get("/v1/sheets")).await;
    assert!(!listed(&list, id), "{list}");

    // A draft has no key to re-issue.
    let (status, err) = send(doctor.post(&format!("/v1/sheets/{id}/access-key"))).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("access_key.sheet_not_confirmed"))
    );

    let confirmed = confirm(&doctor, id).await;
    assert_eq!(confirmed["status"], "confirmed");
    let key = confirmed["access_key"].as_str().unwrap().to_owned();
    let groups: Vec<&str> = key.split('-').collect();
    assert_eq!(groups.len(), 5, "{key}");
    assert!(groups.iter().all(|g| {
        g.len() == 4
            && g.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    }));
    let expires: chrono::DateTime<chrono::Utc> = confirmed["access_key_expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let year = expires - chrono::Utc::now();
    assert!(
        year > chrono::Duration::days(364) && year <= chrono::Duration::days(365),
        "{expires}"
    );
    // Later reads say that a key exists and when it lapses, never the key.
    let (status, read) = send(doctor.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        read["access_key_expires_at"],
        confirmed["access_key_expires_at"]
    );
    assert!(read.get("access_key").is_none());
    assert!(!read.to_string().contains(&key));
    // Confirming again issues no second key.
    let (status, _) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Only municipal officers look keys up.
    let (status, err) = lookup(&doctor, &key).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.denied"))
    );

    // A typo: one character changed.
    let mut typo: Vec<char> = key.chars().collect();
    typo[2] = if typo[2] == '7' { '8' } else { '7' };
    let typo: String = typo.into_iter().collect();
    let (status, err) = lookup(&officer, &typo).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "access_key.malformed");
    assert!(
        err["message"].as_str().unwrap().contains("check character"),
        "{err}"
    );
    assert!(
        err["message_ja"].as_str().unwrap().contains("チェック文字"),
        "{err}"
    );
    assert_eq!(err["location"]["element"], "access_key");

    // As typed from paper: lower case, spaces for hyphens.
    let typed = key.to_lowercase().replace('-', " ");
    let (status, view) = lookup(&officer, &format!(" {typed} ")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["id"], id.as_str());
    assert_eq!(view["municipality_id"], MUNICIPALITY);
    assert!(view["sheet"]["patient"].is_object());
    // The municipality keeps the sheet: it lists and reads it like any sheet sent to it.
    let (_, list) = send(officer.get("/v1/sheets")).await;
    assert!(listed(&list, id), "{list}");
    let (status, _) = send(officer.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    // …and records the patient's consent on it, which enqueues the confirmed sheet's delivery.
    let (status, consent) = send(
        officer
            .post(&format!("/v1/sheets/{id}/consent"))
            .json(&json!({"consented": true})),
    )
    .await;
    assert_eq!(
        (status, &consent["outlook"]),
        (StatusCode::OK, &json!("enqueued")),
        "{consent}"
    );
    // Presenting the key again is harmless.
    let (status, again) = lookup(&officer, &key).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &view["id"]));
    // Another municipality cannot take it, and does not see it.
    let (status, err) = lookup(&officer_b, &key).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("access_key.bound_elsewhere"))
    );
    let (status, _) = send(officer_b.get(&format!("/v1/sheets/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The patient lost the paper: a new key, printed; the old one stops working.
    let response = doctor
        .post(&format!("/v1/sheets/{id}/access-key"))
        .header("accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = common::pdf_text(&response.bytes().await.unwrap());
    for expected in ["アクセスキー通知", id.as_str(), "東京中央病院", "有効期限"]
    {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    let printed = text
        .split_whitespace()
        .find_map(|word| AccessKey::parse(word).ok().filter(|_| word.len() == 24))
        .unwrap_or_else(|| panic!("no access key in {text}"));
    assert_ne!(printed.to_string(), key);
    let (status, _) = lookup(&officer, &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, view) = lookup(&officer, &printed.to_string()).await;
    assert_eq!((status, &view["id"]), (StatusCode::OK, &json!(id)));

    // A confirmation can answer with the printed notice straight away.
    let response = doctor
        .post(&format!("/v1/sheets/{}/confirm", sheets[1]))
        .header("accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = common::pdf_text(&response.bytes().await.unwrap());
    assert!(text.contains(sheets[1].as_str()), "{text}");

    // Every attempt is audited, the successful ones with the patient's pseudonym; no key is
    // anywhere in the database, only digests.
    let audit = access_key_audit(&gw.data_dir).await;
    let lookups: Vec<_> = audit
        .iter()
        .filter(|r| r[0].as_deref() == Some("access_key.lookup"))
        .collect();
    let outcomes: Vec<&str> = lookups.iter().filter_map(|r| r[1].as_deref()).collect();
    assert_eq!(
        outcomes,
        [
            "denied",
            "malformed",
            "ok",
            "ok",
            "conflict",
            "not_found",
            "ok"
        ],
        "{audit:?}"
    );
    for record in &lookups {
        // A key that reached its sheet names the sheet and the patient's pseudonym.
        let reached = matches!(record[1].as_deref(), Some("ok" | "conflict"));
        assert_eq!(reached, record[3].is_some(), "{record:?}");
        assert_eq!(
            reached,
            record[2].as_deref() == Some(id.as_str()),
            "{record:?}"
        );
    }
    assert!(
        audit
            .iter()
            .any(|r| r[0].as_deref() == Some("access_key.reissue") && r[1].as_deref() == Some("ok"))
    );
    let disk = at_rest(&gw.data_dir).await;
    for secret in [&key, &printed.to_string(), &printed.canonical(), &typo] {
        assert!(!in_clear(&disk, secret), "{secret} is stored");
    }
    assert!(in_clear(&disk, &printed.digest()));
}

#[tokio::test]
async fn wrong_and_expired_keys_open_nothing_and_guessing_is_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(
        dir.path(),
        "validity_seconds = 4\nfailures_before_block = 5\n",
    );
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let officer = gw.officer("officer1").await;
    let colleague = gw.officer("officer3").await;
    let elsewhere = gw
        .user(
            "officer2",
            MUNICIPALITY_B,
            "municipal_officer",
            "municipality-b",
        )
        .await;
    let sheets = clean_sheets(&doctor).await;
    let key = confirm(&doctor, &sheets[0]).await["access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(4500)).await;

    // Expired: the same answer as a key that never existed.
    let (status, expired) = lookup(&officer, &key).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{expired}");
    assert_eq!(expired["code"], "access_key.unknown");
    let (_, list) = send(officer.get("/v1/sheets")).await;
    assert!(!listed(&list, &sheets[0]));

    // Well-formed guesses: 404 until the fifth failure, then 429 with Retry-After.
    for _ in 0..4 {
        let guess = AccessKey::generate().unwrap().to_string();
        let (status, err) = lookup(&officer, &guess).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        assert_eq!(err, expired, "unknown and expired keys answer alike");
    }
    let response = officer
        .post(LOOKUP)
        .json(&json!({ "access_key": AccessKey::generate().unwrap().to_string() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (14 * 60..=15 * 60 + 1).contains(&retry_after),
        "{retry_after}"
    );
    let err: Value = response.json().await.unwrap();
    assert_eq!(err["code"], "access_key.rate_limited");
    assert!(err["message_ja"].as_str().is_some_and(|m| !m.is_empty()));

    // Even a good key waits now, and so does the terminal's other user; another
    // municipality's terminal is not affected.
    let fresh = confirm(&doctor, &sheets[1]).await["access_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = lookup(&officer, &fresh).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = lookup(&colleague, &fresh).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, view) = lookup(&elsewhere, &fresh).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["municipality_id"], MUNICIPALITY_B);

    // The refusals and the alert are audited.
    let mut conn = database(&gw.data_dir).await;
    let (alerts,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'security.access_keys_blocked' AND actor = 'officer1'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(alerts, 1);
    let audit = access_key_audit(&gw.data_dir).await;
    let limited = audit
        .iter()
        .filter(|r| r[1].as_deref() == Some("rate_limited"))
        .count();
    assert_eq!(limited, 3, "{audit:?}");
}
