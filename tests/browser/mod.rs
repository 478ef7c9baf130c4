//! A real browser against the real gateway: headless Chromium, driven over WebDriver
//! (`chromedriver` and the `fantoccini` client), presenting a terminal certificate over mutual
//! TLS as a hospital's PC does.
//!
//! The console is used in a browser, so its tests must cross what a browser crosses: the
//! client-certificate handshake, the page as rendered, the keyboard, and the accessibility
//! rules (axe-core) that the Digital Agency's guidelines and JIS X 8341-3 rest on. Each
//! [`Browser`] gets a folder of its own that is its `HOME`: an NSS database
//! (`$HOME/.pki/nssdb`, where Chromium on Linux keeps certificates) with the gateway's CA
//! trusted and, when given, the terminal's PKCS#12 bundle imported; and a Chromium profile
//! whose content setting `auto_select_certificate` (the very setting the managed policy
//! `AutoSelectCertificateForUrls` fills) picks the development CA's certificate for the
//! gateway's origin without a dialog. So no root, no system-wide policy file and nothing of
//! the developer's own browser is touched.
//!
//! Debian's `chromium`, `chromium-driver` and `libnss3-tools` are needed (scripts/setup.sh
//! installs them) and axe-core from npm in `tests/browser/node_modules` (setup.sh too).
//! Without the browser the tests fail, unless `KAKEHASHI_BROWSER_TESTS=optional` is set, in
//! which case they say why and pass.
//!
//! A test file uses it next to `common` (the module's path must be given, since
//! `tests/browser.rs` exists too):
//!
//! ```ignore
//! mod common;
//! #[path = "browser/mod.rs"]
//! mod browser;
//!
//! let gw = common::Gateway::start(&dir, "");
//! if browser::unavailable() { return; }
//! let b = browser::Browser::start(&gw, Some(&browser::Bundle::development(&gw, "hospital"))).await;
//! b.goto("/console/login").await.unwrap();
//! b.fill("#user", "clerk1").await;
//! b.click("button[type=submit]").await;
//! assert_eq!(b.axe_serious_or_critical().await, Vec::<serde_json::Value>::new());
//! b.screenshot("docs/console/login.png").await;
//! b.close().await;
//! ```
// Each test file uses its own part of the harness.
#![allow(dead_code)]

pub mod console;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{Gateway, kakehashi};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The issuer CN of the development CA's certificates (crates/tls, `ca_params`).
const DEVELOPMENT_CA: &str = "Kakehashi development CA";
/// Set to `optional` to let the browser tests pass, saying why, on a machine without Chromium.
const OPTIONAL_VARIABLE: &str = "KAKEHASHI_BROWSER_TESTS";

/// True when the browser tests cannot run here and may be skipped: Chromium, chromedriver or
/// NSS's tools are missing and `KAKEHASHI_BROWSER_TESTS=optional`. Missing without that
/// variable (as in scripts/test.sh and CI), it panics, saying what to install.
pub fn unavailable() -> bool {
    let missing: Vec<&str> = [
        CHROMIUM,
        CHROMEDRIVER,
        "/usr/bin/certutil",
        "/usr/bin/pk12util",
    ]
    .into_iter()
    .filter(|tool| !Path::new(tool).exists())
    .collect();
    if missing.is_empty() {
        return false;
    }
    let message = format!(
        "browser tests need {} (Debian chromium, chromium-driver, libnss3-tools: run scripts/setup.sh)",
        missing.join(", ")
    );
    if std::env::var(OPTIONAL_VARIABLE).as_deref() == Ok("optional") {
        eprintln!("skipped: {message}; {OPTIONAL_VARIABLE}=optional");
        return true;
    }
    panic!("{message}, or set {OPTIONAL_VARIABLE}=optional to skip them");
}

/// A terminal's PKCS#12 bundle and its password.
pub struct Bundle {
    pub p12: PathBuf,
    pub password: String,
}

impl Bundle {
    /// The bundle of a development terminal (`hospital`, `municipality`, `operator`), with
    /// the password the development PKI keeps beside it.
    pub fn development(gw: &Gateway, terminal: &str) -> Self {
        let certs = gw.certs();
        let password = std::fs::read_to_string(certs.join(format!("{terminal}.p12.password")))
            .expect("the development PKI keeps each bundle's password");
        Self {
            p12: certs.join(format!("{terminal}.p12")),
            password: password.trim_end().to_owned(),
        }
    }

    /// Issues terminal `name`'s certificate (subject O `organisation_name`) with `kakehashi
    /// certs issue`, reading the bundle's password from the one line that shows it, and
    /// permits the terminal for the organisation `organisation` (`kind:code`).
    pub fn issue(gw: &Gateway, name: &str, organisation_name: &str, organisation: &str) -> Self {
        let out = kakehashi(
            &["certs", "issue", name, "--organisation", organisation_name],
            gw.config(),
        );
        let password = password_shown(&out);
        kakehashi(
            &["terminals", "add", name, "--organisation", organisation],
            gw.config(),
        );
        Self {
            p12: gw.certs().join(format!("{name}.p12")),
            password,
        }
    }

    /// Writes terminal `name`'s bundle anew with `kakehashi certs bundle`, under a new password.
    pub fn remake(gw: &Gateway, name: &str) -> Self {
        let out = kakehashi(&["certs", "bundle", name], gw.config());
        Self {
            p12: gw.certs().join(format!("{name}.p12")),
            password: password_shown(&out),
        }
    }
}

/// Headless Chromium under chromedriver, with a home of its own; quit by [`Browser::close`],
/// killed (with chromedriver) when dropped.
pub struct Browser {
    client: Client,
    base: String,
    driver: Child,
    _home: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium for `gw`, trusting its CA and, when `bundle` is given, presenting that
    /// terminal's certificate to it.
    pub async fn start(gw: &Gateway, bundle: Option<&Bundle>) -> Self {
        let home = tempfile::tempdir().unwrap();
        let nssdb = home.path().join(".pki/nssdb");
        std::fs::create_dir_all(&nssdb).unwrap();
        let db = format!("sql:{}", nssdb.display());
        tool("certutil", &["-N", "--empty-password", "-d", &db]);
        let ca = gw.certs().join("ca.pem");
        let ca = ca.to_str().unwrap();
        tool(
            "certutil",
            &["-A", "-d", &db, "-t", "C,,", "-n", "kakehashi-ca", "-i", ca],
        );
        if let Some(bundle) = bundle {
            let p12 = bundle.p12.to_str().unwrap();
            tool("pk12util", &["-i", p12, "-d", &db, "-W", &bundle.password]);
        }
        let profile = home.path().join("profile");
        write_certificate_choice(&profile, &gw.base);

        let mut driver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .env("HOME", home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so that dropping the browser ends Chromium's processes too.
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let port = driver_port(&mut driver);
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    // Root (as CI runs) cannot use Chromium's sandbox; the pages are our own.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--window-size=1280,900",
                    "--lang=ja",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with Chromium");
        Self {
            client,
            base: gw.base.clone(),
            driver,
            _home: home,
        }
    }

    /// Opens `path` on the gateway (`/v1/healthz`, `/console/login`); an error when the page
    /// cannot be loaded at all (a refused handshake, for one).
    pub async fn goto(&self, path: &str) -> Result<(), fantoccini::error::CmdError> {
        self.client.goto(&format!("{}{path}", self.base)).await
    }

    /// The text of the first element matching the CSS `selector`, as rendered.
    pub async fn text(&self, selector: &str) -> String {
        self.element(selector).await.text().await.unwrap()
    }

    /// Types `value` into the field matching `selector`, after clearing it.
    pub async fn fill(&self, selector: &str, value: &str) {
        let field = self.element(selector).await;
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the element matching `selector`.
    pub async fn click(&self, selector: &str) {
        self.element(selector).await.click().await.unwrap();
    }

    /// Runs axe-core on the current page; the violations of impact `serious` or `critical`
    /// (axe's own JSON: `id`, `impact`, `help`, `nodes`…), none when the page passes.
    pub async fn axe_serious_or_critical(&self) -> Vec<Value> {
        let axe = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/browser/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&axe).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (scripts/setup.sh installs axe-core)",
                axe.display()
            )
        });
        self.client.execute(&source, Vec::new()).await.unwrap();
        let outcome = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done({ violations: r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical') }))
                   .catch(e => done({ error: String(e) }));",
                Vec::new(),
            )
            .await
            .unwrap();
        assert!(outcome.get("error").is_none(), "axe-core failed: {outcome}");
        outcome["violations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Saves a PNG of the window at `path`, making its folder.
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).unwrap();
        }
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// The WebDriver client, for what the helpers above do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the session: Chromium quits, then chromedriver is stopped.
    pub async fn close(self) {
        // Drop stops chromedriver.
        let _ = self.client.clone().close().await;
    }

    async fn element(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no element {selector:?}: {e}"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: chromedriver and the Chromium it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

/// The profile's content setting that presents, to `origin` only, a certificate issued by the
/// development CA without asking (what `AutoSelectCertificateForUrls` would set).
fn write_certificate_choice(profile: &Path, origin: &str) {
    let preferences = json!({
        "profile": { "content_settings": { "exceptions": { "auto_select_certificate": {
            format!("{origin},*"): {
                "setting": { "filters": [ { "ISSUER": { "CN": DEVELOPMENT_CA } } ] }
            }
        } } } }
    });
    let default = profile.join("Default");
    std::fs::create_dir_all(&default).unwrap();
    std::fs::write(default.join("Preferences"), preferences.to_string()).unwrap();
}

/// The port chromedriver listens on, from its start-up line.
fn driver_port(driver: &mut Child) -> u16 {
    let stdout = driver.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let port = loop {
        line.clear();
        if reader.read_line(&mut line).expect("chromedriver's output") == 0 {
            panic!("chromedriver exited before listening");
        }
        if let Some(rest) = line.trim_end().strip_suffix('.')
            && let Some(port) = rest.strip_prefix("ChromeDriver was started successfully on port ")
        {
            break port.parse().expect("a port number");
        }
    };
    // Keep reading so that chromedriver never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    port
}

/// The bundle password that `kakehashi certs issue|bundle` shows: the last word of its
/// `password of …` line.
fn password_shown(out: &str) -> String {
    out.lines()
        .find(|line| line.starts_with("password of "))
        .and_then(|line| line.rsplit(' ').next())
        .expect("the CLI shows the bundle's password")
        .to_owned()
}

/// Runs one of NSS's tools; panics with its message when it fails.
fn tool(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (libnss3-tools): {e}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
