//! The receiver's configuration: what it listens on, where it keeps its data, and the
//! certificates and keys it trusts. Read from a TOML file, or derived from a development PKI.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use kakehashi_envelope::{ENCRYPTION_KEY_FILE, SIGNING_PUBLIC_FILE};
use kakehashi_tls::pki::{CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE};
use serde::{Deserialize, Serialize};

use crate::ReceiverError;

/// The default port, next to the gateway's 8443.
pub const DEFAULT_PORT: u16 = 9443;
/// The default data directory.
pub const DEFAULT_DATA_DIR: &str = "kakehashi-receiver-data";

/// Configuration of a [`crate::Receiver`]. Relative paths are taken from the working directory.
///
/// ```toml
/// listen = "127.0.0.1:9443"
/// data_dir = "kakehashi-receiver-data"
/// client_ca = "certs/ca.pem"
/// cert = "certs/server.pem"
/// key = "certs/server.key"
/// decryption_key = "certs/payload-encryption.key"
/// sender_keys = ["certs/payload-signing.pub"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    /// Address to listen on (default `127.0.0.1:9443`; port 0 picks a free port).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Directory of the receiver's SQLite file, `receiver.sqlite` (default
    /// `kakehashi-receiver-data`); created if missing.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// CA certificate(s), PEM, that gateways' client certificates must chain to.
    pub client_ca: PathBuf,
    /// The receiver's server certificate chain, PEM, end-entity first.
    pub cert: PathBuf,
    /// The receiver's server private key, PEM.
    pub key: PathBuf,
    /// The P-256 private key, PEM, that deliveries are encrypted to.
    pub decryption_key: PathBuf,
    /// Public keys, PEM, of the gateways whose signatures are accepted (matched by key id).
    pub sender_keys: Vec<PathBuf>,
    /// Accept only sealed deliveries (`application/jose`; default `true`). `false` also accepts
    /// the plain delivery document as `application/json` — for benchmarks of the transport
    /// only, never with patient data.
    #[serde(default = "default_require_encryption")]
    pub require_encryption: bool,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT))
}

fn default_data_dir() -> PathBuf {
    PathBuf::from(DEFAULT_DATA_DIR)
}

fn default_require_encryption() -> bool {
    true
}

impl ReceiverConfig {
    /// The files of a development PKI in `certs_dir` (as `kakehashi certs init` makes them):
    /// `ca.pem` for clients, `server.pem`/`server.key`, `payload-encryption.key` and the
    /// gateway's `payload-signing.pub`; data in `data_dir`; default listen address.
    pub fn from_dev_pki(certs_dir: &Path, data_dir: &Path) -> Self {
        Self {
            listen: default_listen(),
            data_dir: data_dir.to_path_buf(),
            client_ca: certs_dir.join(CA_CERT_FILE),
            cert: certs_dir.join(SERVER_CERT_FILE),
            key: certs_dir.join(SERVER_KEY_FILE),
            decryption_key: certs_dir.join(ENCRYPTION_KEY_FILE),
            sender_keys: vec![certs_dir.join(SIGNING_PUBLIC_FILE)],
            require_encryption: default_require_encryption(),
        }
    }

    /// Reads a TOML configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ReceiverError> {
        let error = |reason: String| ReceiverError::Config {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        toml::from_str(&text).map_err(|e| error(e.to_string()))
    }
}
