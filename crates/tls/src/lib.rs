//! Mutual TLS for the Kakehashi gateway.
//!
//! Hospital terminals send patient data; the gateway must know which terminal is talking and
//! must not speak outdated TLS. This crate holds everything TLS so the gateway itself only
//! sees a [`PeerIdentity`] in each request:
//!
//! - [`pki`]: a development CA that issues server and terminal certificates and revokes them;
//! - [`bundle`]: a terminal's certificate, key and CA as a PKCS#12 file for browsers;
//! - [`server`]: the rustls server configuration, restricted to the CRYPTREC 高セキュリティ型
//!   protocol versions, cipher suites and groups, with client certificates required;
//! - [`identity`]: the terminal identity read from a verified client certificate;
//! - [`serve`]: the accept loop (TLS and plain development mode) with connection limits,
//!   timeouts and graceful shutdown;
//! - [`client`]: the matching rustls client configuration.
#![forbid(unsafe_code)]

mod atomic_file;
pub mod bundle;
pub mod client;
pub mod error;
pub mod identity;
mod pem_files;
pub mod pki;
pub mod serve;
pub mod server;

pub use bundle::{
    BundlePassword, TerminalBundle, development_password_path, write_bundle,
    write_development_bundle,
};
pub use client::client_config;
pub use error::{PkiError, TlsError};
pub use identity::{PeerIdentity, peer_identity};
pub use pki::{ClientSpec, DevPki, init_dev_pki, issue_client, issue_client_with_validity, revoke};
pub use serve::{ConnectionLimits, serve_plain, serve_tls, serve_tls_reloading};
pub use server::{
    ALLOWED_CIPHER_SUITES, ALLOWED_GROUPS, ALLOWED_PROTOCOLS, ServerTls, crypto_provider,
    server_config,
};
