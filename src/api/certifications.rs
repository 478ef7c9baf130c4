//! Decision files (認定 / 不認定) from a municipality's back office, read with a layout of
//! `mappings/municipal/`.
//!
//! `POST /v1/certifications/convert` is a dry run: a municipal officer (or an integrator
//! testing a layout) sees the certifications and findings a file gives, nothing stored.
//! `POST /v1/certifications/import` applies a file, all or nothing: every record must be free
//! of errors and name, by 受付番号, an application of the officer's municipality that is linked
//! to its sheet; otherwise nothing is applied and the error names the record. A decision file
//! is the back office's whole batch, so applying the good half would leave the officer to find
//! out which half went in; importing the corrected file again is safe because it is idempotent.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kakehashi_core::conversion::ReadRecord;
use kakehashi_sdk::{
    ApplicationStatus, Certification, CertificationDecision, Finding, RecordKind, Severity,
    SourceLocation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::consent::{DeliveryOutlook, outlook};
use super::extract::{Json, Query};
use super::submissions::{content_type, read_body};
use super::{ApiError, AppState, applications};
use crate::auth::{Principal, access};
use crate::decode_budget::Reservation;
use crate::pipeline::content_hash;
use crate::store::{
    AuditEvent, CertificationOutcome, NewCertification, RawInput, Rejection, StoreError,
};

/// `?layout=NAME`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    /// The decision file's layout (`mappings/municipal/NAME.toml`); without it the adapter
    /// answers `municipal.layout_required` with the known layouts.
    #[schemars(length(min = 1))]
    pub layout: Option<String>,
}

/// One decision as read, with what the adapter found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConvertedCertification {
    pub certification: Certification,
    pub findings: Vec<Finding>,
}

/// The decisions of a file, in file order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CertificationConversionView {
    pub certifications: Vec<ConvertedCertification>,
}

/// Reads a decision file with a layout through the registered certification adapter; with
/// the decoding budget's reservation, to hold until the records are done with.
async fn read(
    state: &AppState,
    content_type: Option<String>,
    layout: Option<String>,
    body: bytes::Bytes,
) -> Result<
    (
        Result<Vec<ReadRecord<Certification>>, Rejection>,
        Reservation,
    ),
    ApiError,
> {
    let (read, reservation) = state
        .pipeline
        .read(RecordKind::Certification, None, body, content_type, layout)
        .await?;
    Ok((read.map(|r| r.certifications), reservation))
}

pub async fn convert(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ConvertParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CertificationConversionView>, ApiError> {
    let audit = principal.audit("certification.convert", "ok");
    state
        .require_role(
            access::may_convert_decisions(&principal),
            &audit,
            "read decision files",
            "決定ファイルを読み込むことは",
        )
        .await?;
    let body = read_body(&state, &headers, body).await?;
    let (read, _reservation) = read(&state, content_type(&headers), params.layout, body).await?;
    match read {
        Err(rejection) => {
            state
                .store()
                .append_audit(&audit.outcome("failed").with_detail(rejection.code.clone()))
                .await?;
            Err(ApiError::rejected(&rejection, None))
        }
        Ok(read) => {
            state
                .store()
                .append_audit(&audit.with_detail(format!("{} decisions", read.len())))
                .await?;
            let certifications = read
                .into_iter()
                .map(|c| ConvertedCertification {
                    certification: c.record,
                    findings: c.findings,
                })
                .collect();
            Ok(Json(CertificationConversionView { certifications }))
        }
    }
}

/// What importing a decision file did to one application.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AppliedCertification {
    /// 受付番号
    pub receipt_number: String,
    /// The sheet the decision was merged into.
    pub sheet_id: String,
    pub decision: CertificationDecision,
    pub outcome: CertificationOutcome,
    /// The application's status after the import.
    pub application_status: ApplicationStatus,
    /// Whether the application moved to 完了 now; false when it was there already, the
    /// decision was unchanged, or 完了 is not allowed from its status (which then stays).
    pub completed: bool,
    /// 研究利用への同意 as the decision file gives it.
    pub research_consent: bool,
    /// What the consent means for delivery to the national DB; absent when the decision was
    /// unchanged (nothing was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<DeliveryOutlook>,
}

/// Counts of a decision import's outcomes.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct CertificationImportSummary {
    pub decisions: usize,
    pub recorded: usize,
    pub replaced: usize,
    pub unchanged: usize,
    /// Applications moved to 完了.
    pub completed: usize,
    /// Deliveries to the national DB enqueued (or revived) by the decisions' consent.
    pub enqueued: usize,
}

/// What a decision import did, per application in file order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CertificationImportView {
    /// SHA-256 of the decision file as received.
    pub sha256: String,
    pub summary: CertificationImportSummary,
    pub decisions: Vec<AppliedCertification>,
}

/// "line 3" or "line 3, byte 1" (fixed-length files), for messages.
fn place(location: &SourceLocation) -> (String, String) {
    let line = location.line.unwrap_or_default();
    match location.byte {
        Some(byte) => (
            format!("line {line}, byte {byte}"),
            format!("{line} 行目 {byte} バイト目"),
        ),
        None => (format!("line {line}"), format!("{line} 行目")),
    }
}

/// A decision file refused: the error and, when a record's error findings are why, those
/// findings (each located by line and column or byte).
#[derive(Debug)]
pub struct Refusal {
    pub error: ApiError,
    /// Empty when the refusal is not about a record's findings.
    pub findings: Vec<Finding>,
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            findings: Vec::new(),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        if self.findings.is_empty() {
            return self.error.into_response();
        }
        /// The error body with the findings beside it.
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(flatten)]
            error: &'a ApiError,
            findings: &'a [Finding],
        }
        let status =
            StatusCode::from_u16(self.error.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        let body = Body {
            error: &self.error,
            findings: &self.findings,
        };
        (status, Json(body)).into_response()
    }
}

/// Refuses the whole file because of one record, auditing the refusal.
async fn refuse(
    state: &AppState,
    audit: &AuditEvent,
    refusal: Refusal,
) -> Result<CertificationImportView, Refusal> {
    state
        .store()
        .append_audit(
            &audit
                .clone()
                .outcome("refused")
                .with_detail(refusal.error.code.clone()),
        )
        .await?;
    Err(refusal)
}

/// The application a decision answers, linked to its sheet, or the located error that refuses
/// the file.
async fn decision_for(
    state: &AppState,
    principal: &Principal,
    certification: Certification,
    findings: Vec<Finding>,
) -> Result<NewCertification, Refusal> {
    let record = certification.provenance.record_location.clone();
    let errors: Vec<Finding> = findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if let Some(first) = errors.first() {
        let (at, at_ja) = place(first.location.as_ref().unwrap_or(&record));
        let list = |ja: bool| {
            errors
                .iter()
                .map(|f| {
                    let message = if ja { &f.message_ja } else { &f.message };
                    format!("{} ({message})", f.code)
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let error = ApiError {
            location: first.location.clone().or(Some(record)),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "certification.invalid_record",
                format!(
                    "{at}: the decision has errors, so nothing in the file was applied: {}",
                    list(false)
                ),
                format!(
                    "{at_ja}: 決定にエラーがあるため、ファイルのどの決定も反映していません: {}",
                    list(true)
                ),
            )
        };
        return Err(Refusal {
            error,
            findings: errors,
        });
    }
    let location = certification
        .provenance
        .fields
        .get("receipt_number")
        .cloned()
        .unwrap_or(record);
    let (at, at_ja) = place(&location);
    let receipt = certification.receipt_number.clone().unwrap_or_default();
    let found = match receipt.as_str() {
        "" => None,
        r => {
            state
                .store()
                .application(&principal.organisation_id, r)
                .await?
        }
    };
    let Some(application) = found else {
        let (what, what_ja) = if receipt.is_empty() {
            (
                "names no 受付番号".to_owned(),
                "受付番号がありません".to_owned(),
            )
        } else {
            (
                format!("names 受付番号 {receipt}, which is no application of your municipality"),
                format!("受付番号 {receipt} の申請はこの自治体にありません"),
            )
        };
        return Err(Refusal::from(ApiError {
            location: Some(location),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "certification.unknown_application",
                format!("{at}: the decision {what}; nothing in the file was applied"),
                format!("{at_ja}: {what_ja}。ファイルのどの決定も反映していません"),
            )
        }));
    };
    let Some(sheet_id) = application.linked_sheet_id else {
        return Err(Refusal::from(ApiError {
            location: Some(location),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "certification.unlinked_application",
                format!(
                    "{at}: the application with 受付番号 {receipt} is not linked to a sheet; look its access key up first (POST /v1/access-keys/lookup) — nothing in the file was applied"
                ),
                format!(
                    "{at_ja}: 受付番号 {receipt} の申請は調査票と結び付いていません。先にアクセスキーで調査票を照会してください（ファイルのどの決定も反映していません）"
                ),
            )
        }));
    };
    Ok(NewCertification {
        application_id: application.id,
        receipt_number: receipt,
        sheet_id,
        patient_ref: application.patient_ref,
        certification,
    })
}

pub async fn import(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ConvertParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CertificationImportView>, Refusal> {
    applications::require_officer(&state, &principal, "certification.import").await?;
    let body = read_body(&state, &headers, body).await?;
    import_decisions(
        &state,
        &principal,
        body,
        content_type(&headers),
        params.layout,
    )
    .await
    .map(Json)
}

/// Applies a decision file (`body`, of `content_type`, read with `layout`) for the officer's
/// municipality, all or nothing; a refusal names the record (line, column or byte) and its
/// findings. Audited.
pub(crate) async fn import_decisions(
    state: &AppState,
    principal: &Principal,
    body: bytes::Bytes,
    content_type: Option<String>,
    layout: Option<String>,
) -> Result<CertificationImportView, Refusal> {
    applications::require_officer(state, principal, "certification.import").await?;
    let sha256 = content_hash(&body);
    let audit = principal.audit("certification.import", "ok");
    let (read, _reservation) = read(state, content_type.clone(), layout, body.clone()).await?;
    let read = match read {
        Ok(read) => read,
        Err(rejection) => {
            let error = ApiError::rejected(&rejection, None);
            return refuse(state, &audit, error.into()).await;
        }
    };
    let mut decisions = Vec::with_capacity(read.len());
    for c in read {
        match decision_for(state, principal, c.record, c.findings).await {
            Ok(decision) => decisions.push(decision),
            Err(error) => return refuse(state, &audit, error).await,
        }
    }
    let file = RawInput {
        sha256: &sha256,
        content_type: content_type.as_deref(),
        body: &body,
    };
    let effects = state
        .store()
        .record_certifications(&principal.organisation_id, &file, &decisions, &audit)
        .await?;
    let mut summary = CertificationImportSummary {
        decisions: effects.len(),
        ..CertificationImportSummary::default()
    };
    let mut applied = Vec::with_capacity(effects.len());
    for (effect, decision) in effects.into_iter().zip(&decisions) {
        match effect.outcome {
            CertificationOutcome::Recorded => summary.recorded += 1,
            CertificationOutcome::Replaced => summary.replaced += 1,
            CertificationOutcome::Unchanged => summary.unchanged += 1,
        }
        summary.completed += usize::from(effect.completed);
        let delivery = effect.consent.map(|e| outlook(state, e).0);
        summary.enqueued += usize::from(delivery == Some(DeliveryOutlook::Enqueued));
        applied.push(AppliedCertification {
            receipt_number: effect.receipt_number,
            sheet_id: effect.sheet_id,
            decision: decision.certification.decision,
            outcome: effect.outcome,
            application_status: effect.status,
            completed: effect.completed,
            research_consent: decision.certification.research_consent,
            delivery,
        });
    }
    Ok(CertificationImportView {
        sha256,
        summary,
        decisions: applied,
    })
}
