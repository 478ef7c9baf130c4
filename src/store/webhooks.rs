//! An app's webhook (アプリへの通知): where the gateway tells an app that one of its
//! applications changed status, and the outbox of those events.
//!
//! The event is written in the transaction that changes the status (an application whose
//! channel is `app:<code>`, while that app has a webhook), so none is lost and none announces a
//! change that rolled back. Workers of several gateway instances claim due events with a lease,
//! as the national-DB outbox does; the secret is sealed at rest and leaves the store only for
//! the worker that signs with it.

use chrono::{DateTime, Utc};
use kakehashi_sdk::ApplicationStatus;
use serde::Serialize;

use super::{AuditEvent, StoreError};

/// An app's webhook as the app and an administrator may see it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AppWebhook {
    /// `app:<code>`
    pub app_id: String,
    /// The HTTPS endpoint events are posted to.
    pub url: String,
    /// Who set it (user id, `system:cli`, or the app's credential).
    pub set_by: String,
    pub set_at: String,
    /// Events waiting for their next attempt.
    pub pending: u64,
    /// Events given up after the retry budget or refused by the endpoint (never sent again).
    pub failed: u64,
    /// Why the latest failed event failed, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
}

/// One due event, claimed for sending, with the webhook it goes to as now registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSend {
    /// The event's id: `Webhook-Id`, the same on every attempt.
    pub id: String,
    pub app_id: String,
    pub application_id: String,
    /// The status the application changed to.
    pub status: ApplicationStatus,
    pub occurred_at: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub url: String,
    /// The signing secret (`whsec_…`), opened from its seal.
    pub secret: String,
}

/// Storage of apps' webhooks and their events.
#[async_trait::async_trait]
pub trait Webhooks: Send + Sync {
    /// Sets (or replaces) app `app_id`'s webhook with `audit`, in one transaction; the secret
    /// is sealed. Events still pending go to the new endpoint, signed with the new secret.
    async fn set_app_webhook(
        &self,
        app_id: &str,
        url: &str,
        secret: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Removes app `app_id`'s webhook with `audit`; its pending events are cancelled. False
    /// when it had none (audited as `not_found`).
    async fn remove_app_webhook(
        &self,
        app_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// App `app_id`'s webhook with the counts of its events.
    async fn app_webhook(&self, app_id: &str) -> Result<Option<AppWebhook>, StoreError>;

    /// Claims up to `limit` events due at `now` for worker `owner` until `lease_until`; an
    /// event another worker holds is not handed out until its lease runs out.
    async fn claim_due_webhook_events(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<WebhookSend>, StoreError>;

    /// The endpoint answered 2xx: the event is delivered.
    async fn webhook_event_delivered(&self, id: &str, owner: &str) -> Result<(), StoreError>;

    /// An attempt failed with `error`: tried again at `retry_at`, or failed for good (None).
    async fn webhook_event_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// When the next pending event is due (or its lease runs out).
    async fn next_webhook_event_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}
