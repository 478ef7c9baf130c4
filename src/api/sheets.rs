//! `GET /v1/sheets/{id}`: one stored sheet in canonical JSON. Every read is audited.

use axum::Json;
use axum::extract::{Extension, Path, State};
use kakehashi_sdk::Sheet;

use super::{Actor, ApiError, AppState};

pub async fn read(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<Sheet>, ApiError> {
    let sheet = state.pipeline.store().sheet(&id).await?;
    super::audit_read(
        &state,
        actor,
        "sheet.read",
        None,
        Some(&id),
        sheet.is_some(),
    )
    .await?;
    sheet
        .map(Json)
        .ok_or_else(|| ApiError::not_found("sheet", "調査票", &id))
}
