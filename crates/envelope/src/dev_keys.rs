//! Development payload keys, made next to the development PKI so a fresh checkout can push
//! sealed deliveries to the reference receiver with nothing configured.
//!
//! Two P-256 key pairs: `payload-signing.*` is the gateway's (it signs), `payload-encryption.*`
//! the national DB stand-in's (deliveries are encrypted to it). Private keys are PKCS#8 PEM with
//! mode 0600, public keys SubjectPublicKeyInfo PEM. A file is written to a temporary sibling,
//! flushed, then *linked* to its name — a link, unlike a rename, fails when the name exists, so
//! an existing key is never replaced, even by a concurrent run. Not for production: real keys
//! come from the operator's key management.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

use crate::EnvelopeError;
use crate::keys::private_der;

/// The gateway's payload signing key (private).
pub const SIGNING_KEY_FILE: &str = "payload-signing.key";
/// The gateway's payload signing key (public), given to the receiver.
pub const SIGNING_PUBLIC_FILE: &str = "payload-signing.pub";
/// The receiver's payload decryption key (private).
pub const ENCRYPTION_KEY_FILE: &str = "payload-encryption.key";
/// The receiver's payload encryption key (public), given to the gateway.
pub const ENCRYPTION_PUBLIC_FILE: &str = "payload-encryption.pub";

const PRIVATE_MODE: u32 = 0o600;
const PUBLIC_MODE: u32 = 0o644;

/// Result of [`generate_dev_keys`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevKeys {
    /// Files written, in order (empty when every key was already there).
    pub files: Vec<PathBuf>,
}

/// Makes the two development key pairs in `dir` (created with mode 0700 if needed). A pair
/// whose private key exists is kept; its public key is written from it if missing. A public key
/// without its private key is an error, since a new pair would not match it.
pub fn generate_dev_keys(dir: &Path) -> Result<DevKeys, EnvelopeError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))?;
    let mut files = Vec::new();
    for (private, public) in [
        (SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE),
        (ENCRYPTION_KEY_FILE, ENCRYPTION_PUBLIC_FILE),
    ] {
        key_pair(&dir.join(private), &dir.join(public), &mut files)?;
    }
    if !files.is_empty() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(DevKeys { files })
}

fn key_pair(private: &Path, public: &Path, files: &mut Vec<PathBuf>) -> Result<(), EnvelopeError> {
    let key_error = |path: &Path, reason: String| EnvelopeError::Key {
        path: path.to_path_buf(),
        reason,
    };
    let key = if exists(private)? {
        if exists(public)? {
            return Ok(());
        }
        let der = private_der(private)?;
        EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|e| key_error(private, e.to_string()))?
    } else if exists(public)? {
        return Err(key_error(
            public,
            format!(
                "exists without its private key {}; remove it to make a new pair",
                private.display()
            ),
        ));
    } else {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|e| key_error(private, e.to_string()))?;
        let pkcs8 = key
            .to_pkcs8v1()
            .map_err(|e| key_error(private, e.to_string()))?;
        write_pem(private, "PRIVATE KEY", pkcs8.as_ref(), PRIVATE_MODE, files)?;
        key
    };
    let spki = key
        .public_key()
        .as_der()
        .map_err(|e| key_error(public, e.to_string()))?;
    write_pem(public, "PUBLIC KEY", spki.as_ref(), PUBLIC_MODE, files)
}

/// Writes `der` to the new file `path` as a PEM block labelled `label` (lines of 64
/// characters ending in LF, RFC 7468) with `mode`, and lists it in `files`.
fn write_pem(
    path: &Path,
    label: &str,
    der: &[u8],
    mode: u32,
    files: &mut Vec<PathBuf>,
) -> Result<(), EnvelopeError> {
    let text = pem::encode_config(
        &pem::Pem::new(label, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    );
    write_new(path, text.as_bytes(), mode)?;
    files.push(path.to_path_buf());
    Ok(())
}

fn exists(path: &Path) -> Result<bool, EnvelopeError> {
    path.try_exists().map_err(io_error(path))
}

/// Writes `contents` to a temporary sibling with `mode`, flushes it and links it to `path`;
/// fails if `path` exists.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), EnvelopeError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{}.tmp", name.unwrap_or_default()));
    match fs::remove_file(&temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(&temporary)(e)),
        _ => {}
    }
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        })
        .map_err(io_error(&temporary))
        .and_then(|()| fs::hard_link(&temporary, path).map_err(io_error(path)));
    let removed = fs::remove_file(&temporary).map_err(io_error(&temporary));
    written.and(removed)
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> EnvelopeError + '_ {
    move |source| EnvelopeError::Io {
        path: path.to_path_buf(),
        source,
    }
}
