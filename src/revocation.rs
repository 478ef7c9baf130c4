//! Revocation lists picked up while serving. A terminal revoked (`kakehashi certs revoke`, or
//! a new CRL from the CA dropped in place) must be refused by every instance at once, not at
//! its next restart: the gateway reads its lists' contents every `[tls] crl_check_seconds` and,
//! when any changed (or one appeared), builds the TLS configuration anew for the next
//! connections. A list that cannot be read or parsed leaves the last good configuration in
//! force, with an error in the log every time it is checked.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::config::Config;

/// The TLS configuration for new connections, kept up to date with the revocation lists of
/// `config` by a task that ends when the receiver is dropped.
pub fn follow(
    config: &Config,
    first: Arc<rustls::ServerConfig>,
) -> watch::Receiver<Arc<rustls::ServerConfig>> {
    let (sender, receiver) = watch::channel(first);
    let config = config.clone();
    let every = Duration::from_secs(config.tls.crl_check_seconds.unwrap_or(30).max(1));
    tokio::spawn(async move {
        let mut applied = fingerprint(&config);
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = sender.closed() => return,
                _ = ticks.tick() => {}
            }
            let now = fingerprint(&config);
            if now == applied {
                continue;
            }
            let tls = config.server_tls();
            match kakehashi_tls::server_config(&tls) {
                Ok(server) => {
                    sender.send_replace(server);
                    applied = now;
                    tracing::info!(
                        lists = tls.crls.len(),
                        "revocation lists changed: new connections are checked against them"
                    );
                }
                Err(error) => tracing::error!(
                    %error,
                    "revocation lists changed but cannot be used; the previous ones stay in force"
                ),
            }
        }
    });
    receiver
}

/// What the revocation lists hold now: their paths and contents ("missing" for one that is
/// not there).
fn fingerprint(config: &Config) -> [u8; 32] {
    let mut hash = Sha256::new();
    for path in config.server_tls().crls {
        hash.update(path.as_os_str().as_encoded_bytes());
        match std::fs::read(&path) {
            Ok(bytes) => hash.update(&bytes),
            Err(_) => hash.update(b"\0missing"),
        }
    }
    hash.finalize().into()
}
