//! The audit chain in SQLite: appended inside the transaction of the write it records.

use sqlx::{QueryBuilder, Row, SqliteConnection};

use super::{SqliteStore, now};
use crate::store::StoreError;
use crate::store::audit::{
    AuditEvent, AuditQuery, AuditRecord, AuditTrail, ChainReport, ChainVerifier, GENESIS,
    record_hash,
};

const COLUMNS: &str = "seq, at, actor, terminal, organisation, source, action, object_type, object_id, patient_ref, outcome, detail, prev_hash, hash";

fn record_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        event: AuditEvent {
            actor: row.try_get("actor")?,
            terminal: row.try_get("terminal")?,
            organisation: row.try_get("organisation")?,
            source: row.try_get("source")?,
            action: row.try_get("action")?,
            object_type: row.try_get("object_type")?,
            object_id: row.try_get("object_id")?,
            patient_ref: row.try_get("patient_ref")?,
            outcome: row.try_get("outcome")?,
            detail: row.try_get("detail")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Appends `event` at `at` to the chain on `conn`, which must hold the writer lock.
pub(super) async fn append_at(
    conn: &mut SqliteConnection,
    at: &str,
    event: &AuditEvent,
) -> Result<AuditRecord, StoreError> {
    let last = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let (seq, prev_hash) = match last {
        Some(row) => (
            row.try_get::<i64, _>("seq")? + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_owned()),
    };
    let hash = record_hash(&prev_hash, seq, at, event);
    sqlx::query(&format!(
        "INSERT INTO audit_events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(seq)
    .bind(at)
    .bind(&event.actor)
    .bind(&event.terminal)
    .bind(&event.organisation)
    .bind(&event.source)
    .bind(&event.action)
    .bind(&event.object_type)
    .bind(&event.object_id)
    .bind(&event.patient_ref)
    .bind(&event.outcome)
    .bind(&event.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    Ok(AuditRecord {
        seq,
        at: at.to_owned(),
        event: event.clone(),
        prev_hash,
        hash,
    })
}

/// Appends `event` now.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    event: &AuditEvent,
) -> Result<AuditRecord, StoreError> {
    append_at(conn, &now(), event).await
}

impl SqliteStore {
    /// Moves the rows of version 1's unchained `audit_log` into the chain, in order and with
    /// their original times, then drops the old table. Runs once; a crash before the commit
    /// leaves both as they were.
    pub(super) async fn chain_legacy_audit_log(&self) -> Result<(), StoreError> {
        let exists =
            sqlx::query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'")
                .fetch_optional(&self.pool)
                .await?
                .is_some();
        if !exists {
            return Ok(());
        }
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT at, actor, action, submission_id, sheet_id, outcome FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let submission: Option<String> = row.try_get("submission_id")?;
            let sheet: Option<String> = row.try_get("sheet_id")?;
            let (object_type, object_id) = match (sheet, submission) {
                (Some(id), _) => (Some("sheet".to_owned()), Some(id)),
                (None, Some(id)) => (Some("submission".to_owned()), Some(id)),
                (None, None) => (None, None),
            };
            let event = AuditEvent {
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                object_type,
                object_id,
                outcome: row.try_get("outcome")?,
                detail: Some("moved from the version-1 audit log".to_owned()),
                ..AuditEvent::default()
            };
            append_at(&mut tx, row.try_get("at")?, &event).await?;
        }
        sqlx::query("DROP TABLE audit_log")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if !rows.is_empty() {
            tracing::info!(
                records = rows.len(),
                "moved the version-1 audit log into the hash chain"
            );
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl AuditTrail for SqliteStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditRecord, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let record = append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn audit_query(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = QueryBuilder::<sqlx::Sqlite>::new(format!(
            "SELECT {COLUMNS} FROM audit_events WHERE seq > "
        ));
        sql.push_bind(query.after_seq.unwrap_or(0));
        let equal = [
            ("actor", &query.actor),
            ("action", &query.action),
            ("organisation", &query.organisation),
            ("object_id", &query.object_id),
            ("patient_ref", &query.patient_ref),
            ("outcome", &query.outcome),
        ];
        for (column, value) in equal {
            if let Some(value) = value {
                sql.push(format!(" AND {column} = "))
                    .push_bind(value.clone());
            }
        }
        if let Some(since) = &query.since {
            sql.push(" AND at >= ").push_bind(since.clone());
        }
        if let Some(until) = &query.until {
            sql.push(" AND at < ").push_bind(until.clone());
        }
        sql.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(query.limit.unwrap_or(100).clamp(1, 1000)));
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn audit_verify(&self) -> Result<ChainReport, StoreError> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 5000"
            ))
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("seq")?;
            for row in &rows {
                verifier.push(&record_from_row(row)?);
            }
        }
        Ok(verifier.finish())
    }
}
