//! Encryption at rest for the gateway's database: patient data rests encrypted, as the MHLW
//! guideline asks.
//!
//! A [`KeyRing`] is loaded from a key file (see `keyfile`) that holds 256-bit data keys and a
//! pseudonym key. [`KeyRing::seal`] encrypts a value into a self-describing blob (see `sealed`)
//! and [`KeyRing::open`] decrypts it; [`KeyRing::pseudonym`] makes stable keyed pseudonyms for
//! audit logs, and [`KeyRing::audit_mac`] the keyed links of the audit chain under the file's
//! audit keys (rotated with the data keys, never retired).
//!
//! - **XChaCha20-Poly1305.** Its 192-bit nonces can be drawn at random for every seal: a
//!   collision is negligible even after far more blobs than a gateway will ever write (AES-GCM's
//!   96-bit nonces would need a counter to be safe at volume), so no nonce state has to survive
//!   restarts or be shared between processes.
//! - **A key id in every blob.** Rotation adds a key and makes it primary while the old keys keep
//!   opening old blobs; a re-encryption pass finds the blobs still under an old key from their
//!   headers, and once it is done the old keys are retired.
//! - **AAD binds a blob to its row.** The caller passes the row's identity (table, column,
//!   primary key) as associated data, so a blob copied into another row fails to open instead of
//!   showing one patient's data as another's.
//! - **No panics on bad input.** A truncated or altered blob, a wrong key or a bad key file is a
//!   [`VaultError`]; key material is zeroed when dropped and never printed.
//!
//! The key file is protected by POSIX file modes, so the crate builds on Unix only.
//!
//! ```
//! use kakehashi_vault::KeyRing;
//!
//! # let dir = tempfile::TempDir::new()?;
//! # let path = dir.path().join("vault.key");
//! let (ring, _created) = KeyRing::load_or_create(&path)?;
//! let aad = b"records/payload/42"; // the row the blob is stored in
//! let blob = ring.seal("診断名".as_bytes(), aad);
//! assert_eq!(ring.open(&blob, aad)?, "診断名".as_bytes());
//! assert!(ring.open(&blob, b"records/payload/43").is_err());
//!
//! let ring = KeyRing::rotate(&path)?; // old blobs still open; new ones use k2
//! assert!(!ring.is_sealed_with_primary(&blob));
//! let blob = ring.seal(&ring.open(&blob, aad)?, aad); // the re-encryption pass
//! let ring = KeyRing::retire_old_keys(&path)?;
//! assert_eq!(ring.open(&blob, aad)?, "診断名".as_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

#[cfg(not(unix))]
compile_error!(
    "kakehashi-vault protects its key file with POSIX file modes: it builds on Unix only"
);

mod error;
mod keyfile;
mod keyring;
mod pseudonym;
mod sealed;

pub use error::VaultError;
pub use keyring::KeyRing;
