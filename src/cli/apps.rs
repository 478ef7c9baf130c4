//! `kakehashi apps`: application vendors' machine credentials (issued once, revoked) and the
//! municipalities' allow-lists of apps, for the administrator on the data directory. An app
//! itself is registered as an organisation (`kakehashi organisations add --kind app`) and its
//! terminals as any other (`kakehashi terminals add NAME --organisation app:CODE`).

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::admin::{DataArgs, block_on, cli_actor};
use crate::auth::token;
use crate::store::{Apps, AuditTrail, OrganisationKind, Store, Webhooks};

#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Issue a machine credential for an app; printed once as JSON (only its SHA-256 is kept).
    Credential {
        #[command(flatten)]
        data: DataArgs,
        /// The app, `app:CODE`.
        #[arg(long)]
        app: String,
    },
    /// List an app's credentials (ids and dates, never the credentials).
    Credentials {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        app: String,
    },
    /// Revoke a credential by its id: the app's calls with it are refused from now on.
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        credential_id: String,
    },
    /// Let a municipality accept applications from an app (or, with --withdraw, stop).
    Accept {
        #[command(flatten)]
        data: DataArgs,
        /// `municipality:CODE`
        #[arg(long)]
        municipality: String,
        /// `app:CODE`
        #[arg(long)]
        app: String,
        #[arg(long)]
        withdraw: bool,
    },
    /// An app's webhook: with --url set it (the new signing secret is printed once, as JSON),
    /// with --remove remove it, with neither show it (never the secret).
    Webhook {
        #[command(flatten)]
        data: DataArgs,
        /// The app, `app:CODE`.
        #[arg(long)]
        app: String,
        /// The endpoint, an `https` URL.
        #[arg(long, conflicts_with = "remove")]
        url: Option<String>,
        #[arg(long)]
        remove: bool,
    },
}

/// Fails unless `id` is a registered organisation of `kind`.
async fn require_kind(store: &dyn Store, id: &str, kind: OrganisationKind) -> anyhow::Result<()> {
    match store.organisation(id).await? {
        Some(o) if o.kind == kind => Ok(()),
        Some(_) => bail!("{id} is not of kind {}", kind.as_str()),
        None => bail!(
            "no organisation {id}; add it first (kakehashi organisations add --kind {})",
            kind.as_str()
        ),
    }
}

pub fn run(command: AppsCommand) -> anyhow::Result<ExitCode> {
    match command {
        AppsCommand::Credential { data, app } => {
            let config = data.config()?;
            let (credential, hash) = token::new_app_token();
            let id = format!("cred-{}", uuid::Uuid::new_v4().simple());
            block_on(async {
                let store = crate::server::open_store(&config).await?;
                require_kind(store.as_ref(), &app, OrganisationKind::App).await?;
                store
                    .create_app_credential(
                        &id,
                        &app,
                        &hash,
                        &cli_actor("app.credential").on("app_credential", &id),
                    )
                    .await?;
                anyhow::Ok(())
            })??;
            println!(
                "{}",
                serde_json::json!({ "app": app, "credential_id": id, "credential": credential })
            );
        }
        AppsCommand::Credentials { data, app } => {
            let config = data.config()?;
            let listed = block_on(async {
                let store = crate::server::open_store(&config).await?;
                anyhow::Ok(store.app_credentials(&app).await?)
            })??;
            for c in listed {
                let revoked = c
                    .revoked_at
                    .map(|at| format!("\trevoked {at}"))
                    .unwrap_or_default();
                println!(
                    "{}\t{}\tissued {} by {}{revoked}",
                    c.id, c.organisation_id, c.created_at, c.created_by
                );
            }
        }
        AppsCommand::Revoke {
            data,
            credential_id,
        } => {
            let config = data.config()?;
            let revoked = block_on(async {
                let store = crate::server::open_store(&config).await?;
                anyhow::Ok(
                    store
                        .revoke_app_credential(
                            &credential_id,
                            &cli_actor("app.credential_revoke")
                                .on("app_credential", &credential_id),
                        )
                        .await?,
                )
            })??;
            if !revoked {
                bail!("no credential {credential_id} that is not revoked already");
            }
            println!("credential {credential_id} is revoked");
        }
        AppsCommand::Accept {
            data,
            municipality,
            app,
            withdraw,
        } => {
            let config = data.config()?;
            block_on(async {
                let store = crate::server::open_store(&config).await?;
                require_kind(
                    store.as_ref(),
                    &municipality,
                    OrganisationKind::Municipality,
                )
                .await?;
                require_kind(store.as_ref(), &app, OrganisationKind::App).await?;
                crate::api::intake::accept(
                    store.as_ref(),
                    &municipality,
                    &app,
                    !withdraw,
                    &cli_actor("app.acceptance"),
                )
                .await
                .context("recording the acceptance")?;
                anyhow::Ok(())
            })??;
            let verb = if withdraw {
                "no longer accepts"
            } else {
                "accepts"
            };
            println!("{municipality} {verb} applications from {app}");
        }
        AppsCommand::Webhook {
            data,
            app,
            url,
            remove,
        } => {
            let config = data.config()?;
            let shown = block_on(async {
                let store = crate::server::open_store(&config).await?;
                require_kind(store.as_ref(), &app, OrganisationKind::App).await?;
                if let Some(url) = url {
                    let audit = cli_actor("app.webhook_set");
                    return match crate::api::intake_webhook::register(
                        store.as_ref(),
                        &app,
                        &url,
                        &audit,
                    )
                    .await?
                    {
                        Ok(registered) => Ok(serde_json::to_value(registered)?),
                        Err(unusable) => bail!("the webhook URL cannot be used: {}", unusable.0),
                    };
                }
                if remove {
                    if !store
                        .remove_app_webhook(&app, &cli_actor("app.webhook_remove"))
                        .await?
                    {
                        bail!("{app} has no webhook");
                    }
                    return Ok(serde_json::json!({ "app_id": app, "removed": true }));
                }
                let audit = cli_actor("app.webhook_read").on("organisation", &app);
                let Some(webhook) = store.app_webhook(&app).await? else {
                    store.append_audit(&audit.outcome("not_found")).await?;
                    bail!("{app} has no webhook");
                };
                store.append_audit(&audit).await?;
                anyhow::Ok(serde_json::to_value(webhook)?)
            })??;
            println!("{shown}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
