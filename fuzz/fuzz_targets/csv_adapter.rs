//! Any bytes through the CSV adapter and the checks — with the mapping detected from the header
//! (with and without a declared Shift_JIS charset) and with each shipped mapping named — must
//! return records or a located error, never panic. Every input takes every path, so the seeds
//! (fuzz/corpus/csv_adapter/) are plain exports.
#![no_main]

use std::sync::LazyLock;

use kakehashi_adapter_csv::CsvAdapter;
use kakehashi_core::catalog::Catalog;
use kakehashi_core::conversion;
use kakehashi_sdk::Input;
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let detected = [(None, None), (None, Some("text/csv; charset=shift_jis"))];
    let named = CATALOG.mappings.names("csv").map(|name| (Some(name), None));
    for (mapping, content_type) in detected.into_iter().chain(named) {
        let input = Input {
            bytes: data,
            content_type,
            sha256: "fuzz",
        };
        let _ = conversion::convert(&CsvAdapter, &CATALOG, &input, mapping, "fuzz", today);
    }
});
