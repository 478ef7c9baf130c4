//! The embedded store: one SQLite file (`kakehashi.sqlite3`) in the data directory, in WAL mode
//! with `synchronous = FULL`, so a transaction that returned is on disk before the gateway
//! acknowledges anything. Migrations are versioned SQL files in `migrations/sqlite/`.

use std::path::Path;
use std::str::FromStr;

use chrono::Utc;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{
    AuditEntry, AuditRecord, Completion, RawInput, Rejection, SheetSummary, Store, StoreError,
    SubmissionRecord, SubmissionStatus,
};
use kakehashi_sdk::{Finding, Sheet};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "kakehashi.sqlite3";

/// SQLite-backed [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn submission_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<SubmissionRecord, StoreError> {
    let error: Option<String> = row.try_get("error_json")?;
    Ok(SubmissionRecord {
        id: row.try_get("id")?,
        sha256: row.try_get("sha256")?,
        adapter: row.try_get("adapter")?,
        mapping: row.try_get("mapping")?,
        status: SubmissionStatus::parse(row.try_get::<&str, _>("status")?),
        received_at: row.try_get("received_at")?,
        completed_at: row.try_get("completed_at")?,
        error: error
            .map(|e| serde_json::from_str::<Rejection>(&e))
            .transpose()?,
    })
}

const SUBMISSION_COLUMNS: &str =
    "id, sha256, adapter, mapping, status, error_json, received_at, completed_at";

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    async fn insert_audit<'c, E>(executor: E, entry: &AuditEntry) -> Result<(), StoreError>
    where
        E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
    {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, submission_id, sheet_id, outcome) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.submission_id)
        .bind(&entry.sheet_id)
        .bind(&entry.outcome)
        .execute(executor)
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn journal(
        &self,
        raw: RawInput<'_>,
        submission: &SubmissionRecord,
    ) -> Result<SubmissionRecord, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO raw_inputs (sha256, size, content_type, body, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(raw.sha256)
        .bind(raw.body.len() as i64)
        .bind(raw.content_type)
        .bind(raw.body)
        .bind(&submission.received_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO submissions (id, sha256, adapter, mapping, status, received_at) VALUES (?, ?, ?, ?, 'received', ?) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&submission.id)
        .bind(&submission.sha256)
        .bind(&submission.adapter)
        .bind(&submission.mapping)
        .bind(&submission.received_at)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?"
        ))
        .bind(&submission.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        submission_from_row(&row)
    }

    async fn complete(
        &self,
        submission_id: &str,
        completion: &Completion,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let at = now();
        let (status, error) = match completion {
            Completion::Accepted(_) => (SubmissionStatus::Accepted, None),
            Completion::Rejected(r) => {
                (SubmissionStatus::Rejected, Some(serde_json::to_string(r)?))
            }
        };
        let updated = sqlx::query(
            "UPDATE submissions SET status = ?, error_json = ?, completed_at = ? WHERE id = ? AND status = 'received'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(&at)
        .bind(submission_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Completed by an earlier or concurrent run of the same submission.
            return Ok(());
        }
        if let Completion::Accepted(sheets) = completion {
            for (index, checked) in sheets.iter().enumerate() {
                let sheet = &checked.sheet;
                sqlx::query(
                    "INSERT INTO sheets (id, submission_id, record_index, kind, disease_group, disease_number, has_errors, body_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&checked.id)
                .bind(submission_id)
                .bind(index as i64)
                .bind(sheet.kind.as_str())
                .bind(sheet.disease.group.map(i64::from))
                .bind(sheet.disease.number.map(i64::from))
                .bind(crate::checks::has_errors(&checked.findings))
                .bind(serde_json::to_string(sheet)?)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
                for (seq, finding) in checked.findings.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO findings (sheet_id, seq, severity, code, item, body_json) VALUES (?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&checked.id)
                    .bind(seq as i64)
                    .bind(finding.severity.as_str())
                    .bind(&finding.code)
                    .bind(&finding.item)
                    .bind(serde_json::to_string(finding)?)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        Self::insert_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn submission(&self, id: &str) -> Result<Option<SubmissionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(submission_from_row).transpose()
    }

    async fn submission_sheets(&self, id: &str) -> Result<Vec<SheetSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, record_index, kind, disease_group, disease_number, has_errors FROM sheets WHERE submission_id = ? ORDER BY record_index",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let findings = sqlx::query(
            "SELECT f.sheet_id, f.body_json FROM findings f JOIN sheets s ON s.id = f.sheet_id WHERE s.submission_id = ? ORDER BY s.record_index, f.seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut by_sheet: std::collections::HashMap<String, Vec<Finding>> = Default::default();
        for row in findings {
            let sheet_id: String = row.try_get("sheet_id")?;
            let body: String = row.try_get("body_json")?;
            by_sheet
                .entry(sheet_id)
                .or_default()
                .push(serde_json::from_str(&body)?);
        }
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let kind: String = row.try_get("kind")?;
                Ok(SheetSummary {
                    findings: by_sheet.remove(&id).unwrap_or_default(),
                    id,
                    record_index: u32::try_from(row.try_get::<i64, _>("record_index")?)
                        .unwrap_or(u32::MAX),
                    kind: serde_json::from_value(serde_json::Value::String(kind))?,
                    disease_group: row
                        .try_get::<Option<i64>, _>("disease_group")?
                        .and_then(|g| u8::try_from(g).ok()),
                    disease_number: row
                        .try_get::<Option<i64>, _>("disease_number")?
                        .and_then(|n| u16::try_from(n).ok()),
                    has_errors: row.try_get("has_errors")?,
                })
            })
            .collect()
    }

    async fn sheet(&self, id: &str) -> Result<Option<Sheet>, StoreError> {
        let row = sqlx::query("SELECT body_json FROM sheets WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(serde_json::from_str(r.try_get::<&str, _>("body_json")?)?))
            .transpose()
    }

    async fn raw_input(
        &self,
        sha256: &str,
    ) -> Result<Option<(Option<String>, Vec<u8>)>, StoreError> {
        let row = sqlx::query("SELECT content_type, body FROM raw_inputs WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("content_type")?, r.try_get("body")?)))
            .transpose()
    }

    async fn pending_submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE status = 'received' ORDER BY received_at"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(submission_from_row).collect()
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        Self::insert_audit(&self.pool, entry).await
    }

    async fn audit_log(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, submission_id, sheet_id, outcome FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    entry: AuditEntry {
                        actor: r.try_get("actor")?,
                        action: r.try_get("action")?,
                        submission_id: r.try_get("submission_id")?,
                        sheet_id: r.try_get("sheet_id")?,
                        outcome: r.try_get("outcome")?,
                    },
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(id: &str, sha: &str) -> SubmissionRecord {
        SubmissionRecord {
            id: id.into(),
            sha256: sha.into(),
            adapter: "csv".into(),
            mapping: "m".into(),
            status: SubmissionStatus::Received,
            received_at: now(),
            completed_at: None,
            error: None,
        }
    }

    fn audit(action: &str) -> AuditEntry {
        AuditEntry {
            actor: "test".into(),
            action: action.into(),
            submission_id: None,
            sheet_id: None,
            outcome: "ok".into(),
        }
    }

    #[tokio::test]
    async fn journal_is_idempotent_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
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
            kind: super::super::RejectionKind::Malformed,
            code: "csv.empty".into(),
            message: "m".into(),
            message_ja: "j".into(),
            location: None,
        };
        store
            .complete(
                "s1",
                &Completion::Rejected(rejection.clone()),
                &audit("submission.create"),
            )
            .await
            .unwrap();
        // A second completion of the same submission changes nothing.
        store
            .complete(
                "s1",
                &Completion::Accepted(vec![]),
                &audit("submission.create"),
            )
            .await
            .unwrap();
        drop(store);

        let store = SqliteStore::open(dir.path()).await.unwrap();
        let s = store.submission("s1").await.unwrap().unwrap();
        assert_eq!(s.status, SubmissionStatus::Rejected);
        assert_eq!(s.error, Some(rejection));
        assert_eq!(store.raw_input("aa").await.unwrap().unwrap().1, b"a,b\n");
        assert!(store.pending_submissions().await.unwrap().is_empty());
        assert_eq!(store.audit_log(0, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn audit_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).await.unwrap();
        store.append_audit(&audit("sheet.read")).await.unwrap();
        let update = sqlx::query("UPDATE audit_log SET outcome = 'forged'")
            .execute(&store.pool)
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = sqlx::query("DELETE FROM audit_log")
            .execute(&store.pool)
            .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        assert_eq!(store.audit_log(0, 10).await.unwrap()[0].entry.outcome, "ok");
    }
}
