//! Throughput of the pipeline, compared within one run:
//!
//! - `rows`: CSV rows → canonical sheets on one core, adapter alone vs adapter + checks, for
//!   the UTF-8 layout (hospital-a) and the CP932 layout (clinic-b), beside the `csv` crate's
//!   bare record loop over the same bytes (`csv-records`, the physical limit);
//! - `sealing`: a submission's sheets serialised, and serialised then sealed for the store;
//! - `api`: whole submissions per second through the real binary's API (loopback) into the
//!   sealed SQLite store, over plain HTTP (development mode) and over mutual TLS with a login
//!   token, a 10-row file and the 130-row file, every body distinct so nothing is
//!   deduplicated.
//!
//! The in-process figures (`rows`, `sealing`) run with the gateway's allocator, mimalloc, as
//! the gateway does (the `api` figures measure the gateway binary itself).
//!
//! Run with `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
#[path = "../tests/common/mod.rs"]
mod common;

use kakehashi::pipeline::{self, content_hash};
use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_core::catalog::Catalog;
use kakehashi_core::conversion::{self, Completion};
use kakehashi_sdk::{Adapter, Input, MappingContext};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        // The physical limit: the `csv` crate's record loop over the same bytes, every field
        // touched, nothing decoded or checked.
        group.bench_function(format!("{mapping}/csv-records"), |b| {
            b.iter(|| {
                let mut reader = csv::Reader::from_reader(bytes.as_slice());
                let mut record = csv::ByteRecord::new();
                let mut fields = 0usize;
                while reader.read_byte_record(&mut record).unwrap() {
                    fields += record.iter().map(<[u8]>::len).sum::<usize>();
                }
                black_box(fields)
            })
        });
        group.bench_function(format!("{mapping}/adapter"), |b| {
            b.iter(|| black_box(CsvAdapter.convert(&input, &context).unwrap()))
        });
        group.bench_function(format!("{mapping}/adapter+checks"), |b| {
            b.iter(|| {
                black_box(conversion::convert(
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

/// A gateway (the real binary) and a logged-in clerk, over plain HTTP (development mode) or
/// mutual TLS; the store is sealed either way.
fn gateway(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    tls: bool,
) -> (common::Gateway, common::Session) {
    let config = if tls {
        "[security]\nrequests_per_second_per_terminal = 100000\nrequests_per_second_per_address = 100000\n"
    } else {
        "[tls]\nplain_http_for_development = true\n[security]\nrequests_per_second_per_terminal = 100000\nrequests_per_second_per_address = 100000\n"
    };
    let data = dir.join(if tls { "tls" } else { "plain" });
    if !tls {
        // The plain gateway makes no PKI; borrow the development organisations from one.
        common::kakehashi(
            &["certs", "init", "--data-dir", data.to_str().unwrap()],
            Path::new("/dev/null"),
        );
    }
    let gw = common::Gateway::start(&data, config);
    let session = runtime.block_on(gw.user("bench-clerk", common::HOSPITAL, "clerk", "hospital"));
    (gw, session)
}

fn bench_api(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let full = corpus("hospital-a.csv");
    let text = String::from_utf8(full.clone()).unwrap();
    let small: String = text.split_inclusive('\n').take(11).collect();
    let counter = AtomicUsize::new(0);
    let mut group = c.benchmark_group("api");
    group.sample_size(20);
    for tls in [false, true] {
        let (_gw, session) = gateway(&runtime, dir.path(), tls);
        let transport = if tls { "mtls" } else { "plain" };
        for (name, body) in [
            ("submit-10-rows", small.as_bytes()),
            ("submit-130-rows", &full[..]),
        ] {
            group.throughput(Throughput::Elements(1));
            group.bench_function(format!("{transport}/{name}"), |b| {
                b.iter(|| {
                    // 24 blank trailing lines, each LF or CRLF by one bit of a counter, make every
                    // body distinct without changing its sheets or growing it.
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let mut body = body.to_vec();
                    for bit in 0..24 {
                        body.extend_from_slice(if n >> bit & 1 == 1 { b"\r\n" } else { b"\n" });
                    }
                    let response = runtime
                        .block_on(
                            session
                                .post("/v1/submissions?mapping=hospital-a")
                                .header("content-type", "text/csv")
                                .body(body)
                                .send(),
                        )
                        .unwrap();
                    assert_eq!(response.status(), 202);
                })
            });
        }
    }
    group.finish();
}

/// Sealing at rest: one 130-sheet submission's canonical JSON, serialised alone and serialised
/// then sealed (XChaCha20-Poly1305), to put the encryption's share of a store write in numbers.
fn bench_sealing(c: &mut Criterion) {
    let catalog = Catalog::load(None).unwrap();
    let bytes = corpus("hospital-a.csv");
    let sha = content_hash(&bytes);
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: &sha,
    };
    let Completion::Accepted(sheets) = conversion::convert(
        &CsvAdapter,
        &catalog,
        &input,
        Some("hospital-a"),
        "00000000-0000-0000-0000-000000000000",
        pipeline::today_in_japan(),
    ) else {
        panic!("hospital-a converts")
    };
    let dir = tempfile::tempdir().unwrap();
    let (keys, _) =
        kakehashi_vault::KeyRing::load_or_create(&dir.path().join("keys.json")).unwrap();
    let mut group = c.benchmark_group("sealing");
    group.throughput(Throughput::Elements(sheets.len() as u64));
    group.bench_function("serialise", |b| {
        b.iter(|| {
            for s in &sheets {
                black_box(serde_json::to_vec(&s.sheet).unwrap());
            }
        })
    });
    group.bench_function("serialise+seal", |b| {
        b.iter(|| {
            for s in &sheets {
                let json = serde_json::to_vec(&s.sheet).unwrap();
                black_box(keys.seal(&json, s.id.as_bytes()));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_rows, bench_sealing, bench_api);
criterion_main!(benches);
