//! The review queue of the scanned-paper path: values read by OCR that a person checks against
//! the cut-out of their box before the sheet can be registered.

use kakehashi_sdk::SourceLocation;
use serde::{Deserialize, Serialize};

use super::{AuditEvent, CheckedSheet, StoreError};

/// Whether a task still waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Open,
    Resolved,
}

/// What a task says about the value, sealed at rest (the value is personal data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReviewDetail {
    /// The box's printed label (生年月日).
    pub label: String,
    /// The text as recognised; absent when the box looked blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
    /// Why a person must look: `ocr.low_confidence`, or the code of the check the value failed
    /// (`identifier.check_digit`, `field.unreadable`, …).
    pub reasons: Vec<String>,
    /// Where the box is in the scan.
    pub location: SourceLocation,
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

/// A task to create with its sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub id: String,
    pub target: String,
    pub confidence: f32,
    pub detail: ReviewDetail,
    /// The box as scanned, PNG.
    pub image_png: Vec<u8>,
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
