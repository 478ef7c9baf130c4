#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("KAKEHASHI_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    kakehashi::api::install_panic_hook();
    let cli = kakehashi::cli::Cli::parse();
    match kakehashi::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kakehashi: {e:#}");
            ExitCode::from(2)
        }
    }
}
