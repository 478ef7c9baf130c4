//! The delivery envelope: how a consented sheet travels from the gateway to the national DB.
//!
//! A delivery document is **signed, then encrypted** — a nested JWT (RFC 7519 §5.2):
//!
//! - inner: a JWS compact serialisation (RFC 7515), `alg: ES256`, `typ:
//!   "kakehashi-delivery+jws"`, `kid` = the sender's key id, payload = the document bytes;
//! - outer: a JWE compact serialisation (RFC 7516), `alg: ECDH-ES`, `enc: A256GCM`,
//!   `cty: "JWT"`, `kid` = the recipient's key id.
//!
//! Why not mutual TLS alone: TLS protects one hop and ends wherever the national side
//! terminates it (a load balancer, a gateway). The signature survives that termination, so the
//! national DB can prove which gateway sent a document long after the connection is gone, and
//! the encryption makes the document readable only by the holder of the national DB's private
//! key, whatever sits in between. Both layers are standard JOSE compact serialisations; this
//! crate fixes the algorithms and refuses everything else — no `none`, no algorithm picked
//! from the message, no compression. The cryptography is AWS-LC's (through `aws-lc-rs`, the
//! library rustls already uses here); the serialisations are written here, since no
//! maintained JOSE crate builds on it, and the tests check them against josekit (OpenSSL), an
//! independent implementation, in both directions.
//!
//! A key id is the RFC 7638 JWK thumbprint (SHA-256, base64url without padding) of the
//! public key, so either side can compute it from a PEM file or a JWKS entry.
//!
//! ```
//! use kakehashi_envelope::{generate_dev_keys, open, seal, DecryptionKey, RecipientKey, SigningKey, VerifyingKey};
//!
//! # let dir = tempfile::TempDir::new()?;
//! generate_dev_keys(dir.path())?;
//! let signer = SigningKey::from_pem_file(&dir.path().join("payload-signing.key"))?;
//! let sender = VerifyingKey::from_pem_file(&dir.path().join("payload-signing.pub"))?;
//! let recipient = RecipientKey::from_pem_file(&dir.path().join("payload-encryption.pub"))?;
//! let decryption = DecryptionKey::from_pem_file(&dir.path().join("payload-encryption.key"))?;
//!
//! let jwe = seal(br#"{"sheet_id":"s-1"}"#, &signer, &recipient)?;
//! let opened = open(&jwe, &decryption, &[sender])?;
//! assert_eq!(opened.document, br#"{"sheet_id":"s-1"}"#);
//! assert_eq!(opened.sender_key_id, signer.key_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod compact;
mod dev_keys;
mod error;
mod kdf;
mod keys;
mod open;
mod seal;

pub use dev_keys::{
    DevKeys, ENCRYPTION_KEY_FILE, ENCRYPTION_PUBLIC_FILE, SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE,
    generate_dev_keys,
};
pub use error::EnvelopeError;
pub use keys::{DecryptionKey, RecipientKey, SigningKey, VerifyingKey};
pub use open::{Opened, open};
pub use seal::seal;

/// JWS `alg` of the inner signature.
pub const SIGNATURE_ALGORITHM: &str = "ES256";
/// JWS `typ` of the inner signature: names what is signed, so a Kakehashi delivery signature
/// cannot be passed off as any other JWS made with the same key (RFC 8725 §3.11).
pub const SIGNATURE_TYPE: &str = "kakehashi-delivery+jws";
/// JWE `alg` of the outer encryption (ephemeral-static ECDH, direct key agreement).
pub const KEY_AGREEMENT_ALGORITHM: &str = "ECDH-ES";
/// JWE `enc` of the outer encryption.
pub const CONTENT_ENCRYPTION: &str = "A256GCM";
/// JWE `cty` of the outer encryption: the plaintext is itself a JWT (RFC 7519 §5.2).
pub const NESTED_CONTENT_TYPE: &str = "JWT";
