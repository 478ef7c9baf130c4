//! Any bytes, with any of the shipped mappings (or none, so the adapter detects one), through
//! the CSV adapter and the checks: must return records or a located error, never panic.
#![no_main]

use std::sync::LazyLock;

use kakehashi_core::catalog::Catalog;
use kakehashi_core::conversion;
use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_sdk::Input;
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));

fuzz_target!(|data: &[u8]| {
    let (selector, bytes) = data.split_first().unwrap_or((&0, data));
    let mappings: Vec<&str> = CATALOG.mappings.names("csv").collect();
    let mapping = mappings.get(usize::from(*selector) % (mappings.len() + 1)).copied();
    let content_type = (selector & 0x80 != 0).then_some("text/csv; charset=shift_jis");
    let input = Input { bytes, content_type, sha256: "fuzz" };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let _ = conversion::convert(&CsvAdapter, &CATALOG, &input, mapping, "fuzz", today);
});
