//! The municipal officer's and the administrator's console screens over HTTP against the real
//! binary and real mutual TLS: who may open them (another municipality's officer finds no
//! sheet, a hospital's clerk finds no municipal or administrator screen, an officer no
//! administrator screen), that every form is CSRF-protected, and that what they do goes through
//! the API's own rules (a malformed key answers the lookup's located refusal; the print is the
//! masked PDF; a one-time password is shown once, a reset makes another, a lockout is lifted;
//! the audit chain checks out).
//! (`tests/console_browser_municipal.rs` drives the same screens in Chromium.)

mod common;

use common::console::ConsoleClient;
use common::{Gateway, HOSPITAL, MUNICIPALITY, OPERATOR, PASSWORD, Session, send};
use reqwest::StatusCode;
use serde_json::Value;

const RATES: &str =
    "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\n";
const MUNICIPALITY_B: &str = "municipality:270008";

/// A sheet of Hospital A's CSV without errors, confirmed by its doctor through the API; its
/// id and access key.
async fn confirmed_sheet(doctor: &Session) -> (String, String) {
    let id = doctor.clean_sheet_of_hospital_a().await;
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let key = confirmed["access_key"].as_str().unwrap().to_owned();
    (id, key)
}

/// An administrator's first login through the console: password and TOTP code, the forced
/// change of the initial password, and the login again (with a code again).
async fn admin_first_login(console: &mut ConsoleClient, gw: &Gateway, user: &str) {
    let issued: Value = gw.add_user(user, OPERATOR, "administrator");
    let secret = issued["totp_secret"].as_str().unwrap().to_owned();
    let initial = issued["initial_password"].as_str().unwrap().to_owned();
    let log_in = async |console: &mut ConsoleClient, password: &str| {
        let token = console.get("/console/login").await.csrf();
        let code = common::unused_totp_code(&secret, user).await;
        console
            .post(
                "/console/login",
                &[
                    ("csrf", &token),
                    ("user_id", user),
                    ("password", password),
                    ("totp", &code),
                ],
            )
            .await
    };
    let first = log_in(console, &initial).await;
    assert_eq!(first.location(), "/console/password", "{}", first.body);
    let token = console.get("/console/password").await.csrf();
    let changed = console
        .post(
            "/console/password",
            &[
                ("csrf", &token),
                ("current_password", &initial),
                ("new_password", PASSWORD),
                ("new_password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let again = log_in(console, PASSWORD).await;
    assert_eq!(again.location(), "/console/", "{}", again.body);
}

/// The one-time password a page shows.
fn one_time_password(body: &str) -> String {
    let marker = "class=\"access-key\">";
    let at = body.find(marker).expect("the one-time password");
    let rest = &body[at + marker.len()..];
    let password = rest[..rest.find('<').unwrap()].to_owned();
    assert_eq!(password.len(), 16, "{password}");
    password
}

#[tokio::test]
async fn municipal_and_administrator_screens_are_for_their_role_and_municipality_only() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), RATES);
    gw.add_organisation("municipality", "270008", "大阪府", "municipality-b");
    let doctor = gw.user("dr-sato", HOSPITAL, "doctor", "hospital").await;
    let (id, key) = confirmed_sheet(&doctor).await;

    let mut officer = ConsoleClient::new(&gw, "municipality");
    officer
        .first_login(&gw, "officer-kato", MUNICIPALITY, "municipal_officer")
        .await;
    let home = officer.get("/console/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains("/console/municipal/lookup"));
    assert!(!home.body.contains("/console/admin") && !home.body.contains("/console/upload"));

    // Every form needs the session's token.
    let forged = officer
        .post("/console/municipal/lookup", &[("access_key", &key)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert!(forged.body.contains("csrf.invalid"));

    // A mistyped key: the lookup's own refusal, beside the input.
    let token = officer.get("/console/municipal/lookup").await.csrf();
    let typo = officer
        .post(
            "/console/municipal/lookup",
            &[("csrf", &token), ("access_key", "ABCD-EFGH")],
        )
        .await;
    assert_eq!(
        typo.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        typo.body
    );
    assert!(typo.body.contains("access_key.malformed") && typo.body.contains("aria-invalid"));

    // The key as typed from the paper (lower case, spaces) opens the sheet and its judgment.
    let typed = key.to_lowercase().replace('-', " ");
    let found = officer
        .post(
            "/console/municipal/lookup",
            &[("csrf", &token), ("access_key", &typed)],
        )
        .await;
    assert_eq!(found.status, StatusCode::SEE_OTHER, "{}", found.body);
    let sheet_page = format!("/console/municipal/sheets/{id}");
    assert_eq!(found.location(), sheet_page);
    let sheet = officer.get(&sheet_page).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    assert!(sheet.body.contains("一次判定") && sheet.body.contains("診断のカテゴリー"));
    let print = officer.get(&format!("{sheet_page}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(print.headers["content-type"], "application/pdf");
    // The patient consented when the sheet was set up: the registration card prints.
    let card = format!("{sheet_page}/registration-card");
    assert!(sheet.body.contains(&card), "{}", sheet.body);
    let printed = officer.get(&card).await;
    assert_eq!(printed.status, StatusCode::OK);
    assert_eq!(printed.headers["content-type"], "application/pdf");
    for screen in [
        "/console/municipal/review",
        "/console/municipal/applications",
        "/console/municipal/applications/import",
        "/console/municipal/decisions",
        "/console/municipal/exports",
    ] {
        let page = officer.get(screen).await;
        assert_eq!(page.status, StatusCode::OK, "{screen}: {}", page.body);
    }

    // A decision file above axum's 2 MB multipart default reaches the layout and is refused
    // where it is broken, not by size.
    let mut big = b"not,a,decision,file\r\n".repeat(150_000);
    big.extend_from_slice(b"\r\n");
    assert!(big.len() > 3_000_000);
    let token = officer.get("/console/municipal/decisions").await.csrf();
    let refused = officer
        .upload(
            "/console/municipal/decisions",
            &token,
            &[("layout", "city-a")],
            &big,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("municipal.missing_column") && refused.body.contains("line 1"),
        "located: {}",
        refused.body
    );

    // Another municipality's officer finds no such sheet, nor can act on it.
    let mut other = ConsoleClient::new(&gw, "municipality-b");
    other
        .first_login(&gw, "officer-b", MUNICIPALITY_B, "municipal_officer")
        .await;
    for path in [sheet_page.clone(), format!("{sheet_page}/print")] {
        let page = other.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
        assert!(!page.body.contains(&key));
    }
    let token = other.get("/console/municipal/lookup").await.csrf();
    let consent = other
        .post(
            &format!("{sheet_page}/consent"),
            &[("csrf", &token), ("consented", "true")],
        )
        .await;
    assert_eq!(consent.status, StatusCode::NOT_FOUND, "{}", consent.body);
    // … and the key, taken up by the first municipality, is not theirs either.
    let taken = other
        .post(
            "/console/municipal/lookup",
            &[("csrf", &token), ("access_key", &key)],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(taken.body.contains("access_key.bound_elsewhere"));

    // A hospital's clerk has no municipal or administrator screen, by GET or by POST.
    let mut clerk = ConsoleClient::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    for path in [
        "/console/municipal/lookup",
        "/console/municipal/review",
        "/console/municipal/applications",
        sheet_page.as_str(),
        "/console/admin/users",
        "/console/admin/deliveries",
    ] {
        let page = clerk.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}: {}", page.body);
    }
    let token = clerk.get("/console/").await.csrf();
    let refused = clerk
        .post(
            "/console/municipal/lookup",
            &[("csrf", &token), ("access_key", &key)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    // … nor has the officer an administrator's.
    assert_eq!(
        officer.get("/console/admin/audit").await.status,
        StatusCode::NOT_FOUND
    );

    // The administrator: a new account's one-time password is shown once; the chain checks out.
    let mut admin = ConsoleClient::new(&gw, "operator");
    admin_first_login(&mut admin, &gw, "admin-ueda").await;
    let users = admin.get("/console/admin/users").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.body);
    assert!(users.body.contains("officer-kato") && !users.body.contains("access-key\""));
    let token = users.csrf();
    let forged = admin
        .post(
            "/console/admin/users",
            &[("user", "clerk-new"), ("organisation", HOSPITAL)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let added = admin
        .post(
            "/console/admin/users",
            &[
                ("csrf", &token),
                ("user", "clerk-new"),
                ("organisation", HOSPITAL),
                ("role", "clerk"),
                ("name", "新人"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let password = one_time_password(&added.body);
    assert!(
        !admin
            .get("/console/admin/users")
            .await
            .body
            .contains(&password)
    );
    let mut newcomer = ConsoleClient::new(&gw, "hospital");
    assert_eq!(
        newcomer.login("clerk-new", &password).await.location(),
        "/console/password"
    );

    // A reset gives another one-time password; five wrong ones lock the account until an
    // administrator lifts the lock.
    let reset = admin
        .post("/console/admin/users/clerk-new/reset", &[("csrf", &token)])
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let second = one_time_password(&reset.body);
    assert_ne!(second, password);
    let mut newcomer = ConsoleClient::new(&gw, "hospital");
    assert_ne!(
        newcomer.login("clerk-new", &password).await.location(),
        "/console/password",
        "the first password no longer opens"
    );
    for _ in 0..5 {
        newcomer.login("clerk-new", "not-the-password").await;
    }
    let locked = newcomer.login("clerk-new", &second).await;
    assert!(locked.body.contains("auth.locked"), "{}", locked.body);
    assert!(
        admin
            .get("/console/admin/users")
            .await
            .body
            .contains("ロック中")
    );
    let unlocked = admin
        .post("/console/admin/users/clerk-new/unlock", &[("csrf", &token)])
        .await;
    assert_eq!(unlocked.status, StatusCode::SEE_OTHER, "{}", unlocked.body);
    assert_eq!(
        newcomer.login("clerk-new", &second).await.location(),
        "/console/password"
    );
    for screen in [
        "/console/admin/terminals",
        "/console/admin/doctors",
        "/console/admin/deliveries?status=dead",
        "/console/admin/audit?action=sheet.print",
    ] {
        let page = admin.get(screen).await;
        assert_eq!(page.status, StatusCode::OK, "{screen}: {}", page.body);
    }
    let checked = admin
        .post("/console/admin/audit/verify", &[("csrf", &token)])
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(
        checked.body.contains("ハッシュチェーンは正常です"),
        "{}",
        checked.body
    );
    assert_eq!(
        admin.get("/console/municipal/lookup").await.status,
        StatusCode::NOT_FOUND
    );
}
