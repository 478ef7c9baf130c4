//! The web console over HTTP against the real binary and real mutual TLS: the session cookie's
//! flags, the security headers, the forced change of an initial password, CSRF refusal, a
//! cookie replayed from another terminal, a clerk who cannot confirm, another hospital's sheet,
//! and the idle timeout. (`tests/console_browser.rs` drives the same screens in Chromium.)

mod common;

use std::path::Path;

use common::console::{ConsoleClient as Browser, SESSION};
use common::{Gateway, HOSPITAL, PASSWORD};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

/// Generous request rates: a console page is several requests; and an upload's result on its
/// own page however long reading takes on a loaded machine.
const RATES: &str = "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\nconsole_result_wait_ms = 600000\n";

fn start(dir: &Path, extra: &str) -> Gateway {
    Gateway::start(&dir.join("data"), &format!("{RATES}{extra}"))
}

/// The ids of the sheets an upload's result page links to, those with errors first flagged.
fn sheet_links(body: &str) -> Vec<String> {
    let mut ids: Vec<String> = body
        .match_indices("href=\"/console/sheets/")
        .map(|(at, m)| {
            let rest = &body[at + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .filter(|id| id.len() > 20 && !id.contains('/') && !id.contains('?'))
        .collect();
    ids.dedup();
    ids
}

#[tokio::test]
async fn sessions_are_secure_cookies_bound_to_their_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "");
    let mut clerk = Browser::new(&gw, "hospital");

    // The login screen: security headers, and the login form's own token cookie.
    let login = clerk.get("/console/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(login.headers["cache-control"], "no-store");
    assert_eq!(login.headers["x-content-type-options"], "nosniff");
    assert!(login.body.contains("<html lang=\"ja\""), "{}", login.body);
    assert!(!login.body.contains("<script"), "no script at all");

    // A login without the form's token is refused before the password is looked at.
    let forged = clerk
        .post("/console/login", &[("user_id", "x"), ("password", "y")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("csrf.invalid"), "{}", forged.body);

    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    let cookie = clerk.cookies[SESSION].clone();
    assert_eq!(cookie.len(), 43, "256 random bits, base64url");

    // The cookie's flags, as the last login set it.
    let mut fresh = Browser::new(&gw, "hospital");
    let answer = fresh.login("clerk-ito", PASSWORD).await;
    let set = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(SESSION))
        .unwrap();
    for flag in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Domain"), "host-only: {set}");

    let home = clerk.get("/console/").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert_eq!(home.headers["cache-control"], "no-store");
    assert!(home.body.contains("clerk-ito") && home.body.contains("/console/sheets"));
    // The hospital's navigation only: no municipal or administrator screens.
    assert!(!home.body.contains("/console/municipal") && !home.body.contains("/console/admin"));

    // A forged POST (no token, or another session's) is refused.
    let token = home.csrf();
    let forged = clerk.post("/console/logout", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let other_token = fresh.get("/console/").await.csrf();
    assert_ne!(token, other_token);
    let forged = clerk
        .post("/console/logout", &[("csrf", &other_token)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The cookie replayed from another terminal of the same hospital is refused and audited.
    common::kakehashi(
        &[
            "certs",
            "issue",
            "hospital-2",
            "--organisation",
            "東京中央病院（開発用）",
        ],
        gw.config(),
    );
    common::kakehashi(
        &["terminals", "add", "hospital-2", "--organisation", HOSPITAL],
        gw.config(),
    );
    let mut thief = Browser::new(&gw, "hospital-2");
    thief.cookies.insert(SESSION.to_owned(), cookie.clone());
    let replayed = thief.get("/console/").await;
    assert_eq!(replayed.status, StatusCode::FORBIDDEN, "{}", replayed.body);
    assert!(replayed.body.contains("session.wrong_terminal"));
    let admin = gw.admin("admin-ueda").await;
    let (status, audit) = common::send(admin.get("/v1/audit?action=console.session")).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert!(
        audit.to_string().contains("session.wrong_terminal"),
        "{audit}"
    );
    // … while the clerk at their own terminal goes on.
    assert_eq!(clerk.get("/console/").await.status, StatusCode::OK);

    // Logging out ends the session: the cookie opens nothing any more.
    let out = clerk.post("/console/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/console/login?ended=logout");
    let mut replay = Browser::new(&gw, "hospital");
    replay.cookies.insert(SESSION.to_owned(), cookie);
    assert_eq!(replay.get("/console/").await.location(), "/console/login");

    // English on request, remembered.
    let english = fresh.get("/console/?lang=en").await;
    assert!(english.body.contains("<html lang=\"en\""));
    assert!(fresh.get("/console/sheets").await.body.contains("Sheets"));
}

/// A scan takes seconds to read: the upload hands over to the upload's own page, which says it
/// is reading and reloads itself (a person can stop that), then shows the result.
#[tokio::test]
async fn an_upload_read_for_long_is_followed_on_its_progress_page() {
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        &dir.path().join("data"),
        "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\nconsole_result_wait_ms = 0\n",
    );
    // Printed and scanned first: it takes longer than a keep-alive connection waits idle.
    let pdf = common::municipal::scan(&[common::municipal::paper(), common::municipal::paper()]);
    let mut clerk = Browser::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    let form = clerk.get("/console/upload").await;
    let handed_over = clerk
        .upload(
            "/console/upload",
            &form.csrf(),
            &[("adapter", "scan")],
            &pdf,
        )
        .await;
    assert_eq!(
        handed_over.status,
        StatusCode::SEE_OTHER,
        "{}",
        handed_over.body
    );
    let progress = handed_over.location().to_owned();
    assert!(progress.starts_with("/console/uploads/"), "{progress}");

    let reading = clerk.get(&progress).await;
    assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
    assert!(reading.body.contains("読み取り中"), "{}", reading.body);
    assert_eq!(reading.headers["refresh"], "3");
    assert!(reading.body.contains("?auto=off"), "{}", reading.body);
    let still = clerk.get(&format!("{progress}?auto=off")).await;
    assert!(!still.headers.contains_key("refresh"));
    assert!(still.body.contains("自動更新に戻す"), "{}", still.body);

    // Another hospital's clerk cannot follow it.
    gw.add_organisation("hospital", "2710000011", "大阪北病院", "hospital-b");
    let mut other = Browser::new(&gw, "hospital-b");
    other
        .first_login(&gw, "clerk-kato", "hospital:2710000011", "clerk")
        .await;
    assert_eq!(other.get(&progress).await.status, StatusCode::NOT_FOUND);

    let started = std::time::Instant::now();
    let done = loop {
        let page = clerk.get(&progress).await;
        if !page.body.contains("読み取り中") {
            break page;
        }
        assert!(started.elapsed().as_secs() < 180, "still reading");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(!done.headers.contains_key("refresh"));
    assert!(done.body.contains("取込結果"), "{}", done.body);
    assert_eq!(sheet_links(&done.body).len(), 2, "{}", done.body);
}

#[tokio::test]
async fn clerks_draft_and_only_doctors_confirm_their_own_hospitals_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "");
    gw.add_organisation("hospital", "2710000011", "大阪北病院", "hospital-b");
    let mut clerk = Browser::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    let mut doctor = Browser::new(&gw, "hospital");
    doctor.first_login(&gw, "dr-sato", HOSPITAL, "doctor").await;

    let form = clerk.get("/console/upload").await;
    let csv = common::hospital_a_with_an_error();
    let result = clerk
        .upload(
            "/console/upload",
            &form.csrf(),
            &[("mapping", "hospital-a")],
            &csv,
        )
        .await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    let ids = sheet_links(&result.body);
    assert!(ids.len() > 100, "one link per sheet: {}", ids.len());
    // A file over axum's 2 MB multipart default but within the gateway's limit reaches the
    // adapter, and a broken one is answered with its located error.
    let header = &csv[..csv.iter().position(|b| *b == b'\n').unwrap() + 1];
    let mut broken = header.to_vec();
    broken.extend(vec![b'x'; 3 * 1024 * 1024]);
    broken.extend(b"\n");
    let refused = clerk
        .upload(
            "/console/upload",
            &result.csrf(),
            &[("mapping", "hospital-a")],
            &broken,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("csv.truncated_row"),
        "{}",
        refused.body
    );

    // The list pages through them, filtered.
    let list = clerk
        .get("/console/sheets?status=draft&findings=errors")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let with_errors = sheet_links(&list.body);
    assert_eq!(with_errors.len(), 1, "{}", list.body);
    let clean: Vec<&String> = ids.iter().filter(|id| !with_errors.contains(id)).collect();
    let second = clerk.get("/console/sheets?page=2").await;
    assert!(second.body.contains("2 / 3"), "50 a page: {}", second.body);

    // A clerk sees no confirm button and is refused when posting the confirmation anyway.
    let sheet = clean[0];
    let page = clerk.get(&format!("/console/sheets/{sheet}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        !page.body.contains("/confirm\""),
        "no confirm form for a clerk"
    );
    let refused = clerk
        .post(
            &format!("/console/sheets/{sheet}/confirm"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("access.denied"));

    // The doctor confirms and sees the key once.
    let page = doctor.get(&format!("/console/sheets/{sheet}")).await;
    assert!(
        page.body
            .contains(&format!("/console/sheets/{sheet}/confirm"))
    );
    let confirmed = doctor
        .post(
            &format!("/console/sheets/{sheet}/confirm"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let key_at = confirmed.body.find("class=\"access-key\">").unwrap();
    let key = &confirmed.body[key_at + 19..key_at + 19 + 24];
    assert_eq!(key.matches('-').count(), 4, "{key}");
    assert!(confirmed.body.contains("data:application/pdf;base64,"));
    let after = doctor.get(&format!("/console/sheets/{sheet}")).await;
    assert!(!after.body.contains(key), "shown once");
    let print = doctor
        .get(&format!("/console/sheets/{sheet}/print?masked=false"))
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(print.headers[CONTENT_TYPE], "application/pdf");

    // Another hospital's people do not find the sheet.
    let mut stranger = Browser::new(&gw, "hospital-b");
    stranger
        .first_login(&gw, "clerk-b", "hospital:2710000011", "clerk")
        .await;
    let hidden = stranger.get(&format!("/console/sheets/{sheet}")).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "{}", hidden.body);
    // Nor a municipal officer the screens of a hospital.
    let mut officer = Browser::new(&gw, "municipality");
    officer
        .first_login(
            &gw,
            "officer-kato",
            common::MUNICIPALITY,
            "municipal_officer",
        )
        .await;
    assert_eq!(
        officer.get("/console/sheets").await.status,
        StatusCode::NOT_FOUND
    );

    // The patient lost the notice: the doctor issues a new key; the old one opens nothing.
    let page = doctor.get(&format!("/console/sheets/{sheet}")).await;
    assert!(
        page.body
            .contains(&format!("/console/sheets/{sheet}/access-key\""))
    );
    let reissued = doctor
        .post(
            &format!("/console/sheets/{sheet}/access-key"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(reissued.status, StatusCode::OK, "{}", reissued.body);
    assert!(
        reissued.body.contains("アクセスキーを再発行しました"),
        "{}",
        reissued.body
    );
    let key_at = reissued.body.find("class=\"access-key\">").unwrap();
    let new_key = &reissued.body[key_at + 19..key_at + 19 + 24];
    assert_ne!(new_key, key);
    let form = officer.get("/console/municipal/lookup").await;
    let old = officer
        .post(
            "/console/municipal/lookup",
            &[("csrf", &form.csrf()), ("access_key", key)],
        )
        .await;
    assert!(old.status.is_client_error(), "{}", old.body);
    let new = officer
        .post(
            "/console/municipal/lookup",
            &[("csrf", &old.csrf()), ("access_key", new_key)],
        )
        .await;
    assert_eq!(new.location(), format!("/console/municipal/sheets/{sheet}"));

    // With the patient's consent recorded, hospital B renews from the sheet it cannot read.
    let page = doctor.get(&format!("/console/sheets/{sheet}")).await;
    let consented = doctor
        .post(
            &format!("/console/sheets/{sheet}/carryover-consent"),
            &[("csrf", &page.csrf()), ("hospital_code", "2710000011")],
        )
        .await;
    assert_eq!(
        consented.location(),
        format!("/console/sheets/{sheet}?consented=2710000011")
    );
    let shown = doctor.get(consented.location()).await;
    assert!(shown.body.contains("同意を記録しました"), "{}", shown.body);
    let token = stranger.get("/console/").await.csrf();
    let renewed = stranger
        .post(
            &format!("/console/sheets/{sheet}/renew"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(renewed.status, StatusCode::SEE_OTHER, "{}", renewed.body);
    let draft = stranger.get(renewed.location()).await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.body);
    assert!(draft.body.contains("<dd>下書き</dd>"), "{}", draft.body);
    assert!(
        draft
            .body
            .contains("<option value=\"renewal\" selected>更新</option>"),
        "{}",
        draft.body
    );
    assert!(!renewed.location().contains(sheet.as_str()));
}

#[tokio::test]
async fn an_idle_session_ends() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "console_idle_seconds = 1\n");
    let mut clerk = Browser::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    assert_eq!(clerk.get("/console/").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let ended = clerk.get("/console/").await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(ended.location(), "/console/login?ended=timeout");
    let login = clerk.get(ended.location()).await;
    assert!(login.body.contains("ログアウトしました"), "{}", login.body);
}

#[tokio::test]
async fn a_sheet_started_from_nothing_is_saved_as_a_draft() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "");
    let mut clerk = Browser::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;

    // Found by number or by name among all notified diseases.
    let by_number = clerk.get("/console/sheets/new?q=49&kind=nanbyo").await;
    assert!(
        by_number.body.contains("/console/sheets/new/nanbyo/49"),
        "{}",
        by_number.body
    );
    let by_name = clerk
        .get("/console/sheets/new?q=%E7%B3%96%E5%B0%BF%E7%97%85")
        .await;
    assert!(
        by_name.body.contains("/console/sheets/new/shoman/"),
        "{}",
        by_name.body
    );

    // A disease with a template: its items on the form; saved through a FHIR document.
    let form = clerk.get("/console/sheets/new/nanbyo/49").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"i."), "the template's items");
    let saved = clerk
        .post(
            "/console/sheets/new/nanbyo/49",
            &[
                ("csrf", &form.csrf()),
                ("h.patient.name", "新規 花子"),
                ("h.patient.sex", "female"),
                ("h.patient.date_of_birth", "1980-04-01"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let sheet = clerk.get(saved.location()).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    assert!(sheet.body.contains("新規 花子") && sheet.body.contains("下書き"));

    // Without a template: the common part and free items; what cannot be read is shown back.
    let number = clerk.get("/console/sheets/new?q=1&kind=nanbyo").await;
    assert!(
        number.body.contains("/console/sheets/new/nanbyo/1\""),
        "{}",
        number.body
    );
    let form = clerk.get("/console/sheets/new/nanbyo/1").await;
    assert!(!form.body.contains("name=\"i."), "no template items");
    let unreadable = clerk
        .post(
            "/console/sheets/new/nanbyo/1",
            &[
                ("csrf", &form.csrf()),
                ("h.patient.date_of_birth", "someday"),
            ],
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unreadable.body.contains("field.unreadable") && unreadable.body.contains("someday"));
    let saved = clerk
        .post(
            "/console/sheets/new/nanbyo/1",
            &[("csrf", &form.csrf()), ("free", "ALSFRS = 40")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let sheet = clerk.get(saved.location()).await;
    assert!(sheet.body.contains("ALSFRS = 40"), "{}", sheet.body);

    // A pediatric disease's form (医療意見書) has the child's part.
    let shoman = by_name.body.find("/console/sheets/new/shoman/").unwrap();
    let link = &by_name.body[shoman..];
    let link = &link[..link.find('"').unwrap()];
    let form = clerk.get(link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("医療意見書の基本情報"), "{}", form.body);
}

#[tokio::test]
async fn administrators_also_give_their_one_time_code() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "");
    let issued = gw.add_user("admin-ueda", common::OPERATOR, "administrator");
    let initial = issued["initial_password"].as_str().unwrap();
    let secret = issued["totp_secret"].as_str().unwrap();
    let mut admin = Browser::new(&gw, "operator");

    // The password alone is not enough.
    let form = admin.get("/console/login").await;
    let without = admin
        .post(
            "/console/login",
            &[
                ("csrf", &form.csrf()),
                ("user_id", "admin-ueda"),
                ("password", initial),
            ],
        )
        .await;
    assert_eq!(without.status, StatusCode::UNAUTHORIZED, "{}", without.body);
    assert!(without.body.contains("auth.invalid_credentials"));
    // A wrong code counts as a failed login, as in the API, with the same answer.
    let wrong = admin
        .post(
            "/console/login",
            &[
                ("csrf", &without.csrf()),
                ("user_id", "admin-ueda"),
                ("password", initial),
                ("totp", "000000"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert!(
        wrong.body.contains("auth.invalid_credentials"),
        "{}",
        wrong.body
    );
    let code = common::unused_totp_code(secret, "admin-ueda").await;
    let with = admin
        .post(
            "/console/login",
            &[
                ("csrf", &wrong.csrf()),
                ("user_id", "admin-ueda"),
                ("password", initial),
                ("totp", &code),
            ],
        )
        .await;
    assert_eq!(with.status, StatusCode::SEE_OTHER, "{}", with.body);
    assert_eq!(with.location(), "/console/password");

    // A hospital's screens are not an administrator's.
    let form = admin.get("/console/password").await;
    admin
        .post(
            "/console/password",
            &[
                ("csrf", &form.csrf()),
                ("current_password", initial),
                ("new_password", PASSWORD),
                ("new_password_again", PASSWORD),
            ],
        )
        .await;
    let form = admin.get("/console/login").await;
    let again = admin
        .post(
            "/console/login",
            &[
                ("csrf", &form.csrf()),
                ("user_id", "admin-ueda"),
                ("password", PASSWORD),
                (
                    "totp",
                    &common::unused_totp_code(secret, "admin-ueda").await,
                ),
            ],
        )
        .await;
    assert_eq!(again.location(), "/console/", "{}", again.body);
    let home = admin.get("/console/").await;
    assert!(home.body.contains("管理者ホーム"), "{}", home.body);
    assert_eq!(
        admin.get("/console/sheets").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_limit_however_busy() {
    let dir = tempfile::tempdir().unwrap();
    let gw = start(dir.path(), "console_absolute_seconds = 2\n");
    let mut clerk = Browser::new(&gw, "hospital");
    clerk.first_login(&gw, "clerk-ito", HOSPITAL, "clerk").await;
    let started = std::time::Instant::now();
    loop {
        let page = clerk.get("/console/").await;
        if page.status == StatusCode::SEE_OTHER {
            assert_eq!(page.location(), "/console/login?ended=timeout");
            break;
        }
        assert!(
            started.elapsed().as_secs() < 5,
            "the session outlived its limit"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
