//! `kakehashi conformance run`: every FHIR document of the corpus through the FHIR adapter and
//! the checks, compared with the expected canonical output in `conformance/fhir/expected/`.
//! The corpus is the public examples in `../shared/testdata/fhir/` (read in place: their
//! licences ask for byte-identical copies, so they are not copied) and the project's own
//! cases in `conformance/fhir/cases/` (malformed values, decimals, questionnaire answers).
//! A case passes when its output — the sheets with their findings, or the rejection with its
//! code and location — is exactly the expected file. `--bless` rewrites the expected files
//! after an intended change; review the diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::Input;
use serde_json::json;

use crate::catalog::Catalog;
use crate::pipeline::{self, content_hash};
use crate::store::Completion;

#[derive(Debug, Subcommand)]
pub enum ConformanceCommand {
    /// Run the FHIR corpus and report pass/fail per case.
    Run {
        /// Folder of the public examples.
        #[arg(long, default_value = "../shared/testdata/fhir")]
        corpus: PathBuf,
        /// The conformance kit's FHIR folder (cases/ and expected/).
        #[arg(long, default_value = "conformance/fhir")]
        kit: PathBuf,
        /// Write the actual output as the expected output.
        #[arg(long)]
        bless: bool,
    },
}

/// JSON files under a folder, sorted, with their path relative to it.
fn documents(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push((name, path));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The canonical output of one document: one JSON line per sheet, or the rejection.
pub fn output(catalog: &Catalog, bytes: &[u8]) -> String {
    let sha = content_hash(bytes);
    let input = Input {
        bytes,
        content_type: Some("application/fhir+json"),
        sha256: &sha,
    };
    let id = pipeline::submission_id("conformance", &sha, "fhir", "");
    // A fixed "today", so expected output does not age.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default();
    match pipeline::convert(&FhirAdapter, catalog, &input, None, &id, today) {
        Completion::Accepted(sheets) => sheets
            .into_iter()
            .map(|s| {
                json!({ "id": s.id, "sheet": s.sheet, "findings": s.findings }).to_string() + "\n"
            })
            .collect(),
        Completion::Rejected(r) => json!({ "rejected": r }).to_string() + "\n",
    }
}

pub fn run(command: ConformanceCommand) -> anyhow::Result<ExitCode> {
    let ConformanceCommand::Run { corpus, kit, bless } = command;
    let catalog = Catalog::load(None)?;
    let mut cases = documents(&corpus)?;
    cases.extend(
        documents(&kit.join("cases"))?
            .into_iter()
            .map(|(name, path)| (format!("cases/{name}"), path)),
    );
    let (mut passed, mut failed) = (0, 0);
    for (name, path) in &cases {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let actual = output(&catalog, &bytes);
        let expected_path = kit.join("expected").join(format!("{name}l"));
        if bless {
            if let Some(parent) = expected_path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&expected_path, &actual)?;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected == actual {
            passed += 1;
            println!("PASS {name}");
        } else {
            failed += 1;
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(e, a)| e != a)
                .unwrap_or(expected.lines().count().min(actual.lines().count()));
            println!(
                "FAIL {name}: differs from {} at line {} (run with --bless after an intended change)",
                expected_path.display(),
                line + 1
            );
        }
    }
    println!("conformance: {passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
