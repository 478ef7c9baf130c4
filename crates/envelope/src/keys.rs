//! The four keys of an envelope, loaded from PEM files: the gateway signs with its
//! [`SigningKey`] and encrypts to the national DB's [`RecipientKey`]; the national DB decrypts
//! with its [`DecryptionKey`] and checks the signature with the sender's [`VerifyingKey`].
//!
//! All are NIST P-256 keys: public keys as SubjectPublicKeyInfo PEM (`BEGIN PUBLIC KEY`),
//! private keys as PKCS#8 (`BEGIN PRIVATE KEY`) or SEC 1 (`BEGIN EC PRIVATE KEY`) PEM. OpenSSL
//! parses each file once; the key id is computed from the parsed key and josekit gets its DER.

use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::ECDH_ES;
use josekit::jwe::alg::ecdh_es::{EcdhEsJweDecrypter, EcdhEsJweEncrypter};
use josekit::jws::ES256;
use josekit::jws::alg::ecdsa::{EcdsaJwsSigner, EcdsaJwsVerifier};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::EcKeyRef;
use openssl::nid::Nid;
use openssl::pkey::{HasPublic, PKey};
use sha2::{Digest, Sha256};

use crate::EnvelopeError;

/// Length of a P-256 coordinate in bytes.
const COORDINATE_LENGTH: i32 = 32;

/// A parsed key file: DER for josekit and the key id.
struct KeyMaterial {
    der: Vec<u8>,
    key_id: String,
}

macro_rules! envelope_key {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $material:ident, $make:expr) => {
        $(#[$doc])*
        pub struct $name {
            inner: $inner,
            key_id: String,
        }

        impl $name {
            /// Loads the key from a PEM file.
            pub fn from_pem_file(path: &Path) -> Result<Self, EnvelopeError> {
                let KeyMaterial { der, key_id } = $material(path)?;
                let inner = $make(&der).map_err(|e| key_error(path, &e))?;
                Ok(Self { inner, key_id })
            }

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
    EcdsaJwsSigner,
    private_material,
    |der: &[u8]| ES256.signer_from_der(der)
);
envelope_key!(
    /// A sender's public key: verifies the signature of an opened envelope.
    VerifyingKey,
    EcdsaJwsVerifier,
    public_material,
    |der: &[u8]| ES256.verifier_from_der(der)
);
envelope_key!(
    /// The recipient's public key: envelopes are encrypted to it (ECDH-ES).
    RecipientKey,
    EcdhEsJweEncrypter,
    public_material,
    |der: &[u8]| ECDH_ES.encrypter_from_der(der)
);
envelope_key!(
    /// The recipient's private key: decrypts envelopes encrypted to its public half.
    DecryptionKey,
    EcdhEsJweDecrypter,
    private_material,
    |der: &[u8]| ECDH_ES.decrypter_from_der(der)
);

fn key_error(path: &Path, reason: &dyn fmt::Display) -> EnvelopeError {
    EnvelopeError::Key {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_pem(path: &Path) -> Result<Vec<u8>, EnvelopeError> {
    std::fs::read(path).map_err(|e| key_error(path, &e))
}

fn public_material(path: &Path) -> Result<KeyMaterial, EnvelopeError> {
    let key = PKey::public_key_from_pem(&read_pem(path)?)
        .map_err(|_| key_error(path, &"not a PEM public key (BEGIN PUBLIC KEY)"))?;
    let der = key.public_key_to_der().map_err(|e| key_error(path, &e))?;
    let key_id = p256_thumbprint(&key, path)?;
    Ok(KeyMaterial { der, key_id })
}

fn private_material(path: &Path) -> Result<KeyMaterial, EnvelopeError> {
    let key = PKey::private_key_from_pem(&read_pem(path)?)
        .map_err(|_| key_error(path, &"not a PEM private key (BEGIN PRIVATE KEY)"))?;
    let der = key
        .private_key_to_pkcs8()
        .map_err(|e| key_error(path, &e))?;
    let key_id = p256_thumbprint(&key, path)?;
    Ok(KeyMaterial { der, key_id })
}

/// Checks that `key` is a P-256 key and returns its RFC 7638 thumbprint: SHA-256 over
/// `{"crv":"P-256","kty":"EC","x":…,"y":…}` (members in this order, no white space),
/// base64url without padding.
fn p256_thumbprint<T: HasPublic>(key: &PKey<T>, path: &Path) -> Result<String, EnvelopeError> {
    let ec = key
        .ec_key()
        .map_err(|_| key_error(path, &"not an elliptic-curve key"))?;
    if ec.group().curve_name() != Some(Nid::X9_62_PRIME256V1) {
        return Err(key_error(path, &"not a P-256 (prime256v1) key"));
    }
    let (x, y) = coordinates(&ec).map_err(|e| key_error(path, &e))?;
    let jwk = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(x),
        URL_SAFE_NO_PAD.encode(y)
    );
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes())))
}

fn coordinates<T: HasPublic>(
    ec: &EcKeyRef<T>,
) -> Result<(Vec<u8>, Vec<u8>), openssl::error::ErrorStack> {
    let mut x = BigNum::new()?;
    let mut y = BigNum::new()?;
    let mut context = BigNumContext::new()?;
    ec.public_key()
        .affine_coordinates(ec.group(), &mut x, &mut y, &mut context)?;
    Ok((
        x.to_vec_padded(COORDINATE_LENGTH)?,
        y.to_vec_padded(COORDINATE_LENGTH)?,
    ))
}
