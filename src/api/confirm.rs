//! Confirmation (登録): a designated doctor confirms a draft sheet, and its access key is
//! issued in the same transaction. It sits between the sheets and the access keys, so neither
//! of those modules needs the other's handlers.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::extract::Path;
use kakehashi_access_key::AccessKey;

use super::{ApiError, AppState, access_keys, sheets};
use crate::auth::{Principal, access};

/// Confirms a draft and issues its access key: answered as JSON ([`access_keys::IssuedKeyView`]) or, with
/// `Accept: application/pdf`, as the patient's printed copy of the key.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = confirm_sheet(&state, &principal, &id).await?;
    access_keys::issued(&state, &headers, &id, &key).await
}

/// Confirms a draft for `principal` (the API's and the console's one way): only who may
/// confirm it, only without errors or OCR values waiting for review; audited. The key it
/// issued, which exists nowhere else.
pub(crate) async fn confirm_sheet(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<AccessKey, ApiError> {
    let current = sheets::load(
        state,
        principal,
        id,
        "sheet.confirm",
        access::may_read_sheet,
    )
    .await?;
    let audit = principal
        .audit("sheet.confirm", "ok")
        .on("sheet", id)
        .with_patient(current.patient_ref.clone());
    state
        .require_role(
            access::may_confirm_sheet(principal, &current),
            &audit,
            "confirm sheets (only a designated doctor of the institution may)",
            "調査票を登録することは（医療機関の指定医のみ可能です）",
        )
        .await?;
    let open = state.store().open_review_count(id).await?;
    if open > 0 {
        state
            .store()
            .append_audit(
                &audit
                    .clone()
                    .outcome("refused")
                    .with_detail("review.pending"),
            )
            .await?;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "review.pending",
            format!(
                "{open} values read by OCR wait for review (GET /v1/review); the sheet is registered once they are checked"
            ),
            format!(
                "OCR で読み取った {open} 件の値が確認待ちです（GET /v1/review）。確認が済むと登録できます"
            ),
        ));
    }
    if crate::checks::has_errors(&current.findings) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "sheet.has_errors",
            "the sheet still has errors; correct them before confirming",
            "調査票にエラーが残っています。修正してから登録してください",
        ));
    }
    let (key, new_key) = access_keys::new_key(state)?;
    let audit = audit.with_detail(format!(
        "access key issued, valid until {}",
        new_key.expires_at
    ));
    if !state
        .store()
        .confirm_sheet(id, &principal.user_id, &new_key, &audit)
        .await?
    {
        return Err(sheets::not_draft(id));
    }
    // A consented sheet's delivery was enqueued with the confirmation.
    state.outbox.wake();
    Ok(key)
}
