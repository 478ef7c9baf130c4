//! The Concat KDF of JWE's ECDH-ES (RFC 7518 §4.6.2, after NIST SP 800-56A §5.8.1): how the
//! content encryption key is derived from the ECDH shared secret in direct key agreement.
//!
//! One round of SHA-256 gives the 256 bits A256GCM needs, so the whole KDF is one digest over
//! the round counter, the shared secret and the "other info": the `enc` value, the optional
//! `apu` and `apv` party infos, and the key length in bits, each length-prefixed.

use sha2::{Digest, Sha256};

use crate::CONTENT_ENCRYPTION;

/// Length of the A256GCM content encryption key in bytes.
pub(crate) const CONTENT_KEY_LENGTH: usize = 32;

/// Derives the A256GCM key from the ECDH shared secret `shared` and the decoded `apu` and
/// `apv` headers (empty when absent).
pub(crate) fn content_key(
    shared: &[u8],
    party_u: &[u8],
    party_v: &[u8],
) -> [u8; CONTENT_KEY_LENGTH] {
    let mut digest = Sha256::new();
    digest.update(1u32.to_be_bytes());
    digest.update(shared);
    for field in [CONTENT_ENCRYPTION.as_bytes(), party_u, party_v] {
        digest.update(length(field).to_be_bytes());
        digest.update(field);
    }
    digest.update(length_in_bits(CONTENT_KEY_LENGTH).to_be_bytes());
    digest.finalize().into()
}

fn length(field: &[u8]) -> u32 {
    u32::try_from(field.len()).unwrap_or(u32::MAX)
}

fn length_in_bits(bytes: usize) -> u32 {
    u32::try_from(bytes * 8).unwrap_or(u32::MAX)
}
