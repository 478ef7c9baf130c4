//! Deliveries per second to the reference receiver on loopback, in one run:
//!
//! - `pooled/sealed`: the gateway's push client (connection pool, mutual TLS) with the document
//!   signed and encrypted per delivery, as in production;
//! - `pooled/plain`: the same client without the envelope (the receiver started with
//!   `require_encryption = false`), to show what the envelope costs;
//! - `curl/sealed`: one `curl` process per delivery (a new TLS handshake each), posting
//!   envelopes sealed beforehand — the baseline of a script-driven integration.
//!
//! All three post `BATCH` new deliveries, 8 at a time (the worker's default concurrency).
//! Run: `cargo bench --bench push -- --warm-up-time 1 --measurement-time 8`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi::push::{Envelope, NationalDbClient, delivery_document};
use kakehashi::store::{ConsentSource, Delivery, DeliveryStatus};
use kakehashi_envelope::{RecipientKey, SigningKey};
use kakehashi_sdk::Sheet;

const BATCH: u64 = 64;
const CONCURRENCY: usize = 8;

/// A unique delivery id per attempt, so that every post stores a new receipt.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

fn next_delivery() -> Delivery {
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    Delivery {
        id: format!("dlv-bench-{n}"),
        sheet_id: format!("sheet-bench-{n}"),
        destination: "national-db".into(),
        status: DeliveryStatus::Pending,
        consent_source: ConsentSource::Api,
        consent_recorded_at: "2026-11-21T00:00:00.000Z".into(),
        attempts: 0,
        next_attempt_at: chrono::Utc::now(),
        last_error: None,
        receipt_id: None,
        created_at: "2026-11-21T00:00:00.000Z".into(),
        updated_at: "2026-11-21T00:00:00.000Z".into(),
        delivered_at: None,
        in_doubt_since: None,
    }
}

fn example_sheet() -> Sheet {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/examples/nanbyo-002-als.json");
    serde_json::from_slice(&std::fs::read(path).expect("example sheet")).expect("canonical sheet")
}

fn client(certs: &Path, endpoint: &str, envelope: Envelope) -> Arc<NationalDbClient> {
    let tls = kakehashi_tls::client_config(
        &certs.join("ca.pem"),
        Some((&certs.join("gateway.pem"), &certs.join("gateway.key"))),
    )
    .expect("client TLS");
    Arc::new(
        NationalDbClient::new(endpoint, tls, envelope, Duration::from_secs(30)).expect("client"),
    )
}

fn sealed(certs: &Path) -> Envelope {
    Envelope::Sealed {
        signer: SigningKey::from_pem_file(&certs.join(kakehashi_envelope::SIGNING_KEY_FILE))
            .expect("signing key"),
        recipient: RecipientKey::from_pem_file(
            &certs.join(kakehashi_envelope::ENCRYPTION_PUBLIC_FILE),
        )
        .expect("recipient key"),
    }
}

/// Delivers `BATCH` documents through `client`, `CONCURRENCY` at a time.
async fn pooled_batch(client: Arc<NationalDbClient>, sheet: Arc<Sheet>) {
    let mut tasks = tokio::task::JoinSet::new();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    for _ in 0..BATCH {
        let permit = semaphore.clone().acquire_owned().await.expect("semaphore");
        let (client, sheet) = (client.clone(), sheet.clone());
        tasks.spawn(async move {
            let delivery = next_delivery();
            let document =
                delivery_document(&delivery, "hospital:1310000017", &sheet).expect("document");
            client
                .deliver(&delivery.id, &document)
                .await
                .expect("receipt");
            drop(permit);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("delivery task");
    }
}

/// One curl process per delivery, `CONCURRENCY` at a time, posting envelopes sealed
/// beforehand.
fn curl_batch(certs: &Path, endpoint: &str, envelopes: &[(String, PathBuf)]) {
    for chunk in envelopes.chunks(CONCURRENCY) {
        let children: Vec<_> = chunk
            .iter()
            .map(|(key, file)| {
                std::process::Command::new("curl")
                    .args([
                        "--silent",
                        "--show-error",
                        "--fail",
                        "--output",
                        "/dev/null",
                    ])
                    .arg("--cacert")
                    .arg(certs.join("ca.pem"))
                    .arg("--cert")
                    .arg(certs.join("gateway.pem"))
                    .arg("--key")
                    .arg(certs.join("gateway.key"))
                    .args(["-H", "Content-Type: application/jose"])
                    .args(["-H", &format!("Idempotency-Key: {key}")])
                    .args(["-H", "Kakehashi-Protocol: 1"])
                    .arg("--data-binary")
                    .arg(format!("@{}", file.display()))
                    .arg(endpoint)
                    .spawn()
                    .expect("curl runs (apt-get install curl)")
            })
            .collect();
        for mut child in children {
            assert!(child.wait().expect("curl ends").success(), "curl failed");
        }
    }
}

fn bench_push(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let certs = dir.path().join("certs");
    kakehashi_tls::init_dev_pki(
        &certs,
        &[kakehashi_tls::ClientSpec::new("gateway", "Kakehashi")],
    )
    .expect("development PKI");
    kakehashi_envelope::generate_dev_keys(&certs).expect("payload keys");
    let mut config =
        kakehashi_receiver::ReceiverConfig::from_dev_pki(&certs, &dir.path().join("receiver"));
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.require_encryption = false;
    let receiver = runtime
        .block_on(kakehashi_receiver::Receiver::bind(config))
        .expect("receiver");
    let port = receiver.local_addr().port();
    runtime.spawn(receiver.run(std::future::pending()));
    let endpoint = format!("https://localhost:{port}/v1/deliveries");
    let sheet = Arc::new(example_sheet());

    let sealed_client = client(&certs, &endpoint, sealed(&certs));
    let plain_client = client(&certs, &endpoint, Envelope::PlainForBenchmarks);
    let signer = SigningKey::from_pem_file(&certs.join(kakehashi_envelope::SIGNING_KEY_FILE))
        .expect("signing key");
    let recipient =
        RecipientKey::from_pem_file(&certs.join(kakehashi_envelope::ENCRYPTION_PUBLIC_FILE))
            .expect("recipient key");

    let mut group = c.benchmark_group("push");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10);
    group.bench_function("pooled/sealed", |b| {
        b.to_async(&runtime)
            .iter(|| pooled_batch(sealed_client.clone(), sheet.clone()))
    });
    group.bench_function("pooled/plain", |b| {
        b.to_async(&runtime)
            .iter(|| pooled_batch(plain_client.clone(), sheet.clone()))
    });
    group.bench_function("curl/sealed", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let envelopes: Vec<(String, PathBuf)> = (0..BATCH)
                    .map(|i| {
                        let delivery = next_delivery();
                        let document = delivery_document(&delivery, "hospital:1310000017", &sheet)
                            .expect("document");
                        let jwe = kakehashi_envelope::seal(&document, &signer, &recipient)
                            .expect("sealed");
                        let file = dir.path().join(format!("envelope-{i}.jose"));
                        std::fs::write(&file, jwe).expect("envelope file");
                        (delivery.id, file)
                    })
                    .collect();
                let started = Instant::now();
                curl_batch(&certs, &endpoint, &envelopes);
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench_push);
criterion_main!(benches);
