//! The four keys of an envelope, loaded from PEM files: the gateway signs with its
//! [`SigningKey`] and encrypts to the national DB's [`RecipientKey`]; the national DB decrypts
//! with its [`DecryptionKey`] and checks the signature with the sender's [`VerifyingKey`].
//!
//! All are NIST P-256 keys: public keys as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`),
//! private keys as PKCS#8 (`BEGIN PRIVATE KEY`) or SEC 1 (`BEGIN EC PRIVATE KEY`) PEM. AWS-LC
//! parses and validates each file once, into the form its operations take, so sealing and
//! opening never parse a key again.

use std::fmt;
use std::path::Path;

use aws_lc_rs::agreement::{self, ECDH_P256};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::EnvelopeError;

/// The DER of a P-256 SubjectPublicKeyInfo up to its point: SEQUENCE, the algorithm
/// (id-ecPublicKey, prime256v1) and the BIT STRING's header. AWS-LC writes every P-256 public
/// key in this form, followed by the 65-byte uncompressed point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Length of an uncompressed P-256 point: `0x04`, then x and y of 32 bytes each.
pub(crate) const POINT_LENGTH: usize = 65;

macro_rules! envelope_key {
    ($(#[$doc:meta])* $name:ident, $inner:ty) => {
        $(#[$doc])*
        pub struct $name {
            inner: $inner,
            key_id: String,
        }

        impl $name {
            /// The RFC 7638 JWK thumbprint of the (public) key.
            pub fn key_id(&self) -> &str {
                &self.key_id
            }

            pub(crate) fn inner(&self) -> &$inner {
                &self.inner
            }
        }

        /// Shows the key id only, never key material.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("key_id", &self.key_id)
                    .finish_non_exhaustive()
            }
        }
    };
}

envelope_key!(
    /// The sender's private key: signs delivery documents (ES256).
    SigningKey,
    EcdsaKeyPair
);
envelope_key!(
    /// A sender's public key: verifies the signature of an opened envelope.
    VerifyingKey,
    signature::ParsedPublicKey
);
envelope_key!(
    /// The recipient's public key: envelopes are encrypted to it (ECDH-ES).
    RecipientKey,
    agreement::ParsedPublicKey
);
envelope_key!(
    /// The recipient's private key: decrypts envelopes encrypted to its public half.
    DecryptionKey,
    agreement::PrivateKey
);

impl SigningKey {
    /// Loads the key from a PEM file.
    pub fn from_pem_file(path: &Path) -> Result<Self, EnvelopeError> {
        let der = private_der(path)?;
        let inner = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|_| key_error(path, &NOT_P256_PRIVATE))?;
        let key_id = thumbprint(inner.public_key().as_ref(), path)?;
        Ok(Self { inner, key_id })
    }
}

impl VerifyingKey {
    /// Loads the key from a PEM file.
    pub fn from_pem_file(path: &Path) -> Result<Self, EnvelopeError> {
        let (inner, key_id) = public_key(path, |point| {
            signature::ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
        })?;
        Ok(Self { inner, key_id })
    }
}

impl RecipientKey {
    /// Loads the key from a PEM file.
    pub fn from_pem_file(path: &Path) -> Result<Self, EnvelopeError> {
        let (inner, key_id) = public_key(path, |point| {
            agreement::ParsedPublicKey::try_from(agreement::UnparsedPublicKey::new(
                &ECDH_P256, point,
            ))
        })?;
        Ok(Self { inner, key_id })
    }
}

impl DecryptionKey {
    /// Loads the key from a PEM file.
    pub fn from_pem_file(path: &Path) -> Result<Self, EnvelopeError> {
        let der = private_der(path)?;
        let inner = agreement::PrivateKey::from_private_key_der(&ECDH_P256, &der)
            .map_err(|_| key_error(path, &NOT_P256_PRIVATE))?;
        let public = inner
            .compute_public_key()
            .map_err(|e| key_error(path, &e))?;
        let key_id = thumbprint(public.as_ref(), path)?;
        Ok(Self { inner, key_id })
    }
}

const NOT_P256_PRIVATE: &str = "not a P-256 (prime256v1) private key";

fn key_error(path: &Path, reason: &dyn fmt::Display) -> EnvelopeError {
    EnvelopeError::Key {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads the PEM file at `path` and returns the contents of its block if its label is one of
/// `labels`.
fn pem_block(path: &Path, labels: &[&str], expected: &str) -> Result<Vec<u8>, EnvelopeError> {
    let text = std::fs::read(path).map_err(|e| key_error(path, &e))?;
    match pem::parse(text) {
        Ok(block) if labels.contains(&block.tag()) => Ok(block.into_contents()),
        _ => Err(key_error(path, &format!("not a PEM {expected}"))),
    }
}

pub(crate) fn private_der(path: &Path) -> Result<Vec<u8>, EnvelopeError> {
    pem_block(
        path,
        &["PRIVATE KEY", "EC PRIVATE KEY"],
        "private key (BEGIN PRIVATE KEY)",
    )
}

/// The P-256 public key in the PEM file at `path`, made by `parse` from its uncompressed
/// point, and its key id.
fn public_key<K, E: fmt::Display>(
    path: &Path,
    parse: impl FnOnce(&[u8]) -> Result<K, E>,
) -> Result<(K, String), EnvelopeError> {
    let point = public_point(path)?;
    let key = parse(&point).map_err(|e| key_error(path, &e))?;
    Ok((key, thumbprint(&point, path)?))
}

/// The uncompressed point of the P-256 public key in the PEM file at `path`.
fn public_point(path: &Path) -> Result<[u8; POINT_LENGTH], EnvelopeError> {
    let der = pem_block(path, &["PUBLIC KEY"], "public key (BEGIN PUBLIC KEY)")?;
    let not_p256 = || key_error(path, &"not a P-256 (prime256v1) public key");
    // Parsing validates the point and the curve; writing it back gives the one DER form
    // (uncompressed), whatever form the file used.
    let canonical = signature::ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &der)
        .ok()
        .and_then(|key| key.as_der().ok())
        .ok_or_else(not_p256)?;
    canonical
        .as_ref()
        .strip_prefix(P256_SPKI_PREFIX.as_slice())
        .and_then(|point| <[u8; POINT_LENGTH]>::try_from(point).ok())
        .ok_or_else(not_p256)
}

/// The RFC 7638 thumbprint of the P-256 public key whose uncompressed point is `point`:
/// SHA-256 over `{"crv":"P-256","kty":"EC","x":…,"y":…}` (members in this order, no white
/// space), base64url without padding.
fn thumbprint(point: &[u8], path: &Path) -> Result<String, EnvelopeError> {
    let (x, y) = coordinates(point).ok_or_else(|| key_error(path, &"not an uncompressed point"))?;
    let jwk = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(x),
        URL_SAFE_NO_PAD.encode(y)
    );
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes())))
}

/// The x and y coordinates of an uncompressed P-256 point.
pub(crate) fn coordinates(point: &[u8]) -> Option<(&[u8], &[u8])> {
    match point {
        [0x04, xy @ ..] if xy.len() == POINT_LENGTH - 1 => Some(xy.split_at(xy.len() / 2)),
        _ => None,
    }
}
