//! The audit chain: appended inside the transaction of the write it records (which holds the
//! writer lock, so the chain has one order across gateway instances), each record linked under
//! the key ring's current audit key.

use std::str::FromStr;

use kakehashi_vault::KeyRing;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Row};

use super::{Bound, DATABASE_FILE, Dialect, SqlStore, StoreLocation, now};
use crate::store::StoreError;
use crate::store::audit::{
    Anchor, AuditEvent, AuditQuery, AuditRecord, AuditTrail, ChainBreak, ChainReport,
    ChainVerifier, GENESIS, keyed_link,
};

/// The triggers that make `audit_events` append-only in SQLite, as migration 0002 made them.
const SQLITE_GUARDS: &[(&str, &str)] = &[
    (
        "audit_events_no_update",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events\nBEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ),
    (
        "audit_events_no_delete",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events\nBEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    ),
];

/// The triggers that make `audit_events` append-only in PostgreSQL, as its first migration made
/// them, each with the body of the function it runs.
const POSTGRES_GUARDS: &[(&str, &str)] = &[
    (
        "audit_events_no_update",
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only() BEGIN RAISE EXCEPTION 'audit_events is append-only'; END",
    ),
    (
        "audit_events_no_delete",
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only() BEGIN RAISE EXCEPTION 'audit_events is append-only'; END",
    ),
    (
        "audit_events_no_truncate",
        "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only() BEGIN RAISE EXCEPTION 'audit_events is append-only'; END",
    ),
];

impl Dialect {
    /// The append-only guards and the query that reads one back by name (`$1`), as the guard
    /// is written in its constant when nobody has touched it.
    fn audit_guards(self) -> (&'static [(&'static str, &'static str)], &'static str) {
        match self {
            Dialect::Sqlite => (
                SQLITE_GUARDS,
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
            ),
            Dialect::Postgres => (
                POSTGRES_GUARDS,
                "SELECT replace(pg_get_triggerdef(t.oid), ' ON ' || current_schema() || '.audit_events ', ' ON audit_events ')
                   || ' ' || btrim(p.prosrc, E' \n')
                 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                 WHERE t.tgname = $1 AND t.tgrelid = 'audit_events'::regclass AND t.tgenabled = 'O'",
            ),
        }
    }
}

const COLUMNS: &str = "seq, at, actor, terminal, organisation, source, action, object_type, object_id, patient_ref, outcome, detail, prev_hash, hash, key_id";

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord, StoreError> {
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
        key_id: row.try_get("key_id")?,
    })
}

/// Appends `event` at `at` to the chain on `conn`, which must hold the writer lock, linked
/// under the current audit key of `keys`.
pub(super) async fn append_at(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    at: &str,
    event: &AuditEvent,
) -> Result<AuditRecord, StoreError> {
    let key_id = keys.audit_key_id().ok_or(StoreError::NoAuditKey)?;
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
    let hash = keyed_link(keys, key_id, &prev_hash, seq, at, event).map_err(|source| {
        StoreError::Sealed {
            place: "audit_events".to_owned(),
            source,
        }
    })?;
    sqlx::query(&format!(
        "INSERT INTO audit_events ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
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
    .bind(key_id)
    .execute(&mut *conn)
    .await?;
    Ok(AuditRecord {
        seq,
        at: at.to_owned(),
        event: event.clone(),
        prev_hash,
        hash,
        key_id: Some(key_id.to_owned()),
    })
}

impl SqlStore {
    /// The last record of the audit chain at `location`, read without changing anything (0 when
    /// there is no database or no chain yet): where a chain made before audit keys existed
    /// stops being unkeyed.
    pub async fn audit_head_seq(location: &StoreLocation) -> Result<u64, StoreError> {
        let (url, chain_table) = match location {
            StoreLocation::Embedded(data_dir) => {
                let path = data_dir.join(DATABASE_FILE);
                if !path.exists() {
                    return Ok(0);
                }
                let url = SqliteConnectOptions::from_str("sqlite:")?
                    .filename(&path)
                    .read_only(true)
                    .to_url_lossy();
                (
                    url.to_string(),
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'",
                )
            }
            StoreLocation::Postgres(url) => (
                url.clone(),
                "SELECT CAST(to_regclass('audit_events') AS TEXT)",
            ),
        };
        sqlx::any::install_default_drivers();
        let mut conn = AnyConnection::connect(&url).await?;
        let has_chain = sqlx::query_scalar::<_, Option<String>>(chain_table)
            .fetch_optional(&mut conn)
            .await?
            .flatten()
            .is_some();
        let head: i64 = if has_chain {
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_events")
                .fetch_one(&mut conn)
                .await?
        } else {
            0
        };
        conn.close().await?;
        Ok(u64::try_from(head).unwrap_or(0))
    }

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
            append_at(&mut tx, self.sealer.key_ring(), row.try_get("at")?, &event).await?;
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
impl AuditTrail for SqlStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<AuditRecord, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let record = append_at(&mut tx, self.sealer.key_ring(), &now(), event).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn audit_query(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let mut binds = vec![Bound::Integer(query.after_seq.unwrap_or(0))];
        let mut sql = format!("SELECT {COLUMNS} FROM audit_events WHERE seq > $1");
        let equal = [
            ("actor =", &query.actor),
            ("action =", &query.action),
            ("organisation =", &query.organisation),
            ("object_id =", &query.object_id),
            ("patient_ref =", &query.patient_ref),
            ("outcome =", &query.outcome),
            ("at >=", &query.since),
            ("at <", &query.until),
        ];
        for (test, value) in equal {
            if let Some(value) = value {
                binds.push(Bound::Text(value.clone()));
                sql.push_str(&format!(" AND {test} ${}", binds.len()));
            }
        }
        binds.push(Bound::Integer(i64::from(
            query.limit.unwrap_or(100).clamp(1, 1000),
        )));
        sql.push_str(&format!(" ORDER BY seq LIMIT ${}", binds.len()));
        let select = binds
            .iter()
            .fold(sqlx::query(&sql), |select, value| value.bind(select));
        let rows = select.fetch_all(&self.pool).await?;
        rows.iter().map(record_from_row).collect()
    }

    async fn audit_verify(&self, anchor: Option<&Anchor>) -> Result<ChainReport, StoreError> {
        let mut unguarded = Vec::new();
        let (guards, read_guard) = self.dialect.audit_guards();
        for &(name, sql) in guards {
            let found: Option<String> = sqlx::query_scalar(read_guard)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
            if found.as_deref() != Some(sql) {
                unguarded.push(ChainBreak::Unguarded {
                    guard: name.to_owned(),
                });
            }
        }
        let mut verifier = ChainVerifier::new(self.sealer.key_ring(), anchor);
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 5000"
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
        let mut report = verifier.finish();
        report.breaks.splice(0..0, unguarded);
        Ok(report)
    }

    async fn audit_anchor(&self) -> Result<Option<Anchor>, StoreError> {
        let keys = self.sealer.key_ring();
        let key_id = keys.audit_key_id().ok_or(StoreError::NoAuditKey)?;
        let head = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(head) = head else { return Ok(None) };
        let seq: i64 = head.try_get("seq")?;
        let link: String = head.try_get("hash")?;
        Anchor::sign(keys, key_id, seq, &link, &now())
            .map(Some)
            .map_err(|source| StoreError::Sealed {
                place: "audit anchor".to_owned(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

    use super::*;
    use crate::store::audit::record_hash;
    use crate::store::sql::tests::event;
    use crate::store::{ChainBreak, Sealer};

    /// A data directory as a version before keyed links left it: a key file without audit
    /// keys and a chain of `n` records with unkeyed SHA-256 links.
    async fn unkeyed_chain(config: &crate::config::Config, n: i64) {
        let key_file = config.key_file();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(key_file.parent().unwrap())
            .unwrap();
        std::fs::write(
            &key_file,
            format!(
                r#"{{"version":1,"primary":"k1","keys":[{{"id":"k1","created_at":"2026-01-05T09:00:00Z","key":"{0}"}}],"pseudonym_key":"{0}"}}"#,
                "cd".repeat(32)
            ),
        )
        .unwrap();
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let keys = KeyRing::load(&key_file).unwrap();
        let store = SqlStore::open(
            &StoreLocation::Embedded(config.data_dir.clone()),
            Sealer::new(keys.into()),
        )
        .await
        .unwrap();
        // Nothing is appended without an audit key, and nothing unkeyed.
        assert!(matches!(
            store.append_audit(&event("refused")).await,
            Err(StoreError::NoAuditKey)
        ));
        let mut prev = GENESIS.to_owned();
        for seq in 1..=n {
            let at = now();
            let event = event("before");
            let hash = record_hash(&prev, seq, &at, &event);
            sqlx::query(
                "INSERT INTO audit_events (seq, at, actor, action, outcome, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(seq)
            .bind(&at)
            .bind(&event.actor)
            .bind(&event.action)
            .bind(&event.outcome)
            .bind(&prev)
            .bind(&hash)
            .execute(&store.pool)
            .await
            .unwrap();
            prev = hash;
        }
    }

    #[tokio::test]
    async fn an_unkeyed_chain_is_carried_over_and_keyed_from_the_next_record() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            data_dir: dir.path().join("data"),
            ..crate::config::Config::default()
        };
        unkeyed_chain(&config, 3).await;
        assert_eq!(
            SqlStore::audit_head_seq(&StoreLocation::Embedded(config.data_dir.clone()))
                .await
                .unwrap(),
            3
        );

        let store = crate::server::open_store(&config).await.unwrap();
        assert_eq!(store.sealer.key_ring().audit_unkeyed_until(), Some(3));
        for action in ["after-1", "after-2"] {
            store.append_audit(&event(action)).await.unwrap();
        }
        let report = store.audit_verify(None).await.unwrap();
        assert_eq!((report.records, report.breaks), (5, vec![]));
        let keyed: Vec<Option<String>> =
            sqlx::query_scalar("SELECT key_id FROM audit_events ORDER BY seq")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(
            keyed,
            [None, None, None, Some("a1".into()), Some("a1".into())]
        );
        drop(store);

        // Opening again changes nothing; a record after the switch rewritten with an unkeyed
        // link is named.
        let store = crate::server::open_store(&config).await.unwrap();
        assert_eq!(store.sealer.key_ring().audit_unkeyed_until(), Some(3));
        sqlx::query("DROP TRIGGER audit_events_no_update")
            .execute(&store.pool)
            .await
            .unwrap();
        let record = &store.audit_query(&AuditQuery::default()).await.unwrap()[4];
        sqlx::query("UPDATE audit_events SET key_id = NULL, hash = $1 WHERE seq = 5")
            .bind(record_hash(&record.prev_hash, 5, &record.at, &record.event))
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
                ChainBreak::Unkeyed { seq: 5 }
            ]
        );
    }
}
