//! Sealing: sign the document, then encrypt the signature to the recipient.

use josekit::jwe::{self, JweHeader};
use josekit::jws::{self, JwsHeader};

use crate::{
    CONTENT_ENCRYPTION, EnvelopeError, NESTED_CONTENT_TYPE, RecipientKey, SIGNATURE_TYPE,
    SigningKey,
};

/// Signs `document` with `signer` (JWS ES256) and encrypts the compact JWS to `recipient`
/// (JWE ECDH-ES, A256GCM). Returns the compact JWE. Every call uses a fresh ephemeral key, so
/// sealing the same document twice gives two different envelopes.
pub fn seal(
    document: &[u8],
    signer: &SigningKey,
    recipient: &RecipientKey,
) -> Result<String, EnvelopeError> {
    let sealing = |e: josekit::JoseError| EnvelopeError::Seal(e.to_string());

    let mut signature_header = JwsHeader::new();
    signature_header.set_token_type(SIGNATURE_TYPE);
    signature_header.set_key_id(signer.key_id());
    let signed =
        jws::serialize_compact(document, &signature_header, signer.inner()).map_err(sealing)?;

    let mut encryption_header = JweHeader::new();
    encryption_header.set_content_encryption(CONTENT_ENCRYPTION);
    encryption_header.set_content_type(NESTED_CONTENT_TYPE);
    encryption_header.set_key_id(recipient.key_id());
    jwe::serialize_compact(signed.as_bytes(), &encryption_header, recipient.inner())
        .map_err(sealing)
}
