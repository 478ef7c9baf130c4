//! Apps, their acceptance by municipalities and their applications, in SQL.

use kakehashi_sdk::ApplicationStatus;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::applications::SELECT_APPLICATIONS;
use super::{SqlStore, audit, now};
use crate::store::applications::application_id;
use crate::store::apps::{
    AppAcceptance, AppCredential, Apps, IntakeOutcome, NewIntake, intake_receipt_number,
};
use crate::store::{AuditEvent, StoreError, StoredApplication};

fn credential(row: &AnyRow) -> Result<AppCredential, StoreError> {
    Ok(AppCredential {
        id: row.try_get("id")?,
        organisation_id: row.try_get("organisation_id")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const CREDENTIAL_COLUMNS: &str = "id, organisation_id, created_by, created_at, revoked_at";

#[async_trait::async_trait]
impl Apps for SqlStore {
    async fn create_app_credential(
        &self,
        id: &str,
        organisation_id: &str,
        token_sha256: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO app_credentials (id, organisation_id, token_sha256, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(organisation_id)
        .bind(token_sha256)
        .bind(&audit.actor)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_app_credential(
        &self,
        id: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let revoked = sqlx::query(
            "UPDATE app_credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let event = if revoked {
            audit.clone()
        } else {
            audit.clone().outcome("not_found")
        };
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn app_credential(
        &self,
        token_sha256: &str,
    ) -> Result<Option<AppCredential>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM app_credentials WHERE token_sha256 = $1 AND revoked_at IS NULL"
        ))
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(credential).transpose()
    }

    async fn app_credentials(
        &self,
        organisation_id: &str,
    ) -> Result<Vec<AppCredential>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM app_credentials WHERE organisation_id = $1 ORDER BY created_at, id"
        ))
        .bind(organisation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(credential).collect()
    }

    async fn set_app_acceptance(
        &self,
        municipality_id: &str,
        app_id: &str,
        accepted: bool,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let changed = if accepted {
            sqlx::query(
                "INSERT INTO app_acceptances (municipality_id, app_id, accepted_by, accepted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (municipality_id, app_id) DO NOTHING",
            )
            .bind(municipality_id)
            .bind(app_id)
            .bind(&audit.actor)
            .bind(&at)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query("DELETE FROM app_acceptances WHERE municipality_id = $1 AND app_id = $2")
                .bind(municipality_id)
                .bind(app_id)
                .execute(&mut *tx)
                .await?
        }
        .rows_affected()
            == 1;
        let event = audit.clone().with_detail(format!(
            "{} {app_id} for {municipality_id}{}",
            if accepted {
                "accept"
            } else {
                "no longer accept"
            },
            if changed { "" } else { " (as before)" }
        ));
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn app_acceptances(
        &self,
        municipality_id: &str,
    ) -> Result<Vec<AppAcceptance>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.app_id, o.name, a.accepted_by, a.accepted_at FROM app_acceptances a JOIN organisations o ON o.id = a.app_id WHERE a.municipality_id = $1 ORDER BY a.app_id",
        )
        .bind(municipality_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AppAcceptance {
                    app_id: row.try_get("app_id")?,
                    app_name: row.try_get("name")?,
                    accepted_by: row.try_get("accepted_by")?,
                    accepted_at: row.try_get("accepted_at")?,
                })
            })
            .collect()
    }

    async fn accepts_app(&self, municipality_id: &str, app_id: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT 1 AS accepted FROM app_acceptances WHERE municipality_id = $1 AND app_id = $2",
        )
        .bind(municipality_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    async fn intake_key_used(&self, app_id: &str, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT 1 AS used FROM intake_requests WHERE app_id = $1 AND idempotency_key = $2",
        )
        .bind(app_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    async fn intake_application(
        &self,
        intake: &NewIntake<'_>,
        audit: &AuditEvent,
    ) -> Result<IntakeOutcome, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let earlier = sqlx::query(
            "SELECT r.body_sha256, r.application_id, a.receipt_number, a.patient_ref FROM intake_requests r JOIN applications a ON a.id = r.application_id WHERE r.app_id = $1 AND r.idempotency_key = $2",
        )
        .bind(intake.app_id)
        .bind(intake.idempotency_key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = earlier {
            let application_id: String = row.try_get("application_id")?;
            let same = row.try_get::<String, _>("body_sha256")? == intake.request_sha256;
            let event = audit
                .clone()
                .on("application", &application_id)
                .with_patient(row.try_get("patient_ref")?)
                .outcome(if same { "replayed" } else { "refused" })
                .with_detail(if same {
                    "the same request again under its idempotency key"
                } else {
                    "another request under an idempotency key already used"
                });
            audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
            tx.commit().await?;
            return Ok(if same {
                IntakeOutcome::Replayed {
                    application_id,
                    receipt_number: row.try_get("receipt_number")?,
                }
            } else {
                IntakeOutcome::KeyReused
            });
        }
        let receipt_number = loop {
            let candidate = intake_receipt_number();
            let taken = sqlx::query(
                "SELECT 1 AS taken FROM applications WHERE municipality_id = $1 AND receipt_number = $2",
            )
            .bind(intake.municipality_id)
            .bind(&candidate)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
            if !taken {
                break candidate;
            }
        };
        let mut new = intake.application.clone();
        new.receipt_number = receipt_number.clone();
        new.application.receipt_number = Some(receipt_number.clone());
        new.application.provenance.source_sha256 = intake.body.sha256.to_owned();
        let id = application_id(intake.municipality_id, &receipt_number);
        for raw in std::iter::once(&intake.body).chain(intake.attachments) {
            self.insert_raw(&mut tx, raw, &at).await?;
        }
        self.insert_application(
            &mut tx,
            &id,
            intake.municipality_id,
            intake.app_id,
            &new,
            ApplicationStatus::Submitted,
            &audit.actor,
            &at,
        )
        .await?;
        sqlx::query(
            "INSERT INTO intake_requests (app_id, idempotency_key, body_sha256, application_id, received_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(intake.app_id)
        .bind(intake.idempotency_key)
        .bind(intake.request_sha256)
        .bind(&id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let event = audit
            .clone()
            .on("application", &id)
            .with_patient(self.sealer.patient_ref_of(&new.application.patient))
            .with_detail(format!("created: submitted, receipt {receipt_number}"));
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(IntakeOutcome::Created {
            application_id: id,
            receipt_number,
        })
    }

    async fn app_application(
        &self,
        app_id: &str,
        application_id: &str,
    ) -> Result<Option<StoredApplication>, StoreError> {
        let row = sqlx::query(
            &format!("{SELECT_APPLICATIONS} WHERE a.id = $1 AND a.channel = $2 AND EXISTS (SELECT 1 FROM intake_requests i WHERE i.application_id = a.id AND i.app_id = $3)"),
        )
        .bind(application_id)
        .bind(app_id)
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| self.stored_application(r)).transpose()
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::sql::applications::tests::{MUNICIPALITY, new_application};
    use crate::store::sql::tests::{at_rest, contains, event};
    use crate::store::{
        Applications, AuditQuery, AuditTrail, Directory, NewApplication, Organisation,
        OrganisationKind, RawInput, Submissions,
    };

    pub(in crate::store::sql) async fn store_with_app(dir: &std::path::Path) -> SqlStore {
        let store = SqlStore::open_for_tests(dir).await;
        for (kind, code) in [
            (OrganisationKind::App, "pocket"),
            (OrganisationKind::Municipality, "130001"),
        ] {
            store
                .upsert_organisation(&Organisation::new(kind, code, code))
                .await
                .unwrap();
        }
        store
    }

    pub(in crate::store::sql) fn intake<'a>(
        key: &'a str,
        sha: &'a str,
        application: NewApplication,
    ) -> NewIntake<'a> {
        NewIntake {
            app_id: "app:pocket",
            idempotency_key: key,
            request_sha256: sha,
            body: RawInput {
                sha256: sha,
                content_type: Some("application/json"),
                body: sha.as_bytes(),
            },
            attachments: &[],
            municipality_id: MUNICIPALITY,
            application,
        }
    }

    #[tokio::test]
    async fn an_intake_is_stored_once_per_key_sealed_and_seen_only_by_its_app() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_app(dir.path()).await;
        let mut new = new_application("", ApplicationStatus::Submitted);
        let scan = b"%PDF-1.7 the paper sheet, scanned";
        new.application.attachments.push(kakehashi_sdk::Attachment {
            file_name: "rinkohyo.pdf".into(),
            document_type: Some("臨床調査個人票".into()),
            media_type: "application/pdf".into(),
            size: scan.len() as u64,
            sha256: "sha-scan".into(),
            role: kakehashi_sdk::AttachmentRole::PaperSheet,
        });
        let attachments = [RawInput {
            sha256: "sha-scan",
            content_type: Some("application/pdf"),
            body: scan,
        }];
        assert!(!store.intake_key_used("app:pocket", "k1").await.unwrap());
        let first = store
            .intake_application(
                &NewIntake {
                    attachments: &attachments,
                    ..intake("k1", "sha-a", new.clone())
                },
                &event("intake"),
            )
            .await
            .unwrap();
        assert!(store.intake_key_used("app:pocket", "k1").await.unwrap());
        assert!(!store.intake_key_used("app:other", "k1").await.unwrap());
        assert_eq!(
            store.raw_input("sha-scan").await.unwrap(),
            Some((Some("application/pdf".into()), scan.to_vec()))
        );
        let IntakeOutcome::Created {
            application_id,
            receipt_number,
        } = first.clone()
        else {
            panic!("{first:?}")
        };
        assert!(receipt_number.starts_with("00") && receipt_number.len() == 15);
        let again = store
            .intake_application(&intake("k1", "sha-a", new.clone()), &event("intake"))
            .await
            .unwrap();
        assert_eq!(
            again,
            IntakeOutcome::Replayed {
                application_id: application_id.clone(),
                receipt_number: receipt_number.clone()
            }
        );
        let other = store
            .intake_application(&intake("k1", "sha-b", new.clone()), &event("intake"))
            .await
            .unwrap();
        assert_eq!(other, IntakeOutcome::KeyReused);
        let listed = store.list_applications(MUNICIPALITY, None).await.unwrap();
        assert_eq!(listed.len(), 1, "one application for one key");
        assert_eq!(listed[0].channel, "app:pocket");
        let stored = store
            .app_application("app:pocket", &application_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.channel, "app:pocket");
        assert_eq!(
            stored.application.receipt_number.as_deref(),
            Some(receipt_number.as_str())
        );
        assert!(
            store
                .app_application("app:other", &application_id)
                .await
                .unwrap()
                .is_none()
        );
        let outcomes: Vec<String> = store
            .audit_query(&AuditQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.event.outcome)
            .collect();
        assert_eq!(outcomes, ["ok", "replayed", "refused"]);
        let disk = at_rest(dir.path()).await;
        for secret in ["申請花子", "シンセイ", "1980-02-03", "the paper sheet"] {
            assert!(!contains(&disk, secret), "{secret} is in clear on disk");
        }
    }

    #[tokio::test]
    async fn acceptances_and_credentials_are_audited_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_app(dir.path()).await;
        assert!(!store.accepts_app(MUNICIPALITY, "app:pocket").await.unwrap());
        assert!(
            store
                .set_app_acceptance(MUNICIPALITY, "app:pocket", true, &event("app.accept"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_app_acceptance(MUNICIPALITY, "app:pocket", true, &event("app.accept"))
                .await
                .unwrap()
        );
        assert!(store.accepts_app(MUNICIPALITY, "app:pocket").await.unwrap());
        assert_eq!(
            store.app_acceptances(MUNICIPALITY).await.unwrap()[0].app_id,
            "app:pocket"
        );
        store
            .set_app_acceptance(MUNICIPALITY, "app:pocket", false, &event("app.accept"))
            .await
            .unwrap();
        assert!(!store.accepts_app(MUNICIPALITY, "app:pocket").await.unwrap());

        store
            .create_app_credential("c1", "app:pocket", "hash-1", &event("app.credential"))
            .await
            .unwrap();
        assert_eq!(
            store.app_credential("hash-1").await.unwrap().unwrap().id,
            "c1"
        );
        assert!(
            store
                .revoke_app_credential("c1", &event("app.credential_revoke"))
                .await
                .unwrap()
        );
        assert!(store.app_credential("hash-1").await.unwrap().is_none());
        assert!(
            store.app_credentials("app:pocket").await.unwrap()[0]
                .revoked_at
                .is_some()
        );
        assert_eq!(
            store
                .audit_query(&AuditQuery::default())
                .await
                .unwrap()
                .len(),
            5
        );
    }
}
