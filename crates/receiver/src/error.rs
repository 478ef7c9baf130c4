//! Why the receiver could not start or keep serving. Refusals of single deliveries are answers,
//! not errors: see `refusal`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure to configure, start or run the receiver.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// The configuration file cannot be read or parsed, or its values cannot work together.
    #[error("receiver configuration {path}: {reason}")]
    Config { path: PathBuf, reason: String },
    /// `sender_keys` is empty while encryption is required: no delivery could be verified.
    #[error("no sender_keys configured: no delivery could be verified")]
    NoSenderKeys,
    /// The TLS certificates or key cannot be loaded.
    #[error(transparent)]
    Tls(#[from] kakehashi_tls::TlsError),
    /// A payload key cannot be loaded.
    #[error(transparent)]
    PayloadKey(#[from] kakehashi_envelope::EnvelopeError),
    /// The embedded sheet schema does not compile (a build defect).
    #[error("sheet schema: {0}")]
    Schema(String),
    /// The SQLite file cannot be opened or prepared.
    #[error("store {path}: {source}")]
    Store { path: PathBuf, source: sqlx::Error },
    /// The listening socket cannot be bound.
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The accept loop failed.
    #[error("serving: {0}")]
    Serve(std::io::Error),
}
