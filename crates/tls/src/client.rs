//! The rustls client configuration matching [`crate::server_config`].
//!
//! Used by tests and by the gateway's push client: same restricted provider, TLS 1.3/1.2 only,
//! the server verified against a given CA, and optionally a client certificate to present.

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;

use crate::error::TlsError;
use crate::pem_files;
use crate::server::{ALPN_HTTP1, PROTOCOL_VERSIONS, crypto_provider};

/// Builds a client configuration trusting the CA certificate(s) in `ca`, presenting the
/// certificate chain and key in `cert` = `(certificate file, key file)` if given.
pub fn client_config(ca: &Path, cert: Option<(&Path, &Path)>) -> Result<ClientConfig, TlsError> {
    let roots = pem_files::root_store(ca)?;
    let builder = ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
        .with_protocol_versions(PROTOCOL_VERSIONS)?
        .with_root_certificates(roots);
    let mut config = match cert {
        Some((cert_path, key_path)) => {
            let chain = pem_files::certificates(cert_path)?;
            let key = pem_files::private_key(key_path)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsError::certified_key(e, cert_path, key_path))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
    Ok(config)
}
