//! `kakehashi store …`: the database as a whole — an online backup of the embedded one, and
//! moving it into PostgreSQL when a deployment outgrows one machine.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::admin::DataArgs;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy the database, consistently and while the gateway serves, into DIR (made with mode
    /// 0700; it must not exist or be empty). The data key is not copied unless --with-keys.
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// Copy the data-key file too, into DIR/keys/ (the copy then opens on its own: keep it
        /// as safe as the key).
        #[arg(long)]
        with_keys: bool,
        /// The backup directory.
        dir: PathBuf,
    },
    /// Copy the embedded database of a data directory into a PostgreSQL database, sealed
    /// values as they are, then check the counts and the audit chain's head. Stop the gateway
    /// first; run it again after an interruption: rows already copied are kept.
    Migrate {
        /// The data directory (its key file unless the configuration names another).
        #[arg(long)]
        from: PathBuf,
        /// The PostgreSQL database, `postgres://user@host:port/db` (made empty beforehand).
        #[arg(long)]
        to: String,
        /// Configuration file (for `key_file`).
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

pub fn run(command: StoreCommand) -> anyhow::Result<ExitCode> {
    match command {
        StoreCommand::Backup {
            data,
            with_keys,
            dir,
        } => super::backup::backup(data, with_keys, dir),
        StoreCommand::Migrate { from, to, config } => super::migrate::migrate(from, to, config),
    }
}
