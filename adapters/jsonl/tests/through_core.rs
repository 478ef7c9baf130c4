//! The adapter tested as an integrator tests theirs: the built-in catalog, the core's
//! conversion (adapter, then the checks and auto-calculation), and no gateway.

use std::path::PathBuf;

use chrono::NaiveDate;
use kakehashi_adapter_jsonl::JsonlAdapter;
use kakehashi_core::catalog::Catalog;
use kakehashi_core::conversion::{read_document, read_each};
use kakehashi_sdk::{Adapter, Input, ItemValue, Severity};

fn corpus() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/corpus/jsonl/registry-export.jsonl");
    std::fs::read(path).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn input(bytes: &[u8]) -> Input<'_> {
    Input {
        bytes,
        content_type: Some("application/x-ndjson"),
        sha256: "0",
    }
}

#[test]
fn the_example_export_becomes_checked_sheets_with_located_findings() {
    let catalog = Catalog::load(None).unwrap();
    let bytes = corpus();
    assert!(JsonlAdapter.sniff(&input(&bytes)));
    let read = read_document(
        &JsonlAdapter,
        &catalog,
        &input(&bytes),
        Some("registry-export"),
        "s",
        today(),
    )
    .unwrap();
    assert_eq!(read.sheets.len(), 3);

    // A clean sheet: 和暦 read, the disease named from the notified list, totals computed.
    let first = &read.sheets[0];
    let errors: Vec<_> = first
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        first.sheet.disease.name.as_deref(),
        Some("筋萎縮性側索硬化症")
    );
    assert_eq!(
        first.sheet.items["alsfrs_r.total"].value,
        ItemValue::Integer(31)
    );
    let second = &read.sheets[1];
    assert_eq!(
        second.sheet.patient.date_of_birth,
        NaiveDate::from_ymd_opt(1955, 12, 1)
    );
    assert_eq!(second.sheet.administrative.research_consent, Some(false));

    // The broken sheet: each problem is a finding on its line and pointer.
    let third = &read.sheets[2];
    let located: Vec<(&str, Option<u64>, Option<&str>)> = third
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let at = f.location.as_ref();
            (
                f.code.as_str(),
                at.and_then(|l| l.line),
                at.and_then(|l| l.element.as_deref()),
            )
        })
        .collect();
    for expected in [
        ("field.unreadable", Some(3), Some("/patient/birth")),
        (
            "jsonl.not_a_value",
            Some(3),
            Some("/alsfrs/respiratory_insufficiency"),
        ),
    ] {
        assert!(
            located.contains(&expected),
            "{expected:?} not in {located:?}"
        );
    }
    assert!(
        third
            .findings
            .iter()
            .any(|f| f.item.as_deref() == Some("alsfrs_r.swallowing")
                && f.severity == Severity::Error),
        "the text `four` in an integer item is an error: {:?}",
        third.findings
    );
}

#[test]
fn a_broken_line_rejects_the_export_naming_the_line_and_column() {
    let catalog = Catalog::load(None).unwrap();
    let mut bytes = corpus();
    bytes.extend_from_slice(b"{\"disease\": 2, \"patient\": }\n");
    let rejection = read_document(
        &JsonlAdapter,
        &catalog,
        &input(&bytes),
        Some("registry-export"),
        "s",
        today(),
    )
    .unwrap_err();
    assert_eq!(rejection.code, "jsonl.malformed");
    let location = rejection.location.unwrap();
    assert_eq!((location.line, location.column), (Some(4), Some(27)));
    assert!(
        rejection.message_ja.contains("4 行目"),
        "{}",
        rejection.message_ja
    );

    let rejection = read_document(
        &JsonlAdapter,
        &catalog,
        &input(b"[1, 2]\n"),
        Some("registry-export"),
        "s",
        today(),
    )
    .unwrap_err();
    assert_eq!(rejection.code, "jsonl.not_an_object");
}

/// Records are handed over one at a time, but only once every line has been found to be an
/// object: an export refused at its last line hands over none.
#[test]
fn an_export_refused_at_its_last_line_hands_over_no_record() {
    let catalog = Catalog::load(None).unwrap();
    for last in [&b"{\"disease\": }\n"[..], b"[1, 2]\n"] {
        let mut bytes = corpus();
        bytes.extend_from_slice(last);
        let mut handed = 0;
        let read = read_each(
            &JsonlAdapter,
            &catalog,
            &input(&bytes),
            Some("registry-export"),
            "s",
            today(),
            &mut |_| handed += 1,
        );
        assert!(read.is_err());
        assert_eq!(handed, 0);
    }
    let mut handed = 0;
    read_each(
        &JsonlAdapter,
        &catalog,
        &input(&corpus()),
        Some("registry-export"),
        "s",
        today(),
        &mut |_| handed += 1,
    )
    .unwrap();
    assert_eq!(handed, 3);
}

#[test]
fn the_shipped_mapping_lists_its_sources_and_a_bad_one_is_refused() {
    let text = include_str!("../../../mappings/jsonl/registry-export.toml");
    let sources = JsonlAdapter
        .mapping_sources("registry-export", text)
        .unwrap()
        .unwrap();
    assert_eq!(sources.len(), 29);
    let bad = text.replace("pointer = \"/onset\"", "pointer = \"onset\"");
    let err = JsonlAdapter
        .mapping_sources("registry-export", &bad)
        .unwrap()
        .unwrap_err();
    assert!(err.message.contains("must start with `/`"), "{err}");
    let typo = text.replace("field = \"patient.sex\"", "feild = \"patient.sex\"");
    let err = JsonlAdapter
        .mapping_sources("registry-export", &typo)
        .unwrap()
        .unwrap_err();
    assert!(err.message.contains("unknown field `feild`"), "{err}");
}
