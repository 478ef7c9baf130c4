//! Apps' webhooks: an app whose back end registered an HTTPS endpoint learns of each status
//! change of its applications without polling.
//!
//! The store writes an event in the transaction of the change ([`crate::store::Webhooks`]);
//! the [`WebhookWorker`] claims due events (several gateway instances may share the outbox),
//! POSTs each, signed by the Standard Webhooks convention ([`signature`]), through a
//! [`WebhookClient`] that reaches only public addresses unless configured for development, and
//! retries a failure by the push outbox's [`crate::push::RetryPolicy`] until the budget is
//! spent; a failed event stays visible to the app and the administrator. The event carries no
//! personal data: the app reads the application with `GET /v1/intake/applications/{id}`.

mod client;
mod event;
pub mod signature;
mod worker;

pub use client::{WebhookClient, WebhookError, WebhookSetupError, check_url};
pub use event::StatusChanged;
pub use worker::WebhookWorker;
