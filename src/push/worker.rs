//! The outbox worker: a loop in the gateway that keeps up to `concurrency` deliveries in
//! flight. Each attempt is independent — a delivery that keeps failing only pushes its own next
//! attempt back, so a poison delivery never holds up the others — and its outcome is stored
//! before the next one is picked. When the receiver answers again after failures, every waiting
//! retry is made due at once, so a receiver that was down gets everything when it returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tracing::Instrument;

use super::{DeliveryError, NationalDbClient, RetryPolicy, delivery_document};
use crate::store::{AuditEvent, Delivery, Store, StoreError};

/// How often the worker looks for due deliveries when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// How often the outbox's counts by status are refreshed for the metrics (a count over the
/// whole table: not once per attempt).
const COUNTS_EVERY: Duration = Duration::from_secs(5);

/// Wakes the worker when a delivery was enqueued or a dead letter retried.
#[derive(Debug, Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// The worker.
pub struct Outbox {
    pub store: Arc<dyn Store>,
    pub client: Arc<NationalDbClient>,
    pub policy: RetryPolicy,
    pub concurrency: usize,
    pub waker: OutboxWaker,
    /// The name this worker claims deliveries under: its gateway instance's (the same across
    /// restarts of the instance, different between instances on one database).
    pub owner: String,
    /// How long a claim holds: longer than an attempt may take, so that only a worker that
    /// died loses its claims to another.
    pub lease: Duration,
}

/// How one attempt ended, for the loop.
enum Attempted {
    Delivered,
    Failed,
    /// Consent was withdrawn before the document left: nothing was sent.
    Withdrawn,
}

impl Outbox {
    /// Runs until the task is dropped. Store failures are logged and retried; nothing here
    /// ends the loop.
    pub async fn run(self) {
        // What this instance held when it stopped is not in flight any more.
        match self.store.release_leases(&self.owner).await {
            Ok(n) if n > 0 => tracing::info!(
                deliveries = n,
                "outbox: released the claims of the previous run"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox: releasing the previous run's claims"),
        }
        let mut in_flight: JoinSet<(String, Attempted)> = JoinSet::new();
        let mut flying: Vec<String> = Vec::new();
        let mut failing = false;
        let mut counted: Option<Instant> = None;
        loop {
            if counted.is_none_or(|at| at.elapsed() >= COUNTS_EVERY) {
                self.publish_counts().await;
                counted = Some(Instant::now());
            }
            if flying.len() < self.concurrency {
                let room = (self.concurrency - flying.len()) as u32;
                let now = Utc::now();
                let lease_until = now + chrono::Duration::from_std(self.lease).unwrap_or_default();
                match self
                    .store
                    .claim_due_deliveries(&self.owner, now, lease_until, room)
                    .await
                {
                    Ok(due) => {
                        for delivery in due {
                            flying.push(delivery.id.clone());
                            let attempt = Attempt {
                                store: self.store.clone(),
                                client: self.client.clone(),
                                policy: self.policy,
                                owner: self.owner.clone(),
                            };
                            in_flight.spawn(async move {
                                let id = delivery.id.clone();
                                (id, attempt.run(delivery).await)
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "outbox: claiming due deliveries"),
                }
            }
            let wait = self.wait().await;
            tokio::select! {
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Ok((id, outcome)) = joined {
                        flying.retain(|f| *f != id);
                        match outcome {
                            Attempted::Delivered if failing => {
                                failing = false;
                                match self.store.expedite_retries(Utc::now()).await {
                                    Ok(n) if n > 0 => tracing::info!(deliveries = n, "national DB answers again; retrying what waited"),
                                    Ok(_) => {}
                                    Err(e) => tracing::error!(error = %e, "outbox: expediting retries"),
                                }
                            }
                            Attempted::Delivered | Attempted::Withdrawn => {}
                            Attempted::Failed => failing = true,
                        }
                    } else {
                        // A panicked attempt: forget what was in flight and re-read the store.
                        crate::metrics::record_panic();
                        flying = Vec::new();
                        in_flight.abort_all();
                    }
                }
                _ = self.waker.0.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Until the next pending delivery is due, at most the idle poll.
    async fn wait(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(next)) => (next - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(5), IDLE_POLL),
            _ => IDLE_POLL,
        }
    }

    async fn publish_counts(&self) {
        if let Ok(counts) = self.store.delivery_counts().await {
            crate::metrics::set_delivery_counts(&counts);
        }
    }
}

/// One attempt of one delivery.
struct Attempt {
    store: Arc<dyn Store>,
    client: Arc<NationalDbClient>,
    policy: RetryPolicy,
    owner: String,
}

impl Attempt {
    async fn run(self, delivery: Delivery) -> Attempted {
        let span =
            tracing::info_span!("delivery", id = %delivery.id, attempt = delivery.attempts + 1);
        async move {
            let started = Instant::now();
            let outcome = match self.send(&delivery).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    // The store failed around the attempt; the delivery stays pending and is
                    // tried again (the receiver deduplicates if it did arrive), at once if the
                    // claim can be let go, else when it runs out.
                    tracing::error!(error = %e, "outbox: store failure during a delivery");
                    if let Err(e) = self.store.release_lease(&delivery.id, &self.owner).await {
                        tracing::error!(error = %e, "outbox: releasing a claim");
                    }
                    Attempted::Failed
                }
            };
            crate::metrics::record_delivery_attempt(started.elapsed());
            outcome
        }
        .instrument(span)
        .await
    }

    async fn send(&self, delivery: &Delivery) -> Result<Attempted, StoreError> {
        let doubt_before = delivery.in_doubt_since.as_deref();
        let Some(stored) = self.store.sheet(&delivery.sheet_id).await? else {
            self.give_up(delivery, "the sheet is gone", doubt_before, None)
                .await?;
            return Ok(Attempted::Failed);
        };
        let sender = stored.organisation_id.clone().unwrap_or_default();
        let audit = AuditEvent {
            actor: "system:outbox".into(),
            action: "delivery.send".into(),
            object_type: Some("sheet".into()),
            object_id: Some(delivery.sheet_id.clone()),
            organisation: stored.organisation_id.clone(),
            patient_ref: stored.patient_ref.clone(),
            ..AuditEvent::default()
        };
        let document = delivery_document(delivery, &sender, &stored.sheet)?;
        // Written before the document leaves: a withdrawal from now on knows it may arrive,
        // and one made before stops it here.
        let Some(doubt) = self
            .store
            .attempt_started(&delivery.id, &self.owner)
            .await?
        else {
            return Ok(Attempted::Withdrawn);
        };
        match self.client.deliver(&delivery.id, &document).await {
            Ok(receipt) => {
                let audit = AuditEvent {
                    outcome: "ok".into(),
                    detail: Some(format!(
                        "delivery {} receipt {}",
                        delivery.id, receipt.receipt_id
                    )),
                    ..audit
                };
                self.store
                    .delivered(&delivery.id, &receipt.receipt_id, &audit)
                    .await?;
                crate::metrics::record_delivered(&delivery.created_at);
                tracing::info!(receipt = %receipt.receipt_id, "delivered to the national DB");
                Ok(Attempted::Delivered)
            }
            Err(error) => {
                let failed = delivery.attempts + 1;
                let doubt = if error.may_have_arrived() {
                    Some(doubt.as_str())
                } else {
                    doubt_before
                };
                let retry = if error.is_transient() {
                    self.policy.backoff(failed, RetryPolicy::jitter())
                } else {
                    None
                };
                match retry {
                    Some(wait) => {
                        tracing::warn!(%error, retry_in_ms = wait.as_millis() as u64, "delivery failed; will retry");
                        let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                        self.store
                            .attempt_failed(&delivery.id, &error.to_string(), Some(at), doubt, None)
                            .await?;
                        crate::metrics::record_retry();
                    }
                    None => {
                        let reason = dead_letter_reason(&error, failed);
                        self.give_up(delivery, &reason, doubt, Some(audit)).await?;
                    }
                }
                Ok(Attempted::Failed)
            }
        }
    }

    /// Makes the delivery a dead letter for an operator, with its audit record in the same
    /// transaction; `in_doubt_since` is the doubt it is left with.
    async fn give_up(
        &self,
        delivery: &Delivery,
        reason: &str,
        in_doubt_since: Option<&str>,
        audit: Option<AuditEvent>,
    ) -> Result<(), StoreError> {
        tracing::error!(%reason, "delivery is a dead letter; an operator must retry or discard it");
        let event = audit.map(|audit| AuditEvent {
            outcome: "dead".into(),
            detail: Some(format!("delivery {}: {reason}", delivery.id)),
            ..audit
        });
        self.store
            .attempt_failed(&delivery.id, reason, None, in_doubt_since, event.as_ref())
            .await?;
        crate::metrics::record_dead();
        Ok(())
    }
}

fn dead_letter_reason(error: &DeliveryError, attempts: u32) -> String {
    if error.is_transient() {
        format!("retry budget spent after {attempts} attempts; last: {error}")
    } else {
        error.to_string()
    }
}
