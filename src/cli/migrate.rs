//! `kakehashi store migrate --from DIR --to postgres://…`: an embedded store into PostgreSQL,
//! for a deployment that outgrows one machine. The data directory is locked as the gateway
//! locks it, so nothing is written while it is read; the copy is checked and can be repeated.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, bail};

use super::admin::{block_on, cli_actor};
use crate::config::PostgresUrl;
use crate::store::{AuditTrail, SqlStore, StoreLocation, copy_store};

pub fn migrate(from: PathBuf, to: String, config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let mut config = super::load_config(config, None, Some(from.clone()))?;
    if !from.join(crate::store::DATABASE_FILE).exists() {
        bail!(
            "no database at {}: nothing to migrate (is the data directory right?)",
            from.join(crate::store::DATABASE_FILE).display()
        );
    }
    let target = PostgresUrl::try_from(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    // The source as the gateway would open it (migrated, sealed with its key file) — never the
    // configuration's shared store.
    config.store.url = None;
    let _lock = crate::server::lock_data_dir(&config)
        .context("the gateway must be stopped while its database is migrated")?;
    // Named without its credentials, for the audit trail.
    let database = sqlx::postgres::PgConnectOptions::from_str(target.as_str())
        .map(|o| {
            format!(
                "{} on {}",
                o.get_database().unwrap_or("(default)"),
                o.get_host()
            )
        })
        .context("--to")?;
    block_on(async {
        let source = crate::server::open_store(&config).await?;
        // Recorded in the source, so that the copy carries it and a second run agrees.
        source
            .append_audit(
                &cli_actor("store.migrate")
                    .with_detail(format!("copying into the PostgreSQL database {database}")),
            )
            .await?;
        let target = SqlStore::open(
            &StoreLocation::Postgres(target.as_str().to_owned()),
            source.sealer().clone(),
        )
        .await
        .context("opening the PostgreSQL database")?;
        let mut last = String::new();
        let report = copy_store(&source, &target, |table, read, total| {
            if table != last || read == total || read % 10_000 == 0 {
                eprintln!("{table}: {read} of {total} rows");
                last = table.to_owned();
            }
        })
        .await?;
        for (table, (rows, written)) in &report.tables {
            println!("{table}: {rows} rows ({written} copied now)");
        }
        let head = match &report.audit_head {
            Some((seq, link)) => format!("record {seq}, link {link}"),
            None => "empty".to_owned(),
        };
        println!("the counts agree; the audit chain's head is the same in both: {head}");
        anyhow::Ok(())
    })??;
    println!(
        "now set [store] url in every instance's configuration; keep {} until the new store is trusted",
        from.display()
    );
    Ok(ExitCode::SUCCESS)
}
