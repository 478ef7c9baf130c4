//! Any bytes through the FHIR adapter and the checks: must return sheets or a located error,
//! never panic (the document reader, fhir-sdk, the comparison of the two, the locator of a
//! refusal, and the mapping).
#![no_main]

use std::sync::LazyLock;

use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_core::catalog::Catalog;
use kakehashi_core::conversion;
use kakehashi_sdk::Input;
use libfuzzer_sys::fuzz_target;

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::load(None).expect("built-in catalog"));

fuzz_target!(|data: &[u8]| {
    let input = Input {
        bytes: data,
        content_type: Some("application/fhir+json"),
        sha256: "fuzz",
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).expect("a date");
    let _ = conversion::convert(&FhirAdapter, &CATALOG, &input, None, "fuzz", today);
});
