//! Applications in SQLite, sealed at rest.

use kakehashi_sdk::{ApplicationStatus, AttachmentRole};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::webhooks::enqueue_status_event;
use super::{SqlStore, audit, flag, now};
use crate::store::StoreError;
use crate::store::applications::{
    ApplicationListing, Applications, ImportOutcome, ImportResult, MYNAPORTAL_CHANNEL,
    NewApplication, StatusChange, StoredApplication, application_id,
};
use crate::store::{AuditEvent, RawInput};

fn status_of(text: &str) -> Result<ApplicationStatus, StoreError> {
    Ok(serde_json::from_value(serde_json::Value::String(
        text.to_owned(),
    ))?)
}

/// Selects applications (`a`) with what [`SqlStore::stored_application`] reads: the reason
/// for their status (`r`), when one was given for the status they are in.
pub(super) const SELECT_APPLICATIONS: &str = "SELECT a.*, r.reason AS status_reason, r.key_id AS reason_key_id FROM applications a LEFT JOIN application_status_reasons r ON r.application_id = a.id AND r.status = a.status";

impl SqlStore {
    /// Replaces application `id`'s status reason by `reason` for `status` (sealed), or forgets
    /// it when there is none.
    async fn replace_status_reason(
        &self,
        tx: &mut AnyConnection,
        id: &str,
        status: ApplicationStatus,
        reason: Option<&str>,
        by: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM application_status_reasons WHERE application_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(reason) = reason {
            sqlx::query(
                "INSERT INTO application_status_reasons (application_id, status, reason, key_id, given_by, given_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(
                self.sealer
                    .seal_json("application_status_reasons.reason", id, &reason)?,
            )
            .bind(self.sealer.primary_key_id())
            .bind(by)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    pub(super) fn stored_application(&self, row: &AnyRow) -> Result<StoredApplication, StoreError> {
        let id: String = row.try_get("id")?;
        let key_id: Option<String> = row.try_get("key_id")?;
        let reason_key_id: Option<String> = row.try_get("reason_key_id")?;
        let status_reason = row
            .try_get::<Option<Vec<u8>>, _>("status_reason")?
            .map(|sealed| {
                self.sealer.open_json(
                    "application_status_reasons.reason",
                    &id,
                    sealed,
                    reason_key_id.as_deref(),
                )
            })
            .transpose()?;
        Ok(StoredApplication {
            status_reason,
            municipality_id: row.try_get("municipality_id")?,
            channel: row.try_get("channel")?,
            status: status_of(row.try_get("status")?)?,
            linked_sheet_id: row.try_get("linked_sheet_id")?,
            patient_ref: row.try_get("patient_ref")?,
            application: self.sealer.open_json(
                "applications.body_json",
                &id,
                row.try_get("body_json")?,
                key_id.as_deref(),
            )?,
            findings: self.sealer.open_json(
                "applications.findings_json",
                &id,
                row.try_get("findings_json")?,
                key_id.as_deref(),
            )?,
            imported_at: row.try_get("imported_at")?,
            updated_at: row.try_get("updated_at")?,
            id,
        })
    }

    /// Inserts a new application (sealed) with its attachments' roles, in `conn`'s
    /// transaction: the one place an application enters the inbox, whatever its channel.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn insert_application(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        municipality_id: &str,
        channel: &str,
        new: &NewApplication,
        status: ApplicationStatus,
        actor: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        let record = &new.application;
        sqlx::query(
            "INSERT INTO applications (id, municipality_id, receipt_number, kind, status, applied_on, disease_group, disease_number, has_access_key, source_sha256, body_json, findings_json, key_id, patient_ref, imported_by, imported_at, updated_at, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(id)
        .bind(municipality_id)
        .bind(&new.receipt_number)
        .bind(record.kind.as_str())
        .bind(status.as_str())
        .bind(record.applied_on.map(|d| d.to_string()))
        .bind(record.disease.group.map(i64::from))
        .bind(record.disease.number.map(i64::from))
        .bind(i64::from(record.access_key.is_some()))
        .bind(&record.provenance.source_sha256)
        .bind(self.sealer.seal_json("applications.body_json", id, record)?)
        .bind(
            self.sealer
                .seal_json("applications.findings_json", id, &new.findings)?,
        )
        .bind(self.sealer.primary_key_id())
        .bind(self.sealer.patient_ref_of(&record.patient))
        .bind(actor)
        .bind(at)
        .bind(at)
        .bind(channel)
        .execute(&mut *conn)
        .await?;
        for (seq, attachment) in record.attachments.iter().enumerate() {
            sqlx::query(
                "INSERT INTO application_attachments (application_id, seq, sha256, role) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(seq as i64)
            .bind(&attachment.sha256)
            .bind(match attachment.role {
                AttachmentRole::PaperSheet => "paper_sheet",
                AttachmentRole::Other => "other",
            })
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Applications for SqlStore {
    async fn import_applications(
        &self,
        municipality_id: &str,
        files: &[RawInput<'_>],
        applications: &[NewApplication],
        audit: &AuditEvent,
    ) -> Result<Vec<ImportResult>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        for raw in files {
            self.insert_raw(&mut tx, raw, &at).await?;
        }
        let mut results = Vec::with_capacity(applications.len());
        for new in applications {
            let id = application_id(municipality_id, &new.receipt_number);
            let record = &new.application;
            let downloaded = record.status.unwrap_or(ApplicationStatus::Submitted);
            let patient_ref = self.sealer.patient_ref_of(&record.patient);
            let stored = sqlx::query("SELECT status FROM applications WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
            let (outcome, status) = match stored {
                None => {
                    self.insert_application(
                        &mut tx,
                        &id,
                        municipality_id,
                        MYNAPORTAL_CHANNEL,
                        new,
                        downloaded,
                        &audit.actor,
                        &at,
                    )
                    .await?;
                    (ImportOutcome::Created, downloaded)
                }
                Some(row) => {
                    let current = status_of(row.try_get("status")?)?;
                    if current == downloaded {
                        (ImportOutcome::Unchanged, current)
                    } else if current.may_become(downloaded) {
                        sqlx::query(
                            "UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3",
                        )
                        .bind(downloaded.as_str())
                        .bind(&at)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                        enqueue_status_event(&mut tx, &id, downloaded, &at).await?;
                        (ImportOutcome::StatusUpdated, downloaded)
                    } else {
                        (ImportOutcome::StatusKept, current)
                    }
                }
            };
            if matches!(
                outcome,
                ImportOutcome::Created | ImportOutcome::StatusUpdated
            ) {
                let event = audit
                    .clone()
                    .on("application", &id)
                    .with_patient(patient_ref)
                    .with_detail(format!(
                        "{}: {}",
                        serde_json::to_value(outcome)?.as_str().unwrap_or_default(),
                        status.as_str()
                    ));
                audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
            }
            results.push(ImportResult {
                receipt_number: new.receipt_number.clone(),
                outcome,
                status,
                findings: new.findings.clone(),
            });
        }
        let count = |o: ImportOutcome| results.iter().filter(|r| r.outcome == o).count();
        let summary = audit.clone().with_detail(format!(
            "{} applications: {} created, {} unchanged, {} status updated, {} status kept",
            results.len(),
            count(ImportOutcome::Created),
            count(ImportOutcome::Unchanged),
            count(ImportOutcome::StatusUpdated),
            count(ImportOutcome::StatusKept)
        ));
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &summary).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn application(
        &self,
        municipality_id: &str,
        receipt_number: &str,
    ) -> Result<Option<StoredApplication>, StoreError> {
        let row = sqlx::query(&format!(
            "{SELECT_APPLICATIONS} WHERE a.municipality_id = $1 AND a.receipt_number = $2"
        ))
        .bind(municipality_id)
        .bind(receipt_number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| self.stored_application(r)).transpose()
    }

    async fn list_applications(
        &self,
        municipality_id: &str,
        status: Option<ApplicationStatus>,
    ) -> Result<Vec<ApplicationListing>, StoreError> {
        let rows = sqlx::query(
            "SELECT receipt_number, channel, kind, status, applied_on, disease_group, disease_number, has_access_key, linked_sheet_id, imported_at, updated_at FROM applications WHERE municipality_id = $1 AND ($2 IS NULL OR status = $3) ORDER BY receipt_number",
        )
        .bind(municipality_id)
        .bind(status.map(ApplicationStatus::as_str))
        .bind(status.map(ApplicationStatus::as_str))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ApplicationListing {
                    receipt_number: row.try_get("receipt_number")?,
                    channel: row.try_get("channel")?,
                    kind: serde_json::from_value(serde_json::Value::String(row.try_get("kind")?))?,
                    status: status_of(row.try_get("status")?)?,
                    applied_on: row.try_get("applied_on")?,
                    disease_group: row
                        .try_get::<Option<i64>, _>("disease_group")?
                        .and_then(|g| u8::try_from(g).ok()),
                    disease_number: row
                        .try_get::<Option<i64>, _>("disease_number")?
                        .and_then(|n| u16::try_from(n).ok()),
                    has_access_key: flag(row, "has_access_key")?,
                    linked_sheet_id: row.try_get("linked_sheet_id")?,
                    imported_at: row.try_get("imported_at")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect()
    }

    async fn set_application_status(
        &self,
        municipality_id: &str,
        receipt_number: &str,
        status: ApplicationStatus,
        reason: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<StatusChange, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT id, status FROM applications WHERE municipality_id = $1 AND receipt_number = $2",
        )
        .bind(municipality_id)
        .bind(receipt_number)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(StatusChange::NotFound);
        };
        let from = status_of(row.try_get("status")?)?;
        let change = if from == status {
            StatusChange::Unchanged
        } else if from.may_become(status) {
            StatusChange::Changed { from }
        } else {
            StatusChange::Refused { from }
        };
        let at = now();
        let id: String = row.try_get("id")?;
        if let StatusChange::Changed { .. } = change {
            let id: String = row.try_get("id")?;
            sqlx::query("UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(&at)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            enqueue_status_event(&mut tx, &id, status, &at).await?;
        }
        // A refused change keeps everything; the same status again without a reason keeps
        // the one it has.
        let keeps_reason = matches!(change, StatusChange::Refused { .. })
            || (change == StatusChange::Unchanged && reason.is_none());
        if !keeps_reason {
            self.replace_status_reason(&mut tx, &id, status, reason, &audit.actor, &at)
                .await?;
        }
        let event = match change {
            StatusChange::Refused { .. } => audit.clone().outcome("refused"),
            _ => audit.clone(),
        };
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn link_application_sheet(
        &self,
        application_id: &str,
        sheet_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let linked = sqlx::query(
            "UPDATE applications SET linked_sheet_id = $1, updated_at = $2 WHERE id = $3 AND linked_sheet_id IS NULL",
        )
        .bind(sheet_id)
        .bind(&at)
        .bind(application_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if linked {
            audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit).await?;
        }
        tx.commit().await?;
        Ok(linked)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::sql::tests::{self, at_rest, contains, event};
    use crate::store::{AuditQuery, AuditTrail};
    use kakehashi_sdk::{Application, SheetKind};

    pub(in crate::store::sql) const MUNICIPALITY: &str = "municipality:130001";

    pub(in crate::store::sql) fn new_application(
        receipt: &str,
        status: ApplicationStatus,
    ) -> NewApplication {
        let mut application = Application::new(SheetKind::Nanbyo, Default::default());
        application.provenance.source_sha256 = "xml".into();
        application.receipt_number = Some(receipt.into());
        application.status = Some(status);
        application.patient.name = Some("申請花子".into());
        application.patient.name_kana = Some("シンセイ ハナコ".into());
        application.patient.date_of_birth = chrono::NaiveDate::from_ymd_opt(1980, 2, 3);
        application.access_key = Some("CN4X-CVS2-52G1-EP90-673D".into());
        NewApplication {
            receipt_number: receipt.into(),
            application,
            findings: vec![],
        }
    }

    /// Imports application `receipt_number` in `status` from the sample download.
    async fn import(store: &SqlStore, receipt_number: &str, status: ApplicationStatus) {
        store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(receipt_number, status)],
                &event("application.import"),
            )
            .await
            .unwrap();
    }

    pub(in crate::store::sql) fn xml() -> RawInput<'static> {
        RawInput {
            sha256: "xml",
            content_type: Some("application/xml"),
            body: "<申請データ>申請花子</申請データ>".as_bytes(),
        }
    }

    #[tokio::test]
    async fn imports_are_idempotent_sealed_audited_and_take_only_allowed_statuses() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let a = "241010089569116";
        let first = store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(a, ApplicationStatus::Submitted)],
                &event("application.import"),
            )
            .await
            .unwrap();
        assert_eq!(first[0].outcome, ImportOutcome::Created);
        let again = store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(a, ApplicationStatus::Submitted)],
                &event("application.import"),
            )
            .await
            .unwrap();
        assert_eq!(again[0].outcome, ImportOutcome::Unchanged);
        let audits = || async {
            store
                .audit_query(&AuditQuery::default())
                .await
                .unwrap()
                .len()
        };
        assert_eq!(
            audits().await,
            3,
            "a creation and two imports; an unchanged application records nothing of its own"
        );

        // The applicant withdrew: a re-download says so.
        let withdrawn = store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(a, ApplicationStatus::WithdrawalAccepted)],
                &event("application.import"),
            )
            .await
            .unwrap();
        assert_eq!(withdrawn[0].outcome, ImportOutcome::StatusUpdated);
        // An older download cannot reopen it.
        let stale = store
            .import_applications(
                MUNICIPALITY,
                &[xml()],
                &[new_application(a, ApplicationStatus::Processing)],
                &event("application.import"),
            )
            .await
            .unwrap();
        assert_eq!(
            (stale[0].outcome, stale[0].status),
            (
                ImportOutcome::StatusKept,
                ApplicationStatus::WithdrawalAccepted
            )
        );
        assert_eq!(
            store
                .set_application_status(
                    MUNICIPALITY,
                    a,
                    ApplicationStatus::Processing,
                    None,
                    &event("application.status")
                )
                .await
                .unwrap(),
            StatusChange::Refused {
                from: ApplicationStatus::WithdrawalAccepted
            }
        );
        // Another municipality does not see it.
        assert!(
            store
                .application("municipality:270000", a)
                .await
                .unwrap()
                .is_none()
        );
        let stored = store.application(MUNICIPALITY, a).await.unwrap().unwrap();
        assert_eq!(
            stored.application.access_key.as_deref(),
            Some("CN4X-CVS2-52G1-EP90-673D")
        );
        assert!(stored.patient_ref.is_some());
        assert_eq!(stored.linked_sheet_id, None);
        let disk = at_rest(dir.path()).await;
        for secret in ["申請花子", "シンセイ", "7K3M-Q9XD", "1980-02-03"] {
            assert!(!contains(&disk, secret), "{secret} is in clear on disk");
        }
        assert_eq!(
            store
                .list_applications(MUNICIPALITY, Some(ApplicationStatus::WithdrawalAccepted))
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .list_applications(MUNICIPALITY, Some(ApplicationStatus::Processing))
                .await
                .unwrap()
                .is_empty()
        );
    }

    /// The reason for 要再申請 is kept sealed with that status and shown only while the
    /// application is in it; a later change without a reason forgets it.
    #[tokio::test]
    async fn a_status_keeps_its_reason_sealed_while_it_lasts() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open_for_tests(dir.path()).await;
        let a = "241010089569207";
        import(&store, a, ApplicationStatus::Processing).await;
        let reason = "申請花子様の臨床調査個人票の記載日が古いため";
        let set = |status, reason| {
            let store = &store;
            async move {
                store
                    .set_application_status(
                        MUNICIPALITY,
                        a,
                        status,
                        reason,
                        &event("application.status"),
                    )
                    .await
                    .unwrap()
            }
        };
        let reason_now = || async {
            store
                .application(MUNICIPALITY, a)
                .await
                .unwrap()
                .unwrap()
                .status_reason
        };
        assert_eq!(reason_now().await, None);
        let returned = set(ApplicationStatus::ResubmissionRequired, Some(reason)).await;
        assert!(matches!(returned, StatusChange::Changed { .. }));
        assert_eq!(reason_now().await.as_deref(), Some(reason));
        assert!(!contains(&at_rest(dir.path()).await, "記載日が古い"));
        // The same status again without a reason keeps it; with one, replaces it.
        set(ApplicationStatus::ResubmissionRequired, None).await;
        assert_eq!(reason_now().await.as_deref(), Some(reason));
        set(ApplicationStatus::ResubmissionRequired, Some("別の理由")).await;
        assert_eq!(reason_now().await.as_deref(), Some("別の理由"));
        // Refused transitions change nothing.
        let refused = set(ApplicationStatus::Submitted, Some("x")).await;
        assert!(matches!(refused, StatusChange::Refused { .. }));
        assert_eq!(reason_now().await.as_deref(), Some("別の理由"));
        set(ApplicationStatus::Processing, None).await;
        assert_eq!(reason_now().await, None);
    }

    #[tokio::test]
    async fn an_application_links_to_its_sheet_once() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = kakehashi_sdk::Sheet::new(SheetKind::Nanbyo, Default::default());
        let store = tests::store_with_draft(dir.path(), "sheet-1", sheet).await;
        let a = "241010089569207";
        import(&store, a, ApplicationStatus::Processing).await;
        let id = application_id(MUNICIPALITY, a);
        assert!(
            store
                .link_application_sheet(&id, "sheet-1", &event("application.link"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .link_application_sheet(&id, "sheet-1", &event("application.link"))
                .await
                .unwrap()
        );
        let stored = store.application(MUNICIPALITY, a).await.unwrap().unwrap();
        assert_eq!(stored.linked_sheet_id.as_deref(), Some("sheet-1"));
    }
}
