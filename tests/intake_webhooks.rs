//! Apps' webhooks end to end, against the real binary and a real HTTPS receiver on loopback
//! that checks every signature with the secret it was given: an administrator sets a webhook
//! with the CLI and the app replaces it through the intake API (an http URL is refused); an
//! officer's status change reaches the receiver signed, with no personal data, retried after
//! a 500 under the same id; a receiver that keeps failing leaves the event failed and visible;
//! a removed webhook sends nothing more; every registration is audited.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::intake::{App, INTAKE, application, register_app, sheet_with_key};
use common::{Gateway, HOSPITAL, database, kakehashi, send};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use sha2::Sha256;

const WEBHOOK: &str = "/v1/intake/webhook";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    content_type: String,
    body: Vec<u8>,
}

/// The app's endpoint: records each request and answers the next queued status (200 once the
/// queue is empty; `/always-fails` always 500).
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    /// Serves HTTPS on a loopback port with the development PKI's server certificate (for
    /// `localhost`), no client certificate asked: a plain HTTP/1.1 reading over rustls, one
    /// request per connection. Its port.
    fn start(certs: &std::path::Path) -> (Self, u16) {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(certs.join("server.pem"))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_file(certs.join("server.key")).unwrap();
        let mut tls =
            rustls::ServerConfig::builder_with_provider(Arc::new(kakehashi_tls::crypto_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tls = Arc::new(tls);
        let receiver = Self::default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let serving = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (receiver, tls) = (serving.clone(), tls.clone());
                std::thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(tls).unwrap();
                    let mut stream = rustls::StreamOwned::new(connection, stream);
                    if let Some(status) = receiver.answer(&mut stream) {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                        stream.conn.send_close_notify();
                        let _ = stream.flush();
                    }
                });
            }
        });
        (receiver, port)
    }

    /// Reads one request, records it and says the status to answer (None: not a request).
    fn answer(&self, stream: &mut impl Read) -> Option<u16> {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let path = line.split_whitespace().nth(1)?.to_owned();
        let mut headers = std::collections::HashMap::new();
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).ok()?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':')?;
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let header = |name: &str| headers.get(name).cloned().unwrap_or_default();
        let mut body = vec![0; header("content-length").parse().ok()?];
        reader.read_exact(&mut body).ok()?;
        self.received.lock().unwrap().push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            content_type: header("content-type"),
            body,
            path: path.clone(),
        });
        if path == "/always-fails" {
            return Some(500);
        }
        Some(self.answers.lock().unwrap().pop_front().unwrap_or(200))
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most 20 s) until `n` requests came; them.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} requests came, not {n}", self.received().len());
    }
}

/// Checks a request's signature with `secret` as an app would (Standard Webhooks), and reads
/// its body.
fn verified(request: &Received, secret: &str) -> Value {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", request.id, request.timestamp).as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(
        request.signature, expected,
        "a signature that does not verify"
    );
    let sent_at: i64 = request.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    assert_eq!(request.content_type, "application/json");
    serde_json::from_slice(&request.body).unwrap()
}

fn config(data_dir: &std::path::Path) -> String {
    format!(
        "[security]\nrequests_per_second_per_terminal = 2000\nrequests_per_second_per_address = 2000\n\
         [webhooks]\nserver_ca = \"{}\"\nallow_private_networks = true\ninitial_backoff_ms = 200\nmax_backoff_seconds = 1\nmax_attempts = 3\n",
        data_dir.join("certs").join("ca.pem").display()
    )
}

impl App {
    fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.credential)
    }

    fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.credential)
    }
}

/// The app's webhook as it reads it, once it shows `failed` failed events (at most 20 s).
async fn webhook_with_failed(app: &App, failed: u64) -> Value {
    for _ in 0..200 {
        let (status, webhook) = send(app.get(WEBHOOK)).await;
        assert_eq!(status, StatusCode::OK, "{webhook}");
        if webhook["failed"] == failed {
            return webhook;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no event failed");
}

#[tokio::test]
async fn status_changes_reach_the_apps_webhook_signed_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let gw = Gateway::start(&data_dir, &config(&data_dir));
    let (receiver, port) = Receiver::start(&gw.certs());
    let officer = gw.officer("officer1").await;
    let doctor = gw.user("dr1", HOSPITAL, "doctor", "hospital").await;
    let pocket = register_app(&gw, "pocket", "pocket-app");
    let (status, _) = send(
        officer
            .post("/v1/applications/accepted-apps")
            .json(&json!({"app_id": "app:pocket", "accepted": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, key) = sheet_with_key(&doctor).await;

    // The administrator sets it with the CLI: the secret is printed once.
    let hook = format!("https://localhost:{port}/hook");
    let set: Value = serde_json::from_str(&kakehashi(
        &["apps", "webhook", "--app", "app:pocket", "--url", &hook],
        gw.config(),
    ))
    .unwrap();
    let cli_secret = set["secret"].as_str().unwrap().to_owned();
    assert!(cli_secret.starts_with("whsec_"), "{set}");

    // The app cannot set an http URL; it replaces the webhook with its own, a new secret.
    let (status, error) = send(
        pocket
            .put(WEBHOOK)
            .json(&json!({"url": format!("http://localhost:{port}/hook")})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["code"], "intake.webhook_url");
    assert!(!error["message_ja"].as_str().unwrap().is_empty());
    let (status, set) = send(pocket.put(WEBHOOK).json(&json!({ "url": hook }))).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let secret = set["secret"].as_str().unwrap().to_owned();
    assert_ne!(secret, cli_secret);
    let (status, shown) = send(pocket.get(WEBHOOK)).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["url"], hook.as_str());
    assert!(shown.get("secret").is_none(), "{shown}");
    assert!(!shown.to_string().contains(&secret[6..]), "{shown}");

    // Sent: no event (only a change of status makes one).
    let (status, receipt) = send(pocket.deliver(&application(&key))).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let id = receipt["id"].as_str().unwrap().to_owned();
    let receipt_number = receipt["receipt_number"].as_str().unwrap().to_owned();

    // The officer returns it (要再申請): the receiver answers 500 first, then 200.
    receiver.answers.lock().unwrap().push_back(500);
    let (status, moved) = send(
        officer
            .post(&format!("/v1/applications/{receipt_number}/status"))
            .json(&json!({"status": "resubmission_required"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let got = receiver.wait_for(2).await;
    assert_eq!(got[0].id, got[1].id, "a retry keeps its Webhook-Id");
    for request in &got {
        assert_eq!(request.path, "/hook");
        let event = verified(request, &secret);
        assert_eq!(
            event,
            json!({
                "event": "application.status_changed",
                "id": request.id,
                "application_id": id,
                "status": "resubmission_required",
                "status_ja": "要再申請",
                "occurred_at": event["occurred_at"],
            })
        );
        let text = String::from_utf8_lossy(&request.body);
        for personal in ["小野", "オノ", "1968", "0001016"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
    let (_, shown) = send(pocket.get(WEBHOOK)).await;
    assert_eq!(
        (&shown["pending"], &shown["failed"]),
        (&json!(0), &json!(0))
    );

    // An endpoint that keeps failing: three attempts, then the event stays failed, visible.
    let failing = format!("https://localhost:{port}/always-fails");
    let (status, set) = send(pocket.put(WEBHOOK).json(&json!({ "url": failing }))).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let failing_secret = set["secret"].as_str().unwrap().to_owned();
    let (status, moved) = send(
        officer
            .post(&format!("/v1/applications/{receipt_number}/status"))
            .json(&json!({"status": "processing"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let shown = webhook_with_failed(&pocket, 1).await;
    assert!(
        shown["last_failure"]
            .as_str()
            .unwrap()
            .contains("retry budget spent after 3 attempts"),
        "{shown}"
    );
    let got = receiver.received();
    assert_eq!(got.len(), 5, "{got:?}");
    for request in &got[2..] {
        assert_eq!(request.path, "/always-fails");
        assert_eq!(verified(request, &failing_secret)["status"], "processing");
    }

    // Removed: the withdrawal (取消受付) through the app is announced to nobody.
    let (status, _) = send(pocket.delete(WEBHOOK)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = send(pocket.get(WEBHOOK)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert_eq!(error["code"], "intake.no_webhook");
    let (status, error) = send(pocket.delete(WEBHOOK)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    let (status, withdrawn) = send(pocket.post(&format!("{INTAKE}/{id}/withdraw"))).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    assert_eq!(withdrawn["status"], "withdrawal_accepted");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 5);

    // Two events were written, for the two changes while a webhook was set; the secret is
    // sealed; every registration is audited.
    let mut conn = database(&data_dir).await;
    let events: Vec<(String, String)> =
        sqlx::query_as("SELECT status, state FROM webhook_events ORDER BY occurred_at")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        events,
        [
            ("resubmission_required".to_owned(), "delivered".to_owned()),
            ("processing".to_owned(), "failed".to_owned()),
        ]
    );
    let disk = common::at_rest(&data_dir).await;
    let needle = secret.as_bytes();
    assert!(
        !disk.windows(needle.len()).any(|w| w == needle),
        "the secret is in clear at rest"
    );
    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, outcome FROM audit_events WHERE action LIKE 'app.webhook%' ORDER BY seq",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let changes: Vec<(&str, &str)> = audit
        .iter()
        .map(|(a, o)| (a.as_str(), o.as_str()))
        .filter(|(a, _)| *a != "app.webhook_read")
        .collect();
    assert_eq!(
        changes,
        [
            ("app.webhook_set", "ok"),
            ("app.webhook_set", "refused"),
            ("app.webhook_set", "ok"),
            ("app.webhook_set", "ok"),
            ("app.webhook_remove", "ok"),
            ("app.webhook_remove", "not_found"),
        ]
    );
    assert!(audit.contains(&("app.webhook_read".to_owned(), "not_found".to_owned())));
}
