//! `kakehashi deliveries list|retry|discard`: the operator's view of the outbox. Works on the
//! data directory directly, whether the gateway runs or not; a running gateway picks a retried
//! delivery up within a second. Decisions are audited as `system:cli`.

use std::process::ExitCode;

use clap::Subcommand;

use super::admin::{DataArgs, block_on, cli_actor};
use crate::store::{Deliveries, Delivery, DeliveryStatus};

#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List deliveries, newest first (tab-separated; `--json` for JSON lines).
    List {
        #[command(flatten)]
        data: DataArgs,
        /// Only this status: pending, delivered, dead, discarded or withdrawn.
        #[arg(long, value_parser = parse_status)]
        status: Option<DeliveryStatus>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Send a dead letter again, with a fresh retry budget.
    Retry {
        #[command(flatten)]
        data: DataArgs,
        id: String,
    },
    /// Give a dead letter up for good.
    Discard {
        #[command(flatten)]
        data: DataArgs,
        id: String,
    },
}

fn parse_status(text: &str) -> Result<DeliveryStatus, String> {
    DeliveryStatus::parse(text).ok_or_else(|| {
        format!(
            "`{text}` is not a delivery status (pending, delivered, dead, discarded, withdrawn)"
        )
    })
}

fn line(d: &Delivery) -> String {
    format!(
        "{}\t{}\t{}\tattempts={}\t{}",
        d.id,
        d.sheet_id,
        d.status.as_str(),
        d.attempts,
        d.last_error.as_deref().unwrap_or("")
    )
}

pub fn run(command: DeliveriesCommand) -> anyhow::Result<ExitCode> {
    match command {
        DeliveriesCommand::List {
            data,
            status,
            limit,
            json,
        } => {
            let config = data.config()?;
            let deliveries = block_on(async {
                let store = crate::server::open_store(&config).await?;
                anyhow::Ok(store.deliveries(status, limit).await?)
            })??;
            for d in &deliveries {
                if json {
                    println!("{}", serde_json::to_string(d)?);
                } else {
                    println!("{}", line(d));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeliveriesCommand::Retry { data, id } => resolve(data, &id, DeliveryStatus::Pending),
        DeliveriesCommand::Discard { data, id } => resolve(data, &id, DeliveryStatus::Discarded),
    }
}

fn resolve(data: DataArgs, id: &str, to: DeliveryStatus) -> anyhow::Result<ExitCode> {
    let config = data.config()?;
    let action = if to == DeliveryStatus::Pending {
        "delivery.retry"
    } else {
        "delivery.discard"
    };
    let (resolved, current) = block_on(async {
        let store = crate::server::open_store(&config).await?;
        let audit = cli_actor(action).on("delivery", id);
        let resolved = store.resolve_dead_letter(id, to, &audit).await?;
        let current = store.delivery(id).await?;
        anyhow::Ok((resolved, current))
    })??;
    match (resolved, current) {
        (Some(d), _) => {
            println!("{}", line(&d));
            Ok(ExitCode::SUCCESS)
        }
        (None, Some(d)) => {
            anyhow::bail!(
                "delivery {id} is {}, not a dead letter; nothing changed",
                d.status.as_str()
            )
        }
        (None, None) => anyhow::bail!("no delivery with id {id}"),
    }
}
