//! Throughput of the pipeline, compared within one run:
//!
//! - `rows`: CSV rows → canonical sheets on one core, adapter alone vs adapter + checks, for
//!   the UTF-8 layout (hospital-a) and the CP932 layout (clinic-b);
//! - `api`: whole submissions per second through the real HTTP API (loopback) into SQLite, a
//!   10-row file and the 130-row file, every body distinct so nothing is deduplicated.
//!
//! Run with `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi::api::{AppState, router};
use kakehashi::catalog::Catalog;
use kakehashi::pipeline::{self, Pipeline, content_hash};
use kakehashi::store::SqliteStore;
use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_sdk::{Adapter, Input, MappingContext};

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("conformance/corpus/csv")
            .join(name),
    )
    .unwrap()
}

fn rows(bytes: &[u8]) -> u64 {
    csv::Reader::from_reader(bytes).byte_records().count() as u64
}

fn bench_rows(c: &mut Criterion) {
    let catalog = Catalog::load(None).unwrap();
    let today = pipeline::today_in_japan();
    let mut group = c.benchmark_group("rows");
    for (file, mapping) in [
        ("hospital-a.csv", "hospital-a"),
        ("clinic-b.csv", "clinic-b"),
    ] {
        let bytes = corpus(file);
        let sha = content_hash(&bytes);
        let input = Input {
            bytes: &bytes,
            content_type: None,
            sha256: &sha,
        };
        group.throughput(Throughput::Elements(rows(&bytes)));
        let context = MappingContext {
            diseases: &catalog.diseases,
            templates: &catalog.templates,
            mappings: &catalog.mappings,
            mapping: Some(mapping),
        };
        group.bench_function(format!("{mapping}/adapter"), |b| {
            b.iter(|| black_box(CsvAdapter.convert(&input, &context).unwrap()))
        });
        group.bench_function(format!("{mapping}/adapter+checks"), |b| {
            b.iter(|| {
                black_box(pipeline::convert(
                    &CsvAdapter,
                    &catalog,
                    &input,
                    Some(mapping),
                    "00000000-0000-0000-0000-000000000000",
                    today,
                ))
            })
        });
    }
    group.finish();
}

fn bench_api(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = runtime.block_on(async {
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let pipeline = Pipeline::new(store, Arc::new(Catalog::load(None).unwrap()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(AppState {
            pipeline,
            max_body_bytes: 32 << 20,
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/v1/submissions?mapping=hospital-a")
    });
    let client = reqwest::Client::new();
    let full = corpus("hospital-a.csv");
    let text = String::from_utf8(full.clone()).unwrap();
    let small: String = text.split_inclusive('\n').take(11).collect();
    let counter = AtomicUsize::new(0);
    let mut group = c.benchmark_group("api");
    group.sample_size(20);
    for (name, body) in [
        ("submit-10-rows", small.into_bytes()),
        ("submit-130-rows", full),
    ] {
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter(|| {
                // 24 blank trailing lines, each LF or CRLF by one bit of a counter, make every
                // body distinct without changing its sheets or growing it.
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let mut body = body.clone();
                for bit in 0..24 {
                    body.extend_from_slice(if n >> bit & 1 == 1 { b"\r\n" } else { b"\n" });
                }
                let response = runtime
                    .block_on(
                        client
                            .post(&base)
                            .header("content-type", "text/csv")
                            .body(body)
                            .send(),
                    )
                    .unwrap();
                assert_eq!(response.status(), 202);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_rows, bench_api);
criterion_main!(benches);
