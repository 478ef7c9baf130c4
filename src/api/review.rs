//! The review queue of scanned paper sheets (seed 003's paper path): `GET /v1/review` lists the
//! values OCR doubts or the checks refused, `GET /v1/review/{id}/image` shows the box as
//! scanned, `POST /v1/review/{id}` records what the reviewer reads there. A sheet with open
//! tasks cannot be registered. Municipal officers of the sheet's municipality only; every read
//! and write audited with the patient.

use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_sdk::{HeaderField, Item, ItemValue, Sheet};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState, sheets};
use crate::auth::{Principal, access};
use crate::store::{CheckedSheet, ReviewTask, StoredSheet};

/// A task as listed: with where to fetch its image.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub task: ReviewTask,
    /// `GET` this for the box as scanned (PNG).
    pub image: String,
}

impl From<ReviewTask> for ReviewItem {
    fn from(task: ReviewTask) -> Self {
        Self {
            image: format!("/v1/review/{}/image", task.id),
            task,
        }
    }
}

/// The open tasks of the caller's municipality.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReviewList {
    pub tasks: Vec<ReviewItem>,
}

/// `?limit=N` (default 100, at most 1000)
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<u32>,
}

/// What the reviewer reads in the box.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewAnswer {
    /// The value as written on the paper; `null` when the box is empty.
    pub value: Option<String>,
}

/// The task as resolved, and what is left of its sheet's queue.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReviewOutcome {
    pub task: ReviewTask,
    /// Tasks of the same sheet still open; at 0 the sheet can be registered.
    pub open_for_sheet: u64,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ListParams>,
) -> Result<Json<ReviewList>, ApiError> {
    let tasks = open_tasks(&state, &principal, params.limit.unwrap_or(100)).await?;
    Ok(Json(ReviewList {
        tasks: tasks.into_iter().map(ReviewItem::from).collect(),
    }))
}

/// The open tasks of the caller's municipality, oldest first, at most `limit`; the values
/// they show are audited per sheet with its patient. Municipal officers only.
pub(crate) async fn open_tasks(
    state: &AppState,
    principal: &Principal,
    limit: u32,
) -> Result<Vec<ReviewTask>, ApiError> {
    let store = state.store();
    let Some(municipality) = access::review_queue(principal) else {
        store
            .append_audit(&principal.audit("review.list", "denied"))
            .await?;
        return Err(ApiError::role_denied(
            "review scanned sheets (municipal officers only)",
            "スキャンした調査票を確認することは（自治体職員のみ可能です）",
        ));
    };
    let tasks = store.open_reviews(&municipality, limit).await?;
    // The list shows values as read: one audit record per sheet, with its patient.
    let mut sheet_ids: Vec<&str> = tasks.iter().map(|t| t.sheet_id.as_str()).collect();
    sheet_ids.dedup();
    for id in sheet_ids {
        let patient = store.sheet(id).await?.and_then(|s| s.patient_ref);
        store
            .append_audit(
                &principal
                    .audit("review.list", "ok")
                    .on("sheet", id)
                    .with_patient(patient),
            )
            .await?;
    }
    Ok(tasks)
}

/// Loads a task and its sheet if the caller may review it; audits a refusal as not found.
async fn load(
    state: &AppState,
    principal: &Principal,
    id: &str,
    action: &str,
) -> Result<(ReviewTask, StoredSheet), ApiError> {
    let store = state.store();
    let task = match store.review(id).await? {
        Some(task) => task,
        None => {
            store
                .append_audit(&principal.audit(action, "not_found").on("review", id))
                .await?;
            return Err(ApiError::not_found("review task", "確認項目", id));
        }
    };
    let sheet = sheets::load(state, principal, &task.sheet_id, action, access::may_review).await?;
    Ok((task, sheet))
}

pub async fn image(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    box_image(&state, &principal, &id).await
}

/// The PNG of task `id`'s box as scanned and straightened, for a reviewer of its sheet;
/// audited with the patient.
pub(crate) async fn box_image(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<Response, ApiError> {
    let (task, sheet) = load(state, principal, id, "review.image").await?;
    let png = state
        .store()
        .review_image(&task.id)
        .await?
        .ok_or_else(|| ApiError::not_found("review task", "確認項目", id))?;
    state
        .store()
        .append_audit(
            &principal
                .audit("review.image", "ok")
                .on("review", id)
                .with_patient(sheet.patient_ref),
        )
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

fn invalid_value(target: &str, reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "review.invalid_value",
        format!("{target}: {reason}"),
        format!("{target} の値として読めません: {reason}"),
    )
}

/// Puts the reviewer's value into the sheet: a header field through the SDK's reader (so
/// `昭和55年3月14日` becomes a date), an item as text for the checks to type; `None` clears it.
/// Returns why the value does not fit.
fn apply(sheet: &mut Sheet, target: &str, value: Option<&str>) -> Result<(), String> {
    let field: Option<HeaderField> = serde_json::from_value(serde_json::json!(target)).ok();
    match (field, value) {
        (Some(field), Some(text)) => field.apply(sheet, text)?,
        (Some(_), None) => {
            // Clear the field by its path in the canonical JSON.
            let mut json = serde_json::to_value(&*sheet).map_err(|e| e.to_string())?;
            let mut parts: Vec<&str> = target.split('.').collect();
            let last = parts.pop().unwrap_or_default();
            let parent = parts
                .iter()
                .try_fold(&mut json, |node, part| node.get_mut(*part));
            if let Some(serde_json::Value::Object(map)) = parent {
                map.remove(last);
            }
            *sheet = serde_json::from_value(json).map_err(|e| e.to_string())?;
        }
        (None, Some(text)) => {
            let source = sheet.items.get(target).and_then(|i| i.source.clone());
            sheet.items.insert(
                target.to_owned(),
                Item::read(ItemValue::Text(text.to_owned()), source),
            );
        }
        (None, None) => {
            sheet.items.remove(target);
        }
    }
    // A person read it: no recognition confidence any more.
    sheet.provenance.confidence.remove(target);
    Ok(())
}

pub async fn resolve(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Json(answer): Json<ReviewAnswer>,
) -> Result<Json<ReviewOutcome>, ApiError> {
    resolve_task(&state, &principal, &id, answer.value.as_deref())
        .await
        .map(Json)
}

/// Records `value` (what the reviewer reads in the box; `None` or blank when it is empty) for
/// task `id` and checks its sheet again; audited with the patient.
pub(crate) async fn resolve_task(
    state: &AppState,
    principal: &Principal,
    id: &str,
    value: Option<&str>,
) -> Result<ReviewOutcome, ApiError> {
    let (task, current) = load(state, principal, id, "review.resolve").await?;
    let already = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "review.resolved",
            format!("review task {id} was resolved already, or its sheet is registered"),
            format!("確認項目 {id} は確認済みか、調査票が登録済みです"),
        )
    };
    if task.status != crate::store::ReviewStatus::Open {
        return Err(already());
    }
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    let mut sheet = current.sheet;
    apply(&mut sheet, &task.target, value)
        .map_err(|reason| invalid_value(&task.target, &reason))?;
    // Findings the adapter made about this value (it could not read it) are settled; those
    // about other values stay until their own review, and the checks run afresh.
    let mut findings: Vec<_> = current
        .findings
        .into_iter()
        .filter(|f| f.code == "field.unreadable" && f.item.as_deref() != Some(&task.target))
        .collect();
    findings.extend(state.pipeline.check(&mut sheet));
    let checked = CheckedSheet {
        id: current.id.clone(),
        sheet,
        findings,
        reviews: Vec::new(),
    };
    let audit = principal
        .audit("review.resolve", "ok")
        .on("review", id)
        .with_patient(current.patient_ref)
        .with_detail(format!("sheet {} {}", current.id, task.target));
    if !state
        .store()
        .resolve_review(id, &principal.user_id, &checked, &audit)
        .await?
    {
        return Err(already());
    }
    let store = state.store();
    let task = store
        .review(id)
        .await?
        .ok_or_else(|| ApiError::not_found("review task", "確認項目", id))?;
    Ok(ReviewOutcome {
        open_for_sheet: store.open_review_count(&current.id).await?,
        task,
    })
}
