//! Opening: decrypt, then verify the inner signature against the accepted senders.
//!
//! Every header is checked against the profile before anything is decrypted or verified, so
//! an envelope that asks for another algorithm is refused, never honoured.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::agreement::{ECDH_P256, UnparsedPublicKey, agree};

use crate::compact::Compact;
use crate::{
    CONTENT_ENCRYPTION, DecryptionKey, EnvelopeError, KEY_AGREEMENT_ALGORITHM, NESTED_CONTENT_TYPE,
    SIGNATURE_ALGORITHM, SIGNATURE_TYPE, VerifyingKey, kdf,
};

/// Length of the A256GCM authentication tag in bytes.
const TAG_LENGTH: usize = 16;

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
    let outer = Compact::parse(envelope, 5, "JWE")?;
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
    let signed = decrypt(&outer, decryption)?;
    let signed = String::from_utf8(signed)
        .map_err(|_| EnvelopeError::Malformed("JWS: the plaintext is not UTF-8".into()))?;

    let inner = Compact::parse(&signed, 3, "JWS")?;
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
    let signature = inner.decoded(2, "signature")?;
    let signing_input = &signed[..signed.len() - inner.parts[2].len() - 1];
    sender
        .inner()
        .verify_sig(signing_input.as_bytes(), &signature)
        .map_err(|_| EnvelopeError::BadSignature {
            key_id: key_id.to_owned(),
        })?;
    Ok(Opened {
        document: inner.decoded(1, "payload")?,
        sender_key_id: key_id.to_owned(),
    })
}

/// Derives the content key from the `epk` header and `decryption` (ECDH-ES with the Concat
/// KDF), then decrypts and authenticates the ciphertext (A256GCM, the encoded protected header
/// as additional data).
fn decrypt(outer: &Compact<'_>, decryption: &DecryptionKey) -> Result<Vec<u8>, EnvelopeError> {
    let malformed = |reason: &str| EnvelopeError::Malformed(format!("JWE: {reason}"));
    if !outer.parts[1].is_empty() {
        return Err(malformed(
            "has an encrypted key, which direct key agreement (ECDH-ES) has none of",
        ));
    }
    let ephemeral = outer.ephemeral_key()?;
    let party_u = outer.party_info("apu")?;
    let party_v = outer.party_info("apv")?;
    let iv: [u8; NONCE_LEN] = outer
        .decoded(2, "initialization vector")?
        .try_into()
        .map_err(|_| malformed("the initialization vector is not 96 bits"))?;
    let mut buffer = outer.decoded(3, "ciphertext")?;
    let tag = outer.decoded(4, "authentication tag")?;
    if tag.len() != TAG_LENGTH {
        return Err(malformed("the authentication tag is not 128 bits"));
    }
    buffer.extend_from_slice(&tag);

    let content_key = agree(
        decryption.inner(),
        UnparsedPublicKey::new(&ECDH_P256, ephemeral),
        malformed("epk is not a point on P-256"),
        |shared| Ok(kdf::content_key(shared, &party_u, &party_v)),
    )?;
    let key = UnboundKey::new(&AES_256_GCM, &content_key)
        .map_err(|_| EnvelopeError::Undecryptable("cannot make the content key".into()))?;
    let plaintext = LessSafeKey::new(key)
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(outer.parts[0].as_bytes()),
            &mut buffer,
        )
        .map_err(|_| {
            EnvelopeError::Undecryptable(
                "the ciphertext does not authenticate under this receiver's key (encrypted to \
                 another key, or altered)"
                    .into(),
            )
        })?;
    let length = plaintext.len();
    buffer.truncate(length);
    Ok(buffer)
}
