//! Municipal decisions (認定 / 不認定) on applications: the municipality's answer, read from its
//! back office's decision file.
//!
//! A decision file is applied whole or not at all, in one transaction: per application the
//! decision, the application's status (完了), the research consent (through the same path as
//! `POST /v1/sheets/{id}/consent`, so a consented, confirmed sheet's delivery is enqueued in
//! that transaction) and an audit record. A decision is kept beside the sheet rather than
//! written into it — the sheet is what the designated doctor confirmed — and reads of the sheet
//! merge it into the 行政記載欄 ([`kakehashi_sdk::Certification::apply_to`]).

use kakehashi_sdk::{ApplicationStatus, Certification, CertificationDecision};
use serde::{Deserialize, Serialize};

use super::{AuditEvent, ConsentEffect, RawInput, StoreError};

/// A decision ready to store: the application it answers, already found and linked.
#[derive(Debug, Clone)]
pub struct NewCertification {
    pub application_id: String,
    /// 受付番号
    pub receipt_number: String,
    /// The sheet the application is linked to.
    pub sheet_id: String,
    /// The application's patient reference, for the audit trail.
    pub patient_ref: Option<String>,
    pub certification: Certification,
}

/// What importing did to one application's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificationOutcome {
    /// The application had no decision yet.
    Recorded,
    /// A different decision replaced the stored one.
    Replaced,
    /// The same decision was stored already (where it was read from aside): nothing changed.
    Unchanged,
}

/// One application's result of a decision import.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificationEffect {
    /// 受付番号
    pub receipt_number: String,
    pub sheet_id: String,
    pub outcome: CertificationOutcome,
    /// The application's status after the import.
    pub status: ApplicationStatus,
    /// Whether the application moved to 完了; false when it was there already, the decision
    /// was unchanged, or 完了 is not an allowed transition from its status (then it stays).
    pub completed: bool,
    /// What the decision's research consent did to the sheet's delivery; None when the
    /// decision was unchanged.
    pub consent: Option<ConsentEffect>,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCertification {
    pub application_id: String,
    /// 受付番号
    pub receipt_number: String,
    pub sheet_id: String,
    pub certification: Certification,
    pub recorded_at: String,
}

/// Storage of decisions.
#[async_trait::async_trait]
pub trait Certifications: Send + Sync {
    /// Stores a decision file's decisions for a municipality in one transaction: the file
    /// (content-addressed, sealed), each decision once per application, the application's
    /// status, the research consent with its effect on delivery, an audit record (`audit`
    /// with the application as object) per application changed and `audit` itself with the
    /// counts. Results are in the order given.
    async fn record_certifications(
        &self,
        municipality_id: &str,
        file: &RawInput<'_>,
        decisions: &[NewCertification],
        audit: &AuditEvent,
    ) -> Result<Vec<CertificationEffect>, StoreError>;

    /// The decision on the application with this 受付番号 at this municipality.
    async fn certification(
        &self,
        municipality_id: &str,
        receipt_number: &str,
    ) -> Result<Option<StoredCertification>, StoreError>;

    /// The municipality's decisions, optionally of one kind, by 受付番号.
    async fn list_certifications(
        &self,
        municipality_id: &str,
        decision: Option<CertificationDecision>,
    ) -> Result<Vec<StoredCertification>, StoreError>;
}

/// Whether two decisions say the same, wherever they were read from.
pub fn same_decision(a: &Certification, b: &Certification) -> bool {
    let mut a = a.clone();
    a.provenance = b.provenance.clone();
    a == *b
}
