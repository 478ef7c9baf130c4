//! Access keys in SQLite. Only digests are stored and a digest reveals nothing, so nothing here
//! is sealed.

use sqlx::{AnyConnection, Row};

use super::{SqlStore, audit, now};
use crate::store::StoreError;
use crate::store::access_keys::{AccessKeyInfo, AccessKeys, NewAccessKey, Redemption};
use crate::store::audit::AuditEvent;

/// Revokes the sheet's live key and stores `key` as its live key, issued `at`.
pub(super) async fn issue(
    conn: &mut AnyConnection,
    sheet_id: &str,
    issued_by: &str,
    key: &NewAccessKey,
    at: &str,
) -> Result<AccessKeyInfo, StoreError> {
    sqlx::query(
        "UPDATE access_keys SET revoked_at = $1 WHERE sheet_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(sheet_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO access_keys (digest, sheet_id, issued_by, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.digest)
    .bind(sheet_id)
    .bind(issued_by)
    .bind(at)
    .bind(&key.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(AccessKeyInfo {
        issued_at: at.to_owned(),
        expires_at: key.expires_at.clone(),
    })
}

#[async_trait::async_trait]
impl AccessKeys for SqlStore {
    async fn reissue_access_key(
        &self,
        sheet_id: &str,
        issued_by: &str,
        key: &NewAccessKey,
        audit_event: &AuditEvent,
    ) -> Result<Option<AccessKeyInfo>, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let confirmed: Option<String> =
            sqlx::query_scalar("SELECT id FROM sheets WHERE id = $1 AND status = 'confirmed'")
                .bind(sheet_id)
                .fetch_optional(&mut *tx)
                .await?;
        if confirmed.is_none() {
            return Ok(None);
        }
        let at = now();
        let info = issue(&mut tx, sheet_id, issued_by, key, &at).await?;
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, audit_event).await?;
        tx.commit().await?;
        Ok(Some(info))
    }

    async fn access_key(&self, sheet_id: &str) -> Result<Option<AccessKeyInfo>, StoreError> {
        let row = sqlx::query(
            "SELECT issued_at, expires_at FROM access_keys WHERE sheet_id = $1 AND revoked_at IS NULL",
        )
        .bind(sheet_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(AccessKeyInfo {
                issued_at: row.try_get("issued_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn redeem_access_key(
        &self,
        digest: &str,
        municipality_id: &str,
        audit_event: &AuditEvent,
    ) -> Result<Redemption, StoreError> {
        let _writer = self.write_lock().await;
        let mut tx = self.begin_write().await?;
        let at = now();
        let found = sqlx::query(
            "SELECT s.id, s.municipality_id, s.patient_ref FROM access_keys k JOIN sheets s ON s.id = k.sheet_id
             WHERE k.digest = $1 AND k.revoked_at IS NULL AND k.expires_at > $2",
        )
        .bind(digest)
        .bind(&at)
        .fetch_optional(&mut *tx)
        .await?;
        let (redemption, event) = match found {
            None => (
                Redemption::Unknown,
                audit_event
                    .clone()
                    .outcome("not_found")
                    .with_detail("unknown, expired or revoked access key"),
            ),
            Some(row) => {
                let sheet_id: String = row.try_get("id")?;
                let bound: Option<String> = row.try_get("municipality_id")?;
                let event = audit_event
                    .clone()
                    .on("sheet", &sheet_id)
                    .with_patient(row.try_get("patient_ref")?);
                match bound.as_deref() {
                    None => {
                        sqlx::query(
                            "UPDATE sheets SET municipality_id = $1, updated_at = $2 WHERE id = $3 AND municipality_id IS NULL",
                        )
                        .bind(municipality_id)
                        .bind(&at)
                        .bind(&sheet_id)
                        .execute(&mut *tx)
                        .await?;
                        (
                            Redemption::Bound {
                                sheet_id,
                                newly: true,
                            },
                            event
                                .outcome("ok")
                                .with_detail(format!("sheet bound to {municipality_id}")),
                        )
                    }
                    Some(m) if m == municipality_id => (
                        Redemption::Bound {
                            sheet_id,
                            newly: false,
                        },
                        event.outcome("ok").with_detail("sheet bound already"),
                    ),
                    Some(_) => (
                        Redemption::BoundElsewhere { sheet_id },
                        event
                            .outcome("conflict")
                            .with_detail("sheet bound to another municipality"),
                    ),
                }
            }
        };
        audit::append_at(&mut tx, self.sealer.key_ring(), &at, &event).await?;
        tx.commit().await?;
        Ok(redemption)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::tests::{self, event};
    use crate::store::{AuditQuery, AuditTrail, Submissions};
    use kakehashi_sdk::{Sheet, SheetKind};

    fn key(digest: &str, expires_at: &str) -> NewAccessKey {
        NewAccessKey {
            digest: digest.into(),
            expires_at: expires_at.into(),
        }
    }

    const FAR: &str = "2999-01-01T00:00:00.000Z";

    /// A store holding one draft sheet `s1`, for no municipality.
    async fn store_with_draft(dir: &std::path::Path) -> SqlStore {
        tests::store_with_draft(dir, "s1", Sheet::new(SheetKind::Nanbyo, Default::default())).await
    }

    #[tokio::test]
    async fn confirmation_issues_one_live_key_and_reissuing_revokes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_draft(dir.path()).await;
        // A draft has no key and gets none by reissue.
        assert_eq!(
            store
                .reissue_access_key("s1", "dr1", &key("d0", FAR), &event("reissue"))
                .await
                .unwrap(),
            None
        );
        assert!(
            store
                .confirm_sheet("s1", "dr1", &key("d1", FAR), &event("confirm"))
                .await
                .unwrap()
        );
        assert_eq!(
            store.access_key("s1").await.unwrap().unwrap().expires_at,
            FAR
        );
        // Confirming again is refused and issues nothing.
        assert!(
            !store
                .confirm_sheet("s1", "dr1", &key("d2", FAR), &event("confirm"))
                .await
                .unwrap()
        );
        assert_eq!(
            store
                .redeem_access_key("d2", "m:1", &event("lookup"))
                .await
                .unwrap(),
            Redemption::Unknown
        );
        let later = "2998-01-01T00:00:00.000Z";
        let info = store
            .reissue_access_key("s1", "dr1", &key("d3", later), &event("reissue"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(info.expires_at, later);
        assert_eq!(store.access_key("s1").await.unwrap(), Some(info));
        // The first key was revoked by the second.
        assert_eq!(
            store
                .redeem_access_key("d1", "m:1", &event("lookup"))
                .await
                .unwrap(),
            Redemption::Unknown
        );
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM access_keys WHERE sheet_id = 's1' AND revoked_at IS NULL",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert_eq!(live, 1);
    }

    #[tokio::test]
    async fn a_key_binds_its_sheet_to_one_municipality_and_every_attempt_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_draft(dir.path()).await;
        store
            .confirm_sheet("s1", "dr1", &key("d1", FAR), &event("confirm"))
            .await
            .unwrap();
        let bound = Redemption::Bound {
            sheet_id: "s1".into(),
            newly: true,
        };
        assert_eq!(
            store
                .redeem_access_key("d1", "m:1", &event("lookup"))
                .await
                .unwrap(),
            bound
        );
        assert_eq!(
            store
                .sheet("s1")
                .await
                .unwrap()
                .unwrap()
                .municipality_id
                .as_deref(),
            Some("m:1")
        );
        assert_eq!(
            store
                .redeem_access_key("d1", "m:1", &event("lookup"))
                .await
                .unwrap(),
            Redemption::Bound {
                sheet_id: "s1".into(),
                newly: false
            }
        );
        assert_eq!(
            store
                .redeem_access_key("d1", "m:2", &event("lookup"))
                .await
                .unwrap(),
            Redemption::BoundElsewhere {
                sheet_id: "s1".into()
            }
        );
        assert_eq!(
            store
                .redeem_access_key("nope", "m:2", &event("lookup"))
                .await
                .unwrap(),
            Redemption::Unknown
        );
        let query = AuditQuery {
            action: Some("lookup".into()),
            ..AuditQuery::default()
        };
        let outcomes: Vec<(String, Option<String>)> = store
            .audit_query(&query)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.event.outcome, r.event.object_id))
            .collect();
        let s1 = Some("s1".to_owned());
        for expected in [
            ("ok".to_owned(), s1.clone()),
            ("conflict".to_owned(), s1),
            ("not_found".to_owned(), None),
        ] {
            assert!(outcomes.contains(&expected), "{expected:?} in {outcomes:?}");
        }
        assert_eq!(outcomes.len(), 4);
    }

    #[tokio::test]
    async fn an_expired_key_opens_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_draft(dir.path()).await;
        store
            .confirm_sheet(
                "s1",
                "dr1",
                &key("d1", "2000-01-01T00:00:00.000Z"),
                &event("confirm"),
            )
            .await
            .unwrap();
        assert_eq!(
            store
                .redeem_access_key("d1", "m:1", &event("lookup"))
                .await
                .unwrap(),
            Redemption::Unknown
        );
        assert_eq!(
            store.sheet("s1").await.unwrap().unwrap().municipality_id,
            None
        );
        // It is still the sheet's key on record, until a new one revokes it.
        assert!(store.access_key("s1").await.unwrap().is_some());
    }
}
