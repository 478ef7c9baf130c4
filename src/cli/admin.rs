//! Operator commands: certificates, organisations, terminals, users, the audit chain and the
//! data keys. They work on the data directory directly (the gateway may be stopped or
//! running: SQLite serialises the writers), and each change is audited as `system:cli`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::accounts::{self, AccountRequest};
use crate::config::Config;
use crate::store::{
    AuditEvent, AuditTrail, Directory, DoctorProfile, Organisation, OrganisationKind, Role, Store,
    Submissions,
};

/// Where the data is.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data directory (default ./kakehashi-data or the configuration's).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Configuration file (kakehashi.toml).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl DataArgs {
    pub(super) fn config(self) -> anyhow::Result<Config> {
        super::load_config(self.config, None, self.data_dir)
    }
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Make the development CA, server and terminal certificates (does nothing when they
    /// exist) and register the development terminals.
    Init(DataArgs),
    /// Issue one more terminal certificate from the development CA.
    Issue {
        #[command(flatten)]
        data: DataArgs,
        /// Terminal name (certificate CN and SAN URI).
        name: String,
        /// Organisation name written into the certificate (subject O).
        #[arg(long)]
        organisation: String,
    },
    /// Write a terminal's PKCS#12 bundle (NAME.p12, for browsers) anew under a new password,
    /// for instance when the one shown at issue was lost; the old password no longer opens it.
    Bundle {
        #[command(flatten)]
        data: DataArgs,
        name: String,
    },
    /// Revoke a terminal certificate: writes the development CA's CRL (restart to apply).
    Revoke {
        #[command(flatten)]
        data: DataArgs,
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrganisationsCommand {
    /// Register an organisation (does nothing when it exists).
    Add {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_parser = ["hospital", "municipality", "operator", "app"])]
        kind: String,
        /// 医療機関コード, 地方公共団体コード, or the operator's or app vendor's short name.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TerminalsCommand {
    /// Permit a terminal (by its certificate name) for an organisation (`kind:code`).
    Add {
        #[command(flatten)]
        data: DataArgs,
        name: String,
        #[arg(long)]
        organisation: String,
    },
    /// List the permitted terminals and their organisations.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create an account; prints its one-time initial password (and, for administrators, the
    /// TOTP secret to enrol in an authenticator app) as JSON.
    Add {
        #[command(flatten)]
        data: DataArgs,
        /// Login id.
        #[arg(long)]
        user: String,
        /// Organisation id, `kind:code` (e.g. hospital:1310000017).
        #[arg(long)]
        organisation: String,
        /// doctor, clerk, municipal_officer, administrator or integrator.
        #[arg(long)]
        role: Role,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// Give an account a new one-time initial password (printed as JSON), to be changed at the
    /// next login; also unlocks it and ends its sessions.
    Reset {
        #[command(flatten)]
        data: DataArgs,
        /// Login id.
        #[arg(long)]
        user: String,
    },
    /// Lift the lock after repeated failed logins.
    Unlock {
        #[command(flatten)]
        data: DataArgs,
        /// Login id.
        #[arg(long)]
        user: String,
    },
    /// List the accounts (no secrets), optionally of one organisation.
    List {
        #[command(flatten)]
        data: DataArgs,
        /// Organisation id, `kind:code`.
        #[arg(long)]
        organisation: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain: names every edited, deleted, inserted or unkeyed record, and with
    /// --anchor every record cut off or rewritten since that anchor was made. Exits 1 when the
    /// chain is broken.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// An anchor file written earlier (`audit anchor`, or the gateway's anchors directory).
        #[arg(long)]
        anchor: Option<PathBuf>,
    },
    /// Write the chain's head (sequence, link, time), signed with the audit key, to a file
    /// outside the database: FILE, or a new file in the anchors directory.
    Anchor {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new data key and a new audit key, re-seal everything with the data key, then
    /// retire the old data keys (audit keys stay: the records linked under them are verified
    /// with them). The gateway must be stopped (it would keep sealing with the old key).
    Rotate(DataArgs),
}

pub(super) fn cli_actor(action: &str) -> AuditEvent {
    AuditEvent {
        actor: "system:cli".into(),
        action: action.into(),
        outcome: "ok".into(),
        ..AuditEvent::default()
    }
}

pub(super) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    Ok(runtime.block_on(future))
}

pub fn certs(command: CertsCommand) -> anyhow::Result<ExitCode> {
    match command {
        CertsCommand::Init(data) => {
            let config = data.config()?;
            let bundles = block_on(async {
                let store = crate::server::open_store(&config).await?;
                crate::development::prepare(&config, store.as_ref()).await
            })??;
            for bundle in &bundles {
                print_bundle_password(
                    bundle,
                    "also kept in NAME.p12.password, for development only",
                );
            }
            println!(
                "development certificates are in {}",
                config.certs_dir().display()
            );
        }
        CertsCommand::Issue {
            data,
            name,
            organisation,
        } => {
            let config = data.config()?;
            let dir = config.certs_dir();
            kakehashi_tls::issue_client(
                &dir,
                &kakehashi_tls::ClientSpec::new(name.clone(), organisation),
            )?;
            let bundle = kakehashi_tls::write_bundle(&dir, &name)?;
            println!(
                "issued {0}.pem and {0}.key in {1}, and {0}.p12 for browsers; permit it with `kakehashi terminals add {0} --organisation KIND:CODE`",
                name,
                dir.display()
            );
            print_bundle_password(&bundle, "shown this once, stored nowhere");
        }
        CertsCommand::Bundle { data, name } => {
            let dir = data.config()?.certs_dir();
            let kept = kakehashi_tls::development_password_path(&dir, &name);
            if kept.try_exists()? {
                // A development terminal: its kept password follows the new bundle.
                std::fs::remove_file(&kept)?;
                let bundle = kakehashi_tls::write_development_bundle(&dir, &name)?
                    .context("the development bundle was not rewritten")?;
                print_bundle_password(
                    &bundle,
                    "also kept in NAME.p12.password, for development only",
                );
            } else {
                let bundle = kakehashi_tls::write_bundle(&dir, &name)?;
                print_bundle_password(&bundle, "shown this once, stored nowhere");
            }
        }
        CertsCommand::Revoke { data, name } => {
            let config = data.config()?;
            let crl = kakehashi_tls::revoke(&config.certs_dir(), &name)?;
            block_on(async {
                let store = crate::server::open_store(&config).await?;
                store
                    .append_audit(&cli_actor("terminal.revoke").on("terminal", &name))
                    .await?;
                anyhow::Ok(())
            })??;
            println!(
                "revoked {name}: {} (restart the gateway to apply)",
                crl.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Shows a bundle's password on standard output only, never in the log; `note` says whether
/// it is kept anywhere. The last word of the line is the password.
fn print_bundle_password(bundle: &kakehashi_tls::TerminalBundle, note: &str) {
    println!(
        "password of {} ({note}): {}",
        bundle.path.display(),
        bundle.password.expose()
    );
}

pub fn organisations(command: OrganisationsCommand) -> anyhow::Result<ExitCode> {
    let OrganisationsCommand::Add {
        data,
        kind,
        code,
        name,
    } = command;
    let config = data.config()?;
    let kind = OrganisationKind::parse(&kind).context("unknown organisation kind")?;
    let organisation = Organisation::new(kind, &code, &name);
    block_on(async {
        let store = crate::server::open_store(&config).await?;
        store.upsert_organisation(&organisation).await?;
        store
            .append_audit(&cli_actor("organisation.create").on("organisation", &organisation.id))
            .await?;
        anyhow::Ok(())
    })??;
    println!("{}", organisation.id);
    Ok(ExitCode::SUCCESS)
}

/// Every row of a paged listing, page by page.
async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, crate::store::StoreError>
where
    F: FnMut(u32, u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, crate::store::StoreError>>,
{
    const PAGE: u32 = 500;
    let mut all = Vec::new();
    loop {
        let offset = u32::try_from(all.len()).unwrap_or(u32::MAX);
        let rows = page(offset, PAGE).await?;
        let last = rows.len() < PAGE as usize;
        all.extend(rows);
        if last {
            return Ok(all);
        }
    }
}

pub fn terminals(command: TerminalsCommand) -> anyhow::Result<ExitCode> {
    match command {
        TerminalsCommand::Add {
            data,
            name,
            organisation,
        } => {
            let config = data.config()?;
            block_on(async {
                let store = crate::server::open_store(&config).await?;
                crate::terminals::permit(
                    store.as_ref(),
                    &name,
                    &organisation,
                    &cli_actor("terminal.permit"),
                )
                .await?;
                anyhow::Ok(())
            })??;
            println!("terminal {name} is permitted for {organisation}");
        }
        TerminalsCommand::List { data } => {
            let config = data.config()?;
            let terminals = block_on(async {
                let store = crate::server::open_store(&config).await?;
                anyhow::Ok(all_pages(|offset, limit| store.terminals(offset, limit)).await?)
            })??;
            for t in terminals {
                let disabled = if t.disabled { " (disabled)" } else { "" };
                println!("{}\t{}{disabled}", t.name, t.organisation_id);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn users(command: UsersCommand) -> anyhow::Result<ExitCode> {
    let (data, user, reset) = match command {
        UsersCommand::Add {
            data,
            user,
            organisation,
            role,
            name,
        } => return add_user(data, user, organisation, role, name),
        UsersCommand::List { data, organisation } => {
            let config = data.config()?;
            let users = block_on(async {
                let store = crate::server::open_store(&config).await?;
                let organisation = organisation.as_deref();
                anyhow::Ok(
                    all_pages(|offset, limit| store.users(organisation, offset, limit)).await?,
                )
            })??;
            println!("{}", serde_json::to_string_pretty(&users)?);
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Reset { data, user } => (data, user, true),
        UsersCommand::Unlock { data, user } => (data, user, false),
    };
    let config = data.config()?;
    block_on(async {
        let store = crate::server::open_store(&config).await?;
        let store: &dyn Store = store.as_ref();
        if reset {
            let initial_password =
                accounts::reset_password(store, &user, &cli_actor("user.reset_password")).await?;
            let shown =
                serde_json::json!({ "user_id": user, "initial_password": initial_password });
            println!("{}", serde_json::to_string_pretty(&shown)?);
        } else {
            accounts::unlock(store, &user, &cli_actor("user.unlock")).await?;
            println!("user {user} is unlocked");
        }
        anyhow::Ok(())
    })??;
    Ok(ExitCode::SUCCESS)
}

fn add_user(
    data: DataArgs,
    user: String,
    organisation: String,
    role: Role,
    name: String,
) -> anyhow::Result<ExitCode> {
    let config = data.config()?;
    let issued = block_on(async {
        let store = crate::server::open_store(&config).await?;
        let store: &dyn Store = store.as_ref();
        anyhow::Ok(
            accounts::create_account(
                store,
                AccountRequest {
                    user_id: user.clone(),
                    organisation_id: organisation,
                    role,
                    display_name: name,
                    profile: DoctorProfile::default(),
                    registration_batch: None,
                },
                &cli_actor("user.create"),
            )
            .await?,
        )
    })??;
    if !issued.created {
        anyhow::bail!("user {user} exists already; nothing was changed");
    }
    println!("{}", serde_json::to_string_pretty(&issued)?);
    Ok(ExitCode::SUCCESS)
}

pub fn audit(command: AuditCommand) -> anyhow::Result<ExitCode> {
    let (data, anchor) = match command {
        AuditCommand::Verify { data, anchor } => (data, anchor),
        AuditCommand::Anchor { data, out } => return anchor_audit(data, out),
    };
    let config = data.config()?;
    let anchor = anchor
        .map(|path| {
            crate::audit_anchor::read(&path)
                .with_context(|| format!("reading the anchor {}", path.display()))
        })
        .transpose()?;
    let report = block_on(async {
        let store = crate::server::open_store(&config).await?;
        anyhow::Ok(store.audit_verify(anchor.as_ref()).await?)
    })??;
    for problem in &report.breaks {
        println!("BROKEN: {problem}");
    }
    println!(
        "{} records; head {}; {}",
        report.records,
        report.head.as_deref().unwrap_or("-"),
        if report.breaks.is_empty() {
            "the chain is intact".to_owned()
        } else {
            format!("{} break(s)", report.breaks.len())
        }
    );
    Ok(if report.breaks.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `audit anchor`: the chain's head, signed, into `out` or the anchors directory.
fn anchor_audit(data: DataArgs, out: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let config = data.config()?;
    let anchor = block_on(async {
        let store = crate::server::open_store(&config).await?;
        anyhow::Ok(store.audit_anchor().await?)
    })??
    .context("the audit chain is empty: nothing to anchor")?;
    let path = out.unwrap_or_else(|| crate::audit_anchor::file_in(&config.anchor_dir(), &anchor));
    crate::audit_anchor::write(&anchor, &path)
        .with_context(|| format!("writing the anchor {}", path.display()))?;
    println!(
        "anchored record {} (link {}) in {}; keep a copy where the database's owner cannot write",
        anchor.seq,
        anchor.link,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn keys(command: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::Rotate(data) = command;
    let config = data.config()?;
    let key_file = config.key_file();
    let _lock = crate::server::lock_data_dir(&config)?;
    let rotated = kakehashi_vault::KeyRing::rotate(&key_file)?;
    println!(
        "new data key {}, audit key {}; re-sealing…",
        rotated.primary_id(),
        rotated.audit_key_id().unwrap_or("-")
    );
    let resealed = block_on(async {
        let store = crate::server::open_store(&config).await?;
        let count = store.reseal().await?;
        store
            .append_audit(&cli_actor("keys.rotate").with_detail(format!(
                "key {}; {count} rows re-sealed",
                rotated.primary_id()
            )))
            .await?;
        anyhow::Ok(count)
    })??;
    let retired = kakehashi_vault::KeyRing::retire_old_keys(&key_file)?;
    println!(
        "re-sealed {resealed} rows; keys now: {}",
        retired.key_ids().join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
