//! The review queue of the scanned-paper path: values read by OCR that a person checks against
//! the cut-out of their box before the sheet can be registered.

use serde::{Deserialize, Serialize};

pub use kakehashi_core::review::{NewReview, ReviewDetail};

use super::{AuditEvent, CheckedSheet, StoreError};

/// Whether a task still waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Open,
    Resolved,
}

/// A task of the review queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReviewTask {
    pub id: String,
    pub sheet_id: String,
    /// The header field path (`patient.date_of_birth`) or item code the value fills.
    pub target: String,
    /// Recognition confidence, 0–1.
    pub confidence: f32,
    pub status: ReviewStatus,
    #[serde(flatten)]
    pub detail: ReviewDetail,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
}

/// Storage of the review queue. Tasks are written with their sheet
/// ([`Submissions::complete`](super::Submissions::complete)).
#[async_trait::async_trait]
pub trait Reviews: Send + Sync {
    /// Open tasks of the sheets submitted to a municipality, oldest first.
    async fn open_reviews(
        &self,
        municipality_id: &str,
        limit: u32,
    ) -> Result<Vec<ReviewTask>, StoreError>;

    async fn review(&self, id: &str) -> Result<Option<ReviewTask>, StoreError>;

    /// The cut-out image (PNG) of a task's box.
    async fn review_image(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// How many tasks of a sheet are still open.
    async fn open_review_count(&self, sheet_id: &str) -> Result<u64, StoreError>;

    /// Resolves an open task and replaces its draft sheet with the corrected one, with the
    /// audit record, in one transaction. False when the task was resolved already or the
    /// sheet is no longer a draft.
    async fn resolve_review(
        &self,
        id: &str,
        resolved_by: &str,
        sheet: &CheckedSheet,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
}
