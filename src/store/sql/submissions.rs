//! Submissions, sheets and findings in SQLite, sealed at rest.

use std::collections::HashMap;
use std::ops::Range;

use kakehashi_sdk::{Finding, Sheet, SheetKind};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::new_sheets::{self, SheetOwner, discard_staged, publish_staged};
use super::{Bound, SqlStore, access_keys, audit, deliveries, flag, now};
use crate::store::audit::AuditEvent;
use crate::store::submissions::{
    CheckedSheet, Completion, RawInput, Rejection, SheetFilter, SheetListing, SheetQuery,
    SheetStatus, SheetSummary, StoredSheet, SubmissionRecord, SubmissionStatus, SubmissionSummary,
    Submissions,
};
use crate::store::{NewAccessKey, StoreError};

const SUBMISSION_COLUMNS: &str = "id, organisation_id, municipality_id, sha256, adapter, mapping, status, error_json, key_id, received_at, completed_at";

/// Tables and their sealed columns, for re-sealing: (table, the SQL expression of the row id
/// the values were sealed under, sealed columns).
const SEALED_COLUMNS: &[(&str, &str, &[&str])] = &[
    ("raw_inputs", "sha256", &["body"]),
    ("submissions", "id", &["error_json"]),
    ("sheets", "id", &["body_json"]),
    (
        "users",
        "id",
        &["profile", "initial_password", "totp_secret"],
    ),
    ("findings", "sheet_id || '/' || seq", &["body_json"]),
    ("applications", "id", &["body_json", "findings_json"]),
    ("application_status_reasons", "application_id", &["reason"]),
    ("certifications", "application_id", &["body_json"]),
    ("review_tasks", "id", &["body_json", "image_png"]),
    ("app_webhooks", "app_id", &["secret"]),
];

/// The `WHERE` condition of a listing and the values it binds, in order (`$1`, `$2`, …).
fn sheet_conditions(filter: &SheetFilter, query: &SheetQuery) -> (String, Vec<Bound>) {
    let (column, value) = match filter {
        SheetFilter::Organisation(o) => ("organisation_id", o),
        SheetFilter::Municipality(m) => ("municipality_id", m),
    };
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    let mut condition = |test: &str, value: Bound| {
        values.push(value);
        conditions.push(format!("{test} ${}", values.len()));
    };
    condition(&format!("{column} ="), Bound::Text(value.clone()));
    if let Some(number) = query.disease_number {
        condition("disease_number =", Bound::Integer(i64::from(number)));
    }
    if let Some(status) = query.status {
        condition("status =", Bound::Text(status.as_str().to_owned()));
    }
    if let Some(errors) = query.has_errors {
        condition("has_errors =", Bound::Integer(i64::from(errors)));
    }
    // Timestamps are RFC 3339 UTC text of one format: they compare as text.
    if let Some(from) = &query.created_from {
        condition("created_at >=", Bound::Text(from.clone()));
    }
    if let Some(before) = &query.created_before {
        condition("created_at <", Bound::Text(before.clone()));
    }
    (conditions.join(" AND "), values)
}

/// The 疾患群 and 告示番号 columns of a sheet row.
fn disease_of(row: &sqlx::any::AnyRow) -> Result<(Option<u8>, Option<u16>), StoreError> {
    Ok((
        row.try_get::<Option<i64>, _>("disease_group")?
            .and_then(|g| u8::try_from(g).ok()),
        row.try_get::<Option<i64>, _>("disease_number")?
            .and_then(|n| u16::try_from(n).ok()),
    ))
}

fn kind_of(text: &str) -> Result<SheetKind, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(
        text.to_owned(),
    ))?)
}

impl SqlStore {
    fn submission_from_row(&self, row: &sqlx::any::AnyRow) -> Result<SubmissionRecord, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: Option<String> = row.try_get("key_id")?;
        let error = row
            .try_get::<Option<Vec<u8>>, _>("error_json")?
            .map(|e| {
                self.sealer.open_json::<Rejection>(
                    "submissions.error_json",
                    &id,
                    e,
                    key_id.as_deref(),
                )
            })
            .transpose()?;
        Ok(SubmissionRecord {
            organisation_id: row
                .try_get::<Option<String>, _>("organisation_id")?
                .unwrap_or_default(),
            municipality_id: row.try_get("municipality_id")?,
            sha256: row.try_get("sha256")?,
            adapter: row.try_get("adapter")?,
            mapping: row.try_get("mapping")?,
            status: SubmissionStatus::parse(row.try_get::<&str, _>("status")?),
            received_at: row.try_get("received_at")?,
            completed_at: row.try_get("completed_at")?,
            error,
            id,
        })
    }

    /// Findings of the sheets matching `where_clause` (one `$1` bound to `key`) whose record
    /// indexes are in `records`, by sheet id.
    async fn findings_where(
        &self,
        where_clause: &str,
        key: &str,
        records: Range<i64>,
    ) -> Result<HashMap<String, Vec<Finding>>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT f.sheet_id, f.seq, f.body_json, f.key_id FROM findings f JOIN sheets s ON s.id = f.sheet_id WHERE {where_clause} AND s.record_index >= $2 AND s.record_index < $3 ORDER BY s.record_index, f.seq"
        ))
        .bind(key)
        .bind(records.start)
        .bind(records.end)
        .fetch_all(&self.pool)
        .await?;
        let mut by_sheet: HashMap<String, Vec<Finding>> = HashMap::new();
        for row in rows {
            let sheet_id: String = row.try_get("sheet_id")?;
            let seq: i64 = row.try_get("seq")?;
            let key_id: Option<String> = row.try_get("key_id")?;
            let finding = self.sealer.open_json(
                "findings.body_json",
                &format!("{sheet_id}/{seq}"),
                row.try_get("body_json")?,
                key_id.as_deref(),
            )?;
            by_sheet.entry(sheet_id).or_default().push(finding);
        }
        Ok(by_sheet)
    }

    /// Writes a sheet's findings, sealed, replacing any it had.
    pub(super) async fn write_findings(
        &self,
        conn: &mut AnyConnection,
        checked: &CheckedSheet,
    ) -> Result<(), StoreError> {
        let findings = self.seal_findings(checked)?;
        sqlx::query("DELETE FROM findings WHERE sheet_id = $1")
            .bind(&checked.id)
            .execute(&mut *conn)
            .await?;
        new_sheets::insert_findings(conn, &self.sealer.primary_key_id(), &findings).await
    }

    /// Stores a raw input, sealed, unless one with its SHA-256 is stored already.
    pub(super) async fn insert_raw(
        &self,
        conn: &mut AnyConnection,
        raw: &RawInput<'_>,
        received_at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO raw_inputs (sha256, size, content_type, body, key_id, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(raw.sha256)
        .bind(raw.body.len() as i64)
        .bind(raw.content_type)
        .bind(self.sealer.seal("raw_inputs.body", raw.sha256, raw.body))
        .bind(self.sealer.primary_key_id())
        .bind(received_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Replaces a draft sheet and its findings inside a transaction; false when the sheet is
    /// no longer a draft.
    pub(super) async fn replace_draft(
        &self,
        conn: &mut AnyConnection,
        checked: &CheckedSheet,
        actor: &str,
        at: &str,
    ) -> Result<bool, StoreError> {
        let sheet = &checked.sheet;
        let body = self
            .sealer
            .seal_json("sheets.body_json", &checked.id, sheet)?;
        let updated = sqlx::query(
            "UPDATE sheets SET body_json = $1, key_id = $2, kind = $3, disease_group = $4, disease_number = $5, has_errors = $6, patient_ref = $7, updated_at = $8 WHERE id = $9 AND status = 'draft'",
        )
        .bind(body)
        .bind(self.sealer.primary_key_id())
        .bind(sheet.kind.as_str())
        .bind(sheet.disease.group.map(i64::from))
        .bind(sheet.disease.number.map(i64::from))
        .bind(i64::from(crate::checks::has_errors(&checked.findings)))
        .bind(self.sealer.patient_ref(sheet))
        .bind(at)
        .bind(&checked.id)
        .execute(&mut *conn)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_findings(&mut *conn, checked).await?;
        if let Some(consent) = sheet.administrative.research_consent {
            deliveries::record_source_consents(conn, &[(&checked.id, consent)], actor, at).await?;
        }
        Ok(true)
    }

    /// A renewal's carried-over marks end with the designated doctor's confirmation, which
    /// vouches for every value: rewritten inside the confirmation's transaction, so the
    /// confirmed sheet is what was confirmed.
    async fn clear_carried_over(
        &self,
        conn: &mut AnyConnection,
        id: &str,
    ) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT body_json, key_id FROM sheets WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        let key_id: Option<String> = row.try_get("key_id")?;
        let mut sheet: Sheet = self.sealer.open_json(
            "sheets.body_json",
            id,
            row.try_get("body_json")?,
            key_id.as_deref(),
        )?;
        if sheet.provenance.carried_over.is_empty() {
            return Ok(());
        }
        sheet.provenance.carried_over.clear();
        sqlx::query("UPDATE sheets SET body_json = $1, key_id = $2 WHERE id = $3")
            .bind(self.sealer.seal_json("sheets.body_json", id, &sheet)?)
            .bind(self.sealer.primary_key_id())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Re-seals the sealed columns of one table's rows that the primary key did not seal,
    /// in batches; returns the number of rows.
    async fn reseal_table(
        &self,
        table: &str,
        row_key: &str,
        columns: &[&str],
    ) -> Result<u64, StoreError> {
        let primary = self.sealer.primary_key_id();
        let mut total = 0;
        loop {
            let _writer = self.write_lock().await;
            let mut tx = self.begin_write().await?;
            let locator = self.dialect.row_locator();
            let rows = sqlx::query(&format!(
                "SELECT {locator} AS row_locator, {row_key} AS row_key, key_id, {} FROM {table} WHERE key_id IS NULL OR key_id != $1 LIMIT 200",
                columns.join(", ")
            ))
            .bind(&primary)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            let assignments: String = columns
                .iter()
                .enumerate()
                .map(|(i, column)| format!(", {column} = ${}", i + 2))
                .collect();
            let this_row = self.dialect.is_row(columns.len() + 2);
            let update = format!("UPDATE {table} SET key_id = $1{assignments} WHERE {this_row}");
            for row in &rows {
                let row_key: String = row.try_get("row_key")?;
                let key_id: Option<String> = row.try_get("key_id")?;
                let mut query = sqlx::query(&update).bind(&primary);
                for column in columns {
                    let place = format!("{table}.{column}");
                    let resealed = row
                        .try_get::<Option<Vec<u8>>, _>(*column)?
                        .map(|stored| {
                            let plain =
                                self.sealer
                                    .open(&place, &row_key, stored, key_id.as_deref())?;
                            Ok::<_, StoreError>(self.sealer.seal(&place, &row_key, &plain))
                        })
                        .transpose()?;
                    query = query.bind(resealed);
                }
                query
                    .bind(row.try_get::<String, _>("row_locator")?)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            total += rows.len() as u64;
        }
        Ok(total)
    }
}

#[async_trait::async_trait]
impl Submissions for SqlStore {
    async fn journal(
        &self,
        raw: RawInput<'_>,
        submission: &SubmissionRecord,
    ) -> Result<SubmissionRecord, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        self.insert_raw(&mut tx, &raw, &submission.received_at)
            .await?;
        sqlx::query(
            "INSERT INTO submissions (id, organisation_id, municipality_id, sha256, adapter, mapping, status, received_at) VALUES ($1, $2, $3, $4, $5, $6, 'received', $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&submission.id)
        .bind(&submission.organisation_id)
        .bind(&submission.municipality_id)
        .bind(&submission.sha256)
        .bind(&submission.adapter)
        .bind(&submission.mapping)
        .bind(&submission.received_at)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1"
        ))
        .bind(&submission.id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        self.submission_from_row(&row)
    }

    async fn stage_sheets(
        &self,
        submission_id: &str,
        first_index: usize,
        sheets: &[CheckedSheet],
    ) -> Result<bool, StoreError> {
        let sealed = self.seal_new_sheets(sheets, first_index)?;
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM submissions WHERE id = $1")
                .bind(submission_id)
                .fetch_optional(&mut *tx)
                .await?;
        if status.as_deref() != Some(SubmissionStatus::Received.as_str()) {
            return Ok(false);
        }
        sealed.stage(&mut tx, submission_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn complete(
        &self,
        submission_id: &str,
        completion: &Completion,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let key_id = self.sealer.primary_key_id();
        // Sealed before the lock, which every other writer waits for.
        let (status, error, sealed) = match completion {
            Completion::Accepted(sheets) => (
                SubmissionStatus::Accepted,
                None,
                Some(self.seal_new_sheets(sheets, 0)?),
            ),
            Completion::Rejected(r) => (
                SubmissionStatus::Rejected,
                Some(
                    self.sealer
                        .seal_json("submissions.error_json", submission_id, r)?,
                ),
                None,
            ),
        };
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let updated = sqlx::query(
            "UPDATE submissions SET status = $1, error_json = $2, key_id = $3, completed_at = $4 WHERE id = $5 AND status = 'received' RETURNING organisation_id, municipality_id",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(&key_id)
        .bind(&at)
        .bind(submission_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owner) = updated else {
            // Completed by an earlier or concurrent run of the same submission: what this run
            // staged is not needed.
            discard_staged(&mut tx, submission_id).await?;
            tx.commit().await?;
            return Ok(());
        };
        let organisation: Option<String> = owner.try_get("organisation_id")?;
        let municipality: Option<String> = owner.try_get("municipality_id")?;
        let owner = SheetOwner {
            submission_id,
            organisation_id: organisation.as_deref(),
            municipality_id: municipality.as_deref(),
            actor: &audit.actor,
            at: &at,
        };
        match sealed {
            Some(mut sealed) => {
                let staged = publish_staged(&mut tx, &owner).await?;
                sealed.number_from(staged);
                sealed.insert(&mut tx, &owner).await?;
            }
            None => discard_staged(&mut tx, submission_id).await?,
        }
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn submission(&self, id: &str) -> Result<Option<SubmissionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(|r| self.submission_from_row(r))
            .transpose()
    }

    async fn submission_sheets(
        &self,
        id: &str,
        records: Range<u32>,
    ) -> Result<Vec<SheetSummary>, StoreError> {
        let records = i64::from(records.start)..i64::from(records.end);
        let rows = sqlx::query(
            "SELECT id, record_index, kind, disease_group, disease_number, has_errors FROM sheets WHERE submission_id = $1 AND record_index >= $2 AND record_index < $3 ORDER BY record_index",
        )
        .bind(id)
        .bind(records.start)
        .bind(records.end)
        .fetch_all(&self.pool)
        .await?;
        let mut by_sheet = self
            .findings_where("s.submission_id = $1", id, records)
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let (disease_group, disease_number) = disease_of(row)?;
                Ok(SheetSummary {
                    findings: by_sheet.remove(&id).unwrap_or_default(),
                    id,
                    record_index: u32::try_from(row.try_get::<i64, _>("record_index")?)
                        .unwrap_or(u32::MAX),
                    kind: kind_of(row.try_get("kind")?)?,
                    disease_group,
                    disease_number,
                    has_errors: flag(row, "has_errors")?,
                })
            })
            .collect()
    }

    async fn submission_summary(&self, id: &str) -> Result<SubmissionSummary, StoreError> {
        let sheets = sqlx::query(
            "SELECT COUNT(*) AS sheets, CAST(COALESCE(SUM(has_errors), 0) AS BIGINT) AS with_errors FROM sheets WHERE submission_id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        let count = |row: &AnyRow, column: &str| -> Result<usize, StoreError> {
            Ok(usize::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
        };
        let mut summary = SubmissionSummary {
            sheets: count(&sheets, "sheets")?,
            sheets_with_errors: count(&sheets, "with_errors")?,
            ..SubmissionSummary::default()
        };
        let by_severity = sqlx::query(
            "SELECT f.severity, COUNT(*) AS findings FROM findings f JOIN sheets s ON s.id = f.sheet_id WHERE s.submission_id = $1 GROUP BY f.severity",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for row in &by_severity {
            let findings = count(row, "findings")?;
            match row.try_get::<&str, _>("severity")? {
                "error" => summary.errors = findings,
                "warning" => summary.warnings = findings,
                _ => summary.infos = findings,
            }
        }
        Ok(summary)
    }

    async fn sheet(&self, id: &str) -> Result<Option<StoredSheet>, StoreError> {
        let row = sqlx::query(
            "SELECT submission_id, organisation_id, municipality_id, status, confirmed_at, patient_ref, body_json, key_id FROM sheets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let key_id: Option<String> = row.try_get("key_id")?;
        let mut sheet: Sheet = self.sealer.open_json(
            "sheets.body_json",
            id,
            row.try_get("body_json")?,
            key_id.as_deref(),
        )?;
        self.merge_certification(id, &mut sheet).await?;
        let findings = self
            .findings_where("s.id = $1", id, 0..i64::MAX)
            .await?
            .remove(id)
            .unwrap_or_default();
        Ok(Some(StoredSheet {
            id: id.to_owned(),
            submission_id: row.try_get("submission_id")?,
            organisation_id: row.try_get("organisation_id")?,
            municipality_id: row.try_get("municipality_id")?,
            status: SheetStatus::parse(row.try_get("status")?),
            confirmed_at: row.try_get("confirmed_at")?,
            patient_ref: row.try_get("patient_ref")?,
            sheet,
            findings,
        }))
    }

    async fn list_sheets(
        &self,
        filter: &SheetFilter,
        query: &SheetQuery,
    ) -> Result<Vec<SheetListing>, StoreError> {
        let (condition, values) = sheet_conditions(filter, query);
        let sql = format!(
            "SELECT id, submission_id, kind, disease_group, disease_number, status, has_errors, created_at FROM sheets WHERE {condition} ORDER BY created_at DESC, id LIMIT ${} OFFSET ${}",
            values.len() + 1,
            values.len() + 2
        );
        let mut select = sqlx::query(&sql);
        for value in &values {
            select = value.bind(select);
        }
        let rows = select
            .bind(i64::from(query.limit.clamp(1, 1000)))
            .bind(i64::from(query.offset))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let (disease_group, disease_number) = disease_of(row)?;
                Ok(SheetListing {
                    id: row.try_get("id")?,
                    submission_id: row.try_get("submission_id")?,
                    kind: kind_of(row.try_get("kind")?)?,
                    disease_group,
                    disease_number,
                    status: SheetStatus::parse(row.try_get("status")?),
                    has_errors: flag(row, "has_errors")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn count_sheets(
        &self,
        filter: &SheetFilter,
        query: &SheetQuery,
    ) -> Result<u64, StoreError> {
        let (condition, values) = sheet_conditions(filter, query);
        let sql = format!("SELECT COUNT(*) FROM sheets WHERE {condition}");
        let mut select = sqlx::query_scalar::<_, i64>(&sql);
        for value in &values {
            select = value.bind_scalar(select);
        }
        Ok(u64::try_from(select.fetch_one(&self.pool).await?).unwrap_or(0))
    }

    async fn update_sheet(
        &self,
        checked: &CheckedSheet,
        audit_event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        if !self
            .replace_draft(&mut tx, checked, &audit_event.actor, &at)
            .await?
        {
            return Ok(false);
        }
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn confirm_sheet(
        &self,
        id: &str,
        confirmed_by: &str,
        access_key: &NewAccessKey,
        audit_event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let updated = sqlx::query(
            "UPDATE sheets SET status = 'confirmed', confirmed_by = $1, confirmed_at = $2, updated_at = $3 WHERE id = $4 AND status = 'draft'",
        )
        .bind(confirmed_by)
        .bind(&at)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        self.clear_carried_over(&mut tx, id).await?;
        access_keys::issue(&mut tx, id, confirmed_by, access_key, &at).await?;
        deliveries::enqueue_if_due(&mut tx, id, &at).await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn raw_input(
        &self,
        sha256: &str,
    ) -> Result<Option<(Option<String>, Vec<u8>)>, StoreError> {
        let row =
            sqlx::query("SELECT content_type, body, key_id FROM raw_inputs WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let key_id: Option<String> = row.try_get("key_id")?;
        let body = self.sealer.open(
            "raw_inputs.body",
            sha256,
            row.try_get("body")?,
            key_id.as_deref(),
        )?;
        Ok(Some((row.try_get("content_type")?, body)))
    }

    async fn pending_submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE status = 'received' ORDER BY received_at"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.submission_from_row(r)).collect()
    }

    async fn reseal(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        for (table, row_key, columns) in SEALED_COLUMNS {
            total += self.reseal_table(table, row_key, columns).await?;
        }
        Ok(total)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
