//! The one error type of this crate. Its variants are distinct enough that a receiver can
//! answer each refusal with its own stable error code.

use std::io;
use std::path::PathBuf;

/// Why a key could not be loaded or written, or why an envelope could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// A key file is missing, unreadable, not PEM, or not a P-256 key of the expected kind.
    #[error("{path}: {reason}")]
    Key { path: PathBuf, reason: String },
    /// Writing a generated key failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The input is not a compact JWE holding a compact JWS (bad structure, base64 or header
    /// JSON), or the signed payload cannot be read.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// A header names an algorithm, encryption, type or extension this profile does not allow.
    #[error("unsupported envelope: {layer} {header} is {found:?}, expected {expected:?}")]
    Unsupported {
        /// `JWE` (outer) or `JWS` (inner).
        layer: &'static str,
        header: &'static str,
        found: String,
        expected: &'static str,
    },
    /// The envelope is not encrypted to our key, or its ciphertext or tag was altered.
    #[error("cannot decrypt the envelope: {0}")]
    Undecryptable(String),
    /// The inner signature names a key id that is not among the accepted senders.
    #[error("unknown sender key id {key_id:?}")]
    UnknownSender { key_id: String },
    /// The inner signature does not verify under the key its `kid` names.
    #[error("signature does not verify under sender key {key_id:?}")]
    BadSignature { key_id: String },
    /// AWS-LC failed to sign, generate the ephemeral key or encrypt (a key that passed loading
    /// should never cause this).
    #[error("cannot seal the envelope: {0}")]
    Seal(String),
}
