//! The `kakehashi` command line.

mod admin;
mod apps;
mod backup;
mod conformance;
mod deliveries;
mod intake;
mod mapping;
mod migrate;
mod municipal;
mod read;
mod receiver;
mod store;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kakehashi_sdk::{Finding, Severity, Sheet, SheetKind};

use crate::catalog::Catalog;
use crate::checks::{CheckContext, check_sheet};
use crate::config::Config;
use crate::pipeline::today_in_japan;

/// Kakehashi (架け橋): clinical survey sheets in, checked canonical sheets out.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (defaults: 127.0.0.1:8443, data in ./kakehashi-data).
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Data directory (database, journal).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Configuration file (kakehashi.toml).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Convert a file offline: canonical JSON lines on stdout, findings on stderr. Exits 1 when a
    /// record has errors, 2 when the file cannot be converted.
    Convert {
        /// Adapter to use (csv, fhir, jsonl, scan, mynaportal, municipal); the one that
        /// recognises the file when absent.
        #[arg(long)]
        adapter: Option<String>,
        /// Mapping (column layout) name; detected from the header line when absent.
        #[arg(long)]
        mapping: Option<String>,
        /// Extra mappings folder (same layout as mappings/).
        #[arg(long)]
        mappings_dir: Option<PathBuf>,
        /// The file.
        file: PathBuf,
    },
    /// Check a canonical sheet (JSON): prints the normalised sheet, findings and the machine
    /// judgment (機械判定) on stderr; exits 1 when it has errors.
    Check {
        /// Extra mappings folder (same layout as mappings/).
        #[arg(long)]
        mappings_dir: Option<PathBuf>,
        /// 申請日 (application date, YYYY-MM-DD or 和暦) for the 軽症高額 window; today when
        /// absent.
        #[arg(long, value_parser = kakehashi_sdk::parse::parse_date)]
        applied_on: Option<chrono::NaiveDate>,
        /// The sheet.
        sheet: PathBuf,
    },
    /// List notified diseases (指定難病 and 小慢), optionally filtered.
    Diseases {
        /// nanbyo (指定難病) or shoman (小慢).
        #[arg(long)]
        kind: Option<SheetKind>,
        /// Part of a name (Japanese or English) or a notified number.
        query: Option<String>,
    },
    /// Mapping files: check one, or run a folder of cases against their expected output.
    #[command(subcommand)]
    Mapping(mapping::MappingCommand),
    /// Development certificates: a CA, a server certificate and terminal certificates.
    #[command(subcommand)]
    Certs(admin::CertsCommand),
    /// Organisations (hospitals, municipalities, the operator).
    #[command(subcommand)]
    Organisations(admin::OrganisationsCommand),
    /// Permitted terminals (client-certificate names) and their organisations.
    #[command(subcommand)]
    Terminals(admin::TerminalsCommand),
    /// Apps (the intake API): machine credentials, and the municipalities that accept them.
    #[command(subcommand)]
    Apps(apps::AppsCommand),
    /// The intake API's reference client: send an application as an app, read its status.
    #[command(subcommand)]
    Intake(intake::IntakeCommand),
    /// User accounts.
    #[command(subcommand)]
    Users(admin::UsersCommand),
    /// The hash-chained audit trail.
    #[command(subcommand)]
    Audit(admin::AuditCommand),
    /// Data keys for encryption at rest.
    #[command(subcommand)]
    Keys(admin::KeysCommand),
    /// The conformance kit: the FHIR corpus against its expected canonical output.
    #[command(subcommand)]
    Conformance(conformance::ConformanceCommand),
    /// Deliveries to the national DB: list, and retry or discard dead letters.
    #[command(subcommand)]
    Deliveries(deliveries::DeliveriesCommand),
    /// The municipal certification back office: decision files and co-payment caps.
    #[command(subcommand)]
    Municipal(municipal::MunicipalCommand),
    /// The reference receiver, a national-DB stand-in speaking kakehashi-push/1 over mutual TLS
    /// (conformance/push/PROTOCOL.md), until Ctrl-C or SIGTERM.
    Receiver(receiver::ReceiverArgs),
    /// The database: a consistent backup while the gateway serves; migration to PostgreSQL.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Write the canonical JSON Schemas (conformance/schema/).
    Schema {
        /// Folder to write into.
        #[arg(long, default_value = "conformance/schema")]
        out: PathBuf,
    },
}

/// The review tasks the gateway would open for a sheet (OCR readings only), one a line: where,
/// the box's label and field, the value read, and why.
fn print_reviews(label: &str, reviews: &[crate::store::NewReview]) {
    let mut err = std::io::stderr().lock();
    for r in reviews {
        let d = &r.detail;
        let _ = writeln!(
            err,
            "{label}: {}: review {} [{}]: read 「{}」 (confidence {:.2}): {}",
            d.location,
            d.label,
            r.target,
            d.read.as_deref().unwrap_or(""),
            r.confidence,
            d.reasons.join(", ")
        );
    }
}

fn print_findings(label: &str, findings: &[Finding]) {
    let mut err = std::io::stderr().lock();
    for f in findings {
        let place = f
            .location
            .as_ref()
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let item = f
            .item
            .as_deref()
            .map(|i| format!(" [{i}]"))
            .unwrap_or_default();
        let _ = writeln!(
            err,
            "{label}: {place}{} {}{item}: {} / {}",
            f.severity.as_str(),
            f.code,
            f.message,
            f.message_ja
        );
    }
}

/// The machine judgment in lines: the outcome, each part, and every tested item.
fn print_judgment(label: &str, j: &crate::judgment::Judgment) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{label}: 一次判定 {} ({:?})", j.outcome_ja, j.outcome);
    for (part, section) in [
        ("診断のカテゴリー", &j.category),
        ("重症度分類", &j.severity),
    ] {
        let _ = writeln!(err, "{label}:   {part} {}", section.outcome_ja);
        if let Some(note) = &section.note {
            let _ = writeln!(err, "{label}:     {}", note.message_ja);
        }
        for rule in &section.rules {
            let _ = writeln!(err, "{label}:     {} [{:?}]", rule.label, rule.status);
            for r in &rule.reasons {
                let observed = r
                    .observed
                    .as_ref()
                    .map_or("(未記入)".to_owned(), |v| v.to_string());
                let _ = writeln!(
                    err,
                    "{label}:       {} = {observed} ({}) [{:?}] {}",
                    r.item, r.expected, r.status, r.reason
                );
            }
        }
    }
    if let Some(m) = &j.mild_high_cost {
        let over: Vec<String> = m.months_over.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            err,
            "{label}:   軽症高額 {} ({}～{}: {} か月が {} 円超; 未記載 {} か月)",
            m.outcome_ja,
            m.window_from,
            m.window_to,
            over.len(),
            m.monthly_total_over_yen,
            m.months_missing.len()
        );
    }
}

pub(crate) fn load_config(
    config: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<Config> {
    let mut cfg = match config {
        Some(path) => Config::from_file(&path)?,
        None => Config::default(),
    };
    if let Some(listen) = listen {
        cfg.listen = listen;
    }
    if let Some(dir) = data_dir {
        cfg.data_dir = dir;
    }
    Ok(cfg)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

/// Runs a parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve {
            listen,
            data_dir,
            config,
        } => {
            let cfg = load_config(config, listen, data_dir)?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(crate::server::serve(cfg, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Convert {
            adapter,
            mapping,
            mappings_dir,
            file,
        } => {
            let (catalog, registry) = crate::adapters::load(
                mappings_dir.as_deref(),
                &crate::adapters::AdapterSettings::default(),
            )?;
            read::print_file(
                &registry,
                &catalog,
                adapter.as_deref(),
                mapping.as_deref(),
                &file,
            )
        }
        Command::Check {
            mappings_dir,
            applied_on,
            sheet,
        } => {
            let catalog = Catalog::load(mappings_dir.as_deref())?;
            let text = std::fs::read_to_string(&sheet)
                .with_context(|| format!("reading {}", sheet.display()))?;
            let mut parsed: Sheet = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a canonical sheet", sheet.display()))?;
            let context = CheckContext {
                diseases: &catalog.diseases,
                templates: &catalog.templates,
                today: today_in_japan(),
            };
            let findings = check_sheet(&mut parsed, &context);
            println!("{}", serde_json::to_string_pretty(&parsed)?);
            let label = sheet.display().to_string();
            print_findings(&label, &findings);
            let judgment = catalog.judge(&parsed, applied_on.unwrap_or_else(today_in_japan));
            print_judgment(&label, &judgment);
            Ok(if findings.iter().any(|f| f.severity == Severity::Error) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Diseases { kind, query } => {
            let catalog = Catalog::load(None)?;
            let mut out = std::io::stdout().lock();
            for entry in catalog.diseases.search(kind, query.as_deref()) {
                let number = match entry.key.group {
                    Some(g) => format!("{g}-{}", entry.key.number),
                    None => entry.key.number.to_string(),
                };
                let template = if catalog.templates.get(&entry.key).is_some() {
                    "\ttemplate"
                } else {
                    ""
                };
                let en = entry.name_en.as_deref().unwrap_or("");
                writeln!(
                    out,
                    "{}\t{number}\t{}\t{en}{template}",
                    entry.key.kind.as_str(),
                    entry.name.trim()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Certs(command) => admin::certs(command),
        Command::Organisations(command) => admin::organisations(command),
        Command::Terminals(command) => admin::terminals(command),
        Command::Apps(command) => apps::run(command),
        Command::Intake(command) => intake::run(command),
        Command::Users(command) => admin::users(command),
        Command::Audit(command) => admin::audit(command),
        Command::Keys(command) => admin::keys(command),
        Command::Conformance(command) => conformance::run(command),
        Command::Deliveries(command) => deliveries::run(command),
        Command::Municipal(command) => municipal::run(command),
        Command::Mapping(command) => mapping::run(command),
        Command::Receiver(args) => receiver::run(args),
        Command::Store(command) => store::run(command),
        Command::Schema { out } => {
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            for (name, schema) in crate::schema::published() {
                let path = out.join(name);
                std::fs::write(&path, serde_json::to_string_pretty(&schema)? + "\n")
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
