//! FHIR bytes → canonical sheets on one core, against a plain `serde_json::Value` parse of the
//! same bytes in the same run (criterion reports both in MB/s; their ratio is the adapter's
//! cost over parsing alone). The corpus is the Synthea transaction Bundles in
//! `../shared/testdata/fhir/synthea-r4/` (about 5 MB) and the JP-CLINS document Bundles.
//!
//! Both run with the gateway's allocator, mimalloc.
//!
//! Run with `cargo bench -p kakehashi-adapter-fhir --bench throughput`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Input};

#[path = "../tests/support/catalog.rs"]
mod catalog;
use catalog::catalog;

/// The gateway's allocator (`src/main.rs`): both readers allocate per value, and glibc's malloc
/// is not what they run with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus(folder: &str, filter: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/fhir")
        .join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(filter))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let catalog = catalog();
    let context = catalog.context();
    let mut group = c.benchmark_group("fhir");
    for (name, docs) in [
        ("synthea", corpus("synthea-r4", "_")),
        ("jp-clins-bundles", corpus("jp-clins", "Bundle-")),
    ] {
        let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
        let convert_all = || -> usize {
            docs.iter()
                .map(|doc| {
                    let input = Input {
                        bytes: doc,
                        content_type: None,
                        sha256: "",
                    };
                    FhirAdapter.convert(&input, &context).unwrap().len()
                })
                .sum()
        };
        // Sheets per second is this count divided by the adapter's time per iteration.
        eprintln!(
            "{name}: {} documents, {bytes} bytes, {} sheets per iteration",
            docs.len(),
            convert_all()
        );
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("{name}/serde_json::Value"), |b| {
            b.iter(|| {
                for doc in &docs {
                    black_box(serde_json::from_slice::<serde_json::Value>(doc).unwrap());
                }
            })
        });
        group.bench_function(format!("{name}/adapter"), |b| {
            b.iter(|| black_box(convert_all()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
