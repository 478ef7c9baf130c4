//! Opening: decrypt, then verify the inner signature against the accepted senders.
//!
//! Every header is checked against the profile before josekit sees the message, so an
//! envelope that asks for another algorithm is refused, never honoured.

use josekit::JoseError;
use josekit::jwe;
use josekit::jws;

use crate::compact::ProtectedHeader;
use crate::{
    CONTENT_ENCRYPTION, DecryptionKey, EnvelopeError, KEY_AGREEMENT_ALGORITHM, NESTED_CONTENT_TYPE,
    SIGNATURE_ALGORITHM, SIGNATURE_TYPE, VerifyingKey,
};

/// An opened envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The signed document bytes.
    pub document: Vec<u8>,
    /// Key id of the sender whose signature verified.
    pub sender_key_id: String,
}

/// Decrypts the compact JWE `envelope` with `decryption` and verifies the inner JWS with the
/// member of `senders` whose key id its `kid` names.
///
/// Refuses ([`EnvelopeError`]): a structure other than a compact JWE holding a compact JWS
/// (`Malformed`); any `alg`, `enc`, `cty` or `typ` outside the profile, compression (`zip`) or
/// critical extensions (`crit`) (`Unsupported`); an envelope for another recipient key or with
/// an altered ciphertext (`Undecryptable`); a `kid` not among `senders` (`UnknownSender`); a
/// signature that does not verify (`BadSignature`).
pub fn open(
    envelope: &str,
    decryption: &DecryptionKey,
    senders: &[VerifyingKey],
) -> Result<Opened, EnvelopeError> {
    let outer = ProtectedHeader::parse(envelope, 5, "JWE")?;
    outer.require("alg", KEY_AGREEMENT_ALGORITHM)?;
    outer.require("enc", CONTENT_ENCRYPTION)?;
    outer.require("cty", NESTED_CONTENT_TYPE)?;
    outer.forbid("zip")?;
    outer.forbid("crit")?;
    if let Some(key_id) = outer.key_id()
        && key_id != decryption.key_id()
    {
        return Err(EnvelopeError::Undecryptable(format!(
            "encrypted to key id {key_id:?}, this receiver holds {:?}",
            decryption.key_id()
        )));
    }
    let (signed, _) = jwe::deserialize_compact(envelope, decryption.inner())
        .map_err(|e| EnvelopeError::Undecryptable(e.to_string()))?;
    let signed = String::from_utf8(signed)
        .map_err(|_| EnvelopeError::Malformed("JWS: the plaintext is not UTF-8".into()))?;

    let inner = ProtectedHeader::parse(&signed, 3, "JWS")?;
    inner.require("alg", SIGNATURE_ALGORITHM)?;
    inner.require("typ", SIGNATURE_TYPE)?;
    inner.forbid("crit")?;
    let key_id = inner
        .key_id()
        .ok_or_else(|| EnvelopeError::Malformed("JWS: no kid header".into()))?;
    let sender = senders
        .iter()
        .find(|s| s.key_id() == key_id)
        .ok_or_else(|| EnvelopeError::UnknownSender {
            key_id: key_id.to_owned(),
        })?;
    let (document, _) = jws::deserialize_compact(&signed, sender.inner()).map_err(|e| match e {
        JoseError::InvalidSignature(_) => EnvelopeError::BadSignature {
            key_id: key_id.to_owned(),
        },
        other => EnvelopeError::Malformed(format!("JWS: {other}")),
    })?;
    Ok(Opened {
        document,
        sender_key_id: key_id.to_owned(),
    })
}
