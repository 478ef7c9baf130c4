//! Audit anchors on disk: the head of the audit chain, signed ([`Anchor`]), written to a file
//! outside the database — on demand (`kakehashi audit anchor`) and by the gateway every few
//! minutes — so that `kakehashi audit verify --anchor FILE` later shows records cut off or
//! rewritten since. Copy the files somewhere the database's owner cannot write (a ticket, a
//! second machine): an anchor beside the database is only as safe as the database.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::store::{Anchor, Store};

/// The file an anchor is written to in `dir` when none is named: one per anchored record.
pub fn file_in(dir: &Path, anchor: &Anchor) -> PathBuf {
    dir.join(format!("audit-anchor-{:012}.json", anchor.seq))
}

/// Writes `anchor` to `path` (mode 0600, its directory made 0700 if missing), atomically: a
/// crash leaves the old file or the new one.
pub fn write(anchor: &Anchor, path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    serde_json::to_writer_pretty(&mut file, anchor)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Reads an anchor file.
pub fn read(path: &Path) -> anyhow::Result<Anchor> {
    let bytes = std::fs::read(path)?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// Anchors the chain's head into `dir` every `every`, when it moved since the last anchor.
/// Failures are logged and tried again at the next tick.
pub async fn keep_anchoring(store: Arc<dyn Store>, dir: PathBuf, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.audit_anchor().await {
            Ok(Some(anchor)) => {
                let path = file_in(&dir, &anchor);
                if path.exists() {
                    continue;
                }
                match write(&anchor, &path) {
                    Ok(()) => {
                        tracing::info!(seq = anchor.seq, path = %path.display(), "anchored the audit chain")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, path = %path.display(), "writing an audit anchor")
                    }
                }
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "reading the audit chain's head"),
        }
    }
}
