//! Errors. Key-file errors name the file and the reason, so an operator can fix the file;
//! blob errors say what is wrong with the blob and never echo its contents, only its key id.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong loading, changing or using a key ring.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A file-system operation on the key file, its directory or its lock file failed.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or directory operated on.
        path: PathBuf,
        /// What was being done, e.g. "reading the key file".
        action: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
    /// [`KeyRing::load`](crate::KeyRing::load), `rotate` or `retire_old_keys` found no key file.
    #[error("key file {} does not exist", path.display())]
    Missing {
        /// Where the key file was looked for.
        path: PathBuf,
    },
    /// The key file can be read by its group or by others.
    #[error(
        "key file {} is readable by group or others (mode {mode:03o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not valid: bad JSON, an unknown field or version, a duplicate key id, a
    /// primary id not in the list, a malformed key.
    #[error("key file {}: {reason}", path.display())]
    Invalid {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The operating system's random number generator failed while making a key.
    #[error("the operating system's random number generator failed: {0}")]
    Rng(getrandom::Error),
    /// The bytes given to [`KeyRing::open`](crate::KeyRing::open) are not a sealed blob: too
    /// short, a wrong magic number or a malformed key id.
    #[error("not a sealed blob: {0}")]
    Malformed(&'static str),
    /// The blob was sealed in a format version this build does not read.
    #[error("sealed blob has format version {0}; this build reads version 1")]
    UnsupportedVersion(u8),
    /// The blob was sealed with a key that is not in the ring.
    #[error(
        "sealed blob uses unknown key id `{0}`: the key was retired, or the blob comes from another key file"
    )]
    UnknownKeyId(String),
    /// Authentication failed: the blob was altered, or it is opened with another row's AAD.
    #[error(
        "sealed blob failed authentication under key `{0}`: it was altered, or it belongs to another row"
    )]
    Decrypt(String),
}
