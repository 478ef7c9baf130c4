//! `kakehashi mapping test DIR`: a mapping held to its examples, as the conformance kit holds
//! the gateway to its corpus. Each case (`DIR/cases/NAME.toml`) names a sample input, the
//! adapter and mapping to read it with, and a file of the expected canonical output with its
//! findings, one JSON line per record; the runner converts the input exactly as the gateway
//! would (adapter, checks, auto-calculation) and compares. `DIR/mappings/`, when present, is
//! added to the built-in mappings as a gateway's `mappings_dir` is, so an integrator's CI runs
//! the mappings it is about to deploy.
//!
//! ```toml
//! # DIR/cases/hospital-a.toml
//! input = "../inputs/hospital-a.csv"        # relative to this file
//! expected = "../expected/hospital-a.jsonl"
//! adapter = "csv"                           # sniffed from the input when absent
//! mapping = "hospital-a"                    # chosen by the adapter when absent
//! content_type = "text/csv"                 # as the sender would declare it
//! today = "2026-11-21"                      # the date the checks count from
//! ```

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use kakehashi_sdk::{Input, Record, RecordKind};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::conversion::{read_document, submission_id};
use crate::registry::AdapterRegistry;

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    input: PathBuf,
    expected: PathBuf,
    #[serde(default)]
    adapter: Option<String>,
    #[serde(default)]
    mapping: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    today: NaiveDate,
}

/// Why the cases could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum MappingTestError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: {reason}")]
    Case { path: String, reason: String },
    #[error("{0}: no cases (put NAME.toml files in its cases/ folder)")]
    NoCases(String),
}

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed {
        records: usize,
    },
    /// The output differs; the first difference, located.
    Failed(String),
    /// The expected file was (re)written from the output.
    Blessed {
        records: usize,
    },
}

/// A case and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    pub name: String,
    pub verdict: Verdict,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MappingTestError + '_ {
    move |error| MappingTestError::Io {
        path: path.display().to_string(),
        error,
    }
}

/// The mappings folder of a test directory, when it has one.
pub fn mappings_dir(dir: &Path) -> Option<PathBuf> {
    let path = dir.join("mappings");
    path.is_dir().then_some(path)
}

/// The output of one conversion as JSON lines: a sheet as `{id, sheet, findings}`, another
/// record as `{record, findings}`, a rejected input as one `{rejected}` line.
fn output(
    registry: &AdapterRegistry,
    catalog: &Catalog,
    case: &CaseFile,
    bytes: &[u8],
) -> Result<String, String> {
    let sha256 = hex(&Sha256::digest(bytes));
    let input = Input {
        bytes,
        content_type: case.content_type.as_deref(),
        sha256: &sha256,
    };
    let registered = match &case.adapter {
        Some(name) => registry
            .get(name)
            .ok_or_else(|| format!("no adapter named `{name}`"))?,
        None => [
            RecordKind::Sheet,
            RecordKind::Application,
            RecordKind::Certification,
        ]
        .into_iter()
        .find_map(|kind| registry.choose(kind, None, &input).ok())
        .ok_or("no adapter reads the input; name one with `adapter`")?,
    };
    let adapter = registered.adapter.as_ref();
    let mapping = case.mapping.as_deref();
    let id = submission_id(
        "local",
        &sha256,
        adapter.name(),
        mapping.unwrap_or_default(),
    );
    let lines: Vec<Value> = match read_document(adapter, catalog, &input, mapping, &id, case.today)
    {
        Err(rejection) => vec![json!({ "rejected": rejection })],
        Ok(read) => {
            let sheets = read
                .sheets
                .into_iter()
                .map(|s| json!({ "id": s.id, "sheet": s.sheet, "findings": s.findings }));
            let applications = read.applications.into_iter().map(|a| {
                json!({ "record": Record::Application(Box::new(a.record)), "findings": a.findings })
            });
            let certifications = read.certifications.into_iter().map(|c| {
                json!({ "record": Record::Certification(Box::new(c.record)), "findings": c.findings })
            });
            sheets.chain(applications).chain(certifications).collect()
        }
    };
    Ok(lines.iter().map(|l| format!("{l}\n")).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first place two JSON values differ, as a JSON Pointer with both values.
fn first_difference(path: String, expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: std::collections::BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            keys.into_iter().find_map(|k| {
                let null = Value::Null;
                first_difference(
                    format!("{path}/{k}"),
                    e.get(k).unwrap_or(&null),
                    a.get(k).unwrap_or(&null),
                )
            })
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .find_map(|(i, (e, a))| first_difference(format!("{path}/{i}"), e, a)),
        _ if expected == actual => None,
        _ => Some(format!("at {path}: expected {expected}, got {actual}")),
    }
}

/// Compares output with expected text, line by line, naming the first difference.
fn compare(expected: &str, actual: &str) -> Option<String> {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
        if e == a {
            continue;
        }
        let parsed = (
            serde_json::from_str::<Value>(e),
            serde_json::from_str::<Value>(a),
        );
        let detail = match parsed {
            (Ok(e), Ok(a)) => first_difference(String::new(), &e, &a)
                .unwrap_or_else(|| "the same JSON, written differently".into()),
            _ => "the expected line is not JSON".into(),
        };
        return Some(format!("record {}: {detail}", i + 1));
    }
    (expected.len() != actual.len()).then(|| {
        format!(
            "{} records expected, {} converted",
            expected.len(),
            actual.len()
        )
    })
}

/// Runs every case of `dir/cases/`, in name order; with `bless`, writes the expected files
/// from the output instead of comparing.
pub fn run(
    dir: &Path,
    registry: &AdapterRegistry,
    catalog: &Catalog,
    bless: bool,
) -> Result<Vec<CaseOutcome>, MappingTestError> {
    let cases_dir = dir.join("cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .map_err(io(&cases_dir))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io(&cases_dir))?;
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    if files.is_empty() {
        return Err(MappingTestError::NoCases(dir.display().to_string()));
    }
    let mut outcomes = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(io(&file))?;
        let case: CaseFile = toml::from_str(&text).map_err(|e| MappingTestError::Case {
            path: file.display().to_string(),
            reason: e.to_string(),
        })?;
        let base = file.parent().unwrap_or(dir);
        let input_path = base.join(&case.input);
        let bytes = std::fs::read(&input_path).map_err(io(&input_path))?;
        let actual =
            output(registry, catalog, &case, &bytes).map_err(|reason| MappingTestError::Case {
                path: file.display().to_string(),
                reason,
            })?;
        let records = actual.lines().count();
        let expected_path = base.join(&case.expected);
        let verdict = if bless {
            std::fs::write(&expected_path, &actual).map_err(io(&expected_path))?;
            Verdict::Blessed { records }
        } else {
            match std::fs::read_to_string(&expected_path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Verdict::Failed(format!("no expected output {}", expected_path.display()))
                }
                Err(e) => return Err(io(&expected_path)(e)),
                Ok(expected) => match compare(&expected, &actual) {
                    None => Verdict::Passed { records },
                    Some(difference) => Verdict::Failed(difference),
                },
            }
        };
        outcomes.push(CaseOutcome {
            name: file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            verdict,
        });
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_named_by_record_and_pointer() {
        let expected = "{\"sheet\":{\"patient\":{\"name\":\"山田\"}},\"findings\":[]}\n{\"a\":1}\n";
        let actual = "{\"sheet\":{\"patient\":{\"name\":\"山本\"}},\"findings\":[]}\n{\"a\":1}\n";
        assert_eq!(
            compare(expected, actual).unwrap(),
            "record 1: at /sheet/patient/name: expected \"山田\", got \"山本\""
        );
        assert_eq!(compare(expected, expected), None);
        assert_eq!(
            compare(expected, "{\"a\":1}\n").unwrap(),
            "record 1: at /a: expected null, got 1"
        );
        let one = "{\"sheet\":{\"patient\":{\"name\":\"山田\"}},\"findings\":[]}\n";
        assert_eq!(
            compare(expected, one).unwrap(),
            "2 records expected, 1 converted"
        );
    }
}
