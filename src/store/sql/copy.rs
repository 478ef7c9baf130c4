//! Copying an embedded store into a shared one (`kakehashi store migrate`): every table, row by
//! row in batches, sealed values as they are (the data key goes with the deployment, not
//! through here), each row inserted only if it is not there yet, so that a copy cut short is
//! finished by running it again. Then the counts and the audit chain's head must agree.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Dialect, SqlStore};
use crate::store::StoreError;

/// Tables in the order their references allow, each with the columns that order its rows.
const TABLES: &[(&str, &str)] = &[
    ("raw_inputs", "sha256"),
    ("organisations", "id"),
    ("terminals", "name"),
    ("app_credentials", "id"),
    ("app_acceptances", "municipality_id, app_id"),
    ("app_webhooks", "app_id"),
    ("users", "id"),
    ("sessions", "token_sha256"),
    ("submissions", "id"),
    ("staged_sheets", "submission_id, record_index"),
    ("staged_findings", "sheet_id, seq"),
    ("staged_reviews", "id"),
    ("sheets", "id"),
    ("findings", "sheet_id, seq"),
    ("consents", "sheet_id"),
    ("deliveries", "id"),
    ("access_keys", "digest"),
    ("applications", "id"),
    ("application_status_reasons", "application_id"),
    ("application_attachments", "application_id, seq"),
    ("intake_requests", "app_id, idempotency_key"),
    ("webhook_events", "id"),
    ("review_tasks", "id"),
    ("certifications", "application_id"),
    ("carryover_consents", "sheet_id, organisation_id"),
    ("console_sessions", "id_sha256"),
    ("failure_windows", "kind, subject"),
    ("sheet_reads", "user_id"),
    ("audit_events", "seq"),
];

/// Rows read and written at a time.
const BATCH: i64 = 500;

/// What a copy found and did, table by table: rows in the source, rows written now (the rest
/// were there from an earlier run).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: BTreeMap<&'static str, (u64, u64)>,
    /// The audit chain's last record in both, after the copy: (seq, link).
    pub audit_head: Option<(i64, String)>,
}

/// Why a copy did not finish, besides the databases' own failures.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the target must be PostgreSQL and the source SQLite")]
    WrongWay,
    #[error("the source has a table this version does not know how to copy: {0}")]
    UnknownTable(String),
    #[error(
        "table {table} holds {in_target} rows in the target but {in_source} in the source: the target is not a copy of this source"
    )]
    Counts {
        table: &'static str,
        in_source: u64,
        in_target: u64,
    },
    #[error(
        "the audit chains differ after the copy: source head {in_source:?}, target head {in_target:?}"
    )]
    AuditHead {
        in_source: Option<(i64, String)>,
        in_target: Option<(i64, String)>,
    },
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Copies every table of `from` (SQLite) into `to` (PostgreSQL, migrated), reporting progress
/// to `progress` after each batch.
pub async fn copy_store(
    from: &SqlStore,
    to: &SqlStore,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<CopyReport, CopyError> {
    if from.dialect != Dialect::Sqlite || to.dialect != Dialect::Postgres {
        return Err(CopyError::WrongWay);
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != '_sqlx_migrations'",
    )
    .fetch_all(&from.pool)
    .await?;
    if let Some(unknown) = tables
        .into_iter()
        .find(|t| !TABLES.iter().any(|(known, _)| known == t))
    {
        return Err(CopyError::UnknownTable(unknown));
    }
    let mut report = CopyReport::default();
    for &(table, order) in TABLES {
        let types = column_types(to, table).await?;
        let columns: Vec<&str> = types.keys().map(String::as_str).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING",
            columns.join(", "),
            placeholders.join(", ")
        );
        let total = count(from, table).await?;
        let (mut read, mut written) = (0_u64, 0_u64);
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {} FROM {table} ORDER BY {order} LIMIT $1 OFFSET $2",
                columns.join(", ")
            ))
            .bind(BATCH)
            .bind(i64::try_from(read).unwrap_or(i64::MAX))
            .fetch_all(&from.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = to.pool.begin().await?;
            for row in &rows {
                let mut query = sqlx::query(&insert);
                for (column, kind) in &types {
                    query = bind_as(query, row, column, *kind)?;
                }
                written += query.execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            read += rows.len() as u64;
            progress(table, read, total);
        }
        let target = count(to, table).await?;
        if target != total {
            return Err(CopyError::Counts {
                table,
                in_source: total,
                in_target: target,
            });
        }
        report.tables.insert(table, (total, written));
    }
    let (source, target) = (audit_head(from).await?, audit_head(to).await?);
    if source != target {
        return Err(CopyError::AuditHead {
            in_source: source,
            in_target: target,
        });
    }
    report.audit_head = target;
    Ok(report)
}

/// The kinds of value the target's columns take.
#[derive(Debug, Clone, Copy)]
enum ColumnKind {
    Integer,
    Real,
    Bytes,
    Text,
}

/// The target table's columns and their kinds, by name.
async fn column_types(
    to: &SqlStore,
    table: &str,
) -> Result<BTreeMap<String, ColumnKind>, CopyError> {
    let rows = sqlx::query(
        "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&to.pool)
    .await?;
    rows.iter()
        .map(|row| {
            let kind = match row.try_get::<String, _>("type")?.as_str() {
                "bigint" | "integer" | "smallint" => ColumnKind::Integer,
                "double precision" | "real" => ColumnKind::Real,
                "bytea" => ColumnKind::Bytes,
                _ => ColumnKind::Text,
            };
            Ok((row.try_get("name")?, kind))
        })
        .collect()
}

/// Binds the source row's `column` as the target takes it. SQLite keeps what was written
/// whatever the column says: a sealed value is a blob even in a column declared text.
fn bind_as<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    row: &AnyRow,
    column: &str,
    kind: ColumnKind,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>, CopyError> {
    Ok(match kind {
        ColumnKind::Integer => query.bind(row.try_get::<Option<i64>, _>(column)?),
        ColumnKind::Real => query.bind(row.try_get::<Option<f64>, _>(column)?),
        ColumnKind::Bytes => query.bind(match row.try_get::<Option<Vec<u8>>, _>(column) {
            Ok(bytes) => bytes,
            Err(_) => row
                .try_get::<Option<String>, _>(column)?
                .map(String::into_bytes),
        }),
        ColumnKind::Text => query.bind(row.try_get::<Option<String>, _>(column)?),
    })
}

async fn count(store: &SqlStore, table: &str) -> Result<u64, CopyError> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&store.pool)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn audit_head(store: &SqlStore) -> Result<Option<(i64, String)>, CopyError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&store.pool)
        .await?;
    row.map(|row| Ok((row.try_get("seq")?, row.try_get("hash")?)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::test_location;
    use crate::store::sql::tests::{event, with_draft};
    use crate::store::{AuditTrail, StoreLocation, Submissions};
    use kakehashi_sdk::{Sheet, SheetKind};

    #[tokio::test]
    async fn an_embedded_store_is_copied_whole_and_a_second_run_adds_nothing() {
        let target_dir = tempfile::tempdir().unwrap();
        let target = test_location(target_dir.path()).await;
        if !matches!(target, StoreLocation::Postgres(_)) {
            eprintln!("skipped: copying needs a PostgreSQL server (KAKEHASHI_TEST_DATABASE_URL)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        sheet.patient.name = Some("難病花子".into());
        // SQLite, whatever this run's tests use, and the target under the same data key.
        let embedded = StoreLocation::Embedded(dir.path().to_owned());
        let from = SqlStore::open_for_tests_at(dir.path(), &embedded).await;
        let from = with_draft(from, "sheet-1", sheet).await;
        from.append_audit(&event("after")).await.unwrap();
        let to = SqlStore::open(&target, from.sealer.clone()).await.unwrap();

        let mut batches = 0;
        let report = copy_store(&from, &to, |_, _, _| batches += 1)
            .await
            .unwrap();
        assert!(batches >= 4, "progress after each batch");
        assert_eq!(report.tables["sheets"], (1, 1));
        assert_eq!(report.tables["audit_events"], (2, 2));
        assert_eq!(report.audit_head.as_ref().map(|h| h.0), Some(2));
        let copied = to.sheet("sheet-1").await.unwrap().unwrap();
        assert_eq!(copied.sheet.patient.name.as_deref(), Some("難病花子"));
        assert!(to.audit_verify(None).await.unwrap().breaks.is_empty());

        let again = copy_store(&from, &to, |_, _, _| {}).await.unwrap();
        assert!(
            again.tables.values().all(|(_, written)| *written == 0),
            "{again:?}"
        );
        // A target that is not a copy of this source is named.
        to.append_audit(&event("only in the target")).await.unwrap();
        assert!(matches!(
            copy_store(&from, &to, |_, _, _| {}).await,
            Err(CopyError::Counts {
                table: "audit_events",
                in_source: 2,
                in_target: 3
            })
        ));
        assert!(matches!(
            copy_store(&to, &from, |_, _, _| {}).await,
            Err(CopyError::WrongWay)
        ));
    }
}
