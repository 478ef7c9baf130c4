//! `GET /v1/sheets/{id}`: one stored sheet in canonical JSON. Every read is audited.

use axum::Json;
use axum::extract::{Extension, Path, State};
use kakehashi_sdk::Sheet;

use super::{Actor, ApiError, AppState};
use crate::store::AuditEntry;

pub async fn read(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<Sheet>, ApiError> {
    let store = state.pipeline.store();
    let sheet = store.sheet(&id).await?;
    store
        .append_audit(&AuditEntry {
            actor: actor.0,
            action: "sheet.read".into(),
            submission_id: None,
            sheet_id: Some(id.clone()),
            outcome: if sheet.is_some() { "ok" } else { "not_found" }.into(),
        })
        .await?;
    sheet
        .map(Json)
        .ok_or_else(|| ApiError::not_found("sheet", &id))
}
