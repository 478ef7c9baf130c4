//! The console's screens as a browser test goes through them: pages loaded after a click or a
//! key, the login form, axe-core's verdicts collected screen by screen, and screenshots for
//! docs/console/ when `KAKEHASHI_SCREENSHOTS=1`.

use std::path::PathBuf;

use fantoccini::Locator;
use serde_json::Value;

use super::Browser;

/// axe-core's verdicts, by screen.
#[derive(Default)]
pub struct Accessibility {
    pub violations: Vec<(String, Vec<Value>)>,
    pub screens: usize,
}

impl Accessibility {
    pub async fn check(&mut self, b: &Browser, screen: &str) {
        self.screens += 1;
        let found = b.axe_serious_or_critical().await;
        if !found.is_empty() {
            self.violations.push((screen.to_owned(), found));
        }
    }
}

/// Saves a screenshot to docs/console/NAME.png when KAKEHASHI_SCREENSHOTS=1.
pub async fn screenshot(b: &Browser, name: &str) {
    if std::env::var("KAKEHASHI_SCREENSHOTS").as_deref() == Ok("1") {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("docs/console")
            .join(format!("{name}.png"));
        b.screenshot(path).await;
    }
}

/// Does `act` (a click, a key) and waits until the page it leads to has loaded (the old page
/// gone, the new one complete).
pub async fn and_load<F: std::future::Future<Output = ()>>(b: &Browser, act: F) {
    let old = b.client().find(Locator::Css("html")).await.unwrap();
    act.await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.client()
        .wait()
        .for_element(Locator::Css("main"))
        .await
        .unwrap();
}

/// Clicks what `selector` names and waits until the page it leads to has loaded.
pub async fn click_and_load(b: &Browser, selector: &str) {
    and_load(b, b.click(selector)).await;
}

/// The path (and query) of the page the browser shows.
pub async fn current_path(b: &Browser) -> String {
    let url = b.client().current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Logs in on the login screen (the browser is on it).
pub async fn log_in(b: &Browser, user: &str, password: &str) {
    b.fill("#user_id", user).await;
    b.fill("#password", password).await;
    click_and_load(b, "form[action='/console/login'] button[type=submit]").await;
}
