//! `kakehashi receiver`: the reference receiver (the national DB stand-in of
//! `conformance/push/PROTOCOL.md`) in the main binary, for demos and end-to-end tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use kakehashi_receiver::config::DEFAULT_DATA_DIR;
use kakehashi_receiver::{Receiver, ReceiverConfig};

use crate::config::Config;

/// Where the receiver's settings come from.
#[derive(Debug, clap::Args)]
pub struct ReceiverArgs {
    /// Receiver configuration file (TOML, see conformance/push/README.md).
    #[arg(long, conflicts_with = "certs_dir")]
    config: Option<PathBuf>,
    /// Development PKI to take the certificates and payload keys from
    /// [default: the gateway's, ./kakehashi-data/certs].
    #[arg(long)]
    certs_dir: Option<PathBuf>,
    /// Directory of the receiver's SQLite file [default: ./kakehashi-receiver-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:9443].
    #[arg(long)]
    listen: Option<SocketAddr>,
}

/// Runs the receiver until Ctrl-C or SIGTERM.
pub fn run(args: ReceiverArgs) -> anyhow::Result<ExitCode> {
    let (mut config, hint) = match args.config {
        Some(path) => (ReceiverConfig::from_file(&path)?, String::new()),
        None => {
            let certs = args
                .certs_dir
                .unwrap_or_else(|| Config::default().certs_dir());
            let hint = format!(
                "using the development PKI in {} (`kakehashi certs init` makes it)",
                certs.display()
            );
            let config = ReceiverConfig::from_dev_pki(&certs, Path::new(DEFAULT_DATA_DIR));
            (config, hint)
        }
    };
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let receiver = Receiver::bind(config).await.context(hint)?;
        receiver.run(super::shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
