//! What the back office needs to issue 受給者証 (recipient certificates) from stored decisions:
//! `GET /v1/certifications/issuing-file?layout=NAME`, the municipality's certified decisions in
//! the layout its decision files come in (one layout file describes the exchange both ways),
//! and `GET /v1/certifications/{receipt_number}/pmh`, one decision as the JSON of the Digital
//! Agency's PMH 医療費助成対象者情報登録API. The patient fields come from the application the
//! decision answers (what the applicant declared to the municipality). Both carry personal
//! data, so both are audited.

use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_adapter_csv::mapping::Encoding;
use kakehashi_adapter_municipal::layout::Format;
use kakehashi_adapter_municipal::{
    ExportError, IssuingRow, Layout, PmhRegistration, pmh_registration, write_issuing_file,
};
use kakehashi_sdk::CertificationDecision;
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState, applications};
use crate::auth::Principal;
use crate::store::Rejection;

/// `?layout=NAME`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuingParams {
    /// The back office's layout (`mappings/municipal/NAME.toml`).
    #[schemars(length(min = 1))]
    layout: String,
}

/// An export the stored decisions cannot be written in (a value too long for its field, a
/// character CP932 lacks, a decision PMH does not take …), naming the 受付番号.
fn unwritable(e: &ExportError, receipt_number: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.code,
        format!("受付番号 {receipt_number}: {}", e.message),
        format!("受付番号 {receipt_number}: {}", e.message_ja),
    )
}

pub async fn issuing_file(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<IssuingParams>,
) -> Result<Response, ApiError> {
    issuing_file_for(&state, &principal, &params.layout).await
}

/// The officer's municipality's certified decisions as the issuing file in `layout`, ready to
/// download; audited with the 受付番号 it carries.
pub(crate) async fn issuing_file_for(
    state: &AppState,
    principal: &Principal,
    layout: &str,
) -> Result<Response, ApiError> {
    applications::require_officer(state, principal, "certification.issuing_file").await?;
    let layout = Layout::load(&state.pipeline.catalog().mappings, layout)
        .map_err(|e| ApiError::rejected(&Rejection::from(&e), None))?;
    let store = state.store();
    let municipality = &principal.organisation_id;
    let decisions = store
        .list_certifications(municipality, Some(CertificationDecision::Certified))
        .await?;
    let mut patients = Vec::with_capacity(decisions.len());
    for d in &decisions {
        let application = store
            .application(municipality, &d.receipt_number)
            .await?
            .ok_or_else(|| ApiError::internal("a decision without its application"))?;
        patients.push(application.application.patient);
    }
    let rows: Vec<IssuingRow<'_>> = decisions
        .iter()
        .zip(&patients)
        .map(|(d, patient)| IssuingRow {
            certification: &d.certification,
            patient,
        })
        .collect();
    let file = write_issuing_file(&layout, &rows)
        .map_err(|e| unwritable(&e, &decisions[e.record].receipt_number))?;
    let receipts: Vec<&str> = decisions
        .iter()
        .map(|d| d.receipt_number.as_str())
        .collect();
    store
        .append_audit(
            &principal
                .audit("certification.issuing_file", "ok")
                .with_detail(format!(
                    "{} certificates in layout {}: {}",
                    decisions.len(),
                    layout.name,
                    receipts.join(", ")
                )),
        )
        .await?;
    let content_type = match &layout.format {
        Format::Csv(csv) if csv.encoding == Encoding::ShiftJis => "text/csv; charset=shift_jis",
        Format::Csv(_) => "text/csv; charset=utf-8",
        Format::Fixed(_) => "text/plain; charset=shift_jis",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"issuing-{}.txt\"", layout.name),
            ),
        ],
        file,
    )
        .into_response())
}

pub async fn pmh(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(receipt_number): Path<String>,
) -> Result<Json<PmhRegistration>, ApiError> {
    pmh_for(&state, &principal, &receipt_number).await.map(Json)
}

/// The certified decision on application `receipt_number` as the PMH hub's registration;
/// audited with the patient.
pub(crate) async fn pmh_for(
    state: &AppState,
    principal: &Principal,
    receipt_number: &str,
) -> Result<PmhRegistration, ApiError> {
    applications::require_officer(state, principal, "certification.pmh").await?;
    let store = state.store();
    let municipality = &principal.organisation_id;
    let audit = principal.audit("certification.pmh", "ok");
    let found = match store.certification(municipality, receipt_number).await? {
        Some(d) => store
            .application(municipality, receipt_number)
            .await?
            .map(|a| (d, a)),
        None => None,
    };
    let Some((decision, application)) = found else {
        store
            .append_audit(
                &audit
                    .outcome("not_found")
                    .with_detail(receipt_number.to_owned()),
            )
            .await?;
        return Err(ApiError::not_found(
            "decision on the application",
            "申請の決定",
            receipt_number,
        ));
    };
    let audit = audit
        .on("application", &application.id)
        .with_patient(application.patient_ref.clone());
    match pmh_registration(&decision.certification, &application.application.patient) {
        Ok(registration) => {
            store.append_audit(&audit).await?;
            Ok(registration)
        }
        Err(e) => {
            store
                .append_audit(&audit.outcome("refused").with_detail(e.code))
                .await?;
            Err(unwritable(&e, receipt_number))
        }
    }
}
