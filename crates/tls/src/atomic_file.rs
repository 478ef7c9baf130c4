//! Crash-safe file writes for the development PKI.
//!
//! Each file is written to a hidden temporary sibling, flushed to disk and renamed over its
//! final name, so a reader sees either the old file, the complete new one, or nothing — never a
//! truncated key or certificate. Keys are created with mode 0600 from the first byte, so there
//! is no window in which a private key is world-readable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::error::PkiError;

/// Permission bits for private keys.
pub(crate) const PRIVATE: u32 = 0o600;
/// Permission bits for certificates, CRLs and the revocation register.
pub(crate) const PUBLIC: u32 = 0o644;

/// Writes `contents` to `path` via a temporary file and an atomic rename.
pub(crate) fn write(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PkiError::Io { path, source }
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let Some(file_name) = file_name else {
        return Err(PkiError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
        });
    };
    let temporary = path.with_file_name(format!(".{file_name}.tmp"));
    match fs::remove_file(&temporary) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(&temporary)(e)),
        _ => {}
    }
    let mut file = create_new(&temporary, mode).map_err(io_error(&temporary))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary))?;
    drop(file);
    fs::rename(&temporary, path).map_err(io_error(path))
}

/// Creates `dir` (and its parents) with mode 0700 if it does not exist yet.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| PkiError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Flushes the directory entry table so completed renames survive a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), PkiError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| PkiError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}
