//! The review queue in SQLite: the value as read and the box's image sealed like the sheet.

use sqlx::Row;

use super::{SqlStore, audit, now};
use crate::store::StoreError;
use crate::store::audit::AuditEvent;
use crate::store::reviews::{ReviewDetail, ReviewStatus, ReviewTask, Reviews};
use crate::store::submissions::CheckedSheet;

const COLUMNS: &str = "r.id, r.sheet_id, r.target, r.confidence, r.status, r.body_json, r.key_id, r.created_at, r.resolved_by, r.resolved_at";

impl SqlStore {
    fn review_from_row(&self, row: &sqlx::any::AnyRow) -> Result<ReviewTask, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: Option<String> = row.try_get("key_id")?;
        let detail: ReviewDetail = self.sealer.open_json(
            "review_tasks.body_json",
            &id,
            row.try_get("body_json")?,
            key_id.as_deref(),
        )?;
        Ok(ReviewTask {
            sheet_id: row.try_get("sheet_id")?,
            target: row.try_get("target")?,
            confidence: row.try_get::<f64, _>("confidence")? as f32,
            status: if row.try_get::<&str, _>("status")? == "open" {
                ReviewStatus::Open
            } else {
                ReviewStatus::Resolved
            },
            detail,
            created_at: row.try_get("created_at")?,
            resolved_by: row.try_get("resolved_by")?,
            resolved_at: row.try_get("resolved_at")?,
            id,
        })
    }
}

#[async_trait::async_trait]
impl Reviews for SqlStore {
    async fn open_reviews(
        &self,
        municipality_id: &str,
        limit: u32,
    ) -> Result<Vec<ReviewTask>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM review_tasks r JOIN sheets s ON s.id = r.sheet_id
             WHERE s.municipality_id = $1 AND r.status = 'open'
             ORDER BY r.created_at, r.sheet_id, r.seq LIMIT $2"
        ))
        .bind(municipality_id)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.review_from_row(r)).collect()
    }

    async fn review(&self, id: &str) -> Result<Option<ReviewTask>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM review_tasks r WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| self.review_from_row(r)).transpose()
    }

    async fn review_image(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT image_png, key_id FROM review_tasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let key_id: Option<String> = row.try_get("key_id")?;
        Ok(Some(self.sealer.open(
            "review_tasks.image_png",
            id,
            row.try_get("image_png")?,
            key_id.as_deref(),
        )?))
    }

    async fn open_review_count(&self, sheet_id: &str) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM review_tasks WHERE sheet_id = $1 AND status = 'open'",
        )
        .bind(sheet_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(count.max(0) as u64)
    }

    async fn resolve_review(
        &self,
        id: &str,
        resolved_by: &str,
        sheet: &CheckedSheet,
        audit_event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let resolved = sqlx::query(
            "UPDATE review_tasks SET status = 'resolved', resolved_by = $1, resolved_at = $2 WHERE id = $3 AND sheet_id = $4 AND status = 'open'",
        )
        .bind(resolved_by)
        .bind(&at)
        .bind(id)
        .bind(&sheet.id)
        .execute(&mut *tx)
        .await?;
        if resolved.rows_affected() == 0
            || !self
                .replace_draft(&mut tx, sheet, &audit_event.actor, &at)
                .await?
        {
            return Ok(false);
        }
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(true)
    }
}
