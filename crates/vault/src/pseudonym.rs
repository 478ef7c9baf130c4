//! Pseudonyms: stable, keyed stand-ins for patient identifiers in audit logs.
//!
//! A pseudonym is HMAC-SHA256 of the identifier under the pseudonym key, truncated to 16 bytes
//! (32 hex digits). Without the key nobody can test a guessed identifier against a pseudonym,
//! which a plain hash would allow: patient numbers are short and guessable. The pseudonym key is
//! separate from the data keys and never rotates, so a patient's pseudonym stays the same across
//! rotations and old audit-log lines still match new ones.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The key that pseudonyms are made with.
pub(crate) struct PseudonymKey(Zeroizing<[u8; 32]>);

impl PseudonymKey {
    pub(crate) fn new(key: Zeroizing<[u8; 32]>) -> Self {
        PseudonymKey(key)
    }

    /// The pseudonym of `data`: hex of the first 16 bytes of HMAC-SHA256(key, data).
    pub(crate) fn pseudonym(&self, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes keys of any length");
        mac.update(data);
        let digest = mac.finalize().into_bytes();
        hex::encode(&digest[..16])
    }
}
