//! The rustls server configuration: which TLS the gateway speaks and whom it lets in.
//!
//! The MHLW 医療情報システムの安全管理に関するガイドライン 第6.0版 points to the CRYPTREC
//! TLS 暗号設定ガイドライン; this configuration follows its 高セキュリティ型 (high security)
//! profile: TLS 1.3 and 1.2 only, AEAD cipher suites with ephemeral ECDH only, and the
//! elliptic-curve groups X25519, P-256 and P-384 only.
//!
//! The X25519MLKEM768 post-quantum hybrid that rustls offers by default is left out: it is not
//! among the groups the CRYPTREC guideline lists, and a compliance scan would report it as an
//! unknown group. It can be added once the guideline names ML-KEM.
//!
//! The aws-lc-rs provider is built explicitly here, so the configuration does not depend on a
//! process-wide default provider being installed (and does not panic when two are compiled in).
//!
//! Every client must present a certificate that chains to the configured CA and is not on one
//! of the configured CRLs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::server::WebPkiClientVerifier;
use rustls::{ServerConfig, SupportedProtocolVersion};

use crate::error::TlsError;
use crate::pem_files;
use crate::pki::{CA_CERT_FILE, CRL_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE};

/// Protocol versions as sslscan prints them.
pub const ALLOWED_PROTOCOLS: &[&str] = &["TLSv1.3", "TLSv1.2"];

/// Cipher suites as OpenSSL and sslscan name them, in the server's order of preference.
///
/// The ECDHE-RSA suites are only usable with an RSA server certificate; the development PKI
/// issues ECDSA certificates, so a scan of a development server shows only the ECDSA ones.
pub const ALLOWED_CIPHER_SUITES: &[&str] = &[
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

/// Key-exchange groups as sslscan names them, in the server's order of preference.
pub const ALLOWED_GROUPS: &[&str] = &["x25519", "secp256r1", "secp384r1"];

/// ALPN protocol the server and client offer: the gateway speaks HTTP/1.1 only.
pub(crate) const ALPN_HTTP1: &[u8] = b"http/1.1";

/// TLS 1.3 and 1.2, the only versions this crate speaks, for servers and clients alike.
pub(crate) static PROTOCOL_VERSIONS: &[&SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// Files that make up the server's TLS configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    /// CA certificate(s) that client certificates must chain to.
    pub ca: PathBuf,
    /// Server certificate chain, end-entity first.
    pub cert: PathBuf,
    /// Server private key.
    pub key: PathBuf,
    /// Certificate revocation lists; a client whose certificate is on one is refused.
    pub crls: Vec<PathBuf>,
}

impl ServerTls {
    /// The files of a development PKI made by [`crate::init_dev_pki`] in `dir`, including its
    /// CRL if [`crate::revoke`] has written one.
    pub fn from_dev_pki(dir: &Path) -> Self {
        let crl = dir.join(CRL_FILE);
        Self {
            ca: dir.join(CA_CERT_FILE),
            cert: dir.join(SERVER_CERT_FILE),
            key: dir.join(SERVER_KEY_FILE),
            crls: if crl.is_file() { vec![crl] } else { Vec::new() },
        }
    }
}

/// The aws-lc-rs provider restricted to [`ALLOWED_CIPHER_SUITES`] and [`ALLOWED_GROUPS`].
pub fn crypto_provider() -> CryptoProvider {
    use aws_lc_rs::cipher_suite as suite;
    use aws_lc_rs::kx_group as group;
    CryptoProvider {
        cipher_suites: vec![
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![group::X25519, group::SECP256R1, group::SECP384R1],
        ..aws_lc_rs::default_provider()
    }
}

/// Builds the server configuration: the restricted provider, client certificates required and
/// checked against `tls.ca` and `tls.crls`, ALPN `http/1.1`.
pub fn server_config(tls: &ServerTls) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(crypto_provider());

    let roots = pem_files::root_store(&tls.ca)?;
    let mut crls = Vec::new();
    for path in &tls.crls {
        crls.extend(pem_files::revocation_lists(path)?);
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls)
        .build()
        .map_err(|e| TlsError::Verifier {
            ca: tls.ca.clone(),
            reason: e.to_string(),
        })?;

    let chain = pem_files::certificates(&tls.cert)?;
    let key = pem_files::private_key(&tls.key)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(PROTOCOL_VERSIONS)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::certified_key(e, &tls.cert, &tls.key))?;
    config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
    // Our list is ordered by preference (AES-GCM before ChaCha20); do not let clients reorder.
    config.ignore_client_order = true;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names published for the scanner must be exactly the suites the provider enables.
    #[test]
    fn published_suite_names_match_the_provider() {
        let names: Vec<String> = crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| openssl_name(&format!("{:?}", s.suite())))
            .collect();
        assert_eq!(names, ALLOWED_CIPHER_SUITES);
    }

    #[test]
    fn published_group_names_match_the_provider() {
        let names: Vec<String> = crypto_provider()
            .kx_groups
            .iter()
            .map(|g| format!("{:?}", g.name()).to_lowercase())
            .collect();
        assert_eq!(names, ALLOWED_GROUPS);
    }

    #[test]
    fn only_tls12_and_tls13() {
        let versions: Vec<String> = PROTOCOL_VERSIONS
            .iter()
            .map(|v| format!("{:?}", v.version))
            .collect();
        assert_eq!(versions, ["TLSv1_3", "TLSv1_2"]);
    }

    /// IANA name (as rustls spells it) to the OpenSSL name sslscan prints.
    fn openssl_name(iana: &str) -> String {
        if let Some(tls13) = iana.strip_prefix("TLS13_") {
            return format!("TLS_{tls13}");
        }
        let rest = iana.strip_prefix("TLS_ECDHE_").unwrap_or(iana);
        let (auth, cipher) = rest.split_once("_WITH_").unwrap_or((rest, ""));
        let cipher = match cipher {
            "AES_128_GCM_SHA256" => "AES128-GCM-SHA256",
            "AES_256_GCM_SHA384" => "AES256-GCM-SHA384",
            "CHACHA20_POLY1305_SHA256" => "CHACHA20-POLY1305",
            other => other,
        };
        format!("ECDHE-{auth}-{cipher}")
    }
}
