//! The body of a status-change event: what changed and when, never personal data.

use serde::Serialize;

use crate::api::intake::IntakeStatus;
use crate::store::WebhookSend;

/// `application.status_changed`: one of the app's applications changed status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChanged {
    /// Always `application.status_changed`.
    pub event: &'static str,
    /// The event's id, also `Webhook-Id`: the same on every attempt, so a receiver
    /// deduplicates on it.
    pub id: String,
    /// The application (`GET /v1/intake/applications/{application_id}`).
    pub application_id: String,
    /// The status as the applicant sees it (`processing`, `resubmission_required`, …).
    pub status: IntakeStatus,
    /// The same in Japanese (処理中, 要再申請, 完了, 却下, 取消受付).
    pub status_ja: &'static str,
    /// When the status changed (RFC 3339, UTC).
    pub occurred_at: String,
}

impl StatusChanged {
    pub fn of(send: &WebhookSend) -> Self {
        let status = IntakeStatus::from(send.status);
        Self {
            event: "application.status_changed",
            id: send.id.clone(),
            application_id: send.application_id.clone(),
            status,
            status_ja: status.label_ja(),
            occurred_at: send.occurred_at.clone(),
        }
    }
}
