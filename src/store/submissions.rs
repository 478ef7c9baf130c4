//! Submissions and the sheets they carry: the pipeline's side of the store.

pub use kakehashi_core::conversion::{CheckedSheet, Completion};
pub use kakehashi_core::rejection::{Rejection, RejectionKind};
use kakehashi_sdk::{Finding, Sheet, SheetKind};
use serde::{Deserialize, Serialize};

use super::{AuditEvent, NewAccessKey, StoreError};

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
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionStatus::Received => "received",
            SubmissionStatus::Accepted => "accepted",
            SubmissionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "accepted" => SubmissionStatus::Accepted,
            "rejected" => SubmissionStatus::Rejected,
            _ => SubmissionStatus::Received,
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
    /// The organisation that registered it (`hospital:<医療機関コード>`).
    pub organisation_id: String,
    /// The municipality it is for (`municipality:<code>`), when the sender named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<String>,
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

/// Counts of a submission's sheets and findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SubmissionSummary {
    pub sheets: usize,
    pub sheets_with_errors: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
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

/// Where a sheet is in its life: 仮登録 until a designated doctor confirms it (登録).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    Draft,
    Confirmed,
}

impl SheetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SheetStatus::Draft => "draft",
            SheetStatus::Confirmed => "confirmed",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "confirmed" {
            SheetStatus::Confirmed
        } else {
            SheetStatus::Draft
        }
    }
}

/// A stored sheet with what access decisions need.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSheet {
    pub id: String,
    pub submission_id: String,
    pub organisation_id: Option<String>,
    pub municipality_id: Option<String>,
    pub status: SheetStatus,
    /// When a designated doctor confirmed it (RFC 3339, UTC); None for a draft.
    pub confirmed_at: Option<String>,
    pub patient_ref: Option<String>,
    pub sheet: Sheet,
    pub findings: Vec<Finding>,
}

/// Which sheets to list: those of one organisation, or those for one municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetFilter {
    Organisation(String),
    Municipality(String),
}

/// Which of the visible sheets a listing shows, and which page of them: the filters of the
/// API's list and the console's (disease, state, findings, date), each optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetQuery {
    /// 告示番号
    pub disease_number: Option<u16>,
    pub status: Option<SheetStatus>,
    /// With error findings (true) or without (false).
    pub has_errors: Option<bool>,
    /// Created at or after this time (RFC 3339, UTC, as stored).
    pub created_from: Option<String>,
    /// Created before this time (RFC 3339, UTC, as stored).
    pub created_before: Option<String>,
    /// Sheets skipped before the page.
    pub offset: u32,
    /// Sheets on the page (1 to 1000).
    pub limit: u32,
}

impl Default for SheetQuery {
    fn default() -> Self {
        Self {
            disease_number: None,
            status: None,
            has_errors: None,
            created_from: None,
            created_before: None,
            offset: 0,
            limit: 100,
        }
    }
}

/// A sheet as a list shows it: no personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SheetListing {
    pub id: String,
    pub submission_id: String,
    pub kind: SheetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_group: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_number: Option<u16>,
    pub status: SheetStatus,
    pub has_errors: bool,
    pub created_at: String,
}

/// Storage of submissions and sheets.
#[async_trait::async_trait]
pub trait Submissions: Send + Sync {
    /// Journals the raw input (once per SHA-256) and the submission row (once per id), in one
    /// transaction. Returns the submission as stored: a resubmission finds the earlier one.
    async fn journal(
        &self,
        raw: RawInput<'_>,
        submission: &SubmissionRecord,
    ) -> Result<SubmissionRecord, StoreError>;

    /// Stages sheets of a `received` submission still being read, the first of them its record
    /// `first_index`: a long document is written a chunk at a time instead of held whole until
    /// it is completed. Nobody sees them until then; staging the same record indexes again
    /// replaces them. False (and nothing staged) when the submission is no longer `received`:
    /// another run completed it, and reading further is wasted.
    async fn stage_sheets(
        &self,
        submission_id: &str,
        first_index: usize,
        sheets: &[CheckedSheet],
    ) -> Result<bool, StoreError>;

    /// Stores the outcome of a `received` submission with its audit record, in one
    /// transaction. Does nothing when the submission was completed already. Accepted, its
    /// staged sheets come first and the completion's own sheets follow them; rejected, its
    /// staged sheets are dropped.
    async fn complete(
        &self,
        submission_id: &str,
        completion: &Completion,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    async fn submission(&self, id: &str) -> Result<Option<SubmissionRecord>, StoreError>;

    /// The sheets of a submission whose record indexes are in `records`, with their findings,
    /// in record order.
    async fn submission_sheets(
        &self,
        id: &str,
        records: std::ops::Range<u32>,
    ) -> Result<Vec<SheetSummary>, StoreError>;

    /// Counts of a submission's sheets and of their findings.
    async fn submission_summary(&self, id: &str) -> Result<SubmissionSummary, StoreError>;

    /// A stored sheet with its findings and ownership; a municipal decision on it is merged
    /// into its 行政記載欄 (the stored, confirmed JSON is never rewritten).
    async fn sheet(&self, id: &str) -> Result<Option<StoredSheet>, StoreError>;

    /// A page of the sheets visible through `filter` that match `query`, newest first.
    async fn list_sheets(
        &self,
        filter: &SheetFilter,
        query: &SheetQuery,
    ) -> Result<Vec<SheetListing>, StoreError>;

    /// How many sheets visible through `filter` match `query` (its page aside).
    async fn count_sheets(
        &self,
        filter: &SheetFilter,
        query: &SheetQuery,
    ) -> Result<u64, StoreError>;

    /// Replaces a draft sheet and its findings, with its audit record. False when the sheet is
    /// no longer a draft.
    async fn update_sheet(
        &self,
        sheet: &CheckedSheet,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// Confirms a draft sheet and issues its access key, with its audit record, enqueueing its
    /// delivery when the patient consented. False (and no key) when it was not a draft.
    async fn confirm_sheet(
        &self,
        id: &str,
        confirmed_by: &str,
        access_key: &NewAccessKey,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// The raw input with this SHA-256.
    async fn raw_input(
        &self,
        sha256: &str,
    ) -> Result<Option<(Option<String>, Vec<u8>)>, StoreError>;

    /// Submissions journaled but never completed (a crash came between the two steps).
    async fn pending_submissions(&self) -> Result<Vec<SubmissionRecord>, StoreError>;

    /// Re-seals every row not sealed with the primary data key (after a rotation, or rows a
    /// version-1 store wrote in clear). Returns how many rows were re-sealed.
    async fn reseal(&self) -> Result<u64, StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}
