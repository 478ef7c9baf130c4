//! `GET /v1/sheets/{id}/judgment`: the machine judgment (機械判定 / 一次判定) of a stored sheet,
//! for whoever may read the sheet; the read is audited like the sheet's own.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::judgment::Judgment;

/// `?applied_on=2026-11-21` (申請日; 和暦 accepted): where the 軽症高額 window ends. Today (JST)
/// when absent.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgmentParams {
    /// 申請日 (YYYY-MM-DD or 和暦): the 軽症高額 window ends at its month; today (JST) when
    /// absent.
    #[schemars(extend("format" = "date"))]
    applied_on: Option<String>,
}

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(params): Query<JudgmentParams>,
) -> Result<Json<Judgment>, ApiError> {
    judge(&state, &principal, &id, params.applied_on.as_deref())
        .await
        .map(Json)
}

/// The machine judgment of sheet `id` for whoever may read it, as of 申請日 `applied_on`
/// (today in Japan when absent); audited like a read of the sheet.
pub(crate) async fn judge(
    state: &AppState,
    principal: &Principal,
    id: &str,
    applied_on: Option<&str>,
) -> Result<Judgment, ApiError> {
    let application_date = match applied_on {
        None => crate::pipeline::today_in_japan(),
        Some(text) => kakehashi_sdk::parse::parse_date(text).map_err(|reason| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.invalid_date",
                format!("applied_on: {reason}"),
                format!("applied_on（申請日）を日付として読めません: {reason}"),
            )
        })?,
    };
    judge_on(state, principal, id, application_date).await
}

/// The machine judgment of sheet `id` for whoever may read it, as of `application_date`;
/// audited like a read of the sheet.
pub(crate) async fn judge_on(
    state: &AppState,
    principal: &Principal,
    id: &str,
    application_date: chrono::NaiveDate,
) -> Result<Judgment, ApiError> {
    let sheet = super::sheets::load(
        state,
        principal,
        id,
        "sheet.judgment",
        access::may_read_sheet,
    )
    .await?;
    let judgment = state
        .pipeline
        .catalog()
        .judge(&sheet.sheet, application_date);
    state
        .store()
        .append_audit(
            &principal
                .audit("sheet.judgment", "ok")
                .on("sheet", id)
                .with_patient(sheet.patient_ref),
        )
        .await?;
    Ok(judgment)
}
