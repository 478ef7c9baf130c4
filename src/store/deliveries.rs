//! Consent and the outbox: the push side of the store.
//!
//! A delivery exists only once both preconditions hold — the patient consented (研究利用への同意)
//! and a designated doctor confirmed the sheet — and it is written in the same transaction as
//! the step that made it due, so no crash can lose one or invent one. Its id is the
//! `Idempotency-Key` the national DB deduplicates on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AuditEvent, StoreError};

/// The national DB, the only destination so far.
pub const NATIONAL_DB: &str = "national-db";

/// Where the consent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentSource {
    /// Recorded by a municipal officer (`POST /v1/sheets/{id}/consent`).
    Api,
    /// Carried in the submitted data (a mapped `administrative.research_consent`).
    SourceData,
}

impl ConsentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentSource::Api => "api",
            ConsentSource::SourceData => "source_data",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "api" {
            ConsentSource::Api
        } else {
            ConsentSource::SourceData
        }
    }
}

/// 研究利用への同意 (the patient's answer on research use), as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Consent {
    pub consented: bool,
    pub source: ConsentSource,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered a receipt.
    Delivered,
    /// Refused for good, or out of retries: waits for an operator (dead letter).
    Dead,
    /// An operator gave it up.
    Discarded,
    /// Consent was withdrawn before it was delivered.
    Withdrawn,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Dead,
        DeliveryStatus::Discarded,
        DeliveryStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
            DeliveryStatus::Discarded => "discarded",
            DeliveryStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// One sheet's delivery to one destination. Carries no personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Delivery {
    /// Also the `Idempotency-Key`.
    pub id: String,
    pub sheet_id: String,
    pub destination: String,
    pub status: DeliveryStatus,
    /// The consent the delivery was made for (it goes into the delivered document).
    pub consent_source: ConsentSource,
    pub consent_recorded_at: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    /// Since when an attempt has gone without an answer (the gateway stopped, or the answer was
    /// lost): the national DB may hold the sheet. Cleared by the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_doubt_since: Option<String>,
}

/// What recording a consent did to the sheet's delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsentEffect {
    /// The sheet is still a draft: the delivery is enqueued when a doctor confirms it.
    AwaitingConfirmation,
    /// A delivery is (now, or already) enqueued or done.
    Delivery(Delivery),
    /// No consent: nothing is or will be sent; a delivery not yet made was withdrawn.
    NotSent { withdrawn: Option<Delivery> },
    /// No consent, and nothing more will be sent; but an attempt got no answer, so the national
    /// DB may hold the sheet already.
    PossiblyDelivered(Delivery),
}

/// A delivery's counts by status, for metrics and health.
pub type DeliveryCounts = Vec<(DeliveryStatus, u64)>;

/// Storage of consent and deliveries.
#[async_trait::async_trait]
pub trait Deliveries: Send + Sync {
    /// Records the answer for a sheet, with its audit record, and enqueues (consent on a
    /// confirmed sheet) or withdraws (refusal before delivery) the delivery, in one
    /// transaction.
    async fn record_consent(
        &self,
        sheet_id: &str,
        consent: &Consent,
        audit: &AuditEvent,
    ) -> Result<ConsentEffect, StoreError>;

    async fn consent(&self, sheet_id: &str) -> Result<Option<Consent>, StoreError>;

    /// Claims up to `limit` pending deliveries due at `now` that nobody holds, oldest due first,
    /// for `owner` until `lease_until`: no other outbox worker (of this gateway or another
    /// instance on the same database) takes them before the lease ends or is released. The
    /// leases of a worker that died run out, and its deliveries are taken over then.
    async fn claim_due_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Releases every lease `owner` holds (a worker starting again under the same name: what it
    /// held when it stopped is not in flight any more).
    async fn release_leases(&self, owner: &str) -> Result<u64, StoreError>;

    /// Releases `owner`'s lease on one delivery (an attempt that ended without its outcome
    /// stored).
    async fn release_lease(&self, id: &str, owner: &str) -> Result<(), StoreError>;

    /// When the next pending delivery is due and free to claim.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Marks a delivery in doubt just before its document is sent (kept from an earlier
    /// attempt if it was already), if it is still pending and `owner`'s lease on it still
    /// holds; since when it is in doubt, or `None` when it is not pending any more (consent
    /// was withdrawn) or the lease was lost: then it is not sent.
    async fn attempt_started(&self, id: &str, owner: &str) -> Result<Option<String>, StoreError>;

    /// Records the receipt of a pending delivery, with its audit record; the doubt is cleared
    /// and the lease released.
    async fn delivered(
        &self,
        id: &str,
        receipt_id: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Records a failed attempt: pending again at `retry_at`, or a dead letter when `None`;
    /// `in_doubt_since` is the doubt it leaves (the one from before the attempt when the
    /// document surely did not arrive). `audit` is recorded in the same transaction, when the
    /// attempt changed the delivery — a dead letter is never left without its audit record.
    /// The lease is released.
    async fn attempt_failed(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        in_doubt_since: Option<&str>,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError>;

    /// Makes every pending retry due now (the receiver answered again).
    async fn expedite_retries(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Deliveries, newest first, optionally of one status.
    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;

    async fn delivery(&self, id: &str) -> Result<Option<Delivery>, StoreError>;

    /// An operator's decision on a dead letter: `Pending` (retry now, with a fresh retry
    /// budget) or `Discarded`. Returns the delivery as it is now, or `None` when it was not a
    /// dead letter.
    async fn resolve_dead_letter(
        &self,
        id: &str,
        to: DeliveryStatus,
        audit: &AuditEvent,
    ) -> Result<Option<Delivery>, StoreError>;

    async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError>;
}

/// The delivery id of a sheet to a destination: stable, so enqueueing twice is harmless.
pub fn delivery_id(sheet_id: &str, destination: &str) -> String {
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("kakehashi:delivery:{destination}:{sheet_id}").as_bytes(),
    );
    format!("dlv-{id}")
}
