//! The reference receiver over real sockets and real mutual-TLS handshakes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kakehashi_envelope::{
    ENCRYPTION_PUBLIC_FILE, RecipientKey, SIGNING_KEY_FILE, SigningKey, generate_dev_keys, seal,
};
use kakehashi_receiver::protocol::{Problem, Receipt, ReceiptSummary, Stats};
use kakehashi_receiver::{Receiver, ReceiverConfig};
use kakehashi_tls::{ClientSpec, init_dev_pki};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

const SHEET: &str = include_str!("../../../conformance/examples/nanbyo-002-als.json");
const GATEWAY: &str = "gateway";

/// A development PKI with payload keys, the way `kakehashi certs init` makes one.
fn dev_pki(dir: &Path) -> PathBuf {
    let certs = dir.join("certs");
    init_dev_pki(&certs, &[ClientSpec::new(GATEWAY, "架け橋ゲートウェイ")]).unwrap();
    generate_dev_keys(&certs).unwrap();
    certs
}

/// A running receiver with its own PKI and data directory, and a gateway client for it.
struct Harness {
    dir: TempDir,
    certs: PathBuf,
    url: String,
    client: reqwest::Client,
    signer: SigningKey,
    recipient: RecipientKey,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Harness {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(adjust: impl FnOnce(&mut ReceiverConfig)) -> Self {
        let dir = TempDir::new().unwrap();
        let certs = dev_pki(dir.path());
        let mut harness = Self {
            signer: SigningKey::from_pem_file(&certs.join(SIGNING_KEY_FILE)).unwrap(),
            recipient: RecipientKey::from_pem_file(&certs.join(ENCRYPTION_PUBLIC_FILE)).unwrap(),
            client: client(&certs, Some((&certs, GATEWAY))),
            dir,
            certs,
            url: String::new(),
            stop: None,
            task: None,
        };
        harness.serve(adjust).await;
        harness
    }

    async fn serve(&mut self, adjust: impl FnOnce(&mut ReceiverConfig)) {
        let mut config = ReceiverConfig::from_dev_pki(&self.certs, &self.dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
        let receiver = Receiver::bind(config).await.unwrap();
        self.url = format!("https://127.0.0.1:{}", receiver.local_addr().port());
        let (stop, stopped) = oneshot::channel();
        self.stop = Some(stop);
        self.task = Some(tokio::spawn(async move {
            receiver
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        }));
    }

    async fn restart(&mut self) {
        if let (Some(stop), Some(task)) = (self.stop.take(), self.task.take()) {
            stop.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .unwrap()
                .unwrap();
        }
        self.serve(|_| {}).await;
    }

    fn sealed(&self, document: &Value) -> String {
        seal(
            &serde_json::to_vec(document).unwrap(),
            &self.signer,
            &self.recipient,
        )
        .unwrap()
    }

    fn request(&self, key: Option<&str>, content_type: &str, body: String) -> RequestBuilder {
        let request = self
            .client
            .post(format!("{}/v1/deliveries", self.url))
            .header("Kakehashi-Protocol", "1")
            .header("Content-Type", content_type)
            .body(body);
        match key {
            Some(key) => request.header("Idempotency-Key", key),
            None => request,
        }
    }

    async fn post(&self, key: Option<&str>, content_type: &str, body: String) -> reqwest::Response {
        self.request(key, content_type, body).send().await.unwrap()
    }

    async fn push(&self, key: &str, document: &Value) -> reqwest::Response {
        self.post(Some(key), "application/jose", self.sealed(document))
            .await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn stats(&self) -> Stats {
        self.get("/v1/stats").await
    }
}

/// A client trusting the CA in `ca_dir`, presenting `NAME.pem`/`NAME.key` from a directory.
fn client(ca_dir: &Path, identity: Option<(&Path, &str)>) -> reqwest::Client {
    let cert = identity.map(|(dir, name)| {
        (
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}.key")),
        )
    });
    let tls = kakehashi_tls::client_config(
        &ca_dir.join("ca.pem"),
        cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
    )
    .unwrap();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn delivery(key: &str) -> Value {
    json!({
        "protocol": "kakehashi-push/1",
        "delivery_id": key,
        "sheet_id": "sheet-0001",
        "sender": "hospital:1310000017",
        "consent": {"recorded_at": "2025-04-01T09:30:00+09:00", "source": "api"},
        "sheet": serde_json::from_str::<Value>(SHEET).unwrap(),
    })
}

async fn problem(response: reqwest::Response, status: StatusCode, code: &str) -> Problem {
    assert_eq!(response.status(), status);
    let problem: Problem = response.json().await.unwrap();
    assert_eq!(problem.code, code, "{problem:?}");
    assert!(!problem.message_ja.is_empty());
    problem
}

#[tokio::test]
async fn first_delivery_gets_a_receipt_and_a_retry_gets_the_same_one() {
    let receiver = Harness::start().await;
    let document = delivery("d-1");

    let first = receiver.push("d-1", &document).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Receipt = first.json().await.unwrap();
    assert!(first.receipt_id.starts_with("rcpt-"));
    assert_eq!(first.idempotency_key, "d-1");
    assert!(first.received_at.ends_with('Z'));

    // A retry is sealed anew (ECDH-ES is ephemeral) but carries the same document.
    let again = receiver.push("d-1", &document).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Receipt>().await.unwrap(), first);

    let receipts: Vec<ReceiptSummary> = receiver.get("/v1/receipts").await;
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].receipt_id, first.receipt_id);
    assert_eq!(receipts[0].sheet_id, "sheet-0001");
    assert_eq!(receipts[0].sender, "hospital:1310000017");
    assert_eq!(
        receiver.stats().await,
        Stats {
            requests: 2,
            receipts: 1,
            replays: 1,
            refused: 0
        }
    );
}

#[tokio::test]
async fn same_key_with_another_document_is_a_conflict() {
    let receiver = Harness::start().await;
    let response = receiver.push("d-2", &delivery("d-2")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let mut other = delivery("d-2");
    other["sheet_id"] = json!("sheet-0002");
    problem(
        receiver.push("d-2", &other).await,
        StatusCode::CONFLICT,
        "idempotency.conflict",
    )
    .await;
    let stats = receiver.stats().await;
    assert_eq!((stats.receipts, stats.refused), (1, 1));
}

#[tokio::test]
async fn concurrent_duplicates_make_one_receipt() {
    let receiver = Harness::start().await;
    let document = delivery("d-3");
    let mut pushes = JoinSet::new();
    for _ in 0..6 {
        let request = receiver.request(Some("d-3"), "application/jose", receiver.sealed(&document));
        pushes.spawn(request.send());
    }
    let mut receipts = Vec::new();
    for response in pushes.join_all().await {
        let response = response.unwrap();
        assert!(matches!(
            response.status(),
            StatusCode::CREATED | StatusCode::OK
        ));
        receipts.push(response.json::<Receipt>().await.unwrap());
    }
    assert!(receipts.windows(2).all(|w| w[0] == w[1]));
    let stats = receiver.stats().await;
    assert_eq!((stats.requests, stats.receipts, stats.replays), (6, 1, 5));
}

/// Deliveries arriving together are written in groups (one commit for many); each still gets
/// its own receipt, a key sent twice in the burst its replay or conflict, and every receipt
/// answered is there after a restart.
#[tokio::test]
async fn a_burst_is_committed_in_groups_and_every_receipt_answered_survives_a_restart() {
    let mut receiver = Harness::start().await;
    let mut pushes = JoinSet::new();
    for n in 0..40 {
        let key = format!("burst-{n}");
        let request = receiver.request(
            Some(&key),
            "application/jose",
            receiver.sealed(&delivery(&key)),
        );
        pushes.spawn(request.send());
    }
    let replay = receiver.sealed(&delivery("burst-0"));
    pushes.spawn(
        receiver
            .request(Some("burst-0"), "application/jose", replay)
            .send(),
    );
    let mut other = delivery("burst-1");
    other["sheet_id"] = "another-sheet".into();
    let conflict = receiver.sealed(&other);
    pushes.spawn(
        receiver
            .request(Some("burst-1"), "application/jose", conflict)
            .send(),
    );
    let mut statuses = Vec::new();
    for response in pushes.join_all().await {
        statuses.push(response.unwrap().status());
    }
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    // The second of each pair to be written is the replay (200) or the conflict (409).
    assert_eq!(count(StatusCode::CREATED), 40, "{statuses:?}");
    assert_eq!(count(StatusCode::OK), 1, "{statuses:?}");
    assert_eq!(count(StatusCode::CONFLICT), 1, "{statuses:?}");
    receiver.restart().await;
    let stats = receiver.stats().await;
    assert_eq!(
        (stats.requests, stats.receipts, stats.replays, stats.refused),
        (42, 40, 1, 1)
    );
}

#[tokio::test]
async fn handshake_needs_a_client_certificate_from_the_gateway_ca() {
    let receiver = Harness::start().await;
    let anonymous = client(&receiver.certs, None);
    assert!(
        anonymous
            .get(format!("{}/v1/stats", receiver.url))
            .send()
            .await
            .is_err()
    );

    let foreign = TempDir::new().unwrap();
    let foreign_certs = dev_pki(foreign.path());
    // Trusts the receiver's CA, but presents a certificate of another CA.
    let stranger = {
        let tls = kakehashi_tls::client_config(
            &receiver.certs.join("ca.pem"),
            Some((
                &foreign_certs.join("gateway.pem"),
                &foreign_certs.join("gateway.key"),
            )),
        )
        .unwrap();
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .unwrap()
    };
    assert!(
        stranger
            .get(format!("{}/v1/stats", receiver.url))
            .send()
            .await
            .is_err()
    );
    assert_eq!(receiver.stats().await.requests, 0);
}

#[tokio::test]
async fn envelope_for_another_receiver_is_undecryptable() {
    let receiver = Harness::start().await;
    let other = TempDir::new().unwrap();
    let other_certs = dev_pki(other.path());
    let other_recipient =
        RecipientKey::from_pem_file(&other_certs.join(ENCRYPTION_PUBLIC_FILE)).unwrap();
    let envelope = seal(
        &serde_json::to_vec(&delivery("d-4")).unwrap(),
        &receiver.signer,
        &other_recipient,
    )
    .unwrap();
    problem(
        receiver
            .post(Some("d-4"), "application/jose", envelope)
            .await,
        StatusCode::BAD_REQUEST,
        "payload.undecryptable",
    )
    .await;
    assert_eq!(receiver.stats().await.refused, 1);
}

#[tokio::test]
async fn unknown_signer_and_garbage_are_refused() {
    let receiver = Harness::start().await;
    let other = TempDir::new().unwrap();
    let other_certs = dev_pki(other.path());
    let stranger = SigningKey::from_pem_file(&other_certs.join(SIGNING_KEY_FILE)).unwrap();
    let envelope = seal(
        &serde_json::to_vec(&delivery("d-5")).unwrap(),
        &stranger,
        &receiver.recipient,
    )
    .unwrap();
    problem(
        receiver
            .post(Some("d-5"), "application/jose", envelope)
            .await,
        StatusCode::BAD_REQUEST,
        "payload.unknown_sender",
    )
    .await;
    problem(
        receiver
            .post(Some("d-5"), "application/jose", "not a JWE".into())
            .await,
        StatusCode::BAD_REQUEST,
        "payload.malformed",
    )
    .await;
}

#[tokio::test]
async fn schema_invalid_sheet_names_the_pointer() {
    let receiver = Harness::start().await;
    let mut document = delivery("d-6");
    document["sheet"]["kind"] = json!(5);
    document["sheet"]["patient"]["name"] = json!("山田 花子");
    let refused = problem(
        receiver.push("d-6", &document).await,
        StatusCode::BAD_REQUEST,
        "payload.schema",
    )
    .await;
    assert!(refused.message.contains("/kind"), "{}", refused.message);
    assert!(!refused.message.contains("山田"), "values are masked");
}

#[tokio::test]
async fn idempotency_key_must_be_present_valid_and_match_the_document() {
    let receiver = Harness::start().await;
    let sealed = receiver.sealed(&delivery("d-7"));
    problem(
        receiver
            .post(None, "application/jose", sealed.clone())
            .await,
        StatusCode::BAD_REQUEST,
        "delivery.missing_key",
    )
    .await;
    problem(
        receiver
            .post(Some("bad key!"), "application/jose", sealed.clone())
            .await,
        StatusCode::BAD_REQUEST,
        "delivery.invalid_key",
    )
    .await;
    problem(
        receiver.post(Some("d-8"), "application/jose", sealed).await,
        StatusCode::BAD_REQUEST,
        "delivery.key_mismatch",
    )
    .await;
    let stats = receiver.stats().await;
    assert_eq!((stats.requests, stats.refused, stats.receipts), (3, 3, 0));
}

#[tokio::test]
async fn content_type_size_and_protocol_are_checked() {
    let receiver = Harness::start().await;
    let plain = serde_json::to_string(&delivery("d-9")).unwrap();
    problem(
        receiver.post(Some("d-9"), "application/json", plain).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "payload.content_type",
    )
    .await;
    let huge = "A".repeat(10 * 1024 * 1024 + 1);
    problem(
        receiver.post(Some("d-9"), "application/jose", huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload.too_large",
    )
    .await;
    let response = receiver
        .client
        .post(format!("{}/v1/deliveries", receiver.url))
        .header("Content-Type", "application/jose")
        .header("Idempotency-Key", "d-9")
        .body(receiver.sealed(&delivery("d-9")))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "delivery.protocol").await;
}

#[tokio::test]
async fn plain_documents_only_when_encryption_is_not_required() {
    let receiver = Harness::start_with(|config| config.require_encryption = false).await;
    let plain = serde_json::to_string(&delivery("d-10")).unwrap();
    let response = receiver.post(Some("d-10"), "application/json", plain).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let sealed = receiver.push("d-11", &delivery("d-11")).await;
    assert_eq!(sealed.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn receipts_and_counters_survive_a_restart() {
    let mut receiver = Harness::start().await;
    let document = delivery("d-12");
    let first: Receipt = receiver.push("d-12", &document).await.json().await.unwrap();
    problem(
        receiver.post(None, "application/jose", "x".into()).await,
        StatusCode::BAD_REQUEST,
        "delivery.missing_key",
    )
    .await;
    let before = receiver.stats().await;
    assert_eq!(
        before,
        Stats {
            requests: 2,
            receipts: 1,
            replays: 0,
            refused: 1
        }
    );

    receiver.restart().await;
    assert_eq!(receiver.stats().await, before);
    let again = receiver.push("d-12", &document).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Receipt>().await.unwrap(), first);
    assert_eq!(receiver.stats().await.replays, 1);
}
