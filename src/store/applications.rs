//! Subsidy applications (申請) from Mynaportal downloads: the municipality's side of the store.
//!
//! An application is known by its municipality and 受付番号. A download is imported in one
//! transaction — its files, every application, an audit record per application changed — so a
//! download is either wholly in the store or not at all, and importing it again is a no-op.
//! Mynaportal's 処理状況 moves on after a download (the applicant withdraws, the municipality
//! updates it in bulk), so a known application takes a downloaded status only when that is an
//! allowed transition from the one stored; nothing else of it changes.

use kakehashi_sdk::{Application, ApplicationStatus, Finding, SheetKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AuditEvent, RawInput, StoreError};

/// Namespace of application ids (UUIDv5 of municipality and 受付番号).
const APPLICATION_NAMESPACE: Uuid = Uuid::from_u128(0x6b1d_4a3e_2f0c_4d51_9a7e_5c3b_8e21_f4a0);

/// The id of the application with this 受付番号 at this municipality.
pub fn application_id(municipality_id: &str, receipt_number: &str) -> String {
    Uuid::new_v5(
        &APPLICATION_NAMESPACE,
        format!("{municipality_id}\n{receipt_number}").as_bytes(),
    )
    .to_string()
}

/// An application read from a download, ready to store.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub receipt_number: String,
    pub application: Application,
    pub findings: Vec<Finding>,
}

/// What importing did to one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// New: stored with the downloaded status.
    Created,
    /// Known, and the download says nothing new.
    Unchanged,
    /// Known; the downloaded status was an allowed transition and replaced the stored one.
    StatusUpdated,
    /// Known; the downloaded status would be a transition that is not allowed (e.g. the
    /// municipality closed the application after the download was made), so the stored
    /// status stays.
    StatusKept,
}

/// One application's result of an import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportResult {
    /// 受付番号
    pub receipt_number: String,
    pub outcome: ImportOutcome,
    /// The status stored after the import.
    pub status: ApplicationStatus,
    /// Findings on the application's values (an unreadable date of birth …).
    pub findings: Vec<Finding>,
}

/// The channel of applications from Mynaportal downloads; an app's is `app:<code>`.
pub const MYNAPORTAL_CHANNEL: &str = "mynaportal";

/// A stored application with what access decisions and the API need.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredApplication {
    pub id: String,
    pub municipality_id: String,
    /// Where it came from: `mynaportal`, or `app:<code>` for an app's (the intake API).
    pub channel: String,
    pub status: ApplicationStatus,
    pub linked_sheet_id: Option<String>,
    pub patient_ref: Option<String>,
    pub application: Application,
    pub findings: Vec<Finding>,
    /// Why it is in its status (要再申請, 却下 …), when the officer who moved it said why.
    pub status_reason: Option<String>,
    pub imported_at: String,
    pub updated_at: String,
}

/// An application as a list shows it: no personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApplicationListing {
    /// 受付番号
    pub receipt_number: String,
    /// Where it came from: `mynaportal`, or `app:<code>` for an app's (the intake API).
    pub channel: String,
    pub kind: SheetKind,
    pub status: ApplicationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_group: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disease_number: Option<u16>,
    /// Whether the application names a registered sheet by access key.
    pub has_access_key: bool,
    /// The sheet the access key found; null until linked.
    pub linked_sheet_id: Option<String>,
    pub imported_at: String,
    pub updated_at: String,
}

/// What a status change came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    NotFound,
    /// Already in that status.
    Unchanged,
    Changed {
        from: ApplicationStatus,
    },
    /// Not an allowed transition ([`ApplicationStatus::may_become`]).
    Refused {
        from: ApplicationStatus,
    },
}

/// Storage of applications.
#[async_trait::async_trait]
pub trait Applications: Send + Sync {
    /// Stores a download for a municipality in one transaction: the files (content-addressed,
    /// sealed; a file stored before is kept as it was), each application once per 受付番号, an
    /// audit record (`audit` with the application as object) for every application created or
    /// whose status changed, and `audit` itself with the counts. Results are in the order
    /// given.
    async fn import_applications(
        &self,
        municipality_id: &str,
        files: &[RawInput<'_>],
        applications: &[NewApplication],
        audit: &AuditEvent,
    ) -> Result<Vec<ImportResult>, StoreError>;

    /// The application with this 受付番号 at this municipality.
    async fn application(
        &self,
        municipality_id: &str,
        receipt_number: &str,
    ) -> Result<Option<StoredApplication>, StoreError>;

    /// The municipality's applications, optionally of one status, by 受付番号.
    async fn list_applications(
        &self,
        municipality_id: &str,
        status: Option<ApplicationStatus>,
    ) -> Result<Vec<ApplicationListing>, StoreError>;

    /// Moves an application to `status` when that is an allowed transition, with its audit
    /// record (outcome `refused` when it is not), in one transaction. A change keeps `reason`
    /// (sealed) as the reason for the new status, or forgets the last one; asking for the status
    /// it is in already gives it a new reason when one is given.
    async fn set_application_status(
        &self,
        municipality_id: &str,
        receipt_number: &str,
        status: ApplicationStatus,
        reason: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<StatusChange, StoreError>;

    /// Links an application to the sheet its access key found, with its audit record. False
    /// when the application is unknown or already linked.
    async fn link_application_sheet(
        &self,
        application_id: &str,
        sheet_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
}
