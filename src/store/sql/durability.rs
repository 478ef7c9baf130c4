//! Group commit for the embedded database: many writers, one flush.
//!
//! Waiting for the disk at every commit (`synchronous = FULL`) costs one flush per write
//! transaction — about 1.5 ms on this project's machines, two per submission — and the writer
//! lock is held meanwhile, so a gateway under load spent most of its time waiting for the disk
//! one writer after another. Instead, SQLite commits with `synchronous = NORMAL` (in WAL mode a
//! commit appends its frames to the write-ahead log and returns; SQLite itself flushes the log
//! before a checkpoint and the database after one), and a write is acknowledged only after
//! [`Durability::wait`] has flushed the log *after* that commit. The lock is released before
//! the wait, so the commits of other writers pile up while one flush runs, and the next flush
//! covers them all: each flush makes durable every commit counted before it started.
//!
//! The log is opened by name for every flush, not kept open: when the last connection closes,
//! SQLite checkpoints the log into the database, flushes the database and deletes the log, and a
//! new one is made later — a kept handle would then flush a deleted file. A log that is not there
//! was checkpointed, so what it held is durable already. A log that is new (another inode than
//! the last flushed) has its directory flushed too, so that its name survives a power cut.
//!
//! PostgreSQL flushes its own log at commit (and groups concurrent commits itself), so there
//! there is nothing to wait for.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::super::StoreError;

/// Which commits are on disk, and how to make the rest so.
#[derive(Debug)]
pub(super) struct Durability {
    /// The write-ahead log to flush, and its directory (None: the database flushes at commit).
    log: Option<(PathBuf, PathBuf)>,
    /// Commits counted so far; a commit's ticket is the count after it.
    committed: AtomicU64,
    /// The flush under way or last done: (the tickets it made durable, the log's inode).
    flushed: Mutex<(u64, u64)>,
}

impl Durability {
    /// Nothing to wait for: the database is durable at commit.
    pub(super) fn at_commit() -> Self {
        Self {
            log: None,
            committed: AtomicU64::new(0),
            flushed: Mutex::new((0, 0)),
        }
    }

    /// SQLite's write-ahead log `log` in `directory`, flushed on demand.
    pub(super) fn write_ahead_log(log: PathBuf, directory: PathBuf) -> Self {
        Self {
            log: Some((log, directory)),
            ..Self::at_commit()
        }
    }

    /// Counts a commit that has returned; the ticket to [`Self::wait`] with.
    pub(super) fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once the commit with `ticket`, and every one before it, is on disk: at once when
    /// a flush that started after it has finished, else after a flush of its own, which covers
    /// every commit counted by the time it starts.
    pub(super) async fn wait(&self, ticket: u64) -> Result<(), StoreError> {
        let Some((log, directory)) = &self.log else {
            return Ok(());
        };
        let mut flushed = self.flushed.lock().await;
        if flushed.0 >= ticket {
            return Ok(());
        }
        let covers = self.committed.load(Ordering::SeqCst);
        let failed = |source| StoreError::DataDir {
            path: log.display().to_string(),
            source,
        };
        let (path, folder, last_inode) = (log.clone(), directory.clone(), flushed.1);
        let inode = tokio::task::spawn_blocking(move || flush(&path, &folder, last_inode))
            .await
            .map_err(|e| failed(std::io::Error::other(e)))?
            .map_err(failed)?;
        *flushed = (covers, inode.unwrap_or(last_inode));
        Ok(())
    }
}

/// Flushes the log (and its directory when the log is new since `last_inode`); the log's inode,
/// or None when there is no log (checkpointed and removed: durable in the database).
fn flush(
    log: &std::path::Path,
    directory: &std::path::Path,
    last_inode: u64,
) -> std::io::Result<Option<u64>> {
    let file = match std::fs::File::open(log) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    file.sync_data()?;
    let inode = file.metadata()?.ino();
    if inode != last_inode {
        std::fs::File::open(directory)?.sync_all()?;
    }
    Ok(Some(inode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Of many concurrent writers, none is answered before a flush that covers its commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_concurrent_commit_is_answered_before_a_flush_covers_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("db-wal");
        std::fs::write(&log, b"frames").unwrap();
        let durability = Arc::new(Durability::write_ahead_log(log, dir.path().to_owned()));
        let mut writers = tokio::task::JoinSet::new();
        for _ in 0..64 {
            let durability = durability.clone();
            writers.spawn(async move {
                let ticket = durability.committed();
                durability.wait(ticket).await.unwrap();
                // Answered only once a flush covering the ticket is done.
                assert!(durability.flushed.lock().await.0 >= ticket);
            });
        }
        while let Some(done) = writers.join_next().await {
            done.unwrap();
        }
        assert_eq!(durability.flushed.lock().await.0, 64);
    }

    #[tokio::test]
    async fn a_checkpointed_log_is_durable_already() {
        let dir = tempfile::tempdir().unwrap();
        let durability =
            Durability::write_ahead_log(dir.path().join("gone-wal"), dir.path().to_owned());
        let ticket = durability.committed();
        durability.wait(ticket).await.unwrap();
        assert_eq!(durability.flushed.lock().await.0, 1);
    }
}
