//! Typed errors for this crate.
//!
//! Every error that concerns a file names that file and says what is wrong with it, so an
//! operator who misplaced a key or pointed at the wrong CA can fix the configuration from the
//! message alone.

use std::io;
use std::path::{Path, PathBuf};

/// Failures while loading TLS material or reading a peer's certificate.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file does not exist.
    #[error("{path}: file does not exist")]
    Missing { path: PathBuf },
    /// The file exists but cannot be read.
    #[error("{path}: cannot read file: {source}")]
    Unreadable { path: PathBuf, source: io::Error },
    /// The file is not valid PEM.
    #[error("{path}: malformed PEM: {reason}")]
    MalformedPem { path: PathBuf, reason: String },
    /// The file holds no `CERTIFICATE` block.
    #[error("{path}: no certificate in file")]
    NoCertificate { path: PathBuf },
    /// The file holds no private key block.
    #[error("{path}: no private key in file")]
    NoPrivateKey { path: PathBuf },
    /// The file holds no `X509 CRL` block.
    #[error("{path}: no certificate revocation list in file")]
    NoCrl { path: PathBuf },
    /// A certificate in the file cannot be used as a trust anchor.
    #[error("{path}: unusable CA certificate: {reason}")]
    BadCaCertificate { path: PathBuf, reason: String },
    /// The private key does not belong to the certificate.
    #[error("{key}: private key does not match the certificate in {cert}")]
    KeyMismatch { cert: PathBuf, key: PathBuf },
    /// The certificate and key were readable but rustls refused them.
    #[error("{cert} / {key}: unusable certificate or key: {reason}")]
    UnusableCertificate {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    /// The client-certificate verifier could not be built (for example, a CRL that does not
    /// parse).
    #[error("client certificate verifier ({ca}): {reason}")]
    Verifier { ca: PathBuf, reason: String },
    /// rustls refused the protocol configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// A peer certificate could not be parsed.
    #[error("peer certificate: {reason}")]
    PeerCertificate { reason: String },
}

impl TlsError {
    /// Classifies rustls's refusal of a certificate chain and key loaded from `cert` and `key`.
    pub(crate) fn certified_key(error: rustls::Error, cert: &Path, key: &Path) -> Self {
        match error {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                Self::KeyMismatch {
                    cert: cert.to_path_buf(),
                    key: key.to_path_buf(),
                }
            }
            other => Self::UnusableCertificate {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
                reason: other.to_string(),
            },
        }
    }
}

/// Failures while creating or using the development PKI.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// Reading, writing or creating a file or directory failed.
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// A client name cannot be used as a file name and terminal URI.
    #[error("client name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    /// Issuing a client certificate would overwrite an existing one.
    #[error("{path}: already exists; refusing to overwrite")]
    AlreadyExists { path: PathBuf },
    /// The directory holds no development CA.
    #[error("{path}: no development CA here (run the PKI initialisation first)")]
    NoCa { path: PathBuf },
    /// A certificate, key or revocation list in the directory cannot be parsed.
    #[error("{path}: {reason}")]
    Unparsable { path: PathBuf, reason: String },
    /// The certificate to revoke was issued by another CA.
    #[error("{path}: not issued by the development CA in this directory")]
    ForeignCertificate { path: PathBuf },
    /// The requested validity period is empty or out of range.
    #[error("invalid validity period: {reason}")]
    InvalidValidity { reason: String },
    /// The operating system's random number generator failed.
    #[error("no random numbers from the operating system: {reason}")]
    Random { reason: String },
    /// rcgen could not generate or sign the object to be written to `path`.
    #[error("{path}: cannot generate: {source}")]
    Generate { path: PathBuf, source: rcgen::Error },
}
