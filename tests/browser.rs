//! The gateway in a real browser: headless Chromium presents a terminal certificate from a
//! PKCS#12 bundle over mutual TLS, is refused without one, and the harness's accessibility
//! check, form helpers and screenshots work (tests/browser/ says how and why).

#[path = "browser/mod.rs"]
mod browser;
mod common;

use browser::{Browser, Bundle};
use common::{Gateway, HOSPITAL};
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};

#[tokio::test]
async fn chromium_presents_an_issued_terminal_certificate_and_is_refused_without_one() {
    if browser::unavailable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), "");
    let issued = Bundle::issue(&gw, "ward-7", "東京中央病院 7 階病棟", HOSPITAL);
    assert!(
        !gw.log().contains(&issued.password),
        "a password in the log"
    );
    // The password shown at issue was lost: a new bundle, which the old password cannot open.
    let bundle = Bundle::remake(&gw, "ward-7");
    assert_ne!(bundle.password, issued.password);
    let p12 = std::fs::read(&bundle.p12).unwrap();
    assert!(KeyStore::from_pkcs12(&p12, &issued.password, Pkcs12ImportPolicy::Relaxed).is_err());

    let with = Browser::start(&gw, Some(&bundle)).await;
    with.goto("/v1/healthz").await.unwrap();
    assert_eq!(with.text("body").await, r#"{"status":"ok"}"#);
    with.close().await;

    let without = Browser::start(&gw, None).await;
    let refused = match without.goto("/v1/healthz").await {
        // chromedriver reports the failed navigation…
        Err(error) => error.to_string(),
        // …or Chromium shows its error page.
        Ok(()) => without.text("body").await,
    };
    assert!(!refused.contains(r#""status":"ok""#), "{refused}");
    assert!(refused.contains("ERR_"), "{refused}");
    without.close().await;
}

#[tokio::test]
async fn axe_screenshots_and_form_helpers_work_in_the_browser() {
    if browser::unavailable() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(&dir.path().join("data"), "");
    let first = Bundle::development(&gw, "hospital");
    assert!(!gw.log().contains(&first.password), "a password in the log");
    // Made anew, a development bundle's kept password follows it.
    let bundle = Bundle::remake(&gw, "hospital");
    assert_ne!(bundle.password, first.password);
    assert_eq!(
        Bundle::development(&gw, "hospital").password,
        bundle.password
    );
    let b = Browser::start(&gw, Some(&bundle)).await;

    // The bare JSON answer is no page for people: no title, no language. axe-core says so,
    // which shows that the check runs and reports.
    b.goto("/v1/healthz").await.unwrap();
    let violations = b.axe_serious_or_critical().await;
    let ids: Vec<&str> = violations.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(ids.contains(&"document-title"), "{violations:?}");
    assert!(ids.contains(&"html-has-lang"), "{violations:?}");

    let png = dir.path().join("shots/healthz.png");
    b.screenshot(&png).await;
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");

    // A small accessible form: typed into, submitted, and clean for axe-core.
    b.client()
        .goto(
            "data:text/html;charset=utf-8,<!doctype html><html lang=ja><title>ログイン</title>\
             <main><h1>ログイン</h1><form onsubmit=\"event.preventDefault();\
             document.getElementById('out').textContent=document.getElementById('user').value\">\
             <label for=user>利用者ID</label><input id=user name=user value=old>\
             <button type=submit>ログイン</button></form><output id=out></output></main></html>",
        )
        .await
        .unwrap();
    b.fill("#user", "clerk1").await;
    b.click("button[type=submit]").await;
    assert_eq!(b.text("#out").await, "clerk1");
    assert_eq!(
        b.axe_serious_or_critical().await,
        Vec::<serde_json::Value>::new()
    );
    b.close().await;
}
