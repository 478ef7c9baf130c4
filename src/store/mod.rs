//! Durable storage. The pipeline talks to a [`Store`]; SQLite ([`SqliteStore`]) is the
//! embedded default, one file under the data directory. The trait speaks in whole steps of the
//! pipeline, each one transaction and each idempotent, so that a PostgreSQL store (several
//! gateways on one database) implements the same contract and a crash between any two steps
//! resumes without loss or duplicates:
//!
//! 1. [`Store::journal`] — the raw input, content-addressed by SHA-256, and its submission row,
//!    before anything is acknowledged;
//! 2. [`Store::complete`] — the sheets and findings (or the rejection) and the audit entry,
//!    together, only while the submission is still `received`.

mod sqlite;

use kakehashi_sdk::{AdapterError, AdapterErrorKind, Finding, Sheet, SheetKind, SourceLocation};
use serde::{Deserialize, Serialize};

pub use sqlite::SqliteStore;

/// A storage failure. Bad input never causes one; these mean the store itself is unwell.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

/// Where a submission is in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionStatus {
    /// Journaled; conversion not finished (a crash here is resumed at start-up).
    Received,
    /// Converted and checked; its sheets are stored (they may still carry error findings).
    Accepted,
    /// The document could not be converted; the raw input is kept.
    Rejected,
}

impl SubmissionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Received => "received",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "accepted" => SubmissionStatus::Accepted,
            "rejected" => SubmissionStatus::Rejected,
            _ => SubmissionStatus::Received,
        }
    }
}

/// What kind of rejection: an unreadable format or encoding, a mapping problem, or a broken
/// document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    Unsupported,
    Mapping,
    Malformed,
}

/// Why a document was rejected, as stored and as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rejection {
    pub kind: RejectionKind,
    pub code: String,
    pub message: String,
    pub message_ja: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

impl From<&AdapterError> for Rejection {
    fn from(e: &AdapterError) -> Self {
        Self {
            kind: match e.kind {
                AdapterErrorKind::Unsupported => RejectionKind::Unsupported,
                AdapterErrorKind::Mapping => RejectionKind::Mapping,
                AdapterErrorKind::Malformed => RejectionKind::Malformed,
            },
            code: e.code.to_owned(),
            message: e.message.clone(),
            message_ja: e.message_ja.clone(),
            location: e.location.as_deref().cloned(),
        }
    }
}

/// A raw input to journal.
#[derive(Debug, Clone)]
pub struct RawInput<'a> {
    pub sha256: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// A submission's identity and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubmissionRecord {
    pub id: String,
    pub sha256: String,
    pub adapter: String,
    /// The mapping asked for; empty when the adapter chose one itself.
    pub mapping: String,
    pub status: SubmissionStatus,
    pub received_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Rejection>,
}

/// A checked sheet ready to store.
#[derive(Debug, Clone)]
pub struct CheckedSheet {
    pub id: String,
    pub sheet: Sheet,
    pub findings: Vec<Finding>,
}

/// A stored sheet's summary, as a submission lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SheetSummary {
    pub id: String,
    pub record_index: u32,
    pub kind: SheetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_group: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_number: Option<u16>,
    pub has_errors: bool,
    pub findings: Vec<Finding>,
}

/// What the conversion of a submission came to.
#[derive(Debug, Clone)]
pub enum Completion {
    Accepted(Vec<CheckedSheet>),
    Rejected(Rejection),
}

/// One audit entry: who did what to which record, with what outcome. The time is the store's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub submission_id: Option<String>,
    pub sheet_id: Option<String>,
    pub outcome: String,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Durable storage for the pipeline.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Journals the raw input (once per SHA-256) and the submission row (once per id), in one
    /// transaction. Returns the submission as stored: a resubmission finds the earlier one.
    async fn journal(
        &self,
        raw: RawInput<'_>,
        submission: &SubmissionRecord,
    ) -> Result<SubmissionRecord, StoreError>;

    /// Stores the outcome of a `received` submission with its audit entry, in one transaction.
    /// Does nothing when the submission was completed already.
    async fn complete(
        &self,
        submission_id: &str,
        completion: &Completion,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    async fn submission(&self, id: &str) -> Result<Option<SubmissionRecord>, StoreError>;

    /// The sheets of a submission with their findings, in record order.
    async fn submission_sheets(&self, id: &str) -> Result<Vec<SheetSummary>, StoreError>;

    /// A stored sheet in canonical form.
    async fn sheet(&self, id: &str) -> Result<Option<Sheet>, StoreError>;

    /// The raw input with this SHA-256.
    async fn raw_input(
        &self,
        sha256: &str,
    ) -> Result<Option<(Option<String>, Vec<u8>)>, StoreError>;

    /// Submissions journaled but never completed (a crash came between the two steps).
    async fn pending_submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError>;

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// The audit log from `after_seq` on, oldest first.
    async fn audit_log(&self, after_seq: i64, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
