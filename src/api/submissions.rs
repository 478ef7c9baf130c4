//! `POST /v1/submissions` and `GET /v1/submissions/{id}`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{Actor, ApiError, AppState};
use crate::pipeline::Submission;
use crate::store::{SheetSummary, SubmissionRecord};

/// `?adapter=csv&mapping=NAME`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitParams {
    adapter: Option<String>,
    mapping: Option<String>,
}

/// Counts of a submission's sheets and findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub sheets: usize,
    pub sheets_with_errors: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// A submission with its sheets and their findings.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SubmissionView {
    #[serde(flatten)]
    pub submission: SubmissionRecord,
    /// True when these bytes had been submitted before and nothing new was created.
    pub duplicate: bool,
    pub summary: Summary,
    pub sheets: Vec<SheetSummary>,
}

impl SubmissionView {
    fn new(submission: SubmissionRecord, duplicate: bool, sheets: Vec<SheetSummary>) -> Self {
        let mut summary = Summary {
            sheets: sheets.len(),
            ..Summary::default()
        };
        for sheet in &sheets {
            summary.sheets_with_errors += usize::from(sheet.has_errors);
            for f in &sheet.findings {
                match f.severity {
                    kakehashi_sdk::Severity::Error => summary.errors += 1,
                    kakehashi_sdk::Severity::Warning => summary.warnings += 1,
                    kakehashi_sdk::Severity::Info => summary.infos += 1,
                }
            }
        }
        Self {
            submission,
            duplicate,
            summary,
            sheets,
        }
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "submission.too_large",
        format!("the body is larger than the limit of {limit} bytes; split the file"),
        format!("本文が上限 {limit} バイトを超えています。ファイルを分割してください"),
    )
}

pub async fn create(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(params): Query<SubmitParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let body = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "submission.empty",
            "the body is empty; send the file as the request body",
            "本文が空です。ファイルを本文として送信してください",
        ));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (record, fresh) = state
        .pipeline
        .submit(Submission {
            body,
            content_type,
            adapter: params.adapter,
            mapping: params.mapping,
            actor: actor.0,
        })
        .await?;
    if let Some(rejection) = &record.error {
        return Err(ApiError::rejected(rejection, &record.id));
    }
    let sheets = state.pipeline.store().submission_sheets(&record.id).await?;
    let location = format!("/v1/submissions/{}", record.id);
    let view = SubmissionView::new(record, !fresh, sheets);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(view),
    )
        .into_response())
}

pub async fn read(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<SubmissionView>, ApiError> {
    let store = state.pipeline.store();
    let found = store.submission(&id).await?;
    super::audit_read(
        &state,
        actor,
        "submission.read",
        Some(&id),
        None,
        found.is_some(),
    )
    .await?;
    let record = found.ok_or_else(|| ApiError::not_found("submission", "提出", &id))?;
    let sheets = store.submission_sheets(&id).await?;
    Ok(Json(SubmissionView::new(record, false, sheets)))
}
