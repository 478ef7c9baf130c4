//! The hospital's screens in a real browser (headless Chromium presenting the hospital's
//! terminal certificate): a clerk logs in for the first time (changing the initial password),
//! uploads Hospital A's CSV, opens the sheet with an error, corrects it in the editor and
//! saves; the doctor logs in, confirms and sees the access key once. axe-core finds no serious
//! or critical violation on any screen visited. With `KAKEHASHI_SCREENSHOTS=1` the main
//! screens are saved to docs/console/ (the README shows them).

#[path = "browser/mod.rs"]
mod browser;
mod common;

use browser::console::{Accessibility, click_and_load, current_path, log_in, screenshot};
use browser::{Browser, Bundle};
use common::{Gateway, HOSPITAL, PASSWORD};
use fantoccini::Locator;
use serde_json::Value;

/// A first login: the initial password, then its forced change, then the login again.
async fn first_login(b: &Browser, a11y: &mut Accessibility, gw: &Gateway, user: &str, role: &str) {
    let issued = gw.add_user(user, HOSPITAL, role);
    let initial = issued["initial_password"].as_str().unwrap();
    b.goto("/console/login").await.unwrap();
    log_in(b, user, initial).await;
    assert_eq!(
        current_path(b).await,
        "/console/password",
        "{}",
        b.text("body").await
    );
    a11y.check(b, "password change").await;
    b.fill("#current_password", initial).await;
    b.fill("#new_password", PASSWORD).await;
    b.fill("#new_password_again", PASSWORD).await;
    click_and_load(b, "form[action='/console/password'] button[type=submit]").await;
    assert_eq!(current_path(b).await, "/console/login?ended=changed");
    log_in(b, user, PASSWORD).await;
    assert_eq!(current_path(b).await, "/console/");
}

#[tokio::test]
async fn a_clerk_corrects_an_uploaded_sheet_and_the_doctor_confirms_it() {
    if browser::unavailable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        &dir.path().join("data"),
        "[security]\nrequests_per_second_per_terminal = 5000\nrequests_per_second_per_address = 5000\nconsole_result_wait_ms = 0\n",
    );
    let csv = dir.path().join("hospital-a.csv");
    std::fs::write(&csv, common::hospital_a_with_an_error()).unwrap();
    let mut a11y = Accessibility::default();
    let b = Browser::start(&gw, Some(&Bundle::development(&gw, "hospital"))).await;

    b.goto("/console/login").await.unwrap();
    a11y.check(&b, "login").await;
    screenshot(&b, "login").await;
    first_login(&b, &mut a11y, &gw, "clerk-ito", "clerk").await;
    a11y.check(&b, "dashboard (empty)").await;

    // Upload Hospital A's export.
    click_and_load(&b, "a[href='/console/upload']").await;
    a11y.check(&b, "upload").await;
    b.client()
        .find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    b.fill("#mapping", "hospital-a").await;
    click_and_load(&b, "form[action='/console/upload'] button[type=submit]").await;
    // The gateway hands the upload over to its progress page at once (`console_result_wait_ms =
    // 0`), which the browser reloads by itself until the result is there.
    let progress = current_path(&b).await;
    assert!(progress.starts_with("/console/uploads/"), "{progress}");
    // Checked with the reloading stopped, so that no reload comes in the middle.
    b.goto(&format!("{progress}?auto=off")).await.unwrap();
    a11y.check(&b, "upload progress").await;
    b.goto(&progress).await.unwrap();
    let started = std::time::Instant::now();
    let result = loop {
        let shown = match b.client().find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if shown.contains("調査票: ") {
            break shown;
        }
        assert!(started.elapsed().as_secs() < 120, "no result: {shown}");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    };
    assert!(result.contains("調査票: 130"), "{result}");
    assert!(result.contains("エラーのある調査票: 1"), "{result}");
    a11y.check(&b, "upload result").await;

    click_and_load(&b, "a[href='/console/']").await;
    assert!(b.text(".cards").await.contains("130"));
    a11y.check(&b, "dashboard").await;
    screenshot(&b, "dashboard").await;

    click_and_load(&b, "a[href='/console/sheets']").await;
    a11y.check(&b, "sheet list").await;
    screenshot(&b, "list").await;
    // Only the sheets with errors, through the filters.
    b.client()
        .find(Locator::Css("#findings"))
        .await
        .unwrap()
        .select_by_value("errors")
        .await
        .unwrap();
    click_and_load(&b, "form.filters button[type=submit]").await;
    assert!(b.text("main").await.contains("件数: 1"));
    click_and_load(&b, "table a").await;
    let sheet_path = current_path(&b).await;
    assert!(sheet_path.starts_with("/console/sheets/"), "{sheet_path}");
    let editor = b.text("main").await;
    assert!(editor.contains("date.future"), "{editor}");
    a11y.check(&b, "editor with an error").await;
    // The field with its finding beside it, in view.
    b.client()
        .execute(
            "document.getElementById('h-institution-date_written').scrollIntoView({block: 'center'});",
            Vec::new(),
        )
        .await
        .unwrap();
    screenshot(&b, "editor").await;
    // A clerk has no confirm button.
    assert!(
        b.client()
            .find(Locator::Css("form[action$='/confirm']"))
            .await
            .is_err()
    );

    // Correct the date written (記載年月日) and save; the checks run again.
    let today = chrono::Local::now().date_naive().to_string();
    b.client()
        .execute(
            "document.getElementById('h-institution-date_written').value = arguments[0];",
            vec![Value::String(today)],
        )
        .await
        .unwrap();
    click_and_load(&b, "form[action^='/console/sheets/'] button[type=submit]").await;
    assert!(current_path(&b).await.ends_with("?saved=1"));
    let saved = b.text("main").await;
    assert!(!saved.contains("date.future"), "{saved}");
    a11y.check(&b, "editor saved").await;

    // 新規: the disease search and a template's blank form; an error page; English.
    b.goto("/console/sheets/new?q=49&kind=nanbyo")
        .await
        .unwrap();
    a11y.check(&b, "new sheet: disease search").await;
    click_and_load(&b, "a[href='/console/sheets/new/nanbyo/49']").await;
    assert!(b.text("main").await.contains("下書きとして保存"));
    a11y.check(&b, "new sheet: form").await;
    b.goto("/console/no-such-screen").await.unwrap();
    assert!(b.text("main").await.contains("not_found"));
    a11y.check(&b, "not found").await;
    b.goto("/console/?lang=en").await.unwrap();
    assert!(b.text("main").await.contains("Awaiting the doctor"));
    a11y.check(&b, "dashboard in English").await;
    b.goto("/console/?lang=ja").await.unwrap();
    click_and_load(&b, "header form button[type=submit]").await;
    assert_eq!(current_path(&b).await, "/console/login?ended=logout");

    // The doctor confirms and sees the access key once.
    first_login(&b, &mut a11y, &gw, "dr-sato", "doctor").await;
    b.goto(&sheet_path).await.unwrap();
    click_and_load(&b, "form[action$='/confirm'] button[type=submit]").await;
    let key = b.text(".access-key").await;
    assert_eq!(key.len(), 24, "{key}");
    assert_eq!(key.matches('-').count(), 4, "{key}");
    let notice = b
        .client()
        .find(Locator::Css("a[download]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(notice.starts_with("data:application/pdf;base64,"));
    a11y.check(&b, "confirmed, with the key").await;
    screenshot(&b, "confirmed").await;
    b.goto(&sheet_path).await.unwrap();
    assert!(
        !b.text("main").await.contains(&key),
        "the key is shown once"
    );
    assert!(b.text("main").await.contains("登録済み"));
    b.close().await;

    eprintln!(
        "axe-core: {} screens, {} with serious or critical violations",
        a11y.screens,
        a11y.violations.len()
    );
    assert!(
        a11y.violations.is_empty(),
        "serious or critical accessibility violations: {:#?}",
        a11y.violations
    );
}
