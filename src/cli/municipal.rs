//! `kakehashi municipal`: the certification back office's files offline — read a decision file
//! with a layout, and price the monthly co-payment cap.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use kakehashi_adapter_municipal::CopaymentTables;
use kakehashi_sdk::{IncomeTier, RecordKind, SheetKind, SpecialStatus};

use crate::catalog::Catalog;

#[derive(Debug, Subcommand)]
pub enum MunicipalCommand {
    /// Read a decision file (CSV or fixed-length) with a layout of mappings/municipal/:
    /// certification records as JSON lines on stdout, findings on stderr. Exits 1 when a record
    /// has errors, 2 when the file cannot be read.
    Convert {
        /// Layout name (mappings/municipal/NAME.toml).
        #[arg(long)]
        layout: String,
        /// Extra mappings folder (same layout as mappings/).
        #[arg(long)]
        mappings_dir: Option<PathBuf>,
        /// The decision file.
        file: PathBuf,
    },
    /// The monthly co-payment cap (自己負担上限額, yen) from the published tables
    /// (mappings/reference/copayment.toml). Hospital meals (入院時の食費) are outside it.
    Copayment {
        /// nanbyo (指定難病) or shoman (小慢).
        #[arg(long)]
        kind: SheetKind,
        /// 階層区分: 生活保護, 低所得I, 低所得II, 一般所得I, 一般所得II, 上位所得 (or
        /// public_assistance, low_income_1, …).
        #[arg(long)]
        tier: IncomeTier,
        /// high_cost_long_term (高額かつ長期), ventilator (人工呼吸器等装着者) or severe (重症,
        /// 小慢); none is 一般.
        #[arg(long, value_parser = parse_status)]
        status: Option<SpecialStatus>,
        /// Extra mappings folder whose reference/copayment.toml replaces the built-in table.
        #[arg(long)]
        mappings_dir: Option<PathBuf>,
    },
}

fn parse_status(text: &str) -> Result<SpecialStatus, String> {
    SpecialStatus::parse_optional(text)?.ok_or_else(|| "leave --status out for 一般".to_owned())
}

pub fn run(command: MunicipalCommand) -> anyhow::Result<ExitCode> {
    match command {
        MunicipalCommand::Convert {
            layout,
            mappings_dir,
            file,
        } => {
            let (catalog, registry) = crate::adapters::load(
                mappings_dir.as_deref(),
                &crate::adapters::AdapterSettings::default(),
            )?;
            let adapter = registry
                .of_kind(RecordKind::Certification)
                .next()
                .map(|r| r.adapter.name());
            super::read::print_file(&registry, &catalog, adapter, Some(&layout), &file)
        }
        MunicipalCommand::Copayment {
            kind,
            tier,
            status,
            mappings_dir,
        } => {
            let catalog = Catalog::load(mappings_dir.as_deref())?;
            let tables = CopaymentTables::from_mappings(&catalog.mappings)?;
            let cap = tables.monthly_cap(kind, tier, status)?;
            println!("{cap}");
            eprintln!(
                "{} {} {}: {cap} 円/月 (入院時の食費を除く)",
                kind.as_str(),
                tier.label_ja(),
                status.map_or("一般", SpecialStatus::label_ja)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
