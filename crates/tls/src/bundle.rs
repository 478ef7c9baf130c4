//! PKCS#12 bundles: a terminal's certificate, its key and the CA, in one password-protected
//! file that a browser or an operating system's certificate store imports.
//!
//! The console runs in an ordinary browser, and browsers (Chrome, Edge through the Windows
//! certificate store, Firefox) import client certificates as PKCS#12 files rather than PEM.
//! A bundle is encrypted with PBES2 (PBKDF2 with HMAC-SHA256, AES-256-CBC) and protected by an
//! HMAC-SHA256 MAC: the modern profile that NSS, Windows and OpenSSL 3 accept, with no RC2,
//! 3DES or SHA-1. Each bundle gets a fresh random password; this module never stores it, the
//! caller shows it to the operator once (or, for the development PKI, keeps it in a 0600 file).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::atomic_file::{self, PRIVATE};
use crate::error::PkiError;
use crate::pki::{CA_CERT_FILE, validate_name};

/// Key-derivation iterations for both the encryption and the MAC, as the JDK writes them
/// (OpenSSL 3 uses 2,048). The password carries 100 random bits, so its strength does not rest
/// on the iteration count; more would only slow every `certs issue` (and the tests).
const ITERATIONS: u32 = 10_000;
/// Crockford's base32 alphabet, lower case: no `i`, `l`, `o` or `u` to misread when a password
/// is typed from a screen into an import dialog.
const PASSWORD_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Four groups of five characters: 20 × 5 = 100 random bits.
const PASSWORD_GROUPS: usize = 4;
const PASSWORD_GROUP_LENGTH: usize = 5;

/// A bundle's password. Its `Debug` form is redacted so that it cannot reach a log by
/// accident; [`BundlePassword::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct BundlePassword(String);

impl BundlePassword {
    /// A fresh random password such as `k7m2p-x9q4r-0bz5t-hw3jn` (100 bits).
    pub fn generate() -> Result<Self, PkiError> {
        let mut bytes = [0u8; PASSWORD_GROUPS * PASSWORD_GROUP_LENGTH];
        getrandom::fill(&mut bytes).map_err(|e| PkiError::Random {
            reason: e.to_string(),
        })?;
        let groups: Vec<String> = bytes
            .chunks(PASSWORD_GROUP_LENGTH)
            .map(|group| {
                group
                    .iter()
                    .map(|b| char::from(PASSWORD_ALPHABET[usize::from(b % 32)]))
                    .collect()
            })
            .collect();
        Ok(Self(groups.join("-")))
    }

    /// The password itself, to show to the operator once or to open the bundle with.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BundlePassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BundlePassword([redacted])")
    }
}

/// A PKCS#12 file written by [`write_bundle`], and the password that opens it.
#[derive(Debug)]
pub struct TerminalBundle {
    /// `<dir>/<name>.p12`.
    pub path: PathBuf,
    pub password: BundlePassword,
}

/// Where [`write_bundle`] writes terminal `name`'s bundle in the PKI directory `dir`.
fn bundle_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.p12"))
}

/// Writes `<dir>/<name>.p12` (mode 0600, replacing an older one) from `<name>.pem`,
/// `<name>.key` and the CA certificate `ca.pem`, under a fresh random password.
///
/// The bundle holds one key entry, friendly name `<name>`, whose chain is the terminal's
/// certificate followed by the CA's.
pub fn write_bundle(dir: &Path, name: &str) -> Result<TerminalBundle, PkiError> {
    validate_name(name)?;
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}.key"));
    let ca_path = dir.join(CA_CERT_FILE);
    let leaf = read_certificate(&cert_path)?;
    let ca = read_certificate(&ca_path)?;
    let key_pem = fs::read(&key_path).map_err(|source| PkiError::Io {
        path: key_path.clone(),
        source,
    })?;
    let key = match PrivateKeyDer::from_pem_slice(&key_pem) {
        Ok(PrivateKeyDer::Pkcs8(key)) => PrivateKey::from_der(key.secret_pkcs8_der())
            .map_err(|e| unparsable(&key_path, format!("not a usable PKCS#8 key: {e}")))?,
        Ok(_) => return Err(unparsable(&key_path, "not a PKCS#8 private key".into())),
        Err(e) => return Err(unparsable(&key_path, format!("no PEM private key: {e}"))),
    };
    let local_key_id = Sha256::digest(leaf.as_ref()).to_vec();
    let chain = [(&cert_path, &leaf), (&ca_path, &ca)]
        .into_iter()
        .map(|(path, der)| {
            Certificate::from_der(der.as_ref())
                .map_err(|e| unparsable(path, format!("not an X.509 certificate: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut store = KeyStore::new();
    store.add_entry(
        name,
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, chain)),
    );
    let path = bundle_path(dir, name);
    let password = BundlePassword::generate()?;
    let bytes = store
        .writer(password.expose())
        .encryption_iterations(ITERATIONS)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|e| unparsable(&path, format!("cannot encode PKCS#12: {e}")))?;
    atomic_file::write(&path, &bytes, PRIVATE)?;
    atomic_file::sync_dir(dir)?;
    Ok(TerminalBundle { path, password })
}

/// Where [`write_development_bundle`] keeps the password of terminal `name`'s bundle.
pub fn development_password_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.p12.password"))
}

/// For the development PKI only: makes `<name>.p12` as [`write_bundle`] does and keeps its
/// password in `<name>.p12.password` (mode 0600, one line), unless that file already exists;
/// returns the bundle when it made one.
///
/// A developer meets the password again days after the first `kakehashi serve` printed where
/// it is; the development keys lie unencrypted beside it anyway. Never for real terminals,
/// whose passwords are shown once and stored nowhere.
pub fn write_development_bundle(
    dir: &Path,
    name: &str,
) -> Result<Option<TerminalBundle>, PkiError> {
    let password_path = development_password_path(dir, name);
    if password_path.try_exists().map_err(|source| PkiError::Io {
        path: password_path.clone(),
        source,
    })? {
        return Ok(None);
    }
    // The password file last: its presence means the bundle beside it is complete.
    let bundle = write_bundle(dir, name)?;
    let line = format!("{}\n", bundle.password.expose());
    atomic_file::write(&password_path, line.as_bytes(), PRIVATE)?;
    atomic_file::sync_dir(dir)?;
    Ok(Some(bundle))
}

fn read_certificate(path: &Path) -> Result<CertificateDer<'static>, PkiError> {
    let pem = fs::read(path).map_err(|source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    CertificateDer::from_pem_slice(&pem)
        .map_err(|e| unparsable(path, format!("no PEM certificate: {e}")))
}

fn unparsable(path: &Path, reason: String) -> PkiError {
    PkiError::Unparsable {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_four_groups_of_five_unambiguous_characters_and_differ() {
        let first = BundlePassword::generate().unwrap();
        let second = BundlePassword::generate().unwrap();
        assert_ne!(first, second);
        let groups: Vec<&str> = first.expose().split('-').collect();
        assert_eq!(groups.len(), 4);
        for group in groups {
            assert_eq!(group.len(), 5);
            assert!(group.bytes().all(|b| PASSWORD_ALPHABET.contains(&b)));
        }
        assert_eq!(format!("{first:?}"), "BundlePassword([redacted])");
    }
}
