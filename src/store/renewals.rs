//! Renewals (前回値踏襲): the patient's last confirmed sheet at a hospital, the draft a renewal
//! makes from it, and the patient's consent that another hospital may renew from a sheet.

use kakehashi_sdk::DiseaseKey;

use super::{AuditEvent, CheckedSheet, RawInput, StoreError, SubmissionRecord};

/// Storage of renewals.
#[async_trait::async_trait]
pub trait Renewals: Send + Sync {
    /// The id of the newest confirmed sheet of `organisation` for this patient (pseudonym)
    /// and disease.
    async fn latest_confirmed_sheet(
        &self,
        organisation_id: &str,
        patient_ref: &str,
        disease: &DiseaseKey,
    ) -> Result<Option<String>, StoreError>;

    /// Stores a draft the gateway made itself: the source it was made from as the raw input,
    /// an accepted submission, the sheet with its findings, and the audit record, in one
    /// transaction. False, storing nothing, when the submission exists already (the same
    /// renewal asked again).
    async fn create_sheet(
        &self,
        source: RawInput<'_>,
        submission: &SubmissionRecord,
        sheet: &CheckedSheet,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;

    /// Records, with its audit record, that the patient consented to `organisation_id`
    /// renewing from the sheet. Recording it again changes nothing.
    async fn record_carryover_consent(
        &self,
        sheet_id: &str,
        organisation_id: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;

    /// Whether the patient consented to `organisation_id` renewing from the sheet.
    async fn carryover_consented(
        &self,
        sheet_id: &str,
        organisation_id: &str,
    ) -> Result<bool, StoreError>;
}
