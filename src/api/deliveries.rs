//! Deliveries to the national DB, for operators: list (dead letters with `?status=dead`), read,
//! retry a dead letter with a fresh retry budget, or discard it. Deliveries carry no personal
//! data; every decision is audited.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::store::{Delivery, DeliveryStatus};

/// `?status=dead&limit=N`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only deliveries in this state.
    status: Option<DeliveryStatus>,
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// The refusal for callers other than operators.
fn not_an_operator() -> ApiError {
    ApiError::role_denied("operate deliveries", "送信の管理をすることは")
}

pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    deliveries(
        &state,
        &principal,
        params.status,
        params.limit.unwrap_or(100),
    )
    .await
    .map(Json)
}

/// The outbox, newest first, only `status` when given, at most `limit` (operators).
pub(crate) async fn deliveries(
    state: &AppState,
    principal: &Principal,
    status: Option<DeliveryStatus>,
    limit: u32,
) -> Result<Vec<Delivery>, ApiError> {
    if !access::may_operate_deliveries(principal) {
        return Err(not_an_operator());
    }
    Ok(state.store().deliveries(status, limit).await?)
}

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Delivery>, ApiError> {
    if !access::may_operate_deliveries(&principal) {
        return Err(not_an_operator());
    }
    state
        .store()
        .delivery(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("delivery", "送信", &id))
}

pub async fn retry(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Delivery>, ApiError> {
    resolve_dead_letter(&state, &principal, &id, DeliveryStatus::Pending)
        .await
        .map(Json)
}

pub async fn discard(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Delivery>, ApiError> {
    resolve_dead_letter(&state, &principal, &id, DeliveryStatus::Discarded)
        .await
        .map(Json)
}

/// Retries dead letter `id` with a fresh budget (`to` pending) or discards it (`to`
/// discarded); operators only, audited.
pub(crate) async fn resolve_dead_letter(
    state: &AppState,
    principal: &Principal,
    id: &str,
    to: DeliveryStatus,
) -> Result<Delivery, ApiError> {
    if !access::may_operate_deliveries(principal) {
        return Err(not_an_operator());
    }
    let action = if to == DeliveryStatus::Pending {
        "delivery.retry"
    } else {
        "delivery.discard"
    };
    let audit = principal.audit(action, "ok").on("delivery", id);
    match state.store().resolve_dead_letter(id, to, &audit).await? {
        Some(delivery) => {
            state.outbox.wake();
            Ok(delivery)
        }
        None => match state.store().delivery(id).await? {
            Some(d) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "delivery.not_dead",
                format!("delivery {id} is {}, not a dead letter", d.status.as_str()),
                format!(
                    "送信 {id} は配信不能ではありません（{}）",
                    d.status.as_str()
                ),
            )),
            None => Err(ApiError::not_found("delivery", "送信", id)),
        },
    }
}
