//! Who may connect and what they may do, proved on real handshakes against the real binary:
//! terminal certificates (missing, foreign, expired, revoked, unregistered), tokens (missing,
//! of another organisation), every cross-organisation read, list and update refused (OWASP
//! API1), roles (a clerk drafts, a doctor confirms), lockout, the administrators' second
//! factor, the audit trail and its chain, doctor rosters with their printed notice, and no
//! patient data in clear in the database file.

mod common;

use std::process::Command;

use common::{Gateway, HOSPITAL, OPERATOR, PASSWORD, Session, corpus, kakehashi, login, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

const HOSPITAL_B: &str = "hospital:2710000011";
const MUNICIPALITY_B: &str = "municipality:270008";

/// A gateway with a second hospital and a second municipality, each with a terminal.
fn start(dir: &std::path::Path) -> Gateway {
    let data = dir.join("data");
    let gw = Gateway::start(
        &data,
        "[tls]\ncrl_check_seconds = 1\n[security]\nrequests_per_second_per_terminal = 2000\n",
    );
    for (kind, code, name, terminal) in [
        ("hospital", "2710000011", "大阪北病院", "hospital-b"),
        ("municipality", "270008", "大阪府", "municipality-b"),
    ] {
        gw.add_organisation(kind, code, name, terminal);
    }
    gw
}

async fn submit(session: &Session, municipality: &str) -> (String, Vec<String>) {
    let body = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let (status, submission) = send(
        session
            .post(&format!(
                "/v1/submissions?mapping=hospital-a&municipality={municipality}"
            ))
            .header("content-type", "text/csv")
            .body(body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{submission}");
    let ids = submission["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    (submission["id"].as_str().unwrap().to_owned(), ids)
}

fn handshake_fails(result: Result<reqwest::Response, reqwest::Error>) -> bool {
    match result {
        Err(e) => e.is_connect() || e.is_request(),
        Ok(_) => false,
    }
}

#[tokio::test]
async fn only_permitted_terminals_connect() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    let health = gw.url("/v1/healthz");

    // A permitted terminal needs nothing else for health and metrics.
    let (status, _) = send(gw.client(Some("hospital")).get(&health)).await;
    assert_eq!(status, StatusCode::OK);

    // No client certificate: the handshake is refused.
    assert!(handshake_fails(gw.client(None).get(&health).send().await));

    // A certificate from another CA.
    let other = dir.path().join("other-ca");
    kakehashi_tls::init_dev_pki(
        &other,
        &[kakehashi_tls::ClientSpec::new("hospital", "偽病院")],
    )
    .unwrap();
    let ca = std::fs::read(gw.certs().join("ca.pem")).unwrap();
    let mut pem = std::fs::read(other.join("hospital.pem")).unwrap();
    pem.extend(std::fs::read(other.join("hospital.key")).unwrap());
    let foreign = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .identity(reqwest::Identity::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    assert!(handshake_fails(foreign.get(&health).send().await));

    // An expired certificate from the right CA.
    let spec = kakehashi_tls::ClientSpec::new("expired", "東京中央病院");
    let day = std::time::Duration::from_secs(86_400);
    let long_ago = std::time::SystemTime::now() - 400 * day;
    kakehashi_tls::issue_client_with_validity(&gw.certs(), &spec, long_ago, long_ago + 30 * day)
        .unwrap();
    assert!(handshake_fails(
        gw.client(Some("expired")).get(&health).send().await
    ));

    // A valid certificate of a terminal nobody permitted: TLS succeeds, the gateway refuses.
    kakehashi(
        &["certs", "issue", "stray", "--organisation", "不明"],
        gw.config(),
    );
    let (status, err) = send(gw.client(Some("stray")).get(&health)).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("terminal.not_permitted"))
    );
    // A browser at it gets the refusal as a console page, in its language.
    for (path, wording) in [
        ("/console/", "この端末は許可端末として登録されていません"),
        (
            "/console/login?lang=en",
            "this terminal is not registered as permitted",
        ),
    ] {
        let page = gw
            .client(Some("stray"))
            .get(gw.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let headers = page.headers().clone();
        assert!(
            headers[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(headers.contains_key(reqwest::header::CONTENT_SECURITY_POLICY));
        let body = page.text().await.unwrap();
        assert!(body.contains(wording), "{body}");
        assert!(body.contains("terminal.not_permitted"), "{body}");
    }

    // Revoked while serving: refused from the next check of the lists on, without a restart,
    // while the others still work.
    let (status, _) = send(gw.client(Some("hospital-b")).get(&health)).await;
    assert_eq!(status, StatusCode::OK);
    kakehashi(&["certs", "revoke", "hospital-b"], gw.config());
    let started = std::time::Instant::now();
    while !handshake_fails(gw.client(Some("hospital-b")).get(&health).send().await) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the revocation was not picked up: {}",
            gw.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        gw.log().contains("revocation lists changed"),
        "{}",
        gw.log()
    );
    let (status, _) = send(gw.client(Some("hospital")).get(&health)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn people_log_in_with_tokens_of_their_own_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    let hospital = gw.client(Some("hospital"));

    // A permitted terminal without a token gets no personal data.
    let (status, err) = send(hospital.get(gw.url("/v1/sheets"))).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.token_required"))
    );
    let (status, err) = send(hospital.get(gw.url("/v1/sheets")).bearer_auth("kkh_forged")).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.token_invalid"))
    );

    // An officer of the municipality cannot log in through the hospital's terminal — with the
    // very answer a wrong password gets, so the terminal is no password oracle — and their
    // token from their own terminal is refused there too.
    let officer = gw.officer("officer-m").await;
    let right = login(&gw, &hospital, "officer-m", PASSWORD, None).await;
    let wrong = login(&gw, &hospital, "officer-m", "not-the-password", None).await;
    assert_eq!(right.0, StatusCode::UNAUTHORIZED, "{}", right.1);
    assert_eq!(right, wrong);
    assert_eq!(right.1["code"], "auth.invalid_credentials");
    let (status, err) = send(
        hospital
            .get(gw.url("/v1/sheets"))
            .bearer_auth(&officer.token),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.wrong_organisation"))
    );

    // A one-time password opens nothing but the password change.
    let issued = gw.add_user("clerk-new", HOSPITAL, "clerk");
    let (status, first) = login(
        &gw,
        &hospital,
        "clerk-new",
        issued["initial_password"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = send(
        hospital
            .get(gw.url("/v1/sheets"))
            .bearer_auth(first["token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.password_change_required"))
    );

    // Five wrong passwords lock the account, even against the right one.
    gw.user("dr-lock", HOSPITAL, "doctor", "hospital").await;
    for _ in 0..5 {
        let (status, err) = login(&gw, &hospital, "dr-lock", "wrong-password", None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
        );
    }
    let (status, err) = login(&gw, &hospital, "dr-lock", PASSWORD, None).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.locked"))
    );
    // An unknown user gets the same answer as a wrong password.
    let (status, err) = login(&gw, &hospital, "nobody", PASSWORD, None).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
    );

    // Administrators need the second factor.
    let operator = gw.client(Some("operator"));
    let admin = gw.add_user("admin", OPERATOR, "administrator");
    let secret = admin["totp_secret"].as_str().unwrap();
    let initial = admin["initial_password"].as_str().unwrap();
    let wrong_password = login(&gw, &operator, "admin", "not-the-password", None).await;
    assert_eq!(wrong_password.1["code"], "auth.invalid_credentials");
    let without_code = login(&gw, &operator, "admin", initial, None).await;
    assert_eq!(without_code, wrong_password);
    let (status, err) = send(
        operator
            .post(gw.url("/v1/auth/login"))
            .json(&json!({"user_id": "admin", "password": initial, "totp": "000000"})),
    )
    .await;
    assert_eq!((status, err), wrong_password);
    let (status, ok) = login(&gw, &operator, "admin", initial, Some(secret)).await;
    assert_eq!(status, StatusCode::OK, "{ok}");
}

/// RFC 6238 §5.2: the code an administrator logged in with opens no second session, however
/// soon it is replayed, and neither does the code before it.
#[tokio::test]
async fn a_one_time_code_opens_one_session() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    let operator = gw.client(Some("operator"));
    let admin = gw.add_user("admin", OPERATOR, "administrator");
    let secret = admin["totp_secret"].as_str().unwrap();
    let initial = admin["initial_password"].as_str().unwrap();
    // Begin early in a step, so that the steps named below are the ones the gateway sees.
    while chrono::Utc::now().timestamp() % 30 > 20 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let step = kakehashi::auth::totp::current_step();
    let code = |step| kakehashi::auth::totp::code_for_step(secret, "admin", step).unwrap();
    let with_code = |code: String| {
        send(
            operator
                .post(gw.url("/v1/auth/login"))
                .json(&json!({"user_id": "admin", "password": initial, "totp": code})),
        )
    };

    let (status, first) = with_code(code(step)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, replayed) = with_code(code(step)).await;
    assert_eq!(
        (status, replayed["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
    );
    let (status, earlier) = with_code(code(step - 1)).await;
    assert_eq!(
        (status, earlier["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
    );
    // The next code is still good (one step of clock skew), once.
    let (status, next) = with_code(code(step + 1)).await;
    assert_eq!(status, StatusCode::OK, "{next}");

    // Each refusal was an audited failure whose reason only the audit trail gives.
    let auditor = gw.admin("auditor").await;
    let (status, trail) = send(auditor.get("/v1/audit?action=auth.login&actor=admin")).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let reasons: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["outcome"] == "failed")
        .map(|event| event["detail"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(reasons.len(), 2, "{trail}");
    assert!(
        reasons
            .iter()
            .all(|r| r.starts_with("TOTP code already used")),
        "{reasons:?}"
    );
}

/// A right password through another organisation's terminal is refused as a wrong one and
/// counts towards the lockout as one.
#[tokio::test]
async fn the_right_password_at_another_organisations_terminal_counts_as_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    gw.user("dr-away", HOSPITAL, "doctor", "hospital").await;
    let elsewhere = gw.client(Some("hospital-b"));
    for _ in 0..5 {
        let (status, err) = login(&gw, &elsewhere, "dr-away", PASSWORD, None).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("auth.invalid_credentials"))
        );
    }
    let (status, err) = login(&gw, &gw.client(Some("hospital")), "dr-away", PASSWORD, None).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.locked"))
    );
}

#[tokio::test]
async fn every_cross_organisation_attempt_is_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    let clerk_a = gw.user("clerk-a", HOSPITAL, "clerk", "hospital").await;
    let doctor_a = gw.user("dr-a", HOSPITAL, "doctor", "hospital").await;
    let clerk_b = gw.user("clerk-b", HOSPITAL_B, "clerk", "hospital-b").await;
    let officer_a = gw.officer("officer-a").await;
    let officer_b = gw
        .user(
            "officer-b",
            MUNICIPALITY_B,
            "municipal_officer",
            "municipality-b",
        )
        .await;
    let integrator = gw
        .user("integrator", OPERATOR, "integrator", "operator")
        .await;
    let admin_issued = gw.add_user("admin", OPERATOR, "administrator");
    let secret = admin_issued["totp_secret"].as_str().unwrap().to_owned();
    let admin = {
        let client = gw.client(Some("operator"));
        let initial = admin_issued["initial_password"].as_str().unwrap();
        let (_, first) = login(&gw, &client, "admin", initial, Some(&secret)).await;
        let (status, _) = send(
            client
                .post(gw.url("/v1/auth/password"))
                .bearer_auth(first["token"].as_str().unwrap())
                .json(&json!({"current_password": initial, "new_password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // The second login takes the next code: each is good once.
        gw.session("admin", "operator", Some(&secret)).await
    };

    let (submission, sheets) = submit(&clerk_a, "130001").await;
    let sheet = &sheets[0];
    let sheet_path = format!("/v1/sheets/{sheet}");

    // The owner and the municipality it was sent to may read.
    for who in [&clerk_a, &doctor_a, &officer_a] {
        let (status, view) = send(who.get(&sheet_path)).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["id"], sheet.as_str());
    }
    let (_, listed) = send(officer_a.get("/v1/sheets?limit=1000")).await;
    assert_eq!(listed.as_array().unwrap().len(), sheets.len());

    // Everyone else: read, list, update and submission read are refused, as "not found".
    let (_, view) = send(clerk_a.get(&sheet_path)).await;
    let edited = view["sheet"].clone();
    for who in [&clerk_b, &officer_b] {
        let (status, err) = send(who.get(&sheet_path)).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (status, listed) = send(who.get("/v1/sheets")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(listed.as_array().unwrap().is_empty(), "{listed}");
        let (status, _) = send(who.put(&sheet_path).json(&edited)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(who.get(&format!("/v1/submissions/{submission}"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(who.post(&format!("{sheet_path}/confirm"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Administrators and integrators see no stored personal data.
    for who in [&integrator, &admin] {
        let (status, _) = send(who.get(&sheet_path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, err) = send(who.get("/v1/sheets")).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("access.denied"))
        );
    }
    // The municipality reads but does not change; the integrator converts without storing.
    let (status, err) = send(officer_a.put(&sheet_path).json(&edited)).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.denied"))
    );
    let (status, converted) = send(
        integrator
            .post("/v1/convert?mapping=hospital-a")
            .header("content-type", "text/csv")
            .body(std::fs::read(corpus("hospital-a.csv")).unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(converted["sheets"].as_array().unwrap().len(), sheets.len());
    let (status, _) = send(
        integrator
            .post("/v1/submissions?mapping=hospital-a")
            .header("content-type", "text/csv")
            .body("x"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A clerk drafts and edits; only a doctor confirms; a confirmed sheet is final.
    let (status, updated) = send(clerk_a.put(&sheet_path).json(&edited)).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (status, err) = send(clerk_a.post(&format!("{sheet_path}/confirm"))).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("access.denied"))
    );
    let (status, confirmed) = send(doctor_a.post(&format!("{sheet_path}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["status"], "confirmed");
    let (status, err) = send(clerk_a.put(&sheet_path).json(&edited)).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("sheet.not_draft"))
    );

    // The audit trail has every refusal, by whom and from which terminal; only administrators
    // read it; it exports as FHIR AuditEvents; its chain verifies.
    let (status, _) = send(clerk_a.get("/v1/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, denied) =
        send(admin.get(&format!("/v1/audit?object_id={sheet}&outcome=denied"))).await;
    assert_eq!(status, StatusCode::OK, "{denied}");
    let actors: Vec<&str> = denied
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["actor"].as_str().unwrap())
        .collect();
    for who in ["clerk-b", "officer-b", "integrator", "admin", "officer-a"] {
        assert!(actors.contains(&who), "{who} missing from {actors:?}");
    }
    let refusal = denied
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["actor"] == "clerk-b")
        .unwrap();
    assert_eq!(refusal["terminal"], "hospital-b");
    assert_eq!(refusal["organisation"], HOSPITAL_B);
    assert!(
        refusal["patient_ref"]
            .as_str()
            .is_some_and(|p| p.len() == 32)
    );
    let (status, bundle) = send(admin.get("/v1/audit/fhir?action=sheet.read&limit=5")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["entry"][0]["resource"]["resourceType"], "AuditEvent");
    let out = kakehashi(&["audit", "verify"], gw.config());
    assert!(out.contains("the chain is intact"), "{out}");

    // Nothing of the patients is in clear in the database or its log.
    let disk = common::at_rest(&gw.data_dir).await;
    let (_, view) = send(clerk_a.get(&sheet_path)).await;
    let patient = &view["sheet"]["patient"];
    for secret in [
        &patient["name"],
        &patient["name_kana"],
        &patient["insurance"]["number"],
        &patient["address"],
    ] {
        let Some(secret) = secret.as_str() else {
            continue;
        };
        assert!(!common::in_clear(&disk, secret), "{secret} in clear");
    }
}

#[tokio::test]
async fn municipalities_register_doctors_in_bulk_with_a_printed_notice() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path());
    let officer = gw.officer("officer-m").await;
    let roster = "氏名,氏名カナ,医籍登録番号,指定医番号,医療機関コード,医療機関名\n山田 太郎,ヤマダ タロウ,123456,13-0001,1310000017,東京中央病院\n佐藤 花子,サトウ ハナコ,234567,13-0002,1320000015,東京西クリニック\n";

    // A bad roster is refused whole, every problem located; nothing is registered.
    let bad = roster
        .replace("234567", "23x567")
        .replace("1320000015", "1320");
    let (status, err) = send(
        officer
            .post("/v1/doctors/import")
            .header("content-type", "text/csv")
            .body(bad),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let lines: Vec<_> = err["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap().to_owned(),
                p["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("roster.medical_register_number".to_owned(), 3),
            ("roster.institution_code".to_owned(), 3)
        ]
    );
    // Outside the officer's prefecture.
    let osaka = roster.replace("1320000015", "2720000013");
    let (status, err) = send(
        officer
            .post("/v1/doctors/import")
            .header("content-type", "text/csv")
            .body(osaka),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["problems"][0]["code"], "roster.out_of_area");

    let (status, done) = send(
        officer
            .post("/v1/doctors/import")
            .header("content-type", "text/csv")
            .body(roster),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{done}");
    assert_eq!(done["created"], json!(["dr123456", "dr234567"]));
    let (status, again) = send(
        officer
            .post("/v1/doctors/import")
            .header("content-type", "text/csv")
            .body(roster),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["existing"], json!(["dr123456", "dr234567"]));

    // The notice: one page per institution, with the initial passwords.
    let response = officer
        .get(done["notice"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let pdf = response.bytes().await.unwrap();
    let path = dir.path().join("notice.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.matches("ログイン情報交付通知書").count(), 2, "{text}");
    for expected in [
        "東京中央病院",
        "東京西クリニック",
        "山田 太郎",
        "dr123456",
        "13-0002",
    ] {
        assert!(text.contains(expected), "{expected} not in {text}");
    }
    let password = text
        .lines()
        .find(|l| l.contains("dr123456"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap()
        .to_owned();

    // The doctor logs in with it from their institution's terminal and must change it.
    let hospital = gw.client(Some("hospital"));
    let (status, first) = login(&gw, &hospital, "dr123456", &password, None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["scope"], "password_change");
    assert_eq!(first["user"]["role"], "doctor");
}

/// The block is kept in the store: it holds after a restart (and for every instance on the
/// same database).
#[tokio::test]
async fn repeated_failures_block_the_address_with_an_alert_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut gw = Gateway::start(&data, "[security]\nblock_after_failures = 3\n");
    let hospital = gw.client(Some("hospital"));
    for _ in 0..3 {
        let (status, _) = login(&gw, &hospital, "nobody", "x", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let blocked = (StatusCode::TOO_MANY_REQUESTS, Some("security.blocked"));
    let (status, err): (StatusCode, Value) = login(&gw, &hospital, "nobody", "x", None).await;
    assert_eq!((status, err["code"].as_str()), blocked);
    // Three failures and the alert, chained.
    let out = kakehashi(&["audit", "verify"], gw.config());
    assert!(
        out.starts_with("4 records") && out.contains("the chain is intact"),
        "{out}"
    );
    gw.restart();
    let hospital = gw.client(Some("hospital"));
    let (status, err): (StatusCode, Value) = login(&gw, &hospital, "nobody", "x", None).await;
    assert_eq!((status, err["code"].as_str()), blocked, "after the restart");
}

/// The database and the files SQLite keeps beside it are the gateway's alone, in a directory
/// that is too; a data directory that group or others may open is refused at start-up, naming
/// the fix.
#[tokio::test]
async fn the_database_is_private_and_an_open_data_directory_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().unwrap();
    let mut gw = start(dir.path());
    let data = gw.data_dir.clone();
    assert_eq!(mode(&data), 0o700);
    // The embedded database's files (PostgreSQL keeps its own elsewhere).
    let files = [
        "kakehashi.sqlite3",
        "kakehashi.sqlite3-wal",
        "kakehashi.sqlite3-shm",
    ];
    for file in files.iter().filter(|_| !common::on_postgres()) {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    gw.kill();

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(["serve", "--config"])
        .arg(gw.config())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while serve.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = serve.kill();
            panic!("the gateway started on a data directory open to others");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = serve.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("chmod 700 {}", data.display())),
        "{stderr}"
    );
}
