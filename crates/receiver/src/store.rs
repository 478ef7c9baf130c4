//! The receiver's SQLite file: receipts (with the decrypted document) and the counters.
//!
//! A receipt row is keyed by the idempotency key and written with `INSERT … ON CONFLICT DO
//! NOTHING` in the transaction that also counts the request, so two concurrent deliveries with
//! one key cannot make two receipts, and the receipt is on disk (WAL, `synchronous=FULL`)
//! before the `201` leaves. The counters live in the same file, so they survive restarts.
//!
//! **Group commit.** Deliveries are written by one task, which takes every delivery waiting
//! (up to [`MAX_GROUP`]) and writes them in one transaction: one flush of the log to disk for
//! all of them, and each answered only after that commit. A flush costs about half a
//! millisecond on the CI machine's disk; with a transaction a delivery, the writers queueing
//! on SQLite's write lock, the push bench (`benches/push.rs`) reached 740 unsealed deliveries
//! a second, and 1,260 grouped. A failed commit answers every delivery of its group with the
//! error: none of them has a receipt, and a sender retries with the same idempotency key.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::ReceiverError;
use crate::protocol::{Receipt, ReceiptSummary, Stats};

/// File name of the store inside the data directory.
pub(crate) const STORE_FILE: &str = "receiver.sqlite";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS receipts (
        idempotency_key TEXT PRIMARY KEY,
        receipt_id TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        document_sha256 TEXT NOT NULL,
        sheet_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        sender_key_id TEXT,
        document BLOB NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS counters (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        requests INTEGER NOT NULL DEFAULT 0,
        replays INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0
    )",
    "INSERT OR IGNORE INTO counters (id) VALUES (1)",
];

/// Most deliveries written in one transaction.
const MAX_GROUP: usize = 128;

/// A delivery that passed every check, ready to be recorded.
pub(crate) struct Accepted {
    pub(crate) idempotency_key: String,
    pub(crate) document: Vec<u8>,
    pub(crate) document_sha256: String,
    pub(crate) sheet_id: String,
    pub(crate) sender: String,
    pub(crate) sender_key_id: Option<String>,
}

/// Why a delivery could not be recorded; shared by every delivery of the failed group.
pub(crate) type StoreError = Arc<sqlx::Error>;

/// A delivery waiting for the writer, and where its outcome goes.
struct Waiting {
    delivery: Accepted,
    outcome: oneshot::Sender<Result<Recorded, StoreError>>,
}

/// What recording a delivery came to.
pub(crate) enum Recorded {
    /// A new receipt.
    New(Receipt),
    /// The same document under the same key: its existing receipt.
    Replay(Receipt),
    /// A different document under a used key.
    Conflict,
}

/// The receiver's store.
pub(crate) struct Store {
    pool: SqlitePool,
    /// Deliveries for the writer task ([`write_groups`]).
    writer: mpsc::Sender<Waiting>,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/receiver.sqlite`.
    pub(crate) async fn open(data_dir: &Path) -> Result<Self, ReceiverError> {
        let path = data_dir.join(STORE_FILE);
        let error = |source| ReceiverError::Store {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| error(sqlx::Error::Io(e)))?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(error)?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&pool).await.map_err(error)?;
        }
        let (writer, queue) = mpsc::channel(MAX_GROUP);
        tokio::spawn(write_groups(pool.clone(), queue));
        Ok(Self { pool, writer })
    }

    /// Records `delivery` and counts the request, in the writer's next group; returns once
    /// that group is committed.
    pub(crate) async fn record(&self, delivery: Accepted) -> Result<Recorded, StoreError> {
        let (outcome, recorded) = oneshot::channel();
        let stopped = || Arc::new(sqlx::Error::PoolClosed);
        self.writer
            .send(Waiting { delivery, outcome })
            .await
            .map_err(|_| stopped())?;
        recorded.await.map_err(|_| stopped())?
    }

    /// Counts a request refused before it reached [`Store::record`].
    pub(crate) async fn count_refusal(&self) -> Result<(), sqlx::Error> {
        count(&self.pool, 1, 0, 1).await
    }

    /// All receipts, oldest first.
    pub(crate) async fn receipts(&self) -> Result<Vec<ReceiptSummary>, sqlx::Error> {
        sqlx::query(
            "SELECT idempotency_key, receipt_id, received_at, sheet_id, sender FROM receipts \
             ORDER BY received_at, rowid",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(ReceiptSummary {
                idempotency_key: row.try_get("idempotency_key")?,
                receipt_id: row.try_get("receipt_id")?,
                received_at: row.try_get("received_at")?,
                sheet_id: row.try_get("sheet_id")?,
                sender: row.try_get("sender")?,
            })
        })
        .collect()
    }

    /// The counters.
    pub(crate) async fn stats(&self) -> Result<Stats, sqlx::Error> {
        let row = sqlx::query(
            "SELECT requests, replays, refused, (SELECT COUNT(*) FROM receipts) AS receipts \
             FROM counters WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        let get = |name: &str| -> Result<u64, sqlx::Error> {
            let value: i64 = row.try_get(name)?;
            u64::try_from(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
        };
        Ok(Stats {
            requests: get("requests")?,
            receipts: get("receipts")?,
            replays: get("replays")?,
            refused: get("refused")?,
        })
    }
}

/// The writer: every delivery waiting, up to [`MAX_GROUP`], in one transaction, then each
/// answered. Ends when the store is dropped.
async fn write_groups(pool: SqlitePool, mut queue: mpsc::Receiver<Waiting>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        match write_group(&pool, &group).await {
            Ok(recorded) => {
                for (waiting, recorded) in group.drain(..).zip(recorded) {
                    // A sender that has gone (its connection closed) needs no answer.
                    let _ = waiting.outcome.send(Ok(recorded));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for waiting in group.drain(..) {
                    let _ = waiting.outcome.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Writes a group of deliveries in one transaction: each one's receipt, replay or conflict
/// as if it had been written alone, in order (a key twice in one group is a replay or a
/// conflict of the first), and the counters once.
async fn write_group(pool: &SqlitePool, group: &[Waiting]) -> Result<Vec<Recorded>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let mut recorded = Vec::with_capacity(group.len());
    let (mut replays, mut refused) = (0, 0);
    for waiting in group {
        let outcome = insert(&mut transaction, &waiting.delivery).await?;
        match outcome {
            Recorded::New(_) => {}
            Recorded::Replay(_) => replays += 1,
            Recorded::Conflict => refused += 1,
        }
        recorded.push(outcome);
    }
    count(&mut *transaction, group.len() as i64, replays, refused).await?;
    transaction.commit().await?;
    Ok(recorded)
}

/// Inserts one delivery's receipt, or finds the receipt its key already has.
async fn insert(
    connection: &mut SqliteConnection,
    delivery: &Accepted,
) -> Result<Recorded, sqlx::Error> {
    let receipt = Receipt {
        receipt_id: format!("rcpt-{}", uuid::Uuid::new_v4()),
        received_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        idempotency_key: delivery.idempotency_key.clone(),
    };
    let inserted = sqlx::query(
        "INSERT INTO receipts (idempotency_key, receipt_id, received_at, document_sha256, \
         sheet_id, sender, sender_key_id, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(&receipt.idempotency_key)
    .bind(&receipt.receipt_id)
    .bind(&receipt.received_at)
    .bind(&delivery.document_sha256)
    .bind(&delivery.sheet_id)
    .bind(&delivery.sender)
    .bind(&delivery.sender_key_id)
    .bind(&delivery.document)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Recorded::New(receipt));
    }
    let existing = sqlx::query(
        "SELECT receipt_id, received_at, document_sha256 FROM receipts \
         WHERE idempotency_key = ?",
    )
    .bind(&delivery.idempotency_key)
    .fetch_one(&mut *connection)
    .await?;
    Ok(
        if existing.try_get::<String, _>("document_sha256")? == delivery.document_sha256 {
            Recorded::Replay(Receipt {
                receipt_id: existing.try_get("receipt_id")?,
                received_at: existing.try_get("received_at")?,
                idempotency_key: delivery.idempotency_key.clone(),
            })
        } else {
            Recorded::Conflict
        },
    )
}

async fn count<'e>(
    executor: impl sqlx::Executor<'e, Database = Sqlite>,
    requests: i64,
    replays: i64,
    refused: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE counters SET requests = requests + ?, replays = replays + ?, \
         refused = refused + ? WHERE id = 1",
    )
    .bind(requests)
    .bind(replays)
    .bind(refused)
    .execute(executor)
    .await?;
    Ok(())
}
