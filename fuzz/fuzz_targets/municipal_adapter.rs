//! Any bytes through the decision-file reader with every shipped municipal layout — CSV
//! (city-a) and fixed-length (city-b) alike — and every certification it accepts back out as
//! an issuing file and a PMH registration: must return records or a located error, never
//! panic. Every input takes every layout, so the seeds (fuzz/corpus/municipal_adapter/) are
//! plain decision files.
#![no_main]

use std::sync::LazyLock;

use kakehashi_adapter_municipal::{
    CopaymentTables, IssuingRow, Layout, pmh_registration, read_decisions, write_issuing_file,
};
use kakehashi_core::catalog::Catalog;
use kakehashi_sdk::{Patient, Record};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));
static LAYOUTS: LazyLock<Vec<Layout>> = LazyLock::new(|| {
    CATALOG
        .mappings
        .names("municipal")
        .map(|name| Layout::load(&CATALOG.mappings, name).expect("shipped layout"))
        .collect()
});
static TABLES: LazyLock<CopaymentTables> =
    LazyLock::new(|| CopaymentTables::from_mappings(&CATALOG.mappings).expect("shipped tables"));

fuzz_target!(|data: &[u8]| {
    let patient = Patient::default();
    for layout in LAYOUTS.iter() {
        let Ok(converted) = read_decisions(data, "fuzz", layout, &TABLES) else {
            continue;
        };
        for c in &converted {
            if let Record::Certification(certification) = &c.record {
                let row = IssuingRow {
                    certification,
                    patient: &patient,
                };
                let _ = write_issuing_file(layout, &[row]);
                let _ = pmh_registration(certification, &patient);
            }
        }
    }
});
