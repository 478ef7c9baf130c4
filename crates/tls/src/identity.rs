//! Who is on the other end: the identity in a verified client certificate.
//!
//! rustls has already checked the chain, validity and revocation by the time this runs; this
//! module only reads the fields the gateway records and authorises on (terminal name,
//! hospital, serial, fingerprint), so handlers never touch X.509.

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Name;

use crate::error::TlsError;
use crate::pki::{TERMINAL_URI_PREFIX, hex};

/// The identity a client certificate asserts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerIdentity {
    /// Subject CN.
    pub common_name: Option<String>,
    /// Subject O (the hospital or organisation).
    pub organisation: Option<String>,
    /// SAN DNS names.
    pub dns_names: Vec<String>,
    /// SAN URIs, e.g. `urn:kakehashi:terminal:<name>`.
    pub uris: Vec<String>,
    /// Serial number, lowercase hexadecimal without separators.
    pub serial_hex: String,
    /// SHA-256 of the DER certificate, lowercase hexadecimal.
    pub fingerprint_sha256: String,
    /// End of validity, RFC 3339 in UTC.
    pub not_after: String,
}

impl PeerIdentity {
    /// The terminal's name: from the SAN URI `urn:kakehashi:terminal:<name>` if present,
    /// otherwise the subject CN.
    pub fn terminal_name(&self) -> Option<&str> {
        self.uris
            .iter()
            .find_map(|uri| uri.strip_prefix(TERMINAL_URI_PREFIX))
            .filter(|name| !name.is_empty())
            .or(self.common_name.as_deref())
    }
}

/// Reads the identity from an end-entity certificate.
pub fn peer_identity(cert: &CertificateDer<'_>) -> Result<PeerIdentity, TlsError> {
    let (_, parsed) =
        x509_parser::parse_x509_certificate(cert).map_err(|e| TlsError::PeerCertificate {
            reason: format!("not an X.509 certificate: {e}"),
        })?;
    let mut dns_names = Vec::new();
    let mut uris = Vec::new();
    let alternative_names =
        parsed
            .subject_alternative_name()
            .map_err(|e| TlsError::PeerCertificate {
                reason: format!("malformed subject alternative names: {e}"),
            })?;
    for name in alternative_names
        .iter()
        .flat_map(|extension| &extension.value.general_names)
    {
        match name {
            GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
            GeneralName::URI(uri) => uris.push((*uri).to_owned()),
            _ => {}
        }
    }
    let timestamp = parsed.validity().not_after.timestamp();
    let not_after = OffsetDateTime::from_unix_timestamp(timestamp)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| TlsError::PeerCertificate {
            reason: format!("notAfter out of range ({timestamp})"),
        })?;
    Ok(PeerIdentity {
        common_name: first_text(parsed.subject(), X509Name::iter_common_name),
        organisation: first_text(parsed.subject(), X509Name::iter_organization),
        dns_names,
        uris,
        serial_hex: hex(&parsed.tbs_certificate.serial.to_bytes_be()),
        fingerprint_sha256: hex(&Sha256::digest(cert.as_ref())),
        not_after,
    })
}

fn first_text<'a, I>(
    name: &'a X509Name<'a>,
    attributes: fn(&'a X509Name<'a>) -> I,
) -> Option<String>
where
    I: Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'a>>,
{
    attributes(name)
        .find_map(|attribute| attribute.as_str().ok())
        .map(str::to_owned)
}
