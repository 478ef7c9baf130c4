//! The municipal officer's and the administrator's screens in a real browser (headless Chromium
//! presenting the municipality's and the operator's terminal certificates). An officer looks up
//! the access key of a sheet a doctor confirmed, reads its machine judgment, downloads the
//! masked print (no patient name in it, by `pdftotext`), records the research consent, resolves
//! an OCR box of a scanned sheet from the keyboard alone, imports the Mynaportal download and
//! then the back office's decision file. The national DB refuses the gateway's signature, so
//! the delivery becomes a dead letter; with the key fixed, an administrator retries it from the
//! deliveries screen and it arrives; then they run the audit chain's check. axe-core finds no
//! serious or critical violation on any screen visited; with `KAKEHASHI_SCREENSHOTS=1` the main
//! screens are saved to docs/console/.

#[path = "browser/mod.rs"]
mod browser;
mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use browser::console::{Accessibility, and_load, click_and_load, current_path, log_in, screenshot};
use browser::{Browser, Bundle};
use common::municipal::{RECEIPT, decision_file, download_with_key, paper, scan};
use common::{Gateway, HOSPITAL, OPERATOR, PASSWORD, Session, send};
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Generous rates, fast retries of deliveries.
const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\n[push]\ninitial_backoff_ms = 100\nmax_backoff_seconds = 1\n";

/// WebDriver's Enter key.
const ENTER: &str = "\u{E007}";

/// A sheet of Hospital A's CSV without errors, confirmed by its doctor: its id, key and the
/// patient's name.
async fn confirmed_sheet(doctor: &Session) -> (String, String, String) {
    let id = doctor.clean_sheet_of_hospital_a().await;
    let (_, view) = send(doctor.get(&format!("/v1/sheets/{id}"))).await;
    let name = view["sheet"]["patient"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, confirmed) = send(doctor.post(&format!("/v1/sheets/{id}/confirm"))).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let key = confirmed["access_key"].as_str().unwrap().to_owned();
    (id, key, name)
}

/// Fetches `path` with the browser's own session and certificate, as a download would; from
/// an API page of the same origin, since the console's CSP lets no page script connect.
async fn download(b: &Browser, path: &str) -> Vec<u8> {
    b.goto("/v1/healthz").await.unwrap();
    let encoded = b
        .client()
        .execute_async(
            "const [path, done] = arguments;
             fetch(path, { credentials: 'same-origin' })
               .then(r => r.arrayBuffer())
               .then(buffer => {
                 let text = '';
                 for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
                 done(btoa(text));
               })
               .catch(e => done('error: ' + e));",
            vec![json!(path)],
        )
        .await
        .unwrap();
    let encoded = encoded.as_str().unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| panic!("{encoded}"))
}

/// Chooses the file at `path` in the file input `selector`.
async fn choose_file(b: &Browser, selector: &str, path: &std::path::Path) {
    b.client()
        .find(Locator::Css(selector))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
}

async fn dead_letters(admin: &Session) -> Vec<Value> {
    let (status, body) = send(admin.get("/v1/deliveries?status=dead")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_officer_works_a_sheet_through_and_an_administrator_retries_its_dead_letter() {
    if browser::unavailable() {
        return;
    }
    // Made before anyone logs in: printing and scanning takes seconds in a debug build.
    let scanned = scan(&[paper()]);
    let dir = tempfile::tempdir().unwrap();
    // The gateway signs with a key the national DB does not know: refused for good.
    let stranger = dir.path().join("stranger-keys");
    kakehashi_envelope::generate_dev_keys(&stranger).unwrap();
    let signing = stranger.join(kakehashi_envelope::SIGNING_KEY_FILE);
    let signing_line = format!("signing_key = \"{}\"\n", signing.display());
    let mut gw = Gateway::start(&dir.path().join("data"), CONFIG);
    let receiver = gw.start_receiver(&dir.path().join("receiver"));
    gw.configure(&format!(
        "endpoint = \"{}\"\n{signing_line}",
        receiver.endpoint()
    ));
    gw.restart();

    let doctor = gw.user("dr-sato", HOSPITAL, "doctor", "hospital").await;
    let (sheet_id, key, patient_name) = confirmed_sheet(&doctor).await;
    let officer_api = gw.officer("officer-kato").await;
    let (status, scan_submission) = send(
        officer_api
            .post("/v1/submissions")
            .header("content-type", "application/pdf")
            .body(scanned),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{scan_submission}");
    let (_, queue) = send(officer_api.get("/v1/review")).await;
    let recipient_task = queue["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"] == "administrative.recipient_number")
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{queue}"));
    let zip = dir.path().join("download.zip");
    std::fs::write(&zip, download_with_key(&key)).unwrap();
    let decisions = dir.path().join("decisions.csv");
    std::fs::write(&decisions, decision_file(&[2], &[])).unwrap();

    let mut a11y = Accessibility::default();
    let b = Browser::start(&gw, Some(&Bundle::development(&gw, "municipality"))).await;
    b.goto("/console/login").await.unwrap();
    log_in(&b, "officer-kato", PASSWORD).await;
    assert_eq!(current_path(&b).await, "/console/");
    a11y.check(&b, "municipal home").await;

    // The access key as typed from the patient's paper.
    click_and_load(&b, "a[href='/console/municipal/lookup']").await;
    b.fill("#access_key", &key.to_lowercase()).await;
    a11y.check(&b, "key lookup").await;
    screenshot(&b, "municipal-lookup").await;
    click_and_load(
        &b,
        "form[action='/console/municipal/lookup'] button[type=submit]",
    )
    .await;
    assert_eq!(
        current_path(&b).await,
        format!("/console/municipal/sheets/{sheet_id}")
    );
    let judgment = b.text("main").await;
    assert!(
        judgment.contains("一次判定") && judgment.contains("診断のカテゴリー"),
        "{judgment}"
    );
    assert!(
        judgment.contains("重症度分類") && judgment.contains("理由"),
        "{judgment}"
    );
    a11y.check(&b, "judgment").await;
    screenshot(&b, "municipal-judgment").await;

    // Research consent: the confirmed sheet is queued for the national DB.
    click_and_load(&b, "button[name=consented][value=true]").await;
    assert!(
        b.text("main").await.contains("送信を予約しました"),
        "{}",
        b.text("main").await
    );

    // The masked print for the review board carries no patient name.
    let print_link = format!("/console/municipal/sheets/{sheet_id}/print");
    b.client()
        .find(Locator::Css(&format!("a[href='{print_link}']")))
        .await
        .unwrap();
    let pdf = download(&b, &print_link).await;
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let text = common::pdf_text(&pdf);
    assert!(!text.is_empty());
    assert!(
        !text.contains(&patient_name),
        "the patient's name {patient_name} is in the masked print"
    );

    // The review queue: the box beside what was read; typed, Enter, and on to the next.
    b.goto(&format!("/console/municipal/review?task={recipient_task}"))
        .await
        .unwrap();
    let task = b.text(".review-task").await;
    assert!(
        task.contains("受給者番号") && task.contains("identifier.check_digit"),
        "{task}"
    );
    let image_loaded = b
        .client()
        .execute(
            "const img = document.querySelector('.review-box img'); return img.complete && img.naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(image_loaded, json!(true), "the box's image is shown");
    a11y.check(&b, "review queue").await;
    screenshot(&b, "municipal-review").await;
    let focused = b.client().active_element().await.unwrap();
    assert_eq!(focused.attr("id").await.unwrap().as_deref(), Some("value"));
    and_load(&b, async {
        focused.send_keys(&format!("1234566{ENTER}")).await.unwrap();
    })
    .await;
    assert!(b.text("main").await.contains("確定しました"));
    let (_, queue) = send(officer_api.get("/v1/review")).await;
    assert!(
        queue["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != recipient_task.as_str()),
        "{queue}"
    );
    // The next task has the focus already.
    let next = b.client().active_element().await.unwrap();
    assert_eq!(next.attr("id").await.unwrap().as_deref(), Some("value"));

    // The applicant's Mynaportal application carries the key: imported, linked.
    b.goto("/console/municipal/applications/import")
        .await
        .unwrap();
    a11y.check(&b, "applications import").await;
    choose_file(&b, "#file", &zip).await;
    click_and_load(
        &b,
        "form[enctype='multipart/form-data'] button[type=submit]",
    )
    .await;
    let imported = b.text("main").await;
    assert!(imported.contains(RECEIPT), "{imported}");
    a11y.check(&b, "applications import result").await;
    click_and_load(&b, "a[href='/console/municipal/applications']").await;
    a11y.check(&b, "applications").await;
    click_and_load(
        &b,
        &format!("a[href='/console/municipal/applications/{RECEIPT}']"),
    )
    .await;
    assert!(b.text("main").await.contains(&sheet_id));
    a11y.check(&b, "application").await;
    // Another application of the download, with its paper sheet and a photo: listed, each a
    // download of the bytes received.
    b.goto("/console/municipal/applications/241010089569355")
        .await
        .unwrap();
    let listed = b.text("main").await;
    assert!(
        listed.contains("rinsho.pdf") && listed.contains("photo.jpg"),
        "{listed}"
    );
    a11y.check(&b, "application with attachments").await;
    let photo = download(
        &b,
        "/console/municipal/applications/241010089569355/attachments/1",
    )
    .await;
    assert!(photo.starts_with(b"\xFF\xD8\xFF"), "the JPEG as received");
    b.goto("/console/municipal/applications").await.unwrap();

    // The back office's decision: 認定, applied to the application and its sheet.
    click_and_load(&b, "a[href='/console/municipal/decisions']").await;
    a11y.check(&b, "decisions").await;
    choose_file(&b, "#file", &decisions).await;
    b.client()
        .find(Locator::Css("#layout"))
        .await
        .unwrap()
        .select_by_value("city-a")
        .await
        .unwrap();
    click_and_load(
        &b,
        "form[action='/console/municipal/decisions'] button[type=submit]",
    )
    .await;
    let applied = b.text("main").await;
    assert!(
        applied.contains("反映した決定: 1")
            && applied.contains(RECEIPT)
            && applied.contains("認定"),
        "{applied}"
    );
    a11y.check(&b, "decisions result").await;
    click_and_load(&b, "a[href='/console/municipal/exports']").await;
    a11y.check(&b, "exports").await;
    b.close().await;

    // The national DB refused the signature: a dead letter waits for an operator.
    let admin_api = gw.admin("admin-api").await;
    let started = Instant::now();
    while dead_letters(&admin_api).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no dead letter"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(receiver.receipts().await.is_empty());
    // The operator fixes the key.
    let config = std::fs::read_to_string(gw.config()).unwrap();
    std::fs::write(gw.config(), config.replace(&signing_line, "")).unwrap();
    gw.restart();

    // The administrator, second factor and all, retries it from the deliveries screen.
    let issued = gw.add_user("admin-ueda", OPERATOR, "administrator");
    let secret = issued["totp_secret"].as_str().unwrap();
    let initial = issued["initial_password"].as_str().unwrap();
    let b = Browser::start(&gw, Some(&Bundle::development(&gw, "operator"))).await;
    let log_in_with_code = async |password: &str| {
        b.goto("/console/login").await.unwrap();
        b.fill(
            "#totp",
            &common::unused_totp_code(secret, "admin-ueda").await,
        )
        .await;
        log_in(&b, "admin-ueda", password).await;
    };
    log_in_with_code(initial).await;
    assert_eq!(current_path(&b).await, "/console/password");
    b.fill("#current_password", initial).await;
    b.fill("#new_password", PASSWORD).await;
    b.fill("#new_password_again", PASSWORD).await;
    click_and_load(&b, "form[action='/console/password'] button[type=submit]").await;
    log_in_with_code(PASSWORD).await;
    assert_eq!(current_path(&b).await, "/console/");
    a11y.check(&b, "administrator home").await;

    b.goto("/console/admin/deliveries?status=dead")
        .await
        .unwrap();
    a11y.check(&b, "dead letters").await;
    screenshot(&b, "admin-deliveries").await;
    click_and_load(&b, "form[action$='/retry'] button[type=submit]").await;
    let started = Instant::now();
    while receiver.receipts().await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the retried delivery never arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The other screens, and the audit chain's check.
    for (path, screen) in [
        ("/console/admin/users", "users"),
        ("/console/admin/terminals", "terminals"),
        ("/console/admin/doctors", "doctor roster"),
    ] {
        b.goto(path).await.unwrap();
        a11y.check(&b, screen).await;
    }
    b.goto("/console/admin/audit?action=delivery.retry")
        .await
        .unwrap();
    assert!(b.text("main").await.contains("admin-ueda"));
    a11y.check(&b, "audit").await;
    click_and_load(
        &b,
        "form[action='/console/admin/audit/verify'] button[type=submit]",
    )
    .await;
    let checked = b.text("main").await;
    assert!(checked.contains("ハッシュチェーンは正常です"), "{checked}");
    a11y.check(&b, "audit check").await;
    b.close().await;

    assert!(a11y.screens >= 15, "{} screens checked", a11y.screens);
    assert!(
        a11y.violations.is_empty(),
        "serious or critical accessibility violations: {:#?}",
        a11y.violations
    );
}
