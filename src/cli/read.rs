//! One file read offline as the gateway reads it: the registered adapter (named, or the one
//! that sniffs the file), the core's conversion and checks, every mapping checked first.
//! `kakehashi convert` and `kakehashi municipal convert` both print through here.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kakehashi_core::conversion::{CheckedRecord, read_each};
use kakehashi_core::registry::AdapterRegistry;
use kakehashi_sdk::{Input, Record, RecordKind};

use super::{print_findings, print_reviews};
use crate::catalog::Catalog;
use crate::checks::has_errors;
use crate::pipeline::{content_hash, submission_id, today_in_japan};

/// The adapter asked for, or the first of any kind that sniffs the file as its own.
fn choose<'r>(
    registry: &'r AdapterRegistry,
    name: Option<&str>,
    input: &Input<'_>,
) -> anyhow::Result<&'r dyn kakehashi_sdk::Adapter> {
    if let Some(name) = name {
        let known: Vec<&str> = registry.iter().map(|r| r.adapter.name()).collect();
        return registry
            .get(name)
            .map(|r| r.adapter.as_ref())
            .with_context(|| format!("no adapter named `{name}` (known: {})", known.join(", ")));
    }
    [
        RecordKind::Sheet,
        RecordKind::Application,
        RecordKind::Certification,
    ]
    .into_iter()
    .find_map(|kind| {
        registry
            .of_kind(kind)
            .find(|r| r.adapter.sniff(input))
            .map(|r| r.adapter.as_ref())
    })
    .context("no adapter recognises the file; name one with --adapter")
}

/// Reads `file`: records as JSON lines on stdout (a sheet as the canonical sheet, anything
/// else as its record), findings on stderr. Exits 1 when a record has errors, 2 when the file
/// cannot be read. Each record is printed as soon as it is read and checked, so a long export
/// takes the memory of one row, not of the whole file (adapters of rows stream).
pub fn print_file(
    registry: &AdapterRegistry,
    catalog: &Catalog,
    adapter: Option<&str>,
    mapping: Option<&str>,
    file: &Path,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let sha = content_hash(&bytes);
    let input = Input {
        bytes: &bytes,
        content_type: None,
        sha256: &sha,
    };
    let adapter = choose(registry, adapter, &input)?;
    let id = submission_id("local", &sha, adapter.name(), mapping.unwrap_or_default());
    let label = file.display().to_string();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut records, mut with_errors, mut reviews) = (0, 0, 0);
    // The first failure to write stdout (a closed pipe): reported once the reading ends.
    let mut failed: Option<anyhow::Error> = None;
    let mut print = |record: CheckedRecord| {
        if failed.is_some() {
            return;
        }
        let (json, findings) = match record {
            CheckedRecord::Sheet(s) => {
                // The review tasks the gateway would open for this sheet (scanned paper).
                print_reviews(&label, &s.reviews);
                reviews += s.reviews.len();
                (serde_json::to_value(&s.sheet), s.findings)
            }
            CheckedRecord::Application(a) => (
                serde_json::to_value(Record::Application(Box::new(a.record))),
                a.findings,
            ),
            CheckedRecord::Certification(c) => (
                serde_json::to_value(Record::Certification(Box::new(c.record))),
                c.findings,
            ),
        };
        let written = json.map_err(anyhow::Error::from).and_then(|json| {
            serde_json::to_writer(&mut out, &json)?;
            out.write_all(b"\n")?;
            Ok(())
        });
        if let Err(e) = written {
            failed = Some(e);
            return;
        }
        print_findings(&label, &findings);
        records += 1;
        with_errors += usize::from(has_errors(&findings));
    };
    let read = read_each(
        adapter,
        catalog,
        &input,
        mapping,
        &id,
        today_in_japan(),
        &mut print,
    );
    if let Some(e) = failed {
        return Err(e.context("writing to standard output"));
    }
    out.flush()?;
    if let Err(r) = read {
        let place = r.location.map(|l| format!("{l}: ")).unwrap_or_default();
        eprintln!(
            "{label}: {place}{}: {} / {}",
            r.code, r.message, r.message_ja
        );
        return Ok(ExitCode::from(2));
    }
    let noun = match adapter.produces() {
        RecordKind::Sheet => "sheets",
        RecordKind::Application => "applications",
        RecordKind::Certification => "decisions",
    };
    if reviews > 0 {
        eprintln!("{label}: {records} {noun}, {with_errors} with errors, {reviews} review tasks");
    } else {
        eprintln!("{label}: {records} {noun}, {with_errors} with errors");
    }
    Ok(if with_errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
