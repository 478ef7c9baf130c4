#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc, not glibc's malloc: glibc keeps what a thread freed in that thread's arena, so
/// after a burst of large documents the gateway stayed tens of MiB above its idle size;
/// mimalloc gives a thread's pages back when it ends — built to take them from the OS, not
/// from arenas (`.cargo/config.toml`) — and documents are read on threads that end with the
/// reading (`decode_thread.rs` has the measurements).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
