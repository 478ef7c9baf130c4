//! A development mTLS server for trying the TLS setup by hand and for the conformance scan.
//!
//! Usage: `cargo run -p kakehashi-tls --example dev_server -- <pki dir> <port>`
//!
//! Creates a development PKI with one terminal, `hospital`, in `<pki dir>` if there is none,
//! then serves `GET /` on 127.0.0.1:`<port>` over mutual TLS until Ctrl-C. The response names
//! the terminal that connected, e.g.
//! `curl --cacert DIR/ca.pem --cert DIR/hospital.pem --key DIR/hospital.key https://localhost:PORT/`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::{Extension, Router};
use kakehashi_tls::{
    ClientSpec, ConnectionLimits, PeerIdentity, ServerTls, init_dev_pki, serve_tls, server_config,
};

async fn hello(
    Extension(identity): Extension<PeerIdentity>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> String {
    format!(
        "hello {} ({}) from {remote}\n",
        identity.terminal_name().unwrap_or("unknown terminal"),
        identity
            .organisation
            .as_deref()
            .unwrap_or("no organisation"),
    )
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(Ok(port)), 2) = (
        arguments.first().map(PathBuf::from),
        arguments.get(1).map(|p| p.parse::<u16>()),
        arguments.len(),
    ) else {
        eprintln!("usage: dev_server <pki dir> <port>");
        return ExitCode::from(2);
    };
    match run(dir, port).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dev_server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(dir: PathBuf, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let pki = init_dev_pki(&dir, &[ClientSpec::new("hospital", "東京中央病院")])?;
    if pki.created {
        eprintln!("created a development PKI in {}", dir.display());
    }
    let config = server_config(&ServerTls::from_dev_pki(&dir))?;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    eprintln!("serving mutual TLS on https://{}", listener.local_addr()?);
    let app = Router::new().route("/", get(hello));
    let shutdown = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            eprintln!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    serve_tls(listener, config, app, ConnectionLimits::default(), shutdown).await?;
    Ok(())
}
