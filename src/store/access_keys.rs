//! アクセスキー (access keys) in the store: the hand-over of a confirmed sheet from the hospital
//! to the municipality the patient applies to (the 自治体DB copy of seed 001).
//!
//! Only the key's SHA-256 ([`kakehashi_access_key::AccessKey::digest`]) is stored, so the key
//! itself exists only in the answer to the doctor and on the patient's paper. A sheet has at
//! most one live key (the database refuses a second): confirming issues it in the confirmation's
//! own transaction ([`super::Submissions::confirm_sheet`]), and issuing again revokes the one
//! before — a patient who lost the paper gets a new key and the lost one stops working. A key
//! that expired stays on record until a new one revokes it.

use serde::{Deserialize, Serialize};

use super::{AuditEvent, StoreError};

/// A key to store: its digest and when it lapses (RFC 3339, UTC, milliseconds — the format
/// [`super::timestamp_now`] writes, so that times compare as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub digest: String,
    pub expires_at: String,
}

/// What may be shown about a sheet's key after it was issued: that it exists, and its dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccessKeyInfo {
    pub issued_at: String,
    pub expires_at: String,
}

/// What presenting a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// No live key has this digest: unknown, expired and revoked keys are not told apart.
    Unknown,
    /// The key's sheet is bound to another municipality already.
    BoundElsewhere { sheet_id: String },
    /// The sheet is bound to the presenting municipality: `newly` by this presentation, or
    /// already before (presenting a key again is harmless).
    Bound { sheet_id: String, newly: bool },
}

/// Storage of access keys.
#[async_trait::async_trait]
pub trait AccessKeys: Send + Sync {
    /// Revokes the sheet's live key, if any, and stores `key` in its place, with the audit
    /// record, in one transaction. `None` when the sheet is not confirmed (a draft has no key).
    async fn reissue_access_key(
        &self,
        sheet_id: &str,
        issued_by: &str,
        key: &NewAccessKey,
        audit: &AuditEvent,
    ) -> Result<Option<AccessKeyInfo>, StoreError>;

    /// The sheet's live key (possibly expired), if it has one.
    async fn access_key(&self, sheet_id: &str) -> Result<Option<AccessKeyInfo>, StoreError>;

    /// Presents a key on behalf of `municipality_id`: an unexpired, unrevoked key binds its
    /// sheet to the municipality when the sheet is bound to none. The audit record is written
    /// in the same transaction whatever the outcome; the store completes `audit` with the sheet,
    /// the patient's pseudonym and the outcome (`ok`, `not_found`, `conflict`).
    async fn redeem_access_key(
        &self,
        digest: &str,
        municipality_id: &str,
        audit: &AuditEvent,
    ) -> Result<Redemption, StoreError>;
}
