//! The published conformance material stays true: the JSON Schemas in `conformance/schema/` are
//! what the code generates, the canonical examples validate against them (and a broken one does
//! not), and converting the CSV corpus and the Mynaportal sample download gives exactly the
//! expected canonical output.
//!
//! After an intended change, regenerate with `KAKEHASHI_BLESS=1 cargo test --test conformance`
//! and review the diff.

use std::path::{Path, PathBuf};

use kakehashi::catalog::Catalog;
use kakehashi::pipeline::{self, content_hash};
use kakehashi::store::Completion;
use kakehashi_sdk::{Adapter, Input};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance")
}

fn bless() -> bool {
    std::env::var_os("KAKEHASHI_BLESS").is_some()
}

/// Compares `actual` with the file, or rewrites the file when blessing.
fn expect_file(path: &Path, actual: &str) {
    if bless() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map_or(expected.lines().count().min(actual.lines().count()), |i| i);
        panic!(
            "{} differs from the generated output at line {} (run with KAKEHASHI_BLESS=1 to regenerate):\n  expected: {}\n  actual:   {}",
            path.display(),
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn published_schemas_match_the_code() {
    for (name, schema) in kakehashi::schema::published() {
        expect_file(
            &root().join("schema").join(name),
            &(serde_json::to_string_pretty(&schema).unwrap() + "\n"),
        );
    }
}

#[test]
fn examples_validate_and_broken_ones_do_not() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/sheet.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let record_schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/record.schema.json")).unwrap(),
    )
    .unwrap();
    let record_validator = jsonschema::validator_for(&record_schema).unwrap();
    let mut examples = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let sheet: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sheet)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        // And the typed model reads what the schema accepts.
        serde_json::from_value::<kakehashi_sdk::Sheet>(sheet.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        examples += 1;

        // The same sheet as a tagged record validates against the record schema and reads back.
        let mut record = sheet.clone();
        record["record_type"] = json!("sheet");
        let errors: Vec<String> = record_validator
            .iter_errors(&record)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{} as a record: {errors:?}",
            path.display()
        );
        let typed: kakehashi_sdk::Record =
            serde_json::from_value(record).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(matches!(typed, kakehashi_sdk::Record::Sheet(_)));

        let mut broken = sheet.clone();
        broken["patient"]["date_of_birth"] = json!("1980-13-45");
        broken["patient"]["sex"] = json!("unknown");
        broken["surprise"] = json!(true);
        assert!(
            validator.iter_errors(&broken).count() >= 2,
            "the schema lets a broken sheet through"
        );
    }
    assert!(examples >= 2, "no examples found");
}

fn convert(file: &str, mapping: &str) -> Vec<Value> {
    let catalog = Catalog::load(None).unwrap();
    let bytes = std::fs::read(root().join("corpus/csv").join(file)).unwrap();
    let sha = content_hash(&bytes);
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: &sha,
    };
    let adapter = kakehashi_adapter_csv::CsvAdapter;
    assert!(adapter.sniff(&input));
    let id = pipeline::submission_id("local", &sha, "csv", mapping);
    // A fixed "today", so expected output does not age.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    match pipeline::convert(&adapter, &catalog, &input, Some(mapping), &id, today) {
        Completion::Accepted(sheets) => sheets
            .into_iter()
            .map(|s| json!({ "id": s.id, "sheet": s.sheet, "findings": s.findings }))
            .collect(),
        Completion::Rejected(r) => panic!("{file}: {r:?}"),
    }
}

#[test]
fn csv_corpus_converts_to_the_expected_canonical_output() {
    for (file, mapping) in [
        ("hospital-a.csv", "hospital-a"),
        ("clinic-b.csv", "clinic-b"),
    ] {
        let records = convert(file, mapping);
        let text: String = records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        expect_file(
            &root().join("expected/csv").join(format!("{mapping}.jsonl")),
            &text,
        );
        let errors: Vec<&Value> = records
            .iter()
            .flat_map(|r| r["findings"].as_array().unwrap())
            .filter(|f| f["severity"] == "error")
            .collect();
        assert!(
            errors.is_empty(),
            "{file}: the clean corpus has errors: {errors:?}"
        );
    }
}

#[test]
fn municipal_corpus_converts_to_the_expected_certifications() {
    let catalog = Catalog::load(None).unwrap();
    let mut decisions = Vec::new();
    for (file, layout) in [("city-a.csv", "city-a"), ("city-b.dat", "city-b")] {
        let bytes = std::fs::read(root().join("corpus/municipal").join(file)).unwrap();
        let sha = content_hash(&bytes);
        let input = Input {
            bytes: &bytes,
            content_type: None,
            sha256: &sha,
        };
        let context = kakehashi_sdk::MappingContext {
            diseases: &catalog.diseases,
            templates: &catalog.templates,
            mappings: &catalog.mappings,
            mapping: Some(layout),
        };
        let converted = kakehashi_adapter_municipal::MunicipalAdapter
            .convert(&input, &context)
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let mut text = String::new();
        for c in &converted {
            assert!(c.findings.is_empty(), "{file}: {:?}", c.findings);
            let record = json!({ "record": c.record, "findings": c.findings });
            text += &(serde_json::to_string(&record).unwrap() + "\n");
        }
        expect_file(
            &root()
                .join("expected/municipal")
                .join(format!("{layout}.jsonl")),
            &text,
        );
        // Both layouts carry the same decisions; only the provenance differs.
        decisions.push(
            converted
                .into_iter()
                .map(|c| {
                    let mut v = serde_json::to_value(c.record).unwrap();
                    v.as_object_mut().unwrap().remove("provenance");
                    v
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(decisions[0], decisions[1]);
}

#[test]
fn the_pmh_example_validates_against_its_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/pmh-registration.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("pmh/example.json")).unwrap())
            .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    serde_json::from_value::<kakehashi_adapter_municipal::PmhRegistration>(example.clone())
        .unwrap();
    let mut broken = example;
    broken["medicalSubsidyInsurerNumber"] = json!("1234");
    broken["basicFiveInfo"]["sex"] = json!("M");
    assert!(validator.iter_errors(&broken).count() >= 2);
}

#[test]
fn mynaportal_sample_reads_to_the_expected_applications() {
    let catalog = Catalog::load(None).unwrap();
    let bytes = std::fs::read(root().join("corpus/mynaportal/sample-download.zip")).unwrap();
    let sha = content_hash(&bytes);
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: &sha,
    };
    let adapter = kakehashi_adapter_mynaportal::MynaportalAdapter::default();
    assert!(adapter.sniff(&input));
    let context = kakehashi_sdk::MappingContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        mappings: &catalog.mappings,
        mapping: Some("pittari-nanbyo"),
    };
    let download = adapter
        .read_download(&input, &context)
        .unwrap_or_else(|e| panic!("sample-download.zip: {e:?}"));
    let text: String = download
        .applications
        .iter()
        .map(|c| {
            serde_json::to_string(&json!({ "record": c.record, "findings": c.findings })).unwrap()
                + "\n"
        })
        .collect();
    expect_file(
        &root().join("expected/mynaportal/sample-download.jsonl"),
        &text,
    );
    assert!(
        download.applications.iter().all(|c| c.findings.is_empty()),
        "the sample has findings"
    );
    // Every attachment's bytes came with the download, under the hash the record names.
    for converted in &download.applications {
        let kakehashi_sdk::Record::Application(a) = &converted.record else {
            panic!("not an application");
        };
        assert!(download.files.contains_key(&a.provenance.source_sha256));
        for attachment in &a.attachments {
            assert_eq!(
                download.files[&attachment.sha256].bytes.len() as u64,
                attachment.size
            );
        }
    }
}

/// The intake API's example (`conformance/intake/application.json`, the one the README sends)
/// validates against the published schema, and a misspelt member does not.
#[test]
fn the_intake_example_validates_against_its_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/intake-application.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("intake/application.json")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&example)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let mut broken = example.clone();
    broken["patient"]["birthday"] = json!("1968-03-21");
    broken["procedure"] = json!("transfer");
    assert_eq!(validator.iter_errors(&broken).count(), 2);
}
