//! The receiver's SQLite file: receipts (with the decrypted document) and the counters.
//!
//! A receipt row is keyed by the idempotency key and written with `INSERT … ON CONFLICT DO
//! NOTHING` in the transaction that also counts the request, so two concurrent deliveries with
//! one key cannot make two receipts, and the receipt is on disk (WAL, `synchronous=FULL`)
//! before the `201` leaves. The counters live in the same file, so they survive restarts.

use std::path::Path;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite};

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

/// A delivery that passed every check, ready to be recorded.
pub(crate) struct Accepted<'a> {
    pub(crate) idempotency_key: &'a str,
    pub(crate) document: &'a [u8],
    pub(crate) document_sha256: String,
    pub(crate) sheet_id: &'a str,
    pub(crate) sender: &'a str,
    pub(crate) sender_key_id: Option<&'a str>,
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

/// How a request changes the counters.
#[derive(Clone, Copy)]
enum Outcome {
    Received,
    Replayed,
    Refused,
}

/// The receiver's store.
pub(crate) struct Store {
    pool: SqlitePool,
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
        Ok(Self { pool })
    }

    /// Records `delivery` and counts the request, in one transaction.
    pub(crate) async fn record(&self, delivery: &Accepted<'_>) -> Result<Recorded, sqlx::Error> {
        let receipt = Receipt {
            receipt_id: format!("rcpt-{}", uuid::Uuid::new_v4()),
            received_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            idempotency_key: delivery.idempotency_key.to_owned(),
        };
        let mut transaction = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO receipts (idempotency_key, receipt_id, received_at, document_sha256, \
             sheet_id, sender, sender_key_id, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&receipt.idempotency_key)
        .bind(&receipt.receipt_id)
        .bind(&receipt.received_at)
        .bind(&delivery.document_sha256)
        .bind(delivery.sheet_id)
        .bind(delivery.sender)
        .bind(delivery.sender_key_id)
        .bind(delivery.document)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        let recorded = if inserted == 1 {
            Recorded::New(receipt)
        } else {
            let existing = sqlx::query(
                "SELECT receipt_id, received_at, document_sha256 FROM receipts \
                 WHERE idempotency_key = ?",
            )
            .bind(delivery.idempotency_key)
            .fetch_one(&mut *transaction)
            .await?;
            if existing.try_get::<String, _>("document_sha256")? == delivery.document_sha256 {
                Recorded::Replay(Receipt {
                    receipt_id: existing.try_get("receipt_id")?,
                    received_at: existing.try_get("received_at")?,
                    idempotency_key: delivery.idempotency_key.to_owned(),
                })
            } else {
                Recorded::Conflict
            }
        };
        let outcome = match recorded {
            Recorded::New(_) => Outcome::Received,
            Recorded::Replay(_) => Outcome::Replayed,
            Recorded::Conflict => Outcome::Refused,
        };
        count(&mut *transaction, outcome).await?;
        transaction.commit().await?;
        Ok(recorded)
    }

    /// Counts a request refused before it reached [`Store::record`].
    pub(crate) async fn count_refusal(&self) -> Result<(), sqlx::Error> {
        count(&self.pool, Outcome::Refused).await
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

async fn count<'e>(
    executor: impl sqlx::Executor<'e, Database = Sqlite>,
    outcome: Outcome,
) -> Result<(), sqlx::Error> {
    let (replays, refused) = match outcome {
        Outcome::Received => (0, 0),
        Outcome::Replayed => (1, 0),
        Outcome::Refused => (0, 1),
    };
    sqlx::query(
        "UPDATE counters SET requests = requests + 1, replays = replays + ?, \
         refused = refused + ? WHERE id = 1",
    )
    .bind(replays)
    .bind(refused)
    .execute(executor)
    .await?;
    Ok(())
}
