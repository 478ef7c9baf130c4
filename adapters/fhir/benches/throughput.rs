//! FHIR bytes → canonical sheets on one core, against a plain `serde_json::Value` parse of the
//! same bytes in the same run (criterion reports both in MB/s; their ratio is the adapter's
//! cost over parsing alone). The corpus is the Synthea transaction Bundles in
//! `../shared/testdata/fhir/synthea-r4/` (about 5 MB) and the JP-CLINS document Bundles.
//!
//! The run also gives the other figures of issue 19 at once: a 50 MB Bundle's conversion time
//! over a 5 MB one's (criterion, group `fhir-size`, and the best of five by CPU time), and the
//! peak resident memory of converting the 50 MB one, as a multiple of its size, measured in a
//! child process of its own. Lines starting with `figure:` are picked up by
//! `scripts/bench.sh`'s table.
//!
//! Everything runs with the gateway's allocator, mimalloc.
//!
//! Run with `cargo bench -p kakehashi-adapter-fhir --bench throughput`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Input, MappingContext};

#[path = "../tests/support/catalog.rs"]
mod catalog;
#[path = "../tests/support/cpu.rs"]
mod cpu;
#[path = "../tests/support/large.rs"]
mod large;
#[path = "../tests/support/peak.rs"]
mod peak;

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

/// The sheets the adapter makes of `doc`.
fn convert(doc: &[u8], context: &MappingContext<'_>) -> usize {
    let input = Input {
        bytes: doc,
        content_type: None,
        sha256: "",
    };
    FhirAdapter.convert(&input, context).unwrap().len()
}

fn parse_all(docs: &[Vec<u8>]) {
    for doc in docs {
        black_box(serde_json::from_slice::<serde_json::Value>(doc).unwrap());
    }
}

/// CPU time of one run of `work` on this thread.
fn timed(work: impl FnOnce()) -> Duration {
    let started = cpu::thread_cpu();
    work();
    cpu::thread_cpu() - started
}

/// Conversions of each size for the best time by CPU time.
const TRIES: usize = 5;

/// Set in the child process that measures the peak memory of one conversion.
const PEAK_ONLY: &str = "KAKEHASHI_BENCH_FHIR_PEAK_ONLY";

/// The peak memory of converting a 50 MB Bundle, measured in a process of its own: where other
/// conversions ran before, the allocator holds pages that would hide the conversion's own (and
/// the pages the 50 MB conversion leaves slowed the small documents' figures by a twentieth).
fn peak_figure(context: &MappingContext<'_>) {
    let big = large::synthea_bundle(50 << 20);
    // One patient's Bundle first pages in the model's code.
    convert(&large::synthea_bundle(1), context);
    let (sheets, _, above) = peak::peak_above_base(|| convert(&big, context));
    println!(
        "figure: fhir 50 MB Bundle ({} bytes, {sheets} sheets): peak memory {:.2}× the document (itself included; bound 4×)",
        big.len(),
        (big.len() + above) as f64 / big.len() as f64
    );
}

fn bench(c: &mut Criterion) {
    let catalog = catalog::catalog();
    let context = catalog.context();
    if std::env::var_os(PEAK_ONLY).is_some() {
        peak_figure(&context);
        std::process::exit(0);
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .env(PEAK_ONLY, "1")
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    print!("{}", String::from_utf8_lossy(&child.stdout));

    let mut group = c.benchmark_group("fhir");
    for (name, docs) in [
        ("synthea", corpus("synthea-r4", "_")),
        ("jp-clins-bundles", corpus("jp-clins", "Bundle-")),
    ] {
        let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
        let convert_all = || -> usize { docs.iter().map(|doc| convert(doc, &context)).sum() };
        // Sheets per second is this count divided by the adapter's time per iteration.
        eprintln!(
            "{name}: {} documents, {bytes} bytes, {} sheets per iteration",
            docs.len(),
            convert_all()
        );
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("{name}/serde_json::Value"), |b| {
            b.iter(|| parse_all(&docs))
        });
        group.bench_function(format!("{name}/adapter"), |b| {
            b.iter(|| black_box(convert_all()))
        });
    }
    group.finish();

    let small = large::synthea_bundle(5 << 20);
    let big = large::synthea_bundle(50 << 20);
    let mut group = c.benchmark_group("fhir-size");
    group.sample_size(10);
    for (name, doc) in [("synthea-5MB", &small), ("synthea-50MB", &big)] {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(format!("{name}/adapter"), |b| {
            b.iter(|| convert(doc, &context))
        });
    }
    group.finish();
    // The two sizes in alternation, so that a slow spell of the machine falls on both.
    let (mut t_small, mut t_big) = (Duration::MAX, Duration::MAX);
    for _ in 0..TRIES {
        t_small = t_small.min(timed(|| {
            black_box(convert(&small, &context));
        }));
        t_big = t_big.min(timed(|| {
            black_box(convert(&big, &context));
        }));
    }
    println!(
        "figure: fhir 50 MB Bundle in {:.1}× the time of a 5 MB one (best of {TRIES} by CPU time, {t_big:.0?} and {t_small:.0?}; {:.1}× the bytes; bound 12×)",
        t_big.as_secs_f64() / t_small.as_secs_f64(),
        big.len() as f64 / small.len() as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
