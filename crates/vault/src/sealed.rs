//! The sealed blob: what [`KeyRing::seal`](crate::KeyRing::seal) writes and
//! [`KeyRing::open`](crate::KeyRing::open) reads.
//!
//! ```text
//! offset    size  content
//! 0         2     magic "KV"
//! 2         1     format version, 1
//! 3         1     key-id length n, 1..=255
//! 4         n     key id: ASCII letters, digits, '-', '_', '.'
//! 4+n       24    XChaCha20 nonce, random
//! 28+n      m     ciphertext, as long as the plaintext
//! 28+n+m    16    Poly1305 tag
//! ```
//!
//! The key id travels in every blob, so a ring that holds old and new keys during a rotation
//! knows which key opens which blob, and a re-encryption pass can tell which blobs still need
//! the new key without decrypting them.
//!
//! The AEAD's associated data is the header (bytes `0..4+n`) followed by the caller's AAD. The
//! header is thereby authenticated, and since it is length-prefixed the concatenation is
//! unambiguous. Callers pass the row's identity as AAD, so a blob copied into another row does
//! not open there.

use chacha20poly1305::aead::{AeadInOut, Generate};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};

use crate::VaultError;

const MAGIC: &[u8; 2] = b"KV";
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const TOO_SHORT: VaultError = VaultError::Malformed("too short");

/// Whether `id` can name a key: 1 to 255 bytes of ASCII letters, digits, '-', '_' and '.'.
pub(crate) fn is_valid_key_id(id: &str) -> bool {
    !id.is_empty()
        && u8::try_from(id.len()).is_ok()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The header of every blob sealed under `key_id`, which must be valid ([`is_valid_key_id`]);
/// the key file guarantees that of every id it holds.
pub(crate) fn header(key_id: &str) -> Vec<u8> {
    debug_assert!(is_valid_key_id(key_id), "invalid key id {key_id:?}");
    let mut header = Vec::with_capacity(4 + key_id.len());
    header.extend_from_slice(MAGIC);
    header.push(VERSION);
    // At most 255 bytes, as a valid id is.
    header.push(key_id.len() as u8);
    header.extend_from_slice(key_id.as_bytes());
    header
}

/// Seals `plaintext` under `cipher`, whose blobs start with `header`, binding it to `aad`.
///
/// # Panics
///
/// If the operating system's random number generator fails, or the plaintext is longer than
/// `XChaCha20`'s 256 GiB limit.
pub(crate) fn seal(
    cipher: &XChaCha20Poly1305,
    header: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Vec<u8> {
    let nonce = XNonce::generate();
    let body = header.len() + NONCE_LEN;
    let mut blob = Vec::with_capacity(body + plaintext.len() + TAG_LEN);
    blob.extend_from_slice(header);
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&nonce, &[header, aad].concat(), (&mut blob[body..]).into())
        .expect("a plaintext held in memory is within XChaCha20's 256 GiB limit");
    blob.extend_from_slice(&tag);
    blob
}

/// A blob split into its fields; nothing is authenticated until [`Blob::open`].
pub(crate) struct Blob<'a> {
    header: &'a [u8],
    key_id: &'a str,
    nonce: &'a [u8; NONCE_LEN],
    ciphertext: &'a [u8],
    tag: &'a [u8; TAG_LEN],
}

impl<'a> Blob<'a> {
    /// Splits `bytes` into the fields of a blob, or says why they are not one.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, VaultError> {
        let (magic, rest) = bytes.split_first_chunk::<2>().ok_or(TOO_SHORT)?;
        if magic != MAGIC {
            return Err(VaultError::Malformed("wrong magic number"));
        }
        let (&version, rest) = rest.split_first().ok_or(TOO_SHORT)?;
        if version != VERSION {
            return Err(VaultError::UnsupportedVersion(version));
        }
        let (&id_len, rest) = rest.split_first().ok_or(TOO_SHORT)?;
        let (id, rest) = rest
            .split_at_checked(usize::from(id_len))
            .ok_or(TOO_SHORT)?;
        let key_id = std::str::from_utf8(id)
            .ok()
            .filter(|id| is_valid_key_id(id))
            .ok_or(VaultError::Malformed("malformed key id"))?;
        let (nonce, rest) = rest.split_first_chunk::<NONCE_LEN>().ok_or(TOO_SHORT)?;
        let (ciphertext, tag) = rest.split_last_chunk::<TAG_LEN>().ok_or(TOO_SHORT)?;
        Ok(Blob {
            header: &bytes[..4 + id.len()],
            key_id,
            nonce,
            ciphertext,
            tag,
        })
    }

    /// The id of the key the blob was sealed with.
    pub(crate) fn key_id(&self) -> &'a str {
        self.key_id
    }

    /// Authenticates the blob and `aad` under `cipher` and returns the plaintext.
    pub(crate) fn open(
        &self,
        cipher: &XChaCha20Poly1305,
        aad: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let mut plaintext = self.ciphertext.to_vec();
        let nonce: &XNonce = self.nonce.into();
        let tag: &Tag = self.tag.into();
        cipher
            .decrypt_inout_detached(
                nonce,
                &[self.header, aad].concat(),
                plaintext.as_mut_slice().into(),
                tag,
            )
            .map_err(|_| VaultError::Decrypt(self.key_id.to_owned()))?;
        Ok(plaintext)
    }
}
