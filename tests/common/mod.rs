//! A running `kakehashi serve` for end-to-end tests and benchmarks: the real binary on an
//! ephemeral loopback port over a temporary data directory, with its development PKI, stopped
//! when dropped; and clients that present a terminal's certificate and log in as a person.
#![allow(dead_code)]

pub mod console;
pub mod crash;
pub mod exports;
pub mod instances;
pub mod intake;
pub mod link;
pub mod municipal;
pub mod push;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::{Certificate, Client, Identity, StatusCode};
use serde_json::{Value, json};

pub const HOSPITAL: &str = "hospital:1310000017";
pub const MUNICIPALITY: &str = "municipality:130001";
pub const OPERATOR: &str = "operator:kakehashi";
/// The password every test user changes to at first login.
pub const PASSWORD: &str = "correct-horse-battery-staple";

pub struct Gateway {
    child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    config_path: PathBuf,
}

/// Where a process started by these tests writes its log (standard error): beside its data.
fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.with_extension("log")
}

/// The `store` line of a test gateway's configuration: none for SQLite in `data_dir`, or its
/// own PostgreSQL database when `KAKEHASHI_TEST_DATABASE_URL` is set (top-level, so that the
/// lines a test adds after it stay where they were meant).
pub fn store_line(data_dir: &Path) -> String {
    match store_location(data_dir) {
        kakehashi::store::StoreLocation::Embedded(_) => String::new(),
        kakehashi::store::StoreLocation::Postgres(url) => {
            format!("store = {{ url = \"{url}\" }}\n")
        }
    }
}

/// Where the store of a test gateway on `data_dir` lives (see `store::test_database`).
pub fn store_location(data_dir: &Path) -> kakehashi::store::StoreLocation {
    let data_dir = data_dir.to_owned();
    // Its own thread and runtime: callers may be inside a test's runtime.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(kakehashi::store::test_database::location_for_test(
                &data_dir,
            ))
            .expect("a test database")
    })
    .join()
    .expect("the test database is made")
}

/// Whether this run's gateways store on PostgreSQL (`KAKEHASHI_TEST_DATABASE_URL` is set).
pub fn on_postgres() -> bool {
    std::env::var_os(kakehashi::store::test_database::TEST_DATABASE_URL).is_some()
}

/// A connection to the database of the test gateway on `data_dir`, from outside it.
pub async fn database(data_dir: &Path) -> sqlx::AnyConnection {
    kakehashi::store::test_database::connect(&store_location(data_dir))
        .await
        .expect("a connection to the test database")
}

/// Everything the database of the test gateway on `data_dir` holds at rest (see
/// `store::test_database::at_rest`); look into it with `in_clear`.
pub async fn at_rest(data_dir: &Path) -> Vec<u8> {
    kakehashi::store::test_database::at_rest(&store_location(data_dir))
        .await
        .expect("the test database at rest")
}

#[allow(unused_imports)]
pub use kakehashi::store::test_database::contains_in_clear as in_clear;

/// Makes a data directory as an operator must: mode 0700 (the gateway refuses one that group
/// or others may open).
pub fn private_dir(path: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(path)
        .expect("a data directory");
}

/// Runs a `kakehashi` subcommand on the gateway's configuration; returns its stdout.
pub fn kakehashi(args: &[&str], config: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("KAKEHASHI_LOG", "warn")
        .output()
        .expect("kakehashi runs");
    assert!(
        output.status.success(),
        "kakehashi {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

impl Gateway {
    /// Starts the gateway on `data_dir` with extra `kakehashi.toml` lines; the development
    /// PKI is made on the way.
    pub fn start(data_dir: &Path, config: &str) -> Self {
        let config_path = data_dir.with_extension("toml");
        std::fs::write(
            &config_path,
            format!(
                "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n{}{config}",
                data_dir.display(),
                store_line(data_dir)
            ),
        )
        .unwrap();
        let (child, base) = spawn_listening(&["serve", "--config"], &config_path, data_dir);
        Self {
            child,
            base,
            data_dir: data_dir.to_owned(),
            config_path,
        }
    }

    /// Appends lines to the configuration (read at the next start).
    pub fn configure(&self, lines: &str) {
        let mut config = std::fs::read_to_string(&self.config_path).unwrap();
        config.push_str(lines);
        std::fs::write(&self.config_path, config).unwrap();
    }

    /// Kills the process with SIGKILL, as a power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the gateway again on the same data and configuration (killing it first if it
    /// runs). The address may change.
    pub fn restart(&mut self) {
        self.kill();
        // Keep the port, so that clients and sessions carry on.
        let addr = self.base.rsplit('/').next().unwrap().to_owned();
        let config = std::fs::read_to_string(&self.config_path).unwrap();
        std::fs::write(
            &self.config_path,
            config.replace("listen = \"127.0.0.1:0\"", &format!("listen = \"{addr}\"")),
        )
        .unwrap();
        let (child, base) =
            spawn_listening(&["serve", "--config"], &self.config_path, &self.data_dir);
        self.child = child;
        self.base = base;
    }

    /// Starts the reference receiver with this gateway's development PKI, on `data_dir`.
    pub fn start_receiver(&self, data_dir: &Path) -> Receiver {
        let certs = self.certs();
        let (child, base) = spawn_listening(
            &[
                "receiver",
                "--listen",
                "127.0.0.1:0",
                "--certs-dir",
                certs.to_str().unwrap(),
                "--data-dir",
            ],
            data_dir,
            data_dir,
        );
        Receiver {
            child: Some(child),
            base,
            client: self.client(Some("gateway")),
            certs,
            data_dir: data_dir.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The process id of the running gateway (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the gateway has logged so far (all its starts).
    pub fn log(&self) -> String {
        std::fs::read_to_string(log_path(&self.data_dir)).unwrap_or_default()
    }

    /// `GET /metrics` through the hospital's terminal.
    pub async fn metrics(&self) -> String {
        self.client(Some("hospital"))
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn config(&self) -> &Path {
        &self.config_path
    }

    pub fn certs(&self) -> PathBuf {
        self.data_dir.join("certs")
    }

    /// A client presenting terminal `name`'s certificate (none when `name` is None), trusting
    /// only the development CA.
    pub fn client(&self, name: Option<&str>) -> Client {
        let certs = self.certs();
        let ca = std::fs::read(certs.join("ca.pem")).unwrap();
        let mut builder = Client::builder()
            .tls_certs_only([Certificate::from_pem(&ca).unwrap()])
            .no_proxy();
        if let Some(name) = name {
            let mut pem = std::fs::read(certs.join(format!("{name}.pem"))).unwrap();
            pem.extend(std::fs::read(certs.join(format!("{name}.key"))).unwrap());
            builder = builder.identity(Identity::from_pem(&pem).unwrap());
        }
        builder.build().unwrap()
    }

    /// Registers an organisation (`kind` hospital or municipality) with a terminal of its own
    /// and that terminal's certificate, through the CLI.
    pub fn add_organisation(&self, kind: &str, code: &str, name: &str, terminal: &str) {
        let config = &self.config_path;
        kakehashi(
            &[
                "organisations",
                "add",
                "--kind",
                kind,
                "--code",
                code,
                "--name",
                name,
            ],
            config,
        );
        kakehashi(
            &["certs", "issue", terminal, "--organisation", name],
            config,
        );
        let organisation = format!("{kind}:{code}");
        kakehashi(
            &[
                "terminals",
                "add",
                terminal,
                "--organisation",
                &organisation,
            ],
            config,
        );
    }

    /// Creates a user with the CLI; returns the CLI's JSON (initial password, TOTP secret).
    pub fn add_user(&self, user: &str, organisation: &str, role: &str) -> Value {
        let out = kakehashi(
            &[
                "users",
                "add",
                "--user",
                user,
                "--organisation",
                organisation,
                "--role",
                role,
                "--name",
                user,
            ],
            &self.config_path,
        );
        serde_json::from_str(&out).unwrap()
    }

    /// Creates a user and logs them in through `terminal`, changing the initial password on
    /// the way; returns an authenticated session.
    pub async fn user(
        &self,
        user: &str,
        organisation: &str,
        role: &str,
        terminal: &str,
    ) -> Session {
        let issued = self.add_user(user, organisation, role);
        let client = self.client(Some(terminal));
        let totp = issued["totp_secret"].as_str().map(str::to_owned);
        let first = login(
            self,
            &client,
            user,
            issued["initial_password"].as_str().unwrap(),
            totp.as_deref(),
        )
        .await;
        assert_eq!(first.0, StatusCode::OK, "{}", first.1);
        assert_eq!(first.1["scope"], "password_change");
        let token = first.1["token"].as_str().unwrap();
        let (status, body) = send(
            client
                .post(self.url("/v1/auth/password"))
                .bearer_auth(token)
                .json(&json!({
                    "current_password": issued["initial_password"],
                    "new_password": PASSWORD,
                })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.session(user, terminal, totp.as_deref()).await
    }

    /// Creates an administrator of the operator and logs them in through the operator's
    /// terminal, second factor included, changing the initial password on the way.
    pub async fn admin(&self, user: &str) -> Session {
        let issued = self.add_user(user, OPERATOR, "administrator");
        let client = self.client(Some("operator"));
        let secret = issued["totp_secret"].as_str().unwrap();
        let initial = issued["initial_password"].as_str().unwrap();
        let (status, first) = login(self, &client, user, initial, Some(secret)).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let (status, body) = send(
            client
                .post(self.url("/v1/auth/password"))
                .bearer_auth(first["token"].as_str().unwrap())
                .json(&json!({"current_password": initial, "new_password": PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.session(user, "operator", Some(secret)).await
    }

    /// A municipal officer of [`MUNICIPALITY`], logged in at its terminal.
    pub async fn officer(&self, user: &str) -> Session {
        self.user(user, MUNICIPALITY, "municipal_officer", "municipality")
            .await
    }

    /// Logs an existing user (password already changed) in through `terminal`.
    pub async fn session(&self, user: &str, terminal: &str, totp_secret: Option<&str>) -> Session {
        let client = self.client(Some(terminal));
        let (status, body) = login(self, &client, user, PASSWORD, totp_secret).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["scope"], "full");
        Session {
            client,
            token: body["token"].as_str().unwrap().to_owned(),
            base: self.base.clone(),
            terminal: terminal.to_owned(),
        }
    }
}

/// Runs `kakehashi ARGS LAST` and waits for the line that says where it listens; its log is
/// appended to [`log_path`] of `data_dir`.
fn spawn_listening(args: &[&str], last: &Path, data_dir: &Path) -> (Child, String) {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(data_dir))
        .expect("a log file beside the data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .arg(last)
        // Spans and their log lines on, as in production: a span misused across an await
        // only shows with them.
        .env("KAKEHASHI_LOG", "info")
        // libtesseract's OpenMP threads only slow OCR down on two cores.
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("kakehashi starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let base = loop {
        line.clear();
        if reader.read_line(&mut line).expect("a start-up line") == 0 {
            panic!("kakehashi {args:?} exited before listening");
        }
        if let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        {
            break url.to_owned();
        }
    };
    // Keep reading so that the process never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    (child, base)
}

/// The reference receiver (`kakehashi receiver`), stopped when dropped.
pub struct Receiver {
    child: Option<Child>,
    pub base: String,
    client: Client,
    certs: PathBuf,
    data_dir: PathBuf,
}

impl Receiver {
    /// The delivery endpoint, with the host name the development server certificate names.
    pub fn endpoint(&self) -> String {
        let port = self.base.rsplit(':').next().unwrap().trim_end_matches('/');
        format!("https://localhost:{port}/v1/deliveries")
    }

    /// `GET /v1/receipts`.
    pub async fn receipts(&self) -> Vec<Value> {
        let (status, body) = send(self.client.get(format!("{}/v1/receipts", self.base))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().unwrap().clone()
    }

    /// `GET /v1/stats`.
    pub async fn stats(&self) -> Value {
        let (status, body) = send(self.client.get(format!("{}/v1/stats", self.base))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Stops it (the port closes).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and data.
    pub fn start_again(&mut self) {
        self.stop();
        let listen = self
            .base
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_owned();
        let (child, base) = spawn_listening(
            &[
                "receiver",
                "--listen",
                &listen,
                "--certs-dir",
                self.certs.to_str().unwrap(),
                "--data-dir",
            ],
            &self.data_dir,
            &self.data_dir,
        );
        self.child = Some(child);
        self.base = base;
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TOTP code of `secret` the gateway has not seen yet, as an authenticator app shows it: the
/// gateway takes each code once, so a second login within one 30-second step takes the next
/// step's code (accepted as one step of clock skew) and a third waits for the clock.
pub async fn unused_totp_code(secret: &str, user: &str) -> String {
    use kakehashi::auth::totp;
    static LAST_STEP: std::sync::Mutex<Option<std::collections::HashMap<String, u64>>> =
        std::sync::Mutex::new(None);
    let step = {
        let mut last = LAST_STEP.lock().unwrap();
        let last = last.get_or_insert_with(Default::default);
        let step = last.get(secret).map_or(totp::current_step(), |used| {
            (used + 1).max(totp::current_step())
        });
        last.insert(secret.to_owned(), step);
        step
    };
    while step > totp::current_step() + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    totp::code_for_step(secret, user, step).unwrap()
}

/// Logs in; an administrator's TOTP code is computed from `totp_secret`.
pub async fn login(
    gw: &Gateway,
    client: &Client,
    user: &str,
    password: &str,
    totp_secret: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({ "user_id": user, "password": password });
    if let Some(secret) = totp_secret {
        body["totp"] = json!(unused_totp_code(secret, user).await);
    }
    send(client.post(gw.url("/v1/auth/login")).json(&body)).await
}

/// Sends a request; the status and the JSON body (Null when there is none).
pub async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Posts CSV bytes; the status and the JSON body, or None when the connection died before an
/// answer (a crash test's unacknowledged request).
pub async fn post_csv(session: &Session, path: &str, body: Vec<u8>) -> Option<(StatusCode, Value)> {
    let response = session
        .post(path)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .ok()?;
    let status = response.status();
    let body: Value = response.json().await.ok()?;
    Some((status, body))
}

/// A logged-in person at a terminal.
#[derive(Clone)]
pub struct Session {
    pub client: Client,
    pub token: String,
    base: String,
    terminal: String,
}

impl Session {
    /// Submits Hospital A's CSV export as this session and answers the id of its first sheet
    /// without error findings.
    pub async fn clean_sheet_of_hospital_a(&self) -> String {
        let (status, submission) = send(
            self.post("/v1/submissions?mapping=hospital-a")
                .header("content-type", "text/csv")
                .body(std::fs::read(corpus("hospital-a.csv")).unwrap()),
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{submission}");
        submission["sheets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["has_errors"] == false)
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .expect("a sheet without errors")
    }

    /// The same session at another gateway instance (`base`, on the same database and PKI),
    /// over a connection of its own.
    pub fn at(&self, base: &str) -> Session {
        Session {
            client: self.client.clone(),
            token: self.token.clone(),
            base: base.to_owned(),
            terminal: self.terminal.clone(),
        }
    }

    /// The same session over new connections (after the gateway restarted, the pooled ones
    /// are dead).
    pub fn reconnect(&mut self, gw: &Gateway) {
        self.client = gw.client(Some(&self.terminal));
        self.base = gw.base.clone();
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // The test failed: show what the gateway logged.
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- gateway log (last {} lines) ---", tail.len());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// A file of the conformance corpus.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/corpus/csv")
        .join(name)
}

/// The text `pdftotext -layout` (poppler-utils) extracts from a PDF.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Hospital A's CSV with its first sheet written in the future (記載年月日 2099-01-01): one
/// sheet with an error (`date.future`) for a person to correct.
pub fn hospital_a_with_an_error() -> Vec<u8> {
    let bytes = std::fs::read(corpus("hospital-a.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = header
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == "記載年月日")
        .unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for (index, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let fields: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if index == 0 && i == column {
                    "2099-01-01"
                } else {
                    f
                }
            })
            .collect();
        writer.write_record(&fields).unwrap();
    }
    writer.into_inner().unwrap()
}
