//! Converting a document needs memory of the order of the document, not of a multiple of it in
//! parsed trees: the process's peak resident memory while one large Bundle converts, counting
//! the document itself, stays within four times the document's size (issue 19). Measured from
//! the kernel's high-water mark (`VmHWM`, reset through `/proc/self/clear_refs` just before the
//! conversion), so the figure is what the process really held, and it is one test alone in its
//! binary, so no other test allocates meanwhile. `KAKEHASHI_FHIR_MEMORY_MB` sets the size
//! (default 8) to take the figure for larger documents; the CPU time the conversion took is
//! printed beside it, not asserted (`growth.rs` checks how time grows).
#![cfg(target_os = "linux")]

#[path = "support/catalog.rs"]
mod catalog;
#[path = "support/cpu.rs"]
mod cpu;
#[path = "support/large.rs"]
mod large;
#[path = "support/peak.rs"]
mod peak;

use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Adapter, Input};

#[test]
fn peak_memory_stays_within_four_times_the_document() {
    let catalog = catalog::catalog();
    let context = catalog.context();
    let mb: usize = std::env::var("KAKEHASHI_FHIR_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let convert = |bytes: &[u8]| {
        let input = Input {
            bytes,
            content_type: Some("application/fhir+json"),
            sha256: "",
        };
        FhirAdapter.convert(&input, &context).expect("converts")
    };
    // The first conversion of each resource type pages in its code (megabytes of fhir-sdk's
    // deserialisers, counted in the resident set like data): one patient's Bundle first, so
    // that what is measured is the conversion's data.
    drop(convert(&large::synthea_bundle(1)));
    let document = large::synthea_bundle(mb << 20);
    let size = document.len();
    // What the process held before, the document included, is the base.
    let started = cpu::thread_cpu();
    let (sheets, base, above) = peak::peak_above_base(|| convert(&document));
    let took = cpu::thread_cpu() - started;
    assert!(!sheets.is_empty());
    // The document is resident in `base` already; the conversion's own memory is above it.
    let held = size + above;
    let ratio = held as f64 / size as f64;
    eprintln!(
        "{size} bytes, {} sheets in {took:?} of CPU: peak {} MB above a base of {} MB; the document and the conversion {ratio:.2}× the document",
        sheets.len(),
        above >> 20,
        base >> 20
    );
    assert!(
        ratio <= 4.0,
        "the conversion held {ratio:.2}× the document's size at its peak"
    );
}
