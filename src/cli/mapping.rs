//! `kakehashi mapping`: check a mapping file before it is deployed, and hold mappings to their
//! examples (docs/MAPPINGS.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use kakehashi_core::mapping_check::check_mapping;
use kakehashi_core::mapping_test::{self, Verdict};

use crate::adapters::{AdapterSettings, registry};
use crate::catalog::Catalog;

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Check one mapping file with its adapter: unknown keys and wrong types, unknown item
    /// codes, mapped values its field cannot read, two sources for one target. Exits 1 with
    /// the problems.
    Check {
        /// The adapter's mapping folder (csv, fhir, jsonl, municipal, mynaportal, scan); by
        /// default the file's parent folder.
        #[arg(long)]
        category: Option<String>,
        /// Extra mappings folder whose disease templates define further item codes.
        #[arg(long)]
        mappings_dir: Option<PathBuf>,
        /// The mapping file (for example mappings/csv/hospital-a.toml).
        file: PathBuf,
    },
    /// Run the cases of DIR/cases/ (sample input, expected canonical output and findings),
    /// with DIR/mappings/ added to the built-in mappings. Exits 1 when one differs.
    Test {
        /// Write the expected files from the output instead (after an intended change).
        #[arg(long)]
        bless: bool,
        /// The folder holding cases/ (and optionally mappings/).
        dir: PathBuf,
    },
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn run(command: MappingCommand) -> anyhow::Result<ExitCode> {
    let registry = registry(&AdapterSettings::default())?;
    match command {
        MappingCommand::Check {
            category,
            mappings_dir,
            file,
        } => {
            let category = category
                .or_else(|| file.parent().map(stem))
                .unwrap_or_default();
            let adapter = registry
                .iter()
                .find(|r| r.adapter.mapping_category() == category)
                .with_context(|| {
                    format!("no adapter reads mappings in `{category}/`; say which with --category")
                })?;
            let catalog = Catalog::load(mappings_dir.as_deref())?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let (sources, problems) =
                check_mapping(adapter.adapter.as_ref(), &catalog, &stem(&file), &text);
            let label = file.display();
            for p in &problems {
                eprintln!("{label}: {}: {} / {}", p.code, p.message, p.message_ja);
            }
            if problems.is_empty() {
                println!("{label}: ok ({category} mapping, {sources} sources)");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{label}: {} problem(s)", problems.len());
                Ok(ExitCode::from(1))
            }
        }
        MappingCommand::Test { bless, dir } => {
            let (catalog, registry) = crate::adapters::load(
                mapping_test::mappings_dir(&dir).as_deref(),
                &AdapterSettings::default(),
            )?;
            let outcomes = mapping_test::run(&dir, &registry, &catalog, bless)?;
            let mut failed = 0;
            for outcome in &outcomes {
                match &outcome.verdict {
                    Verdict::Passed { records } => {
                        println!("PASS {} ({records} records)", outcome.name);
                    }
                    Verdict::Blessed { records } => {
                        println!("BLESSED {} ({records} records)", outcome.name);
                    }
                    Verdict::Failed(difference) => {
                        failed += 1;
                        println!(
                            "FAIL {}: {difference} (run with --bless after an intended change)",
                            outcome.name
                        );
                    }
                }
            }
            println!(
                "mapping test: {} passed, {failed} failed",
                outcomes.len() - failed
            );
            Ok(if failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
