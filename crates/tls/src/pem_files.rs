//! Reading certificates, keys and CRLs from PEM files, with errors that name the file.
//!
//! Uses the `rustls-pki-types` PEM API (rustls-pemfile is unmaintained). Each loader says
//! whether the file is missing, unreadable, malformed or simply holds nothing of the wanted
//! kind, because "bad certificate" alone does not tell an operator which of four paths to fix.

use std::fs;
use std::io;
use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use crate::error::TlsError;

/// Every certificate in `path`; at least one.
pub(crate) fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, &e))?;
    if certificates.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certificates)
}

/// A trust store holding every certificate in `path`.
pub(crate) fn root_store(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(path)? {
        roots
            .add(certificate)
            .map_err(|e| TlsError::BadCaCertificate {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
    }
    Ok(roots)
}

/// The first private key (PKCS#8, PKCS#1 or SEC1) in `path`.
pub(crate) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_path_buf(),
        },
        other => malformed(path, &other),
    })
}

/// Every CRL in `path`; at least one, each parseable as an X.509 CRL.
pub(crate) fn revocation_lists(
    path: &Path,
) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let crls = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, &e))?;
    if crls.is_empty() {
        return Err(TlsError::NoCrl {
            path: path.to_path_buf(),
        });
    }
    for crl in &crls {
        x509_parser::parse_x509_crl(crl).map_err(|e| TlsError::MalformedPem {
            path: path.to_path_buf(),
            reason: format!("not an X.509 CRL: {e}"),
        })?;
    }
    Ok(crls)
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => TlsError::Missing {
            path: path.to_path_buf(),
        },
        _ => TlsError::Unreadable {
            path: path.to_path_buf(),
            source,
        },
    })
}

fn malformed(path: &Path, error: &pem::Error) -> TlsError {
    TlsError::MalformedPem {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}
