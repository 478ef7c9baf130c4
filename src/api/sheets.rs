//! Sheets: list, read, update a draft, confirm (which issues the sheet's access key). An
//! object the caller may not see answers exactly as one that does not exist (404), so ids
//! cannot be probed; the audit trail records the refusal.

use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_sdk::{Finding, Sheet};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::store::{CheckedSheet, SheetListing, SheetQuery, SheetStatus, StoredSheet};

/// A stored sheet with its state and findings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SheetView {
    pub id: String,
    pub submission_id: String,
    pub status: SheetStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality_id: Option<String>,
    pub sheet: Sheet,
    pub findings: Vec<Finding>,
    /// When the sheet's アクセスキー (access key) lapses, once a confirmation issued one. The key
    /// itself is shown only in the answer that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_expires_at: Option<String>,
}

impl SheetView {
    /// The view of a stored sheet, with its access key's expiry.
    pub(crate) async fn load(state: &AppState, s: StoredSheet) -> Result<Self, ApiError> {
        let key = state.store().access_key(&s.id).await?;
        Ok(Self {
            id: s.id,
            submission_id: s.submission_id,
            status: s.status,
            organisation_id: s.organisation_id,
            municipality_id: s.municipality_id,
            sheet: s.sheet,
            findings: s.findings,
            access_key_expires_at: key.map(|k| k.expires_at),
        })
    }
}

/// `?limit=N`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// At most this many, newest first (default 100, at most 1000).
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<SheetListing>>, ApiError> {
    let query = SheetQuery {
        limit: params.limit.unwrap_or(100),
        ..SheetQuery::default()
    };
    list_sheets(&state, &principal, &query)
        .await
        .map(|(sheets, _)| Json(sheets))
}

/// The sheets the caller may see that match `query` (a page of them) and how many match in
/// all, audited: the API's list and the console's.
pub(crate) async fn list_sheets(
    state: &AppState,
    principal: &Principal,
    query: &SheetQuery,
) -> Result<(Vec<SheetListing>, u64), ApiError> {
    let audit = principal.audit("sheet.list", "ok");
    let Some(filter) = access::sheet_filter(principal) else {
        state.store().append_audit(&audit.outcome("denied")).await?;
        return Err(ApiError::role_denied(
            "list sheets",
            "調査票の一覧を見ることは",
        ));
    };
    let sheets = state.store().list_sheets(&filter, query).await?;
    let total = if query.offset == 0 && sheets.len() < query.limit as usize {
        sheets.len() as u64
    } else {
        state.store().count_sheets(&filter, query).await?
    };
    state
        .store()
        .append_audit(&audit.with_detail(format!("{} sheets", sheets.len())))
        .await?;
    Ok((sheets, total))
}

/// Loads a sheet the caller may act on by `allowed`, auditing `action` either way; a sheet
/// they may not see is "not found".
pub(crate) async fn load(
    state: &AppState,
    principal: &Principal,
    id: &str,
    action: &str,
    allowed: fn(&Principal, &StoredSheet) -> bool,
) -> Result<StoredSheet, ApiError> {
    let found = state.store().sheet(id).await?;
    let audit = principal.audit(action, "ok").on("sheet", id);
    match found {
        Some(sheet) if allowed(principal, &sheet) => Ok(sheet),
        Some(sheet) => {
            let outcome = audit.outcome("denied").with_patient(sheet.patient_ref);
            state.store().append_audit(&outcome).await?;
            Err(ApiError::not_found("sheet", "調査票", id))
        }
        None => {
            state
                .store()
                .append_audit(&audit.outcome("not_found"))
                .await?;
            Err(ApiError::not_found("sheet", "調査票", id))
        }
    }
}

/// `?format=json` (the default) or `?format=fhir`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// `json` (the default: the sheet view) or `fhir` (a Bundle of Patient and
    /// QuestionnaireResponse).
    #[schemars(extend("enum" = ["json", "fhir"]))]
    format: Option<String>,
}

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(params): Query<ReadParams>,
) -> Result<Response, ApiError> {
    let fhir = match params.format.as_deref() {
        None | Some("json") => false,
        Some("fhir") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.unknown_format",
                format!("unknown format `{other}`: use json or fhir"),
                format!("形式「{other}」は指定できません。json か fhir を指定してください"),
            ));
        }
    };
    let sheet = read_sheet(&state, &principal, &id).await?;
    if !fhir {
        return Ok(Json(SheetView::load(&state, sheet).await?).into_response());
    }
    let status = match sheet.status {
        SheetStatus::Draft => "in-progress",
        _ => "completed",
    };
    let template = sheet.sheet.disease.number.and_then(|number| {
        state
            .pipeline
            .catalog()
            .templates
            .get(&kakehashi_sdk::DiseaseKey {
                kind: sheet.sheet.kind,
                group: sheet.sheet.disease.group,
                number,
            })
    });
    let bundle = kakehashi_adapter_fhir::sheet_bundle(
        &sheet.sheet,
        template,
        &sheet.id,
        status,
        &state.fhir_base(),
    )
    .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, FHIR_JSON)], bundle).into_response())
}

/// Reads a sheet for `principal` (the API's and the console's one way): only one they may
/// read, audited with the patient's pseudonym and counted towards bulk reading.
pub(crate) async fn read_sheet(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<StoredSheet, ApiError> {
    let sheet = load(state, principal, id, "sheet.read", access::may_read_sheet).await?;
    state
        .store()
        .append_audit(
            &principal
                .audit("sheet.read", "ok")
                .on("sheet", id)
                .with_patient(sheet.patient_ref.clone()),
        )
        .await?;
    watch_bulk_reading(state, principal).await?;
    Ok(sheet)
}

/// Counts a read of a sheet's personal data (as JSON, FHIR or a print) towards the caller's
/// hourly reads; past the configured number, an alert goes into the audit trail and the log.
pub(crate) async fn watch_bulk_reading(
    state: &AppState,
    principal: &Principal,
) -> Result<(), ApiError> {
    if state.guard.record_read(&principal.user_id).await? {
        let alert = principal
            .audit("security.bulk_read", "alert")
            .with_detail(format!(
                "more than {} sheets read within an hour",
                state.security.bulk_read_alert_per_hour
            ));
        state.store().append_audit(&alert).await?;
        tracing::warn!(user = %principal.user_id, "unusual bulk reading of sheets");
    }
    Ok(())
}

/// The media type of FHIR JSON.
pub(super) const FHIR_JSON: &str = "application/fhir+json";

pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Json(edited): Json<Sheet>,
) -> Result<Json<SheetView>, ApiError> {
    update_sheet(&state, &principal, &id, edited)
        .await
        .map(Json)
}

/// Replaces a draft's canonical sheet for `principal` (the API's and the console's one way):
/// checked again, stored with its new findings, audited. The sheet as stored.
pub(crate) async fn update_sheet(
    state: &AppState,
    principal: &Principal,
    id: &str,
    mut edited: Sheet,
) -> Result<SheetView, ApiError> {
    let current = load(state, principal, id, "sheet.update", access::may_read_sheet).await?;
    if !access::may_update_sheet(principal, &current) {
        let audit = principal
            .audit("sheet.update", "denied")
            .on("sheet", id)
            .with_patient(current.patient_ref.clone());
        state.store().append_audit(&audit).await?;
        return Err(if current.status == SheetStatus::Draft {
            ApiError::role_denied("change sheets", "調査票を変更することは")
        } else {
            not_draft(id)
        });
    }
    // Where it came from does not change with an edit; of a renewal's carried-over marks the
    // editor may clear some, and a changed value loses its mark.
    let kept = std::mem::take(&mut edited.provenance.carried_over);
    edited.provenance = current.sheet.provenance.clone();
    let findings = state.pipeline.check(&mut edited);
    crate::renewal::keep_untouched(&current.sheet, &mut edited, &kept);
    let checked = CheckedSheet {
        id: id.to_owned(),
        sheet: edited,
        findings,
        reviews: Vec::new(),
    };
    let audit = principal
        .audit("sheet.update", "ok")
        .on("sheet", id)
        .with_patient(current.patient_ref);
    if !state.store().update_sheet(&checked, &audit).await? {
        return Err(not_draft(id));
    }
    reloaded(state, id).await
}

/// The sheet as stored after a change.
pub(crate) async fn reloaded(state: &AppState, id: &str) -> Result<SheetView, ApiError> {
    let stored = state
        .store()
        .sheet(id)
        .await?
        .ok_or_else(|| ApiError::not_found("sheet", "調査票", id))?;
    SheetView::load(state, stored).await
}

pub(super) fn not_draft(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "sheet.not_draft",
        format!("sheet {id} is confirmed and can no longer be changed"),
        format!("調査票 {id} は登録済みのため変更できません"),
    )
}
