//! Any bytes, with any of the shipped municipal layouts, through the decision-file reader, and
//! every certification it accepts back out as an issuing file and a PMH registration: must
//! return records or a located error, never panic.
#![no_main]

use std::sync::LazyLock;

use kakehashi_core::catalog::Catalog;
use kakehashi_adapter_municipal::{
    CopaymentTables, IssuingRow, Layout, pmh_registration, read_decisions, write_issuing_file,
};
use kakehashi_sdk::{Patient, Record};
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));
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
    let (selector, bytes) = data.split_first().unwrap_or((&0, data));
    let layout = &LAYOUTS[usize::from(*selector) % LAYOUTS.len()];
    let Ok(converted) = read_decisions(bytes, "fuzz", layout, &TABLES) else {
        return;
    };
    let patient = Patient::default();
    for c in &converted {
        if let Record::Certification(certification) = &c.record {
            let row = IssuingRow { certification, patient: &patient };
            let _ = write_issuing_file(layout, &[row]);
            let _ = pmh_registration(certification, &patient);
        }
    }
});
