//! The console's sheet list over 10,000 sheets: a real SQLite store (sealed, migrated, seeded
//! through the store's own submission steps), the real binary, a real console session over
//! mutual TLS. `page_1` is the first page, newest first; `filtered` a disease and errors
//! filter; `page_100` a page deep in the list. Each is one whole request: session check,
//! listing and count in SQL, audit append, rendering.
//!
//! Run with `cargo bench --bench console_list`.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use kakehashi::config::Config;
use kakehashi::store::{
    AuditEvent, CheckedSheet, Completion, RawInput, SubmissionRecord, SubmissionStatus, Submissions,
};
use kakehashi_sdk::{Finding, Provenance, Severity, Sheet, SheetKind};

#[path = "../tests/common/mod.rs"]
mod common;

use common::console::ConsoleClient;
use common::{Gateway, HOSPITAL};

const SUBMISSIONS: usize = 100;
const SHEETS_PER_SUBMISSION: usize = 100;
/// Diseases the seeded sheets rotate through (指定難病 numbers with templates).
const DISEASES: &[u16] = &[2, 6, 11, 13, 49, 50, 51, 56, 63, 97];

const CONFIG: &str = "[security]\nrequests_per_second_per_terminal = 100000\nrequests_per_second_per_address = 100000\nbulk_read_alert_per_hour = 1000000\n";

/// Seeds 10,000 draft sheets of the development hospital straight into the store, before the
/// gateway starts on it.
async fn seed(data_dir: &Path) {
    let config_path = data_dir.with_extension("toml");
    std::fs::write(
        &config_path,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n{CONFIG}",
            data_dir.display()
        ),
    )
    .unwrap();
    let config = Config::from_file(&config_path).unwrap();
    let store = kakehashi::server::open_store(&config).await.unwrap();
    for s in 0..SUBMISSIONS {
        let body = format!("seed {s}");
        let sha = kakehashi::pipeline::content_hash(body.as_bytes());
        let id = kakehashi_core::conversion::submission_id(HOSPITAL, &sha, "bench", "seed");
        let record = SubmissionRecord {
            id: id.clone(),
            organisation_id: HOSPITAL.to_owned(),
            municipality_id: None,
            sha256: sha.clone(),
            adapter: "bench".into(),
            mapping: "seed".into(),
            status: SubmissionStatus::Received,
            received_at: kakehashi::store::timestamp_now(),
            completed_at: None,
            error: None,
        };
        let raw = RawInput {
            sha256: &sha,
            content_type: Some("text/plain"),
            body: body.as_bytes(),
        };
        store.journal(raw, &record).await.unwrap();
        let sheets = (0..SHEETS_PER_SUBMISSION)
            .map(|i| {
                let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
                sheet.disease.number = Some(DISEASES[(s + i) % DISEASES.len()]);
                let findings = if i % 7 == 0 {
                    vec![Finding::new(
                        Severity::Error,
                        "date.future",
                        Some("institution.date_written"),
                        "in the future",
                        "未来の日付です",
                    )]
                } else {
                    Vec::new()
                };
                CheckedSheet {
                    id: kakehashi_core::conversion::sheet_id(&id, i),
                    sheet,
                    findings,
                    reviews: Vec::new(),
                }
            })
            .collect();
        let audit = AuditEvent {
            actor: "system:bench".into(),
            action: "submission.create".into(),
            outcome: "ok".into(),
            ..AuditEvent::default()
        };
        store
            .complete(&id, &Completion::Accepted(sheets), &audit)
            .await
            .unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    runtime.block_on(seed(&data_dir));
    let gw = Gateway::start(&data_dir, CONFIG);
    let mut clerk = ConsoleClient::new(&gw, "hospital");
    runtime.block_on(clerk.first_login(&gw, "clerk-bench", HOSPITAL, "clerk"));
    let first = runtime.block_on(clerk.get("/console/sheets"));
    assert!(
        first.body.contains("10000"),
        "the list counts every sheet: {}",
        first.body
    );
    let mut group = c.benchmark_group("console_list");
    for (name, path) in [
        ("page_1", "/console/sheets"),
        (
            "filtered",
            "/console/sheets?disease=49&status=draft&findings=errors",
        ),
        ("page_100", "/console/sheets?page=100"),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                let page = clerk.fetch(path).await;
                assert_eq!(page.status, reqwest::StatusCode::OK);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
