//! The key file: the one place key material is stored.
//!
//! ```text
//! {"version":1,"primary":"k2",
//!  "keys":[{"id":"k1","created_at":"2026-01-05T09:00:00Z","key":"<64 hex digits>"},
//!          {"id":"k2","created_at":"2026-07-01T09:00:00Z","key":"<64 hex digits>"}],
//!  "pseudonym_key":"<64 hex digits>",
//!  "audit":{"unkeyed_until":1520,
//!           "keys":[{"id":"a1","created_at":"2026-12-05T09:00:00Z","key":"<64 hex digits>"}]}}
//! ```
//!
//! `audit` holds the keys of the audit chain's links (監査証跡), the last one in use; they are
//! never retired, since every record made under one is verified with it. `unkeyed_until` is the
//! last record of the chain as it was before it was keyed (unkeyed SHA-256 links): every record
//! after it must be keyed. A file written before the audit chain was keyed has no `audit`.
//!
//! Reading refuses rather than guesses: a file readable by group or others (checked on the
//! opened file, so it cannot be swapped between check and read), an unknown version or field, a
//! duplicate or malformed id, a primary not among the keys, a key that is not 64 hex digits. Parse
//! errors are reported without echoing values from the file, which may be keys.
//!
//! Writing is atomic: a temporary file (mode 0600) in the same directory is written and fsynced,
//! renamed over the key file, and the directory is fsynced, so a crash leaves the old file or the
//! new one, never a torn one. Writers (create, rotate, retire) hold an exclusive lock on
//! `<key file>.lock` beside it, so two racing writers cannot both create a file or both add a key
//! under the same id; readers need no lock. Key material read or written passes through buffers
//! that are zeroed when dropped.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::VaultError;
use crate::sealed::is_valid_key_id;

const VERSION: u64 = 1;

/// A validated key file.
pub(crate) struct KeyFile {
    pub(crate) primary: String,
    pub(crate) keys: Vec<DataKey>,
    pub(crate) pseudonym_key: Zeroizing<[u8; 32]>,
    pub(crate) audit: Option<AuditKeys>,
}

/// The audit chain's keys: at least one, the last in use, ids valid and unique.
pub(crate) struct AuditKeys {
    pub(crate) keys: Vec<DataKey>,
    pub(crate) unkeyed_until: u64,
}

/// One data key. Its id is valid ([`is_valid_key_id`]) and unique in its file.
pub(crate) struct DataKey {
    pub(crate) id: String,
    created_at: String,
    pub(crate) key: Zeroizing<[u8; 32]>,
}

/// The file as JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Json {
    version: u64,
    primary: String,
    keys: Vec<JsonKey>,
    pseudonym_key: HexSecret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit: Option<JsonAudit>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAudit {
    unkeyed_until: u64,
    keys: Vec<JsonKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonKey {
    id: String,
    created_at: String,
    key: HexSecret,
}

/// Only the version, read first so that a newer file is refused for its version rather than
/// for the fields it added.
#[derive(Deserialize)]
struct JsonVersion {
    version: u64,
}

/// A key in hex, zeroed when dropped.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
struct HexSecret(String);

impl HexSecret {
    /// Lower-case hex of `key`, built in place so no unzeroed copy is left behind.
    fn encode(key: &[u8; 32]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in key {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        HexSecret(hex)
    }
}

impl Drop for HexSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl KeyFile {
    /// A new file with one data key, `k1`, and a pseudonym key.
    pub(crate) fn generate() -> Result<Self, VaultError> {
        let key = DataKey::generate("k1".to_owned())?;
        Ok(KeyFile {
            primary: key.id.clone(),
            keys: vec![key],
            pseudonym_key: random_key()?,
            audit: Some(AuditKeys::generate(0)?),
        })
    }

    /// Reads and validates the file at `path`; `None` if there is none.
    pub(crate) fn read(path: &Path) -> Result<Option<Self>, VaultError> {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path, "opening the key file", e)),
        };
        let meta = file
            .metadata()
            .map_err(|e| io_error(path, "reading the key file's metadata", e))?;
        if !meta.is_file() {
            return Err(invalid(path, "not a regular file".to_owned()));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(VaultError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(
            usize::try_from(meta.len()).unwrap_or(0).saturating_add(1),
        ));
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error(path, "reading the key file", e))?;
        Self::parse(&bytes, path).map(Some)
    }

    fn parse(bytes: &[u8], path: &Path) -> Result<Self, VaultError> {
        let version: JsonVersion =
            serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
        if version.version != VERSION {
            return Err(invalid(
                path,
                format!(
                    "version {} is not supported; this build reads version {VERSION}",
                    version.version
                ),
            ));
        }
        let json: Json = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
        let keys = parse_keys(&json.keys, path)?;
        if !keys.iter().any(|k| k.id == json.primary) {
            let ids: Vec<&str> = keys.iter().map(|k| k.id.as_str()).collect();
            return Err(invalid(
                path,
                format!(
                    "primary key `{}` is not among the keys ({})",
                    json.primary,
                    ids.join(", ")
                ),
            ));
        }
        Ok(KeyFile {
            primary: json.primary,
            keys,
            pseudonym_key: decode_key(&json.pseudonym_key, path, || "pseudonym_key".to_owned())?,
            audit: match &json.audit {
                None => None,
                Some(audit) if audit.keys.is_empty() => {
                    return Err(invalid(path, "`audit` has no keys".to_owned()));
                }
                Some(audit) => Some(AuditKeys {
                    keys: parse_keys(&audit.keys, path)?,
                    unkeyed_until: audit.unkeyed_until,
                }),
            },
        })
    }

    /// Adds a new random data key with the next free id `k<n>` and makes it the primary, and a
    /// new audit key `a<n>` that new audit records are linked with.
    pub(crate) fn add_key(&mut self, path: &Path) -> Result<(), VaultError> {
        let key = DataKey::generate(next_id(&self.keys, "k", path)?)?;
        self.primary.clone_from(&key.id);
        self.keys.push(key);
        if let Some(audit) = &mut self.audit {
            let key = DataKey::generate(next_id(&audit.keys, "a", path)?)?;
            audit.keys.push(key);
        }
        Ok(())
    }

    /// Drops every key but the primary; whether any was dropped.
    pub(crate) fn retain_primary(&mut self) -> bool {
        let before = self.keys.len();
        self.keys.retain(|k| k.id == self.primary);
        self.keys.len() != before
    }

    /// Writes the file to `path` atomically, mode 0600. The caller holds [`lock`] and has made
    /// the directory ([`create_dir`]).
    pub(crate) fn write(&self, path: &Path) -> Result<(), VaultError> {
        let json = Json {
            version: VERSION,
            primary: self.primary.clone(),
            keys: self.keys.iter().map(JsonKey::encode).collect(),
            pseudonym_key: HexSecret::encode(&self.pseudonym_key),
            audit: self.audit.as_ref().map(|audit| JsonAudit {
                unkeyed_until: audit.unkeyed_until,
                keys: audit.keys.iter().map(JsonKey::encode).collect(),
            }),
        };
        // Room for every key up front, so the buffer never reallocates and leaves copies behind.
        let audit_keys = self.audit.as_ref().map_or(0, |audit| audit.keys.len());
        let mut bytes = Zeroizing::new(Vec::with_capacity(
            640 + 256 * (self.keys.len() + audit_keys),
        ));
        serde_json::to_writer_pretty(&mut *bytes, &json)
            .map_err(|e| invalid(path, format!("serializing: {e}")))?;
        bytes.push(b'\n');

        let (dir, name) = split(path)?;
        let tmp = dir.join(format!(".{name}.tmp"));
        let written = replace(path, &tmp, &dir, &bytes);
        if written.is_err() {
            // Best effort: the error that matters is the one being returned.
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

impl AuditKeys {
    /// One new audit key, `a1`, for a chain whose records up to `unkeyed_until` are unkeyed.
    pub(crate) fn generate(unkeyed_until: u64) -> Result<Self, VaultError> {
        Ok(AuditKeys {
            keys: vec![DataKey::generate("a1".to_owned())?],
            unkeyed_until,
        })
    }
}

impl JsonKey {
    fn encode(key: &DataKey) -> Self {
        JsonKey {
            id: key.id.clone(),
            created_at: key.created_at.clone(),
            key: HexSecret::encode(&key.key),
        }
    }
}

/// Validates a list of keys: ids valid and unique, times RFC 3339, keys 64 hex digits.
fn parse_keys(json: &[JsonKey], path: &Path) -> Result<Vec<DataKey>, VaultError> {
    let mut keys: Vec<DataKey> = Vec::with_capacity(json.len());
    for k in json {
        if !is_valid_key_id(&k.id) {
            return Err(invalid(
                path,
                format!(
                    "key id {:?} is not 1 to 255 ASCII letters, digits, '-', '_' or '.'",
                    k.id
                ),
            ));
        }
        if keys.iter().any(|seen| seen.id == k.id) {
            return Err(invalid(path, format!("key id `{}` appears twice", k.id)));
        }
        if DateTime::parse_from_rfc3339(&k.created_at).is_err() {
            return Err(invalid(
                path,
                format!("key `{}`: created_at is not an RFC 3339 time", k.id),
            ));
        }
        keys.push(DataKey {
            id: k.id.clone(),
            created_at: k.created_at.clone(),
            key: decode_key(&k.key, path, || format!("key `{}`", k.id))?,
        });
    }
    Ok(keys)
}

/// The id after the highest `<prefix><n>` among `keys`.
fn next_id(keys: &[DataKey], prefix: &str, path: &Path) -> Result<String, VaultError> {
    let highest = keys
        .iter()
        .filter_map(|k| k.id.strip_prefix(prefix)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let next = highest
        .checked_add(1)
        .ok_or_else(|| invalid(path, format!("no key id after `{prefix}{highest}`")))?;
    Ok(format!("{prefix}{next}"))
}

impl DataKey {
    fn generate(id: String) -> Result<Self, VaultError> {
        Ok(DataKey {
            id,
            created_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            key: random_key()?,
        })
    }
}

/// Creates the directory of `path` (mode 0700) if it is missing.
pub(crate) fn create_dir(path: &Path) -> Result<(), VaultError> {
    let (dir, _) = split(path)?;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| io_error(&dir, "creating the key directory", e))
}

/// Takes the writers' lock of the key file at `path`, waiting for it; it is released when the
/// returned file is dropped. A missing directory means a missing key file.
pub(crate) fn lock(path: &Path) -> Result<File, VaultError> {
    let (dir, name) = split(path)?;
    let lock_path = dir.join(format!("{name}.lock"));
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(VaultError::Missing {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(io_error(&lock_path, "opening the lock file", e)),
    };
    file.lock()
        .map_err(|e| io_error(&lock_path, "locking the key file", e))?;
    Ok(file)
}

/// Writes `bytes` to `tmp`, fsyncs it, renames it to `path` and fsyncs `dir`.
fn replace(path: &Path, tmp: &Path, dir: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    // A temporary file left by a crashed writer is stale: the caller holds the lock.
    match fs::remove_file(tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(io_error(tmp, "removing a stale temporary file", e));
        }
        _ => {}
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| io_error(tmp, "creating a temporary key file", e))?;
    file.write_all(bytes)
        .map_err(|e| io_error(tmp, "writing a temporary key file", e))?;
    file.sync_all()
        .map_err(|e| io_error(tmp, "syncing a temporary key file", e))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| io_error(path, "replacing the key file", e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(dir, "syncing the key directory", e))
}

/// The directory of `path` and its file name.
fn split(path: &Path) -> Result<(PathBuf, String), VaultError> {
    let name = path
        .file_name()
        .ok_or_else(|| invalid(path, "not a file path".to_owned()))?
        .to_string_lossy()
        .into_owned();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

fn random_key() -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut key = Zeroizing::new([0u8; 32]);
    getrandom::fill(key.as_mut_slice()).map_err(VaultError::Rng)?;
    Ok(key)
}

fn decode_key(
    hex: &HexSecret,
    path: &Path,
    name: impl FnOnce() -> String,
) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(&hex.0, key.as_mut_slice())
        .map_err(|_| invalid(path, format!("{} is not 64 hex digits", name())))?;
    Ok(key)
}

/// A JSON error, without the values `serde_json` may quote: in a key file those may be keys.
fn json_error(path: &Path, e: &serde_json::Error) -> VaultError {
    let message = e.to_string();
    let reason = if e.is_data()
        && !["unknown field", "missing field", "duplicate field"]
            .iter()
            .any(|p| message.starts_with(p))
    {
        format!(
            "a value of the wrong type or form at line {} column {}",
            e.line(),
            e.column()
        )
    } else {
        format!("not valid key-file JSON: {message}")
    };
    invalid(path, reason)
}

fn invalid(path: &Path, reason: String) -> VaultError {
    VaultError::Invalid {
        path: path.to_owned(),
        reason,
    }
}

fn io_error(path: &Path, action: &'static str, source: io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_owned(),
        action,
        source,
    }
}
