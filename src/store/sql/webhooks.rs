//! Apps' webhooks and the outbox of their events, in SQL. The secret is sealed; the events
//! carry no personal data.

use chrono::{DateTime, TimeZone, Utc};
use kakehashi_sdk::ApplicationStatus;
use sqlx::{AnyConnection, Row};

use super::{SqlStore, audit, now};
use crate::store::webhooks::{AppWebhook, WebhookSend, Webhooks};
use crate::store::{AuditEvent, StoreError};

/// Where the sealed secret lives (the sealing's associated data, with the app's id).
const SECRET_PLACE: &str = "app_webhooks.secret";

/// Writes the event of application `application_id` having become `status`, in `conn`'s
/// transaction — the one that changed it — when the application came from an app that has a
/// webhook; nothing otherwise.
pub(super) async fn enqueue_status_event(
    conn: &mut AnyConnection,
    application_id: &str,
    status: ApplicationStatus,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_events (id, app_id, application_id, status, occurred_at, state, attempts, next_attempt_at, updated_at)
         SELECT $1, w.app_id, a.id, $2, $3, 'pending', 0, $4, $5
         FROM applications a JOIN app_webhooks w ON w.app_id = a.channel WHERE a.id = $6",
    )
    .bind(format!("evt_{}", uuid::Uuid::new_v4().simple()))
    .bind(status.as_str())
    .bind(at)
    .bind(Utc::now().timestamp_millis())
    .bind(at)
    .bind(application_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

#[async_trait::async_trait]
impl Webhooks for SqlStore {
    async fn set_app_webhook(
        &self,
        app_id: &str,
        url: &str,
        secret: &str,
        audit_event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "INSERT INTO app_webhooks (app_id, url, secret, key_id, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (app_id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
               key_id = excluded.key_id, set_by = excluded.set_by, set_at = excluded.set_at",
        )
        .bind(app_id)
        .bind(url)
        .bind(self.sealer.seal(SECRET_PLACE, app_id, secret.as_bytes()))
        .bind(self.sealer.primary_key_id())
        .bind(&audit_event.actor)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let event = audit_event
            .clone()
            .on("organisation", app_id)
            .with_detail(format!("webhook {url}"));
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_app_webhook(
        &self,
        app_id: &str,
        audit_event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let removed = sqlx::query("DELETE FROM app_webhooks WHERE app_id = $1")
            .bind(app_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let cancelled = sqlx::query(
            "UPDATE webhook_events SET state = 'cancelled', last_error = 'the webhook was removed', updated_at = $1
             WHERE app_id = $2 AND state = 'pending'",
        )
        .bind(&at)
        .bind(app_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let event = audit_event.clone().on("organisation", app_id);
        let event = if removed {
            event.with_detail(format!(
                "webhook removed; {cancelled} pending events cancelled"
            ))
        } else {
            event.outcome("not_found")
        };
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn app_webhook(&self, app_id: &str) -> Result<Option<AppWebhook>, StoreError> {
        let Some(row) =
            sqlx::query("SELECT url, set_by, set_at FROM app_webhooks WHERE app_id = $1")
                .bind(app_id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let counts = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM webhook_events WHERE app_id = $1 AND state = 'pending') AS pending,
               (SELECT COUNT(*) FROM webhook_events WHERE app_id = $2 AND state = 'failed') AS failed",
        )
        .bind(app_id)
        .bind(app_id)
        .fetch_one(&self.pool)
        .await?;
        let last_failure = sqlx::query_scalar::<_, Option<String>>(
            "SELECT last_error FROM webhook_events WHERE app_id = $1 AND state = 'failed' ORDER BY updated_at DESC, id LIMIT 1",
        )
        .bind(app_id)
        .fetch_optional(&self.pool)
        .await?
        .flatten();
        Ok(Some(AppWebhook {
            app_id: app_id.to_owned(),
            url: row.try_get("url")?,
            set_by: row.try_get("set_by")?,
            set_at: row.try_get("set_at")?,
            pending: count(counts.try_get("pending")?),
            failed: count(counts.try_get("failed")?),
            last_failure,
        }))
    }

    async fn claim_due_webhook_events(
        &self,
        owner: &str,
        now_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WebhookSend>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let claimed: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE webhook_events SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (
               SELECT id FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= $3
                 AND (lease_expires_at IS NULL OR lease_expires_at <= $4)
               ORDER BY next_attempt_at LIMIT $5{}
             ) RETURNING id",
            self.dialect.skip_locked()
        ))
        .bind(owner)
        .bind(lease_until.timestamp_millis())
        .bind(now_at.timestamp_millis())
        .bind(now_at.timestamp_millis())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut due = Vec::with_capacity(claimed.len());
        for id in claimed {
            // None only when the webhook was removed meanwhile, which cancels the event.
            let Some(row) = sqlx::query(
                "SELECT e.app_id, e.application_id, e.status, e.occurred_at, e.attempts, w.url, w.secret, w.key_id
                 FROM webhook_events e JOIN app_webhooks w ON w.app_id = e.app_id WHERE e.id = $1",
            )
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?
            else {
                continue;
            };
            let app_id: String = row.try_get("app_id")?;
            let key_id: String = row.try_get("key_id")?;
            let secret = self.sealer.open(
                SECRET_PLACE,
                &app_id,
                row.try_get("secret")?,
                Some(key_id.as_str()),
            )?;
            let status: String = row.try_get("status")?;
            due.push(WebhookSend {
                id,
                app_id,
                application_id: row.try_get("application_id")?,
                status: status
                    .parse()
                    .map_err(|e: String| StoreError::Database(sqlx::Error::Decode(e.into())))?,
                occurred_at: row.try_get("occurred_at")?,
                attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                url: row.try_get("url")?,
                secret: String::from_utf8(secret)
                    .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    async fn webhook_event_delivered(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "UPDATE webhook_events SET state = 'delivered', attempts = attempts + 1, delivered_at = $1, updated_at = $2,
               last_error = NULL, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $3 AND lease_owner = $4 AND state = 'pending'",
        )
        .bind(&at)
        .bind(&at)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn webhook_event_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        sqlx::query(
            "UPDATE webhook_events SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
               updated_at = $4, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $5 AND lease_owner = $6 AND state = 'pending'",
        )
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(retry_at.unwrap_or_else(Utc::now).timestamp_millis())
        .bind(error)
        .bind(&at)
        .bind(id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn next_webhook_event_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN lease_expires_at > next_attempt_at THEN lease_expires_at ELSE next_attempt_at END)
             FROM webhook_events WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(next.and_then(|ms| Utc.timestamp_millis_opt(ms).single()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::applications::tests::{MUNICIPALITY, new_application};
    use crate::store::sql::apps::tests::{intake, store_with_app};
    use crate::store::sql::certifications::tests::{decision, file};
    use crate::store::sql::tests::{self, at_rest, contains, event};
    use crate::store::{
        Applications, Apps, Certifications, Directory, IntakeOutcome, NewCertification,
        Organisation, OrganisationKind, StatusChange,
    };
    use kakehashi_sdk::{Sheet, SheetKind};

    const SECRET: &str = "whsec_c2VjcmV0LW9mLXRoZS1wb2NrZXQtYXBwLXRlc3Q=";

    /// The app `app:pocket` posts its events to a webhook.
    async fn set_webhook(store: &SqlStore) {
        store
            .set_app_webhook(
                "app:pocket",
                "https://hooks.example/k",
                SECRET,
                &event("set"),
            )
            .await
            .unwrap();
    }

    async fn events(store: &SqlStore) -> Vec<(String, String)> {
        sqlx::query_as("SELECT status, state FROM webhook_events ORDER BY occurred_at, id")
            .fetch_all(&store.pool)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_status_change_of_an_apps_application_is_an_event_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_app(dir.path()).await;
        let new = new_application("", ApplicationStatus::Submitted);
        let IntakeOutcome::Created { receipt_number, .. } = store
            .intake_application(&intake("k1", "sha-a", new), &event("intake"))
            .await
            .unwrap()
        else {
            panic!("not created")
        };
        let move_to = |status| {
            let (store, receipt_number) = (&store, &receipt_number);
            async move {
                store
                    .set_application_status(
                        MUNICIPALITY,
                        receipt_number,
                        status,
                        None,
                        &event("move"),
                    )
                    .await
                    .unwrap()
            }
        };
        // Without a webhook, a change is no event.
        move_to(ApplicationStatus::Processing).await;
        assert!(events(&store).await.is_empty());

        set_webhook(&store).await;
        assert!(matches!(
            move_to(ApplicationStatus::ResubmissionRequired).await,
            StatusChange::Changed { .. }
        ));
        // Refused or unchanged: no event.
        move_to(ApplicationStatus::Submitted).await;
        move_to(ApplicationStatus::ResubmissionRequired).await;
        assert_eq!(events(&store).await.len(), 1);

        let now = Utc::now();
        let lease = now + chrono::Duration::minutes(1);
        let claimed = store
            .claim_due_webhook_events("a", now, lease, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let send = &claimed[0];
        assert_eq!(
            (
                send.status,
                send.url.as_str(),
                send.secret.as_str(),
                send.attempts
            ),
            (
                ApplicationStatus::ResubmissionRequired,
                "https://hooks.example/k",
                SECRET,
                0
            )
        );
        // Held by "a": not handed to another instance, and only "a" records its outcome.
        assert!(
            store
                .claim_due_webhook_events("b", now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        store.webhook_event_delivered(&send.id, "b").await.unwrap();
        store
            .webhook_event_failed(&send.id, "a", "the endpoint answered 500", Some(now))
            .await
            .unwrap();
        let again = store
            .claim_due_webhook_events("b", Utc::now(), lease, 10)
            .await
            .unwrap();
        assert_eq!(
            (again[0].id.as_str(), again[0].attempts),
            (send.id.as_str(), 1)
        );
        store.webhook_event_delivered(&send.id, "b").await.unwrap();
        let webhook = store.app_webhook("app:pocket").await.unwrap().unwrap();
        assert_eq!((webhook.pending, webhook.failed), (0, 0));

        // Out of retries: failed, and shown.
        move_to(ApplicationStatus::Processing).await;
        let claimed = store
            .claim_due_webhook_events("a", Utc::now(), lease, 10)
            .await
            .unwrap();
        store
            .webhook_event_failed(&claimed[0].id, "a", "retry budget spent", None)
            .await
            .unwrap();
        let webhook = store.app_webhook("app:pocket").await.unwrap().unwrap();
        assert_eq!(
            (webhook.failed, webhook.last_failure.as_deref()),
            (1, Some("retry budget spent"))
        );

        // Removed: what is pending is cancelled, and nothing more is written.
        move_to(ApplicationStatus::ResubmissionRequired).await;
        assert!(
            store
                .remove_app_webhook("app:pocket", &event("remove"))
                .await
                .unwrap()
        );
        assert!(
            !store
                .remove_app_webhook("app:pocket", &event("remove"))
                .await
                .unwrap()
        );
        move_to(ApplicationStatus::WithdrawalAccepted).await;
        assert!(
            store
                .claim_due_webhook_events("a", Utc::now(), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.app_webhook("app:pocket").await.unwrap().is_none());
        assert_eq!(
            events(&store).await,
            [
                ("resubmission_required".to_owned(), "delivered".to_owned()),
                ("processing".to_owned(), "failed".to_owned()),
                ("resubmission_required".to_owned(), "cancelled".to_owned()),
            ]
        );
        assert!(
            !contains(&at_rest(dir.path()).await, &SECRET[6..]),
            "the secret is in clear"
        );
    }

    #[tokio::test]
    async fn a_decision_file_completing_an_apps_application_is_an_event_unless_it_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        let store = tests::store_with_draft(dir.path(), "sheet-1", sheet).await;
        for (kind, code) in [
            (OrganisationKind::App, "pocket"),
            (OrganisationKind::Municipality, "130001"),
        ] {
            store
                .upsert_organisation(&Organisation::new(kind, code, code))
                .await
                .unwrap();
        }
        let new = new_application("", ApplicationStatus::Submitted);
        let IntakeOutcome::Created {
            application_id,
            receipt_number,
        } = store
            .intake_application(&intake("k1", "sha-a", new), &event("intake"))
            .await
            .unwrap()
        else {
            panic!("not created")
        };
        set_webhook(&store).await;
        let certified = NewCertification {
            application_id: application_id.clone(),
            receipt_number,
            sheet_id: "sheet-1".into(),
            patient_ref: None,
            certification: decision("a", true),
        };
        // A file whose second decision names no application stores nothing, and no event.
        let unknown = NewCertification {
            application_id: "municipality:130001/none".into(),
            ..certified.clone()
        };
        let audit = event("certification.import");
        assert!(
            store
                .record_certifications(
                    MUNICIPALITY,
                    &file("a"),
                    &[certified.clone(), unknown],
                    &audit
                )
                .await
                .is_err()
        );
        assert!(events(&store).await.is_empty());
        store
            .record_certifications(MUNICIPALITY, &file("a"), &[certified], &audit)
            .await
            .unwrap();
        assert_eq!(
            events(&store).await,
            [("completed".to_owned(), "pending".to_owned())]
        );
    }
}
