//! The key ring: the data keys of a key file, ready to seal and open blobs, its pseudonym key,
//! and the audit keys that link the audit chain.
//!
//! New blobs are sealed with the primary key; a blob is opened with whichever key its id names.
//! Rotation therefore needs no downtime: [`KeyRing::rotate`] adds a key and makes it primary
//! while the old keys still open old blobs, the gateway re-seals every blob for which
//! [`KeyRing::is_sealed_with_primary`] is false, and [`KeyRing::retire_old_keys`] then drops the
//! old keys. A ring is a snapshot of its file: after a rotation elsewhere, load the file again.

use std::fmt;
use std::path::Path;

use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::VaultError;
use crate::keyfile::{self, AuditKeys, KeyFile};
use crate::pseudonym::PseudonymKey;
use crate::sealed::{self, Blob};

/// The keys of one key file. Its `Debug` shows key ids only, never key bytes.
pub struct KeyRing {
    keys: Vec<RingKey>,
    /// Index of the primary key in `keys`.
    primary: usize,
    pseudonym: PseudonymKey,
    /// The audit keys by id, the last in use; `None` before the chain was keyed.
    audit: Option<AuditRing>,
}

struct AuditRing {
    keys: Vec<(String, Zeroizing<[u8; 32]>)>,
    unkeyed_until: u64,
}

struct RingKey {
    id: String,
    /// The header of every blob sealed with this key.
    header: Vec<u8>,
    /// Holds a copy of the key, zeroed when dropped.
    cipher: XChaCha20Poly1305,
}

impl KeyRing {
    /// Loads the key file at `path`, or creates it if it is missing, and says whether it was
    /// created.
    ///
    /// A new file holds one random 256-bit data key, `k1`, and a random 256-bit pseudonym key.
    /// It is written atomically with mode 0600; its directory is created with mode 0700 if
    /// missing. If two processes race to create the file, one creates it and the other loads it.
    ///
    /// # Errors
    ///
    /// Everything [`KeyRing::load`] refuses, and failures to create the directory, the file or
    /// the keys.
    pub fn load_or_create(path: &Path) -> Result<(KeyRing, bool), VaultError> {
        if let Some(file) = KeyFile::read(path)? {
            return Ok((KeyRing::new(&file), false));
        }
        keyfile::create_dir(path)?;
        let _lock = keyfile::lock(path)?;
        // Another process may have created the file while this one waited for the lock.
        if let Some(file) = KeyFile::read(path)? {
            return Ok((KeyRing::new(&file), false));
        }
        let file = KeyFile::generate()?;
        file.write(path)?;
        Ok((KeyRing::new(&file), true))
    }

    /// Loads the key file at `path`, which must exist.
    ///
    /// # Errors
    ///
    /// A missing or unreadable file; a file readable by group or others; a file that is not
    /// valid (unknown version or fields, duplicate ids, a primary not among the keys, a
    /// malformed key). Every error names the file.
    pub fn load(path: &Path) -> Result<KeyRing, VaultError> {
        Ok(KeyRing::new(&read_existing(path)?))
    }

    /// Adds a new random data key to the key file at `path` with the next id (`k<n+1>` after the
    /// highest `k<n>`), makes it the primary, writes the file atomically and returns the new
    /// ring. The old keys stay, so blobs sealed with them still open.
    ///
    /// # Errors
    ///
    /// Everything [`KeyRing::load`] refuses, and failures to write the file.
    pub fn rotate(path: &Path) -> Result<KeyRing, VaultError> {
        let _lock = keyfile::lock(path)?;
        let mut file = read_existing(path)?;
        file.add_key(path)?;
        file.write(path)?;
        Ok(KeyRing::new(&file))
    }

    /// Adds the first audit key to the key file at `path` if it has none (a file written before
    /// the audit chain was keyed), recording that the chain's records up to `unkeyed_until` keep
    /// their unkeyed links; a file that has audit keys is left as it is.
    ///
    /// # Errors
    ///
    /// Everything [`KeyRing::load`] refuses, and failures to write the file.
    pub fn start_audit_chain(path: &Path, unkeyed_until: u64) -> Result<KeyRing, VaultError> {
        let _lock = keyfile::lock(path)?;
        let mut file = read_existing(path)?;
        if file.audit.is_none() {
            file.audit = Some(AuditKeys::generate(unkeyed_until)?);
            file.write(path)?;
        }
        Ok(KeyRing::new(&file))
    }

    /// Removes every data key but the primary from the key file at `path`, once every blob has
    /// been re-sealed with the primary. Blobs sealed with a removed key no longer open: they fail
    /// with [`VaultError::UnknownKeyId`]. The pseudonym key stays.
    ///
    /// # Errors
    ///
    /// Everything [`KeyRing::load`] refuses, and failures to write the file.
    pub fn retire_old_keys(path: &Path) -> Result<KeyRing, VaultError> {
        let _lock = keyfile::lock(path)?;
        let mut file = read_existing(path)?;
        if file.retain_primary() {
            file.write(path)?;
        }
        Ok(KeyRing::new(&file))
    }

    fn new(file: &KeyFile) -> KeyRing {
        let keys: Vec<RingKey> = file
            .keys
            .iter()
            .map(|k| RingKey {
                id: k.id.clone(),
                header: sealed::header(&k.id),
                cipher: XChaCha20Poly1305::new((&*k.key).into()),
            })
            .collect();
        let primary = keys
            .iter()
            .position(|k| k.id == file.primary)
            .expect("a key file's primary is among its keys");
        KeyRing {
            keys,
            primary,
            pseudonym: PseudonymKey::new(file.pseudonym_key.clone()),
            audit: file.audit.as_ref().map(|audit| AuditRing {
                keys: audit
                    .keys
                    .iter()
                    .map(|k| (k.id.clone(), k.key.clone()))
                    .collect(),
                unkeyed_until: audit.unkeyed_until,
            }),
        }
    }

    /// Encrypts `plaintext` with the primary key, bound to `aad` (the identity of the row the
    /// blob is stored in), under a fresh random nonce. The blob format is described in the
    /// `sealed` module.
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails, or the plaintext is longer than
    /// `XChaCha20`'s limit of 256 GiB.
    #[must_use]
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let key = &self.keys[self.primary];
        sealed::seal(&key.cipher, &key.header, plaintext, aad)
    }

    /// Decrypts a blob made by [`KeyRing::seal`] with the key its id names, checking that it is
    /// unaltered and was sealed with the same `aad`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Malformed`] or [`VaultError::UnsupportedVersion`] if `sealed` is not a blob
    /// (truncated, say); [`VaultError::UnknownKeyId`] if its key is not in the ring;
    /// [`VaultError::Decrypt`] if it was altered or `aad` differs.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, VaultError> {
        let blob = Blob::parse(sealed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.id == blob.key_id())
            .ok_or_else(|| VaultError::UnknownKeyId(blob.key_id().to_owned()))?;
        blob.open(&key.cipher, aad)
    }

    /// Whether `sealed` is a blob whose header names the primary key: if not, a re-encryption
    /// pass should open and re-seal it. Reads the header only; nothing is authenticated.
    #[must_use]
    pub fn is_sealed_with_primary(&self, sealed: &[u8]) -> bool {
        Blob::parse(sealed).is_ok_and(|blob| blob.key_id() == self.primary_id())
    }

    /// The id of the key new blobs are sealed with.
    #[must_use]
    pub fn primary_id(&self) -> &str {
        &self.keys[self.primary].id
    }

    /// The ids of every data key in the ring, in file order.
    #[must_use]
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// A stable pseudonym for `data` (a patient identifier, say) for audit logs: 32 hex digits,
    /// the first 16 bytes of HMAC-SHA256 under the pseudonym key, which never rotates.
    #[must_use]
    pub fn pseudonym(&self, data: &[u8]) -> String {
        self.pseudonym.pseudonym(data)
    }
}

impl KeyRing {
    /// The id of the audit key new audit records are linked with; `None` before the audit
    /// chain was keyed ([`KeyRing::start_audit_chain`]).
    #[must_use]
    pub fn audit_key_id(&self) -> Option<&str> {
        let audit = self.audit.as_ref()?;
        audit.keys.last().map(|(id, _)| id.as_str())
    }

    /// The last audit record whose link is unkeyed: every later one must be keyed. `None`
    /// before the audit chain was keyed.
    #[must_use]
    pub fn audit_unkeyed_until(&self) -> Option<u64> {
        self.audit.as_ref().map(|audit| audit.unkeyed_until)
    }

    /// HMAC-SHA256 of `message` under the audit key `key_id`, in hex: an audit record's link,
    /// which nobody without the key can recompute.
    ///
    /// # Errors
    ///
    /// [`VaultError::UnknownKeyId`] if the ring has no audit key of that id.
    pub fn audit_mac(&self, key_id: &str, message: &[u8]) -> Result<String, VaultError> {
        let (_, key) = self
            .audit
            .iter()
            .flat_map(|audit| &audit.keys)
            .find(|(id, _)| id == key_id)
            .ok_or_else(|| VaultError::UnknownKeyId(key_id.to_owned()))?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_slice())
            .expect("HMAC takes keys of any length");
        mac.update(message);
        Ok(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("primary", &self.primary_id())
            .field("keys", &self.key_ids())
            .field("audit_key", &self.audit_key_id())
            .finish_non_exhaustive()
    }
}

fn read_existing(path: &Path) -> Result<KeyFile, VaultError> {
    KeyFile::read(path)?.ok_or_else(|| VaultError::Missing {
        path: path.to_owned(),
    })
}
