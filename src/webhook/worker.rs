//! The webhook worker: a loop in the gateway that keeps up to `concurrency` events in flight,
//! claimed under this instance's name with a lease (so instances sharing a database never send
//! one event at once, and a dead instance's claims pass to another when they run out). Each
//! outcome is stored before the event is let go: delivered, due again after the policy's
//! backoff, or failed for good once the budget is spent.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{StatusChanged, WebhookClient};
use crate::push::RetryPolicy;
use crate::store::{Store, StoreError, WebhookSend};

/// How often the worker looks for due events when none is due sooner.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// The worker.
pub struct WebhookWorker {
    pub store: Arc<dyn Store>,
    pub client: Arc<WebhookClient>,
    pub policy: RetryPolicy,
    pub concurrency: usize,
    /// The name this worker claims events under: its gateway instance's.
    pub owner: String,
    /// How long a claim holds: longer than an attempt may take.
    pub lease: Duration,
}

impl WebhookWorker {
    /// Runs until the task is dropped; store failures are logged and retried.
    pub async fn run(self) {
        let mut in_flight: JoinSet<()> = JoinSet::new();
        loop {
            let room = self.concurrency.saturating_sub(in_flight.len());
            if room > 0 {
                let now = Utc::now();
                let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
                match self
                    .store
                    .claim_due_webhook_events(&self.owner, now, lease_until, room as u32)
                    .await
                {
                    Ok(due) => {
                        for send in due {
                            let attempt = Attempt {
                                store: self.store.clone(),
                                client: self.client.clone(),
                                policy: self.policy,
                                owner: self.owner.clone(),
                            };
                            in_flight.spawn(attempt.run(send));
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "webhooks: claiming due events"),
                }
            }
            let wait = match self.store.next_webhook_event_due().await {
                Ok(Some(next)) => (next - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(5), IDLE_POLL),
                _ => IDLE_POLL,
            };
            tokio::select! {
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if joined.is_err() {
                        crate::metrics::record_panic();
                    }
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// One attempt of one event.
struct Attempt {
    store: Arc<dyn Store>,
    client: Arc<WebhookClient>,
    policy: RetryPolicy,
    owner: String,
}

impl Attempt {
    async fn run(self, send: WebhookSend) {
        let span = tracing::info_span!("webhook", id = %send.id, app = %send.app_id, attempt = send.attempts + 1);
        async move {
            if let Err(e) = self.send(&send).await {
                // The claim runs out and the event is tried again.
                tracing::error!(error = %e, "webhooks: store failure during an attempt");
            }
        }
        .instrument(span)
        .await;
    }

    async fn send(&self, send: &WebhookSend) -> Result<(), StoreError> {
        let body = serde_json::to_vec(&StatusChanged::of(send))?;
        match self
            .client
            .post(&send.url, &send.secret, &send.id, &body)
            .await
        {
            Ok(()) => {
                tracing::info!("webhook event delivered");
                self.store
                    .webhook_event_delivered(&send.id, &self.owner)
                    .await
            }
            Err(error) => {
                let failed = send.attempts + 1;
                let retry = if error.is_transient() {
                    self.policy.backoff(failed, RetryPolicy::jitter())
                } else {
                    None
                };
                let retry_at = retry
                    .map(|wait| Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default());
                let reason = match retry {
                    Some(wait) => {
                        tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "webhook event failed; will retry");
                        error.to_string()
                    }
                    None if error.is_transient() => {
                        tracing::warn!(%error, "webhook event failed for good: retry budget spent");
                        format!("retry budget spent after {failed} attempts; last: {error}")
                    }
                    None => {
                        tracing::warn!(%error, "webhook event failed for good");
                        error.to_string()
                    }
                };
                self.store
                    .webhook_event_failed(&send.id, &self.owner, &reason, retry_at)
                    .await
            }
        }
    }
}
