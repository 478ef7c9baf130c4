//! Renewals in SQLite.

use kakehashi_sdk::DiseaseKey;
use sqlx::Row;

use super::new_sheets::SheetOwner;
use super::{SqlStore, audit, now};
use crate::store::renewals::Renewals;
use crate::store::{AuditEvent, CheckedSheet, RawInput, StoreError, SubmissionRecord};

#[async_trait::async_trait]
impl Renewals for SqlStore {
    async fn latest_confirmed_sheet(
        &self,
        organisation_id: &str,
        patient_ref: &str,
        disease: &DiseaseKey,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM sheets WHERE organisation_id = $1 AND patient_ref = $2 AND status = 'confirmed' AND kind = $3 AND disease_group IS NOT DISTINCT FROM $4 AND disease_number = $5 ORDER BY confirmed_at DESC, id LIMIT 1",
        )
        .bind(organisation_id)
        .bind(patient_ref)
        .bind(disease.kind.as_str())
        .bind(disease.group.map(i64::from))
        .bind(i64::from(disease.number))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn create_sheet(
        &self,
        source: RawInput<'_>,
        submission: &SubmissionRecord,
        checked: &CheckedSheet,
        audit_event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let sealed = self.seal_new_sheets(std::slice::from_ref(checked), 0)?;
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        self.insert_raw(&mut tx, &source, &at).await?;
        let inserted = sqlx::query(
            "INSERT INTO submissions (id, organisation_id, municipality_id, sha256, adapter, mapping, status, received_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, 'accepted', $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(&submission.id)
        .bind(&submission.organisation_id)
        .bind(&submission.municipality_id)
        .bind(&submission.sha256)
        .bind(&submission.adapter)
        .bind(&submission.mapping)
        .bind(&at)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(false);
        }
        let owner = SheetOwner {
            submission_id: &submission.id,
            organisation_id: Some(&submission.organisation_id),
            municipality_id: submission.municipality_id.as_deref(),
            actor: &audit_event.actor,
            at: &at,
        };
        sealed.insert(&mut tx, &owner).await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_carryover_consent(
        &self,
        sheet_id: &str,
        organisation_id: &str,
        audit_event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO carryover_consents (sheet_id, organisation_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(sheet_id)
        .bind(organisation_id)
        .bind(&audit_event.actor)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn carryover_consented(
        &self,
        sheet_id: &str,
        organisation_id: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM carryover_consents WHERE sheet_id = $1 AND organisation_id = $2",
        )
        .bind(sheet_id)
        .bind(organisation_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{Sheet, SheetKind};

    use super::*;
    use crate::store::AuditTrail;
    use crate::store::sql::tests::{event, submission};

    /// Asking for a renewal that exists returns early from its transaction, and the handler
    /// audits that at once: the audit append reads the chain's head before it writes, so it
    /// once failed with `database is locked` (503 to the caller) while the early-returned
    /// transaction's rollback was still pending on its connection.
    #[tokio::test]
    async fn an_audit_right_after_a_renewal_that_exists_is_not_refused_by_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let checked = CheckedSheet {
            id: "renewed".into(),
            sheet: Sheet::new(SheetKind::Nanbyo, Default::default()),
            findings: vec![],
            reviews: vec![],
        };
        let source = || RawInput {
            sha256: "source",
            content_type: Some("application/json"),
            body: b"{}",
        };
        let record = submission("renewal", "source");
        let renew = event("sheet.renew");
        assert!(
            store
                .create_sheet(source(), &record, &checked, &renew)
                .await
                .unwrap()
        );
        for attempt in 0..200 {
            let again = store
                .create_sheet(source(), &record, &checked, &renew)
                .await;
            assert!(!again.unwrap(), "attempt {attempt}: made twice");
            let audited = store.append_audit(&event("sheet.renew")).await;
            assert!(audited.is_ok(), "attempt {attempt}: {audited:?}");
        }
    }
}
