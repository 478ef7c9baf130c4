//! The embedded store: one SQLite file (`kakehashi.sqlite3`) in the data directory, in WAL mode
//! with `synchronous = FULL`, so a transaction that returned is on disk before the gateway
//! acknowledges anything. Migrations are versioned SQL files in `migrations/sqlite/`.
//!
//! One gateway process owns the file, so write transactions are serialised by a lock in the
//! process rather than left to SQLite's busy handling: the audit chain needs each append to see
//! the record before it. Each write transaction also begins `IMMEDIATE`, taking SQLite's write
//! lock before its first read: a transaction dropped on an early return is rolled back by its
//! connection a moment after the process lock is released, and a writer that had read first
//! would then fail at once on the lock upgrade (SQLite never waits there) instead of waiting.

mod access_keys;
mod applications;
mod audit;
mod certifications;
mod console_sessions;
mod deliveries;
mod directory;
mod renewals;
mod reviews;
mod submissions;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::Transaction;
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use tokio::sync::{Mutex, MutexGuard};

use super::{Sealer, StoreError, timestamp_now as now};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "kakehashi.sqlite3";

/// SQLite-backed store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    sealer: Sealer,
    writer: Arc<Mutex<()>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir`, brings its schema up to date and
    /// moves a version-1 audit log into the hash chain.
    pub async fn open(data_dir: &Path, sealer: Sealer) -> Result<Self, StoreError> {
        private_data_dir(data_dir)?;
        let database = data_dir.join(DATABASE_FILE);
        private_database_file(&database).map_err(|source| StoreError::DataDir {
            path: database.display().to_string(),
            source,
        })?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&database)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .before_acquire(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let store = Self {
            pool,
            sealer,
            writer: Arc::new(Mutex::new(())),
        };
        store.chain_legacy_audit_log().await?;
        Ok(store)
    }

    /// Holds the single-writer lock for one write transaction.
    async fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// A write transaction holding SQLite's write lock from its start (`BEGIN IMMEDIATE`,
    /// waiting under the busy timeout while another connection finishes a rollback).
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Makes the data directory (mode 0700) if it is missing, and refuses one that group or
/// others may read, write or enter, as the key file is refused: the database in it holds
/// personal data, sealed or not (its size and times, the audit trail).
pub fn private_data_dir(data_dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let io_error = |source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(io_error)?;
    let mode = std::fs::metadata(data_dir)
        .map_err(io_error)?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::DataDirPermissions {
            path: data_dir.display().to_string(),
            mode,
        });
    }
    Ok(())
}

/// Creates the database file with mode 0600 before SQLite opens it, or takes an existing one
/// (an earlier version made it 0644) down to 0600. SQLite gives the `-wal` and `-shm` files it
/// makes beside it the database file's mode, so they are 0600 too.
fn private_database_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

/// Whether a pooled connection is outside any transaction, as it must be to be handed out.
///
/// When SQLite rolls a transaction back by itself (it does on `SQLITE_FULL`: a full disk), the
/// `ROLLBACK` sqlx sends when the transaction is dropped fails ("no transaction is active") and
/// sqlx keeps counting the connection as inside one; every `BEGIN IMMEDIATE` on it would then be
/// refused ("non-zero transaction depth") long after the disk has room again. A connection
/// still counted inside a transaction when it is taken from the pool, stuck or with its
/// rollback not yet run, is closed instead, and the pool opens a fresh one.
fn outside_transaction(conn: &sqlx::SqliteConnection) -> bool {
    use sqlx::{Database, TransactionManager};
    <Sqlite as Database>::TransactionManager::get_transaction_depth(conn) == 0
}

#[cfg(test)]
impl SqliteStore {
    /// A store in `dir`, made private as an operator's data directory must be (a temporary
    /// directory is 0755), with a fresh key file beside it.
    pub(crate) async fn open_for_tests(dir: &Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("test data directory: {e}"));
        let (keys, _) = kakehashi_vault::KeyRing::load_or_create(&dir.join("keys.json"))
            .unwrap_or_else(|e| panic!("test key file: {e}"));
        Self::open(dir, Sealer::new(Arc::new(keys)))
            .await
            .unwrap_or_else(|e| panic!("test store: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        AuditEvent, AuditQuery, AuditTrail, ChainBreak, CheckedSheet, Completion, RawInput,
        Rejection, RejectionKind, SubmissionRecord, SubmissionStatus, Submissions,
    };
    use kakehashi_sdk::{Sheet, SheetKind};

    /// A transaction SQLite ended by itself (as on a full disk) leaves no connection that
    /// refuses every later write.
    #[tokio::test]
    async fn a_transaction_sqlite_ended_by_itself_does_not_poison_its_connection() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_for_tests(dir.path()).await;
        let mut tx = store.begin_write().await.unwrap();
        // What SQLite does on SQLITE_FULL: the transaction is gone, sqlx still counts it.
        sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
        drop(tx);
        for attempt in 0..8 {
            let tx = store.begin_write().await;
            let tx = tx.unwrap_or_else(|e| panic!("write {attempt} refused: {e}"));
            tx.commit().await.unwrap();
        }
    }

    pub(super) fn submission(id: &str, sha: &str) -> SubmissionRecord {
        SubmissionRecord {
            id: id.into(),
            organisation_id: "hospital:1310000017".into(),
            municipality_id: None,
            sha256: sha.into(),
            adapter: "csv".into(),
            mapping: "m".into(),
            status: SubmissionStatus::Received,
            received_at: now(),
            completed_at: None,
            error: None,
        }
    }

    /// A store holding `sheet` as draft `id`, submitted from one journaled input.
    pub(super) async fn store_with_draft(dir: &Path, id: &str, sheet: Sheet) -> SqliteStore {
        let store = SqliteStore::open_for_tests(dir).await;
        let raw = RawInput {
            sha256: "aa",
            content_type: None,
            body: b"x",
        };
        store.journal(raw, &submission("sub", "aa")).await.unwrap();
        let checked = CheckedSheet {
            id: id.into(),
            sheet,
            findings: vec![],
            reviews: vec![],
        };
        store
            .complete(
                "sub",
                &Completion::Accepted(vec![checked]),
                &event("submit"),
            )
            .await
            .unwrap();
        store
    }

    pub(super) fn event(action: &str) -> AuditEvent {
        AuditEvent {
            actor: "test".into(),
            action: action.into(),
            outcome: "ok".into(),
            ..AuditEvent::default()
        }
    }

    fn patient_sheet() -> CheckedSheet {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        sheet.patient.name = Some("難病太郎".into());
        sheet.patient.name_kana = Some("ナンビョウ タロウ".into());
        sheet.patient.date_of_birth = chrono::NaiveDate::from_ymd_opt(1970, 1, 2);
        sheet.patient.insurance.number = Some("98765432".into());
        CheckedSheet {
            id: "sheet-1".into(),
            sheet,
            findings: vec![],
            reviews: vec![],
        }
    }

    /// Everything SQLite has on disk: the database and its write-ahead log.
    pub(super) fn files_on_disk(dir: &Path) -> Vec<u8> {
        let mut all = std::fs::read(dir.join(DATABASE_FILE)).unwrap();
        if let Ok(wal) = std::fs::read(dir.join(format!("{DATABASE_FILE}-wal"))) {
            all.extend(wal);
        }
        all
    }

    pub(super) fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    #[tokio::test]
    async fn journal_is_idempotent_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_for_tests(dir.path()).await;
        let raw = RawInput {
            sha256: "aa",
            content_type: Some("text/csv"),
            body: b"a,b\n",
        };
        let first = store
            .journal(raw.clone(), &submission("s1", "aa"))
            .await
            .unwrap();
        let again = store
            .journal(raw.clone(), &submission("s1", "aa"))
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(store.pending_submissions().await.unwrap().len(), 1);
        let rejection = Rejection {
            kind: RejectionKind::Malformed,
            code: "csv.empty".into(),
            message: "m".into(),
            message_ja: "j".into(),
            location: None,
        };
        store
            .complete(
                "s1",
                &Completion::Rejected(rejection.clone()),
                &event("submission.create"),
            )
            .await
            .unwrap();
        // A second completion of the same submission changes nothing.
        store
            .complete(
                "s1",
                &Completion::Accepted(vec![]),
                &event("submission.create"),
            )
            .await
            .unwrap();
        drop(store);

        let store = SqliteStore::open_for_tests(dir.path()).await;
        let s = store.submission("s1").await.unwrap().unwrap();
        assert_eq!(s.status, SubmissionStatus::Rejected);
        assert_eq!(s.error, Some(rejection));
        assert_eq!(store.raw_input("aa").await.unwrap().unwrap().1, b"a,b\n");
        assert!(store.pending_submissions().await.unwrap().is_empty());
        assert_eq!(
            store
                .audit_query(&AuditQuery::default())
                .await
                .unwrap()
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn patient_data_rests_sealed_and_survives_key_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_for_tests(dir.path()).await;
        let body = "氏名,保険\n難病太郎,98765432\n";
        store
            .journal(
                RawInput {
                    sha256: "bb",
                    content_type: None,
                    body: body.as_bytes(),
                },
                &submission("s2", "bb"),
            )
            .await
            .unwrap();
        store
            .complete(
                "s2",
                &Completion::Accepted(vec![patient_sheet()]),
                &event("submission.create"),
            )
            .await
            .unwrap();
        let disk = files_on_disk(dir.path());
        for secret in ["難病太郎", "ナンビョウ", "98765432", "1970-01-02"] {
            assert!(
                !contains(&disk, secret),
                "{secret} is in the database file in clear"
            );
        }
        let stored = store.sheet("sheet-1").await.unwrap().unwrap();
        assert_eq!(stored.sheet.patient.name.as_deref(), Some("難病太郎"));
        assert!(stored.patient_ref.is_some());
        drop(store);

        // Rotate: a new key; re-sealing moves every row to it; the old key can then go.
        let key_file = dir.path().join("keys.json");
        let rotated = kakehashi_vault::KeyRing::rotate(&key_file).unwrap();
        let store = SqliteStore::open(dir.path(), Sealer::new(Arc::new(rotated)))
            .await
            .unwrap();
        assert_eq!(
            store.reseal().await.unwrap(),
            3,
            "raw input, submission, sheet"
        );
        assert_eq!(store.reseal().await.unwrap(), 0);
        drop(store);
        let retired = kakehashi_vault::KeyRing::retire_old_keys(&key_file).unwrap();
        assert_eq!(retired.key_ids(), ["k2"]);
        let store = SqliteStore::open(dir.path(), Sealer::new(Arc::new(retired)))
            .await
            .unwrap();
        assert_eq!(
            store
                .sheet("sheet-1")
                .await
                .unwrap()
                .unwrap()
                .sheet
                .patient
                .name
                .as_deref(),
            Some("難病太郎")
        );
        assert_eq!(
            store.raw_input("bb").await.unwrap().unwrap().1,
            body.as_bytes()
        );
    }

    #[tokio::test]
    async fn rows_a_version_1_store_wrote_in_clear_are_sealed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_for_tests(dir.path()).await;
        sqlx::query("INSERT INTO raw_inputs (sha256, size, body, received_at) VALUES ('cc', 9, CAST('難病花子' AS BLOB), 't')")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(store.reseal().await.unwrap(), 1);
        assert_eq!(
            store.raw_input("cc").await.unwrap().unwrap().1,
            "難病花子".as_bytes()
        );
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("VACUUM").execute(&store.pool).await.unwrap();
        assert!(!contains(&files_on_disk(dir.path()), "難病花子"));
    }

    #[tokio::test]
    async fn the_audit_chain_names_edited_and_deleted_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_for_tests(dir.path()).await;
        for action in ["a", "b", "c", "d", "e"] {
            store.append_audit(&event(action)).await.unwrap();
        }
        assert!(store.audit_verify(None).await.unwrap().breaks.is_empty());
        // The table refuses changes...
        let update = sqlx::query("UPDATE audit_events SET outcome = 'forged'")
            .execute(&store.pool)
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        // ...so an intruder drops the guards first; the chain still tells.
        sqlx::query("DROP TRIGGER audit_events_no_update")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("DROP TRIGGER audit_events_no_delete")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2")
            .execute(&store.pool)
            .await
            .unwrap();
        sqlx::query("DELETE FROM audit_events WHERE seq = 4")
            .execute(&store.pool)
            .await
            .unwrap();
        let report = store.audit_verify(None).await.unwrap();
        assert_eq!(
            report.breaks,
            [
                ChainBreak::Unguarded {
                    guard: "audit_events_no_update".into()
                },
                ChainBreak::Unguarded {
                    guard: "audit_events_no_delete".into()
                },
                ChainBreak::Edited { seq: 2 },
                ChainBreak::Deleted {
                    after_seq: 3,
                    missing: 1
                }
            ]
        );
        assert_eq!(report.records, 4);
    }
}
