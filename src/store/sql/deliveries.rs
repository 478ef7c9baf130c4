//! Consent and the outbox in SQLite. Deliveries carry no personal data (the document is built
//! from the sealed sheet when it is sent), so nothing here is sealed.

use chrono::{DateTime, TimeZone, Utc};
use kakehashi_vault::KeyRing;
use sqlx::{AnyConnection, Row};

use super::rows::insert_rows;
use super::{SqlStore, audit, flag, now};
use crate::store::StoreError;
use crate::store::audit::AuditEvent;
use crate::store::deliveries::{
    Consent, ConsentEffect, ConsentSource, Deliveries, Delivery, DeliveryCounts, DeliveryStatus,
    NATIONAL_DB, delivery_id,
};

const DELIVERY_COLUMNS: &str = "id, sheet_id, destination, status, consent_source, consent_recorded_at, attempts, next_attempt_at, last_error, receipt_id, created_at, updated_at, delivered_at, in_doubt_since";

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    let next: i64 = row.try_get("next_attempt_at")?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        sheet_id: row.try_get("sheet_id")?,
        destination: row.try_get("destination")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| {
            StoreError::Database(sqlx::Error::Decode(
                format!("unknown delivery status `{status}`").into(),
            ))
        })?,
        consent_source: ConsentSource::parse(&row.try_get::<String, _>("consent_source")?),
        consent_recorded_at: row.try_get("consent_recorded_at")?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        next_attempt_at: Utc.timestamp_millis_opt(next).single().unwrap_or_default(),
        last_error: row.try_get("last_error")?,
        receipt_id: row.try_get("receipt_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        delivered_at: row.try_get("delivered_at")?,
        in_doubt_since: row.try_get("in_doubt_since")?,
    })
}

async fn delivery_of_sheet(
    conn: &mut AnyConnection,
    sheet_id: &str,
) -> Result<Option<Delivery>, StoreError> {
    sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE sheet_id = $1 AND destination = $2"
    ))
    .bind(sheet_id)
    .bind(NATIONAL_DB)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(delivery_from_row)
    .transpose()
}

/// A source-data consent replaces an earlier one from source data, never an officer's answer.
const SOURCE_CONSENT_CONFLICT: &str = "ON CONFLICT (sheet_id) DO UPDATE SET consented = excluded.consented, recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at
         WHERE consents.source = 'source_data'";

/// Records the consent submitted sheets carry (`administrative.research_consent`: sheet id,
/// consented), unless an officer has answered through the API: their word outranks the source
/// data.
pub(super) async fn record_source_consents(
    conn: &mut AnyConnection,
    consents: &[(&str, bool)],
    recorded_by: &str,
    at: &str,
) -> Result<(), StoreError> {
    insert_rows(
        conn,
        "consents (sheet_id, consented, source, recorded_by, recorded_at)",
        5,
        SOURCE_CONSENT_CONFLICT,
        consents,
        |query, (sheet_id, consented)| {
            query
                .bind(*sheet_id)
                .bind(i64::from(*consented))
                .bind("source_data")
                .bind(recorded_by.to_owned())
                .bind(at.to_owned())
        },
    )
    .await
}

/// Records, as [`record_source_consents`] does, the consent the staged sheets of a submission
/// carry (`staged_sheets.research_consent`).
pub(super) async fn record_staged_consents(
    conn: &mut AnyConnection,
    submission_id: &str,
    recorded_by: &str,
    at: &str,
) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT INTO consents (sheet_id, consented, source, recorded_by, recorded_at)
         SELECT id, research_consent, 'source_data', $2, $3 FROM staged_sheets
         WHERE submission_id = $1 AND research_consent IS NOT NULL {SOURCE_CONSENT_CONFLICT}"
    ))
    .bind(submission_id)
    .bind(recorded_by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Enqueues the sheet's delivery when it is confirmed and consented; a delivery withdrawn
/// earlier is revived. Returns the sheet's delivery, if it has one now.
pub(super) async fn enqueue_if_due(
    conn: &mut AnyConnection,
    sheet_id: &str,
    at: &str,
) -> Result<Option<Delivery>, StoreError> {
    let due = sqlx::query(
        "SELECT c.source, c.recorded_at FROM consents c JOIN sheets s ON s.id = c.sheet_id
         WHERE c.sheet_id = $1 AND c.consented = 1 AND s.status = 'confirmed'",
    )
    .bind(sheet_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(consent) = due {
        let source: String = consent.try_get("source")?;
        let recorded_at: String = consent.try_get("recorded_at")?;
        sqlx::query(
            "INSERT INTO deliveries (id, sheet_id, destination, status, consent_source, consent_recorded_at, attempts, next_attempt_at, created_at, updated_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, 0, $6, $7, $8)
             ON CONFLICT (sheet_id, destination) DO UPDATE SET status = 'pending', consent_source = excluded.consent_source,
               consent_recorded_at = excluded.consent_recorded_at, attempts = 0, next_attempt_at = excluded.next_attempt_at,
               last_error = NULL, updated_at = excluded.updated_at
             WHERE deliveries.status = 'withdrawn'",
        )
        .bind(delivery_id(sheet_id, NATIONAL_DB))
        .bind(sheet_id)
        .bind(NATIONAL_DB)
        .bind(source)
        .bind(recorded_at)
        .bind(millis(Utc::now()))
        .bind(at)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    delivery_of_sheet(conn, sheet_id).await
}

/// Records an officer's (or a decision file's) consent answer: consent on a confirmed sheet
/// enqueues its delivery (reviving a withdrawn one), a refusal withdraws a delivery not yet
/// made. Shared by the consent route and the decision import so both mean the same. A refusal
/// that finds an attempt without an answer says the sheet may have arrived, and audits that
/// possible transfer under `keys`.
pub(super) async fn record_consent_in(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    sheet_id: &str,
    consent: &Consent,
    at: &str,
) -> Result<ConsentEffect, StoreError> {
    sqlx::query(
            "INSERT INTO consents (sheet_id, consented, source, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (sheet_id) DO UPDATE SET consented = excluded.consented, source = excluded.source,
               recorded_by = excluded.recorded_by, recorded_at = excluded.recorded_at",
        )
        .bind(sheet_id)
        .bind(i64::from(consent.consented))
        .bind(consent.source.as_str())
        .bind(&consent.recorded_by)
        .bind(&consent.recorded_at)
        .execute(&mut *conn)
        .await?;
    if consent.consented {
        return Ok(match enqueue_if_due(conn, sheet_id, at).await? {
            Some(delivery) => ConsentEffect::Delivery(delivery),
            None => ConsentEffect::AwaitingConfirmation,
        });
    }
    let withdrawn = sqlx::query(&format!(
            "UPDATE deliveries SET status = 'withdrawn', updated_at = $1 WHERE sheet_id = $2 AND status IN ('pending', 'dead') RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(at)
        .bind(sheet_id)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(delivery_from_row)
        .transpose()?;
    Ok(match delivery_of_sheet(conn, sheet_id).await? {
        Some(done) if done.status == DeliveryStatus::Delivered => ConsentEffect::Delivery(done),
        Some(doubtful) if doubtful.in_doubt_since.is_some() => {
            if withdrawn.is_some() {
                audit_possible_transfer(conn, keys, &doubtful, at).await?;
            }
            ConsentEffect::PossiblyDelivered(doubtful)
        }
        _ => ConsentEffect::NotSent { withdrawn },
    })
}

/// The audit record of a delivery withdrawn while an attempt had no answer: the sheet may
/// have left for the national DB, and the trail must say so although no receipt ever will.
async fn audit_possible_transfer(
    conn: &mut AnyConnection,
    keys: &KeyRing,
    delivery: &Delivery,
    at: &str,
) -> Result<(), StoreError> {
    let sheet = sqlx::query("SELECT organisation_id, patient_ref FROM sheets WHERE id = $1")
        .bind(&delivery.sheet_id)
        .fetch_optional(&mut *conn)
        .await?;
    let column = |name: &str| -> Result<Option<String>, StoreError> {
        Ok(match &sheet {
            Some(row) => row.try_get(name)?,
            None => None,
        })
    };
    let event = AuditEvent {
        actor: "system:outbox".into(),
        action: "delivery.send".into(),
        organisation: column("organisation_id")?,
        patient_ref: column("patient_ref")?,
        outcome: "unknown".into(),
        detail: Some(format!(
            "delivery {}: an attempt since {} got no answer and may have reached the national DB; consent withdrawn, nothing more is sent",
            delivery.id,
            delivery.in_doubt_since.as_deref().unwrap_or_default()
        )),
        ..AuditEvent::default()
    }
    .on("sheet", &delivery.sheet_id);
    audit::append_at(conn, keys, at, &event).await?;
    Ok(())
}

impl SqlStore {
    /// Releases `owner`'s leases, on one delivery or on all; how many.
    async fn release(&self, owner: &str, id: Option<&str>) -> Result<u64, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let released = sqlx::query(
            "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL
             WHERE lease_owner = $1 AND ($2 IS NULL OR id = $2)",
        )
        .bind(owner)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(released.rows_affected())
    }
}

#[async_trait::async_trait]
impl Deliveries for SqlStore {
    async fn record_consent(
        &self,
        sheet_id: &str,
        consent: &Consent,
        audit_event: &AuditEvent,
    ) -> Result<ConsentEffect, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let effect =
            record_consent_in(&mut tx, self.sealer.key_ring(), sheet_id, consent, &at).await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(effect)
    }

    async fn consent(&self, sheet_id: &str) -> Result<Option<Consent>, StoreError> {
        let row = sqlx::query(
            "SELECT consented, source, recorded_by, recorded_at FROM consents WHERE sheet_id = $1",
        )
        .bind(sheet_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Consent {
                consented: flag(&row, "consented")?,
                source: ConsentSource::parse(&row.try_get::<String, _>("source")?),
                recorded_by: row.try_get("recorded_by")?,
                recorded_at: row.try_get("recorded_at")?,
            })
        })
        .transpose()
    }

    async fn claim_due_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE deliveries SET lease_owner = $1, lease_expires_at = $2 WHERE id IN (
               SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $3
                 AND (lease_expires_at IS NULL OR lease_expires_at <= $3)
               ORDER BY next_attempt_at LIMIT $4{}
             ) RETURNING {DELIVERY_COLUMNS}",
            self.dialect.skip_locked()
        ))
        .bind(owner)
        .bind(millis(lease_until))
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(claimed)
    }

    async fn release_leases(&self, owner: &str) -> Result<u64, StoreError> {
        self.release(owner, None).await
    }

    async fn release_lease(&self, id: &str, owner: &str) -> Result<(), StoreError> {
        self.release(owner, Some(id)).await.map(|_| ())
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN lease_expires_at > next_attempt_at THEN lease_expires_at ELSE next_attempt_at END)
             FROM deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(next.and_then(|ms| Utc.timestamp_millis_opt(ms).single()))
    }

    async fn delivered(
        &self,
        id: &str,
        receipt_id: &str,
        audit_event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        // A delivery in flight when consent was withdrawn did reach the receiver: say so.
        let updated = sqlx::query(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, receipt_id = $1, last_error = NULL, delivered_at = $2, updated_at = $3,
               in_doubt_since = NULL, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $4 AND status IN ('pending', 'withdrawn')",
        )
        .bind(receipt_id)
        .bind(&at)
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() > 0 {
            audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn attempt_started(&self, id: &str, owner: &str) -> Result<Option<String>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let since: Option<String> = sqlx::query_scalar(
            "UPDATE deliveries SET in_doubt_since = COALESCE(in_doubt_since, $1)
             WHERE id = $2 AND status = 'pending' AND lease_owner = $3 AND lease_expires_at > $4
             RETURNING in_doubt_since",
        )
        .bind(now())
        .bind(id)
        .bind(owner)
        .bind(millis(Utc::now()))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(since)
    }

    async fn attempt_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        in_doubt_since: Option<&str>,
        audit_event: Option<&AuditEvent>,
    ) -> Result<(), StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "dead"
        };
        let updated = sqlx::query(
            "UPDATE deliveries SET status = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, updated_at = $4,
               in_doubt_since = $5, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(error)
        .bind(millis(retry_at.unwrap_or_else(Utc::now)))
        .bind(&at)
        .bind(in_doubt_since)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(audit_event) = audit_event.filter(|_| updated.rows_affected() > 0) {
            audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn expedite_retries(&self, now_at: DateTime<Utc>) -> Result<u64, StoreError> {
        let _writer = self.write_lock().await;
        let updated = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $1 WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > $2",
        )
        .bind(millis(now_at))
        .bind(millis(now_at))
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected())
    }

    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(status.map(DeliveryStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn delivery(&self, id: &str) -> Result<Option<Delivery>, StoreError> {
        sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(delivery_from_row)
        .transpose()
    }

    async fn resolve_dead_letter(
        &self,
        id: &str,
        to: DeliveryStatus,
        audit_event: &AuditEvent,
    ) -> Result<Option<Delivery>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let row = sqlx::query(&format!(
            "UPDATE deliveries SET status = $1, attempts = CASE WHEN $2 = 'pending' THEN 0 ELSE attempts END,
               next_attempt_at = $3, updated_at = $4 WHERE id = $5 AND status = 'dead' RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(to.as_str())
        .bind(to.as_str())
        .bind(millis(Utc::now()))
        .bind(&at)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        delivery_from_row(&row).map(Some)
    }

    async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status")
            .fetch_all(&self.pool)
            .await?;
        let mut counts: DeliveryCounts = DeliveryStatus::ALL.iter().map(|s| (*s, 0)).collect();
        for row in rows {
            let status: String = row.try_get("status")?;
            let n: i64 = row.try_get("n")?;
            if let Some(slot) = counts
                .iter_mut()
                .find(|(s, _)| Some(*s) == DeliveryStatus::parse(&status))
            {
                slot.1 = u64::try_from(n).unwrap_or(0);
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::tests::{self, event};
    use crate::store::{AuditTrail, Submissions};
    use kakehashi_sdk::{Sheet, SheetKind};

    /// A store holding one draft sheet `s1` whose source data said `research_consent`.
    async fn store_with_sheet(dir: &std::path::Path, research_consent: Option<bool>) -> SqlStore {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Default::default());
        sheet.administrative.research_consent = research_consent;
        tests::store_with_draft(dir, "s1", sheet).await
    }

    /// A store whose sheet `s1` carried consent and is confirmed; its delivery's id.
    async fn consented_and_confirmed(dir: &std::path::Path) -> (SqlStore, String) {
        let store = store_with_sheet(dir, Some(true)).await;
        store
            .confirm_sheet("s1", "dr1", &access_key(), &event("confirm"))
            .await
            .unwrap();
        (store, delivery_id("s1", NATIONAL_DB))
    }

    fn access_key() -> crate::store::NewAccessKey {
        crate::store::NewAccessKey {
            digest: "digest".into(),
            expires_at: "2999-01-01T00:00:00.000Z".into(),
        }
    }

    /// Claims what is due now for `owner`, for a minute.
    async fn claim(store: &SqlStore, owner: &str) -> Vec<Delivery> {
        let now = Utc::now();
        store
            .claim_due_deliveries(owner, now, now + chrono::Duration::minutes(1), 10)
            .await
            .unwrap()
    }

    /// Claims the delivery `id` for worker "a" and starts an attempt of it.
    async fn start_attempt(store: &SqlStore, id: &str) -> Option<String> {
        let claimed = claim(store, "a").await;
        assert!(claimed.iter().any(|d| d.id == id), "{claimed:?}");
        store.attempt_started(id, "a").await.unwrap()
    }

    fn officer(consented: bool) -> Consent {
        Consent {
            consented,
            source: ConsentSource::Api,
            recorded_by: "officer".into(),
            recorded_at: now(),
        }
    }

    #[tokio::test]
    async fn consent_in_the_data_enqueues_at_confirmation_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_sheet(dir.path(), Some(true)).await;
        let consent = store.consent("s1").await.unwrap().unwrap();
        assert!(consent.consented);
        assert_eq!(consent.source, ConsentSource::SourceData);
        // A draft is never sent.
        assert!(store.deliveries(None, 10).await.unwrap().is_empty());

        assert!(
            store
                .confirm_sheet("s1", "dr1", &access_key(), &event("confirm"))
                .await
                .unwrap()
        );
        let due = claim(&store, "a").await;
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, delivery_id("s1", NATIONAL_DB));
        assert_eq!(due[0].consent_source, ConsentSource::SourceData);
        // Consent given again changes nothing: still one delivery, same id.
        let effect = store
            .record_consent("s1", &officer(true), &event("consent"))
            .await
            .unwrap();
        assert!(matches!(effect, ConsentEffect::Delivery(ref d) if d.id == due[0].id));
        assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 1);
        // Claimed: not handed out twice, not even to another instance...
        assert!(claim(&store, "b").await.is_empty());
        // ...until the claim runs out (its worker died) and another takes it over; the first
        // worker, back, cannot start an attempt under the claim it lost.
        let later = Utc::now() + chrono::Duration::minutes(2);
        let taken = store
            .claim_due_deliveries("b", later, later + chrono::Duration::minutes(1), 10)
            .await
            .unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(store.attempt_started(&due[0].id, "a").await.unwrap(), None);
        assert!(
            store
                .attempt_started(&due[0].id, "b")
                .await
                .unwrap()
                .is_some()
        );
        // A worker starting again under its name releases what it held.
        assert_eq!(store.release_leases("b").await.unwrap(), 1);
        assert_eq!(claim(&store, "a").await.len(), 1);
    }

    #[tokio::test]
    async fn no_consent_means_nothing_is_enqueued_and_refusal_withdraws() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_sheet(dir.path(), None).await;
        store
            .confirm_sheet("s1", "dr1", &access_key(), &event("confirm"))
            .await
            .unwrap();
        assert!(store.deliveries(None, 10).await.unwrap().is_empty());

        let effect = store
            .record_consent("s1", &officer(true), &event("consent"))
            .await
            .unwrap();
        let ConsentEffect::Delivery(delivery) = effect else {
            panic!("consent on a confirmed sheet enqueues: {effect:?}");
        };
        assert_eq!(delivery.status, DeliveryStatus::Pending);
        let effect = store
            .record_consent("s1", &officer(false), &event("consent"))
            .await
            .unwrap();
        assert!(
            matches!(effect, ConsentEffect::NotSent { withdrawn: Some(ref d) } if d.status == DeliveryStatus::Withdrawn),
            "{effect:?}"
        );
        assert!(claim(&store, "a").await.is_empty());
        // The source data cannot overrule the officer.
        let mut tx = store.pool.begin().await.unwrap();
        record_source_consents(&mut tx, &[("s1", true)], "clerk", &now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(!store.consent("s1").await.unwrap().unwrap().consented);
    }

    #[tokio::test]
    async fn failures_back_off_dead_letters_wait_for_an_operator() {
        let dir = tempfile::tempdir().unwrap();
        let (store, id) = consented_and_confirmed(dir.path()).await;
        let later = Utc::now() + chrono::Duration::minutes(5);
        store
            .attempt_failed(&id, "503", Some(later), None, None)
            .await
            .unwrap();
        assert!(claim(&store, "a").await.is_empty());
        assert_eq!(
            store.next_due().await.unwrap().map(|t| t.timestamp()),
            Some(later.timestamp())
        );
        assert_eq!(store.expedite_retries(Utc::now()).await.unwrap(), 1);
        assert_eq!(claim(&store, "a").await.len(), 1);

        store
            .attempt_failed(&id, "400 payload.schema", None, None, Some(&event("dead")))
            .await
            .unwrap();
        let dead = store.delivery(&id).await.unwrap().unwrap();
        assert_eq!(dead.status, DeliveryStatus::Dead);
        assert_eq!(dead.attempts, 2);
        assert_eq!(dead.last_error.as_deref(), Some("400 payload.schema"));
        assert!(claim(&store, "a").await.is_empty());

        let retried = store
            .resolve_dead_letter(&id, DeliveryStatus::Pending, &event("retry"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (retried.status, retried.attempts),
            (DeliveryStatus::Pending, 0)
        );
        // Only a dead letter can be retried or discarded.
        assert!(
            store
                .resolve_dead_letter(&id, DeliveryStatus::Discarded, &event("discard"))
                .await
                .unwrap()
                .is_none()
        );
        store
            .delivered(&id, "rcpt-1", &event("deliver"))
            .await
            .unwrap();
        let done = store.delivery(&id).await.unwrap().unwrap();
        assert_eq!(done.status, DeliveryStatus::Delivered);
        assert_eq!(done.receipt_id.as_deref(), Some("rcpt-1"));
        let counts = store.delivery_counts().await.unwrap();
        assert!(counts.contains(&(DeliveryStatus::Delivered, 1)));
        assert!(counts.contains(&(DeliveryStatus::Pending, 0)));
        // Refusing after delivery cannot unsend: the answer says it was delivered.
        let effect = store
            .record_consent("s1", &officer(false), &event("consent"))
            .await
            .unwrap();
        assert!(
            matches!(effect, ConsentEffect::Delivery(ref d) if d.status == DeliveryStatus::Delivered)
        );
    }

    #[tokio::test]
    async fn an_attempt_without_an_answer_leaves_a_doubt_that_a_withdrawal_reports() {
        let dir = tempfile::tempdir().unwrap();
        let (store, id) = consented_and_confirmed(dir.path()).await;
        // An attempt whose document surely did not leave leaves no doubt.
        let since = start_attempt(&store, &id).await.unwrap();
        let later = Utc::now() + chrono::Duration::minutes(5);
        store
            .attempt_failed(&id, "could not connect", Some(later), None, None)
            .await
            .unwrap();
        assert_eq!(
            store.delivery(&id).await.unwrap().unwrap().in_doubt_since,
            None
        );
        // One without an answer does, and keeps its first time through later attempts.
        store.expedite_retries(Utc::now()).await.unwrap();
        let again = start_attempt(&store, &id).await.unwrap();
        assert!(again >= since);
        store
            .attempt_failed(&id, "timed out", Some(later), Some(&again), None)
            .await
            .unwrap();
        store.expedite_retries(Utc::now()).await.unwrap();
        assert_eq!(start_attempt(&store, &id).await, Some(again.clone()));
        store
            .attempt_failed(&id, "could not connect", Some(later), Some(&again), None)
            .await
            .unwrap();

        // The withdrawal stops it and says it may have arrived, with an audit record of that.
        let effect = store
            .record_consent("s1", &officer(false), &event("consent"))
            .await
            .unwrap();
        let ConsentEffect::PossiblyDelivered(delivery) = effect else {
            panic!("{effect:?}");
        };
        assert_eq!(delivery.status, DeliveryStatus::Withdrawn);
        assert_eq!(delivery.in_doubt_since, Some(again));
        let unknown = store
            .audit_query(&crate::store::AuditQuery {
                action: Some("delivery.send".into()),
                outcome: Some("unknown".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].event.object_id.as_deref(), Some("s1"));
        // A withdrawn delivery is not started again; saying it twice audits it once.
        assert_eq!(store.attempt_started(&id, "a").await.unwrap(), None);
        let effect = store
            .record_consent("s1", &officer(false), &event("consent"))
            .await
            .unwrap();
        assert!(
            matches!(effect, ConsentEffect::PossiblyDelivered(_)),
            "{effect:?}"
        );
        // The receipt, if it ever comes, settles it.
        store
            .delivered(&id, "rcpt-1", &event("deliver"))
            .await
            .unwrap();
        let done = store.delivery(&id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.in_doubt_since),
            (DeliveryStatus::Delivered, None)
        );
    }
}
