//! Push: consented, confirmed sheets go to the national DB exactly once.
//!
//! The store's outbox holds one delivery per sheet, written in the transaction that made it due
//! ([`crate::store::Deliveries`]). The [`Outbox`] worker hands due deliveries to the
//! [`NationalDbClient`] — mutual TLS with the gateway's client certificate, the document signed
//! and encrypted to the national DB's key ([`kakehashi_envelope`]), an idempotency key per
//! delivery — and records the receipt, or schedules a retry by the [`RetryPolicy`], or leaves a
//! dead letter for an operator. A crash anywhere only repeats an attempt, which the receiver
//! deduplicates by the idempotency key. The wire contract is `conformance/push/PROTOCOL.md`.

mod client;
mod document;
mod egress;
mod policy;
mod worker;

pub(crate) use client::describe;
pub use client::{DeliveryError, Envelope, NationalDbClient, PushError, Receipt};
pub use document::delivery_document;
pub use egress::{EgressPolicy, outbound_client};
pub use policy::RetryPolicy;
pub use worker::{Outbox, OutboxWaker};
