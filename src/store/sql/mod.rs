//! The store in SQL: one implementation of the store traits that serves two databases through
//! sqlx's `Any` driver, so that the embedded default and a shared deployment cannot drift apart.
//!
//! - **SQLite** (no `[store] url`): one file (`kakehashi.sqlite3`) in the data directory, in WAL
//!   mode with `synchronous = FULL`, so a transaction that returned is on disk before the
//!   gateway acknowledges anything. Migrations are in `migrations/sqlite/`.
//! - **PostgreSQL** (`[store] url = "postgres://…"`): one database shared by several gateway
//!   instances. Migrations are in `migrations/postgres/`, the same schema in PostgreSQL's types.
//!
//! Write transactions are serialised, because the audit chain needs each append to see the
//! record before it, and the steps were written for one writer at a time. In one process a lock
//! orders them; the database then orders them across processes: SQLite's write lock, taken by
//! `BEGIN IMMEDIATE` before the first read (a writer that had read first would fail at once on
//! the lock upgrade, as SQLite never waits there), and in PostgreSQL a transaction-scoped
//! advisory lock taken as the transaction's first statement, released by its commit or
//! rollback — also when an instance dies, as its connection closes. Reads do not wait.
//!
//! The SQL is written once for both: `$1`-style parameters (SQLite reads `$NNN` as positional),
//! integers for flags (`Any` has no portable boolean), RFC 3339 text for times (Unix
//! milliseconds where the SQL computes with them: delivery leases, the intrusion counters).
//! Where the two must differ, [`Dialect`] says how.

mod access_keys;
mod applications;
mod apps;
mod audit;
mod certifications;
mod console_sessions;
pub mod copy;
mod deliveries;
mod directory;
mod new_sheets;
mod renewals;
mod reviews;
mod rows;
mod security_counters;
mod submissions;
mod webhooks;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, ConnectOptions, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use super::{Sealer, StoreError, timestamp_now as now};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "kakehashi.sqlite3";

/// The key of PostgreSQL's transaction-scoped advisory lock that orders write transactions
/// across gateway instances ("kakehashi" in ASCII, as a number no other application picks).
const WRITER_LOCK_KEY: i64 = 0x6b_6b_68_73_68_69;

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// SQLite in this data directory (the embedded default).
    Embedded(PathBuf),
    /// A PostgreSQL database, by its `postgres://` URL.
    Postgres(String),
}

impl StoreLocation {
    /// `[store] url` when it is set, else the data directory.
    pub fn of(config: &crate::config::Config) -> Self {
        match &config.store.url {
            Some(url) => Self::Postgres(url.as_str().to_owned()),
            None => Self::Embedded(config.data_dir.clone()),
        }
    }
}

/// What differs between the two databases, in the few places the SQL cannot be the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// An expression, read as text, that finds one row again in a batch update.
    fn row_locator(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST(rowid AS TEXT)",
            Dialect::Postgres => "ctid::text",
        }
    }

    /// What ends the subquery that picks rows to claim: in PostgreSQL, rows another instance
    /// is claiming are skipped rather than waited for (SQLite has one writer at a time).
    fn skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The condition that a row is the one [`Dialect::row_locator`] gave as parameter `$n`.
    fn is_row(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("rowid = CAST(${n} AS INTEGER)"),
            Dialect::Postgres => format!("ctid = CAST(${n} AS tid)"),
        }
    }
}

/// The store, on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    sealer: Sealer,
    dialect: Dialect,
    writer: Arc<Mutex<()>>,
}

impl SqlStore {
    /// Opens the store at `location` (creating an embedded database if needed), brings its
    /// schema up to date and moves a version-1 audit log into the hash chain.
    pub async fn open(location: &StoreLocation, sealer: Sealer) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (pool, dialect) = match location {
            StoreLocation::Embedded(data_dir) => (open_sqlite(data_dir).await?, Dialect::Sqlite),
            StoreLocation::Postgres(url) => (open_postgres(url).await?, Dialect::Postgres),
        };
        let migrations = match dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrations.run(&pool).await?;
        let store = Self {
            pool,
            sealer,
            dialect,
            writer: Arc::new(Mutex::new(())),
        };
        if dialect == Dialect::Sqlite {
            store.chain_legacy_audit_log().await?;
        }
        Ok(store)
    }

    /// What the store seals personal data with (its data key).
    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// Holds the single-writer lock for one write transaction.
    async fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().await
    }

    /// A write transaction holding the database's writer lock from its start: SQLite's
    /// (`BEGIN IMMEDIATE`, waiting under the busy timeout while another connection finishes a
    /// rollback) or PostgreSQL's advisory lock, waited for while another instance writes.
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.dialect {
            Dialect::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Dialect::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITER_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}

/// A value bound to a query built at run time (a listing's conditions).
pub(super) enum Bound {
    Text(String),
    Integer(i64),
}

type Arguments<'q> = sqlx::any::AnyArguments<'q>;

impl Bound {
    pub(super) fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Any, Arguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, Arguments<'q>> {
        match self {
            Bound::Text(t) => query.bind(t.as_str()),
            Bound::Integer(i) => query.bind(*i),
        }
    }

    pub(super) fn bind_scalar<'q>(
        &'q self,
        query: sqlx::query::QueryScalar<'q, sqlx::Any, i64, Arguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, i64, Arguments<'q>> {
        match self {
            Bound::Text(t) => query.bind(t.as_str()),
            Bound::Integer(i) => query.bind(*i),
        }
    }
}

/// A yes/no column, stored as 0 or 1 in both databases (`Any` has no boolean they share).
pub(super) fn flag(row: &sqlx::any::AnyRow, column: &str) -> Result<bool, StoreError> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// The embedded database: made private, WAL, `synchronous = FULL`, foreign keys on.
async fn open_sqlite(data_dir: &Path) -> Result<AnyPool, StoreError> {
    private_data_dir(data_dir)?;
    let database = data_dir.join(DATABASE_FILE);
    private_database_file(&database).map_err(|source| StoreError::DataDir {
        path: database.display().to_string(),
        source,
    })?;
    let url = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite:")?
        .filename(&database)
        .create_if_missing(true)
        .to_url_lossy();
    Ok(AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await
                .map(|_| ())
            })
        })
        .before_acquire(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
        .connect_with(AnyConnectOptions::from_url(&url)?)
        .await?)
}

/// A shared PostgreSQL database. A connection's socket buffers grow to the largest value it
/// carried (a journaled body of up to `max_body_bytes`) and would stay that size in the pool:
/// they are taken back to their default size when the connection is returned.
async fn open_postgres(url: &str) -> Result<AnyPool, StoreError> {
    Ok(AnyPoolOptions::new()
        .max_connections(8)
        .after_release(|conn, _| {
            Box::pin(async move {
                use sqlx::Connection;
                conn.shrink_buffers();
                Ok(true)
            })
        })
        .before_acquire(|conn, _| Box::pin(async move { Ok(outside_transaction(conn)) }))
        .connect(url)
        .await?)
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
fn outside_transaction(conn: &sqlx::AnyConnection) -> bool {
    use sqlx::{Database, TransactionManager};
    <Any as Database>::TransactionManager::get_transaction_depth(conn) == 0
}

#[cfg(test)]
impl SqlStore {
    /// A store for a test in `dir` (SQLite there, or a PostgreSQL database of its own: see
    /// [`crate::store::test_database`]), with a fresh key file in `dir`, made private as an
    /// operator's data directory must be (a temporary directory is 0755).
    pub(crate) async fn open_for_tests(dir: &Path) -> Self {
        Self::open_for_tests_at(dir, &test_location(dir).await).await
    }

    /// A store for a test in `dir` at `location`, with a fresh key file in `dir`.
    pub(crate) async fn open_for_tests_at(dir: &Path, location: &StoreLocation) -> Self {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let _ = std::fs::DirBuilder::new().mode(0o700).create(dir);
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .unwrap_or_else(|e| panic!("test data directory: {e}"));
        let (keys, _) = kakehashi_vault::KeyRing::load_or_create(&dir.join("keys.json"))
            .unwrap_or_else(|e| panic!("test key file: {e}"));
        Self::open(location, Sealer::new(Arc::new(keys)))
            .await
            .unwrap_or_else(|e| panic!("test store: {e}"))
    }
}

/// Where the store of a test in `dir` lives.
#[cfg(test)]
pub(crate) async fn test_location(dir: &Path) -> StoreLocation {
    crate::store::test_database::location_for_test(dir)
        .await
        .unwrap_or_else(|e| panic!("test database: {e}"))
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
        let store = SqlStore::open_for_tests(dir.path()).await;
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
    pub(super) async fn store_with_draft(dir: &Path, id: &str, sheet: Sheet) -> SqlStore {
        with_draft(SqlStore::open_for_tests(dir).await, id, sheet).await
    }

    /// `store` with `sheet` as draft `id`, submitted from one journaled input.
    pub(super) async fn with_draft(store: SqlStore, id: &str, sheet: Sheet) -> SqlStore {
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

    /// Everything the store of the test in `dir` holds at rest.
    pub(super) async fn at_rest(dir: &Path) -> Vec<u8> {
        crate::store::test_database::at_rest(&test_location(dir).await)
            .await
            .unwrap()
    }

    pub(super) use crate::store::test_database::contains_in_clear as contains;

    /// Drops one of the audit chain's append-only guards, as an intruder with the database's
    /// owner rights could.
    pub(super) async fn drop_guard(store: &SqlStore, name: &str) {
        let sql = match store.dialect {
            Dialect::Sqlite => format!("DROP TRIGGER {name}"),
            Dialect::Postgres => format!("DROP TRIGGER {name} ON audit_events"),
        };
        sqlx::query(&sql).execute(&store.pool).await.unwrap();
    }

    #[tokio::test]
    async fn journal_is_idempotent_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
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

        let store = SqlStore::open_for_tests(dir.path()).await;
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
        let store = SqlStore::open_for_tests(dir.path()).await;
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
        let disk = at_rest(dir.path()).await;
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
        let store = SqlStore::open(
            &test_location(dir.path()).await,
            Sealer::new(Arc::new(rotated)),
        )
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
        let store = SqlStore::open(
            &test_location(dir.path()).await,
            Sealer::new(Arc::new(retired)),
        )
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
        let store = SqlStore::open_for_tests(dir.path()).await;
        sqlx::query(
            "INSERT INTO raw_inputs (sha256, size, body, received_at) VALUES ('cc', 9, $1, 't')",
        )
        .bind("難病花子".as_bytes())
        .execute(&store.pool)
        .await
        .unwrap();
        assert_eq!(store.reseal().await.unwrap(), 1);
        assert_eq!(
            store.raw_input("cc").await.unwrap().unwrap().1,
            "難病花子".as_bytes()
        );
        if store.dialect == Dialect::Sqlite {
            // The old page goes from the file only when SQLite rewrites it.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&store.pool)
                .await
                .unwrap();
            sqlx::query("VACUUM").execute(&store.pool).await.unwrap();
        }
        assert!(!contains(&at_rest(dir.path()).await, "難病花子"));
    }

    #[tokio::test]
    async fn the_audit_chain_names_edited_and_deleted_records() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
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
        drop_guard(&store, "audit_events_no_update").await;
        drop_guard(&store, "audit_events_no_delete").await;
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
