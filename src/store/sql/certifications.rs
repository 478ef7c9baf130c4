//! Decisions in SQLite, sealed at rest, and their merge into sheet reads.

use kakehashi_sdk::{ApplicationStatus, CertificationDecision, Sheet};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::deliveries::record_consent_in;
use super::webhooks::enqueue_status_event;
use super::{SqlStore, audit, now};
use crate::store::certifications::{
    CertificationEffect, CertificationOutcome, Certifications, NewCertification,
    StoredCertification, same_decision,
};
use crate::store::{AuditEvent, Consent, ConsentSource, RawInput, StoreError};

const PLACE: &str = "certifications.body_json";

fn decision_text(decision: CertificationDecision) -> &'static str {
    match decision {
        CertificationDecision::Certified => "certified",
        CertificationDecision::NotCertified => "not_certified",
    }
}

impl SqlStore {
    fn stored_certification(&self, row: &AnyRow) -> Result<StoredCertification, StoreError> {
        let application_id: String = row.try_get("application_id")?;
        let key_id: Option<String> = row.try_get("key_id")?;
        Ok(StoredCertification {
            receipt_number: row.try_get("receipt_number")?,
            sheet_id: row.try_get("sheet_id")?,
            certification: self.sealer.open_json(
                PLACE,
                &application_id,
                row.try_get("body_json")?,
                key_id.as_deref(),
            )?,
            recorded_at: row.try_get("recorded_at")?,
            application_id,
        })
    }

    /// Writes the latest decision on the sheet (if any) into its 行政記載欄, as reads show it.
    pub(super) async fn merge_certification(
        &self,
        sheet_id: &str,
        sheet: &mut Sheet,
    ) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT * FROM certifications WHERE sheet_id = $1 ORDER BY recorded_at DESC LIMIT 1",
        )
        .bind(sheet_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            self.stored_certification(&row)?
                .certification
                .apply_to(&mut sheet.administrative);
        }
        Ok(())
    }

    /// Stores one decision and what follows from it; the effect.
    async fn record_one(
        &self,
        conn: &mut AnyConnection,
        municipality_id: &str,
        sha256: &str,
        new: &NewCertification,
        audit_event: &AuditEvent,
        at: &str,
    ) -> Result<CertificationEffect, StoreError> {
        let stored = sqlx::query("SELECT * FROM certifications WHERE application_id = $1")
            .bind(&new.application_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| self.stored_certification(&row))
            .transpose()?;
        let status_row = sqlx::query("SELECT status FROM applications WHERE id = $1")
            .bind(&new.application_id)
            .fetch_one(&mut *conn)
            .await?;
        let status: ApplicationStatus =
            serde_json::from_value(serde_json::Value::String(status_row.try_get("status")?))?;
        let outcome = match &stored {
            None => CertificationOutcome::Recorded,
            Some(s) if same_decision(&s.certification, &new.certification) => {
                CertificationOutcome::Unchanged
            }
            Some(_) => CertificationOutcome::Replaced,
        };
        let unchanged = CertificationEffect {
            receipt_number: new.receipt_number.clone(),
            sheet_id: new.sheet_id.clone(),
            outcome,
            status,
            completed: false,
            consent: None,
        };
        if outcome == CertificationOutcome::Unchanged {
            return Ok(unchanged);
        }
        let c = &new.certification;
        sqlx::query(
            "INSERT INTO certifications (application_id, municipality_id, receipt_number, sheet_id, decision, source_sha256, body_json, key_id, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (application_id) DO UPDATE SET sheet_id = excluded.sheet_id, decision = excluded.decision,
               source_sha256 = excluded.source_sha256, body_json = excluded.body_json, key_id = excluded.key_id,
               recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        )
        .bind(&new.application_id)
        .bind(municipality_id)
        .bind(&new.receipt_number)
        .bind(&new.sheet_id)
        .bind(decision_text(c.decision))
        .bind(sha256)
        .bind(self.sealer.seal_json(PLACE, &new.application_id, c)?)
        .bind(self.sealer.primary_key_id())
        .bind(&audit_event.actor)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        let completed = status.may_become(ApplicationStatus::Completed);
        if completed {
            sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(ApplicationStatus::Completed.as_str())
                .bind(at)
                .bind(&new.application_id)
                .execute(&mut *conn)
                .await?;
            enqueue_status_event(conn, &new.application_id, ApplicationStatus::Completed, at)
                .await?;
        }
        let consent = Consent {
            consented: c.research_consent,
            source: ConsentSource::Api,
            recorded_by: audit_event.actor.clone(),
            recorded_at: at.to_owned(),
        };
        let effect =
            record_consent_in(conn, self.sealer.key_ring(), &new.sheet_id, &consent, at).await?;
        let status_after = if completed {
            ApplicationStatus::Completed
        } else {
            status
        };
        let event = audit_event
            .clone()
            .on("application", &new.application_id)
            .with_patient(new.patient_ref.clone())
            .with_detail(format!(
                "{}: {} on sheet {}, application {}{}, research consent {}",
                if outcome == CertificationOutcome::Recorded {
                    "recorded"
                } else {
                    "replaced"
                },
                decision_text(c.decision),
                new.sheet_id,
                status_after.as_str(),
                if completed || status == ApplicationStatus::Completed {
                    ""
                } else {
                    " (completed is not allowed from it)"
                },
                if c.research_consent {
                    "given"
                } else {
                    "refused"
                }
            ));
        audit::append_at(&mut *conn, self.sealer.key_ring(), at, &event).await?;
        Ok(CertificationEffect {
            status: status_after,
            completed,
            consent: Some(effect),
            ..unchanged
        })
    }
}

#[async_trait::async_trait]
impl Certifications for SqlStore {
    async fn record_certifications(
        &self,
        municipality_id: &str,
        file: &RawInput<'_>,
        decisions: &[NewCertification],
        audit_event: &AuditEvent,
    ) -> Result<Vec<CertificationEffect>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        self.insert_raw(&mut tx, file, &at).await?;
        let mut effects = Vec::with_capacity(decisions.len());
        for new in decisions {
            effects.push(
                self.record_one(&mut tx, municipality_id, file.sha256, new, audit_event, &at)
                    .await?,
            );
        }
        let count = |o: CertificationOutcome| effects.iter().filter(|e| e.outcome == o).count();
        let summary = audit_event.clone().with_detail(format!(
            "{} decisions: {} recorded, {} replaced, {} unchanged",
            effects.len(),
            count(CertificationOutcome::Recorded),
            count(CertificationOutcome::Replaced),
            count(CertificationOutcome::Unchanged)
        ));
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &summary).await?;
        tx.commit().await?;
        Ok(effects)
    }

    async fn certification(
        &self,
        municipality_id: &str,
        receipt_number: &str,
    ) -> Result<Option<StoredCertification>, StoreError> {
        sqlx::query(
            "SELECT * FROM certifications WHERE municipality_id = $1 AND receipt_number = $2",
        )
        .bind(municipality_id)
        .bind(receipt_number)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| self.stored_certification(&row))
        .transpose()
    }

    async fn list_certifications(
        &self,
        municipality_id: &str,
        decision: Option<CertificationDecision>,
    ) -> Result<Vec<StoredCertification>, StoreError> {
        let decision = decision.map(decision_text);
        let rows = sqlx::query(
            "SELECT * FROM certifications WHERE municipality_id = $1 AND ($2 IS NULL OR decision = $3) ORDER BY receipt_number",
        )
        .bind(municipality_id)
        .bind(decision)
        .bind(decision)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.stored_certification(r)).collect()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::applications::application_id;
    use crate::store::sql::applications::tests::{MUNICIPALITY, new_application, xml};
    use crate::store::sql::tests::{self, at_rest, contains, event};
    use crate::store::{Applications, ConsentEffect, Deliveries, Submissions};
    use kakehashi_sdk::{Certification, SheetKind};

    const RECEIPT: &str = "241010089569116";

    pub(in crate::store::sql) fn decision(file: &str, consented: bool) -> Certification {
        let mut c: Certification = serde_json::from_value(serde_json::json!({
            "schema_version": kakehashi_sdk::SCHEMA_VERSION,
            "kind": "nanbyo",
            "decision": "certified",
            "receipt_number": RECEIPT,
            "payer_number": "54130018",
            "recipient_number": "0001016",
            "research_consent": consented,
            "provenance": {
                "adapter": "municipal",
                "source_sha256": file,
                "record_index": 0,
                "record_location": { "line": 2 }
            }
        }))
        .unwrap();
        c.research_consent = consented;
        c
    }

    pub(in crate::store::sql) fn file(sha256: &str) -> RawInput<'_> {
        RawInput {
            sha256,
            content_type: Some("text/csv"),
            body: b"receipt,recipient",
        }
    }

    #[tokio::test]
    async fn decisions_are_idempotent_sealed_merged_into_reads_and_record_consent() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        let store = tests::store_with_draft(dir.path(), "sheet-1", sheet).await;
        store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(RECEIPT, ApplicationStatus::Processing)],
                &event("application.import"),
            )
            .await
            .unwrap();
        let id = application_id(MUNICIPALITY, RECEIPT);
        store
            .link_application_sheet(&id, "sheet-1", &event("application.link"))
            .await
            .unwrap();
        let new = |c: Certification| NewCertification {
            application_id: id.clone(),
            receipt_number: RECEIPT.into(),
            sheet_id: "sheet-1".into(),
            patient_ref: None,
            certification: c,
        };
        let audit = event("certification.import");

        let first = store
            .record_certifications(
                MUNICIPALITY,
                &file("a"),
                &[new(decision("a", true))],
                &audit,
            )
            .await
            .unwrap();
        assert_eq!(first[0].outcome, CertificationOutcome::Recorded);
        assert_eq!(first[0].status, ApplicationStatus::Completed);
        assert!(first[0].completed);
        // A draft sheet: consent waits for the confirmation.
        assert_eq!(first[0].consent, Some(ConsentEffect::AwaitingConfirmation));
        let read = store.sheet("sheet-1").await.unwrap().unwrap();
        assert_eq!(
            read.sheet.administrative.recipient_number.as_deref(),
            Some("0001016")
        );
        assert_eq!(read.sheet.administrative.research_consent, Some(true));
        assert!(store.consent("sheet-1").await.unwrap().unwrap().consented);

        // The same decision from another file changes nothing.
        let again = store
            .record_certifications(
                MUNICIPALITY,
                &file("b"),
                &[new(decision("b", true))],
                &audit,
            )
            .await
            .unwrap();
        assert_eq!(again[0].outcome, CertificationOutcome::Unchanged);
        assert_eq!(again[0].consent, None);
        assert!(!again[0].completed);

        // A changed decision replaces it; the refusal is recorded as consent.
        let changed = store
            .record_certifications(
                MUNICIPALITY,
                &file("c"),
                &[new(decision("c", false))],
                &audit,
            )
            .await
            .unwrap();
        assert_eq!(changed[0].outcome, CertificationOutcome::Replaced);
        assert_eq!(
            changed[0].consent,
            Some(ConsentEffect::NotSent { withdrawn: None })
        );
        assert!(!store.consent("sheet-1").await.unwrap().unwrap().consented);
        let stored = store
            .certification(MUNICIPALITY, RECEIPT)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.certification.research_consent);
        assert_eq!(
            store
                .list_certifications(MUNICIPALITY, Some(CertificationDecision::NotCertified))
                .await
                .unwrap(),
            vec![]
        );
        assert_eq!(
            store
                .list_certifications(MUNICIPALITY, None)
                .await
                .unwrap()
                .len(),
            1
        );

        // Sealed: the 受給者番号 is nowhere on disk in the clear.
        assert!(!contains(&at_rest(dir.path()).await, "0001016"));
    }
}
