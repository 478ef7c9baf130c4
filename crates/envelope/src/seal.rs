//! Sealing: sign the document, then encrypt the signature to the recipient.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::agreement::{ECDH_P256, EphemeralPrivateKey, agree_ephemeral};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::keys::coordinates;
use crate::{
    CONTENT_ENCRYPTION, EnvelopeError, KEY_AGREEMENT_ALGORITHM, NESTED_CONTENT_TYPE, RecipientKey,
    SIGNATURE_ALGORITHM, SIGNATURE_TYPE, SigningKey, kdf,
};

/// Signs `document` with `signer` (JWS ES256) and encrypts the compact JWS to `recipient`
/// (JWE ECDH-ES, A256GCM). Returns the compact JWE. Every call uses a fresh ephemeral key and
/// initialisation vector, so sealing the same document twice gives two different envelopes.
pub fn seal(
    document: &[u8],
    signer: &SigningKey,
    recipient: &RecipientKey,
) -> Result<String, EnvelopeError> {
    let random = SystemRandom::new();
    let failed = |step: &str| EnvelopeError::Seal(format!("{step} failed"));

    // Key ids are base64url, so they need no escaping in JSON.
    let signature_header = format!(
        r#"{{"alg":"{SIGNATURE_ALGORITHM}","typ":"{SIGNATURE_TYPE}","kid":"{}"}}"#,
        signer.key_id()
    );
    let mut signed = encoded(signature_header.as_bytes());
    signed.push('.');
    URL_SAFE_NO_PAD.encode_string(document, &mut signed);
    let signature = signer
        .inner()
        .sign(&random, signed.as_bytes())
        .map_err(|_| failed("signing"))?;
    signed.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.as_ref(), &mut signed);

    let ephemeral =
        EphemeralPrivateKey::generate(&ECDH_P256, &random).map_err(|_| failed("key generation"))?;
    let ephemeral_public = ephemeral
        .compute_public_key()
        .map_err(|_| failed("key generation"))?;
    let (x, y) = coordinates(ephemeral_public.as_ref()).ok_or_else(|| failed("key generation"))?;
    let encryption_header = format!(
        r#"{{"alg":"{KEY_AGREEMENT_ALGORITHM}","enc":"{CONTENT_ENCRYPTION}","cty":"{NESTED_CONTENT_TYPE}","kid":"{}","epk":{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}}}"#,
        recipient.key_id(),
        encoded(x),
        encoded(y),
    );
    let content_key = agree_ephemeral(
        ephemeral,
        recipient.inner().clone(),
        failed("key agreement"),
        |shared| Ok(kdf::content_key(shared, b"", b"")),
    )?;
    let key = UnboundKey::new(&AES_256_GCM, &content_key).map_err(|_| failed("encryption"))?;
    let mut iv = [0u8; NONCE_LEN];
    random.fill(&mut iv).map_err(|_| failed("randomness"))?;

    let protected = encoded(encryption_header.as_bytes());
    let mut ciphertext = signed.into_bytes();
    let tag = LessSafeKey::new(key)
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(protected.as_bytes()),
            &mut ciphertext,
        )
        .map_err(|_| failed("encryption"))?;

    // header . (no encrypted key in direct agreement) . iv . ciphertext . tag
    let mut envelope = protected;
    envelope.push_str("..");
    for part in [&iv[..], &ciphertext, tag.as_ref()] {
        URL_SAFE_NO_PAD.encode_string(part, &mut envelope);
        envelope.push('.');
    }
    envelope.pop();
    Ok(envelope)
}

fn encoded(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
