//! アクセスキー (access keys): how a confirmed sheet reaches the municipality the patient
//! applies to (the 自治体DB copy of seed 001) without the hospital having to know which one.
//!
//! - Confirming a sheet issues its key (`POST /v1/sheets/{id}/confirm`). The answer carries the
//!   key once, as JSON or — with `Accept: application/pdf` — as the patient's printed copy
//!   ([`crate::access_key_notice`]). Only the key's digest is stored, so it cannot be shown
//!   again: `POST /v1/sheets/{id}/access-key` issues a new one (same two answers) and revokes
//!   the old, for a patient who lost the paper.
//! - `POST /v1/access-keys/lookup`: a municipal officer types the key from the paper. A typo
//!   is told apart by the check character (422); an unknown, expired or revoked key is one
//!   answer (404), so nothing can be learnt by probing; too many wrong keys from one person or
//!   one terminal are refused for a while (429, `Retry-After`). A good key binds the sheet to
//!   the officer's municipality, which from then on sees it like any sheet submitted to it.
//!   Every attempt is audited, without the key.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_access_key::{AccessKey, ParseError, RandomError};
use kakehashi_sdk::SourceLocation;
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path};
use super::guard::FailureVerdict;
use super::sheets::{self, SheetView};
use super::{ApiError, AppState};
use crate::access_key_notice::{NoticeFacts, access_key_notice};
use crate::auth::{Principal, access};
use crate::store::{NewAccessKey, Redemption};

/// A sheet with the access key just issued for it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IssuedKeyView {
    #[serde(flatten)]
    pub sheet: SheetView,
    /// The アクセスキー in its printed form (`XXXX-XXXX-XXXX-XXXX-XXXX`). Shown only in this
    /// answer: the gateway keeps only its digest.
    pub access_key: String,
}

/// `POST /v1/access-keys/lookup`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// The key as typed: case, spaces, hyphens, full-width characters and the look-alikes
    /// `O`, `I`, `L` (read as `0`, `1`, `1`) are forgiven.
    pub access_key: String,
}

/// A fresh key and what the store keeps of it.
pub(super) fn new_key(state: &AppState) -> Result<(AccessKey, NewAccessKey), RandomError> {
    let key = AccessKey::generate()?;
    let expires_at = (chrono::Utc::now() + state.access_keys.validity())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let stored = NewAccessKey {
        digest: key.digest(),
        expires_at,
    };
    Ok((key, stored))
}

/// Whether the client asked for a PDF.
fn wants_pdf(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|range| range.split(';').next())
        .any(|media| media.trim().eq_ignore_ascii_case("application/pdf"))
}

/// The answer to a request that issued `key` for sheet `id`: JSON, or the printed notice.
pub(super) async fn issued(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    key: &AccessKey,
) -> Result<Response, ApiError> {
    let view = sheets::reloaded(state, id).await?;
    if !wants_pdf(headers) {
        let answer = IssuedKeyView {
            sheet: view,
            access_key: key.to_string(),
        };
        return Ok(([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response());
    }
    let pdf = notice_pdf(state, &view, key).await?;
    Ok(pdf_answer(id, pdf))
}

/// The patient's printed notice (お知らせ) of `key`, just issued for the sheet of `view`.
pub(crate) async fn notice_pdf(
    state: &AppState,
    view: &SheetView,
    key: &AccessKey,
) -> Result<Vec<u8>, ApiError> {
    let id = view.id.as_str();
    let store = state.store();
    let info = store
        .access_key(id)
        .await?
        .ok_or_else(|| ApiError::internal("the access key just issued is not on record"))?;
    let organisation = match view.organisation_id.as_deref() {
        Some(org) => store.organisation(org).await?.map(|o| o.name),
        None => None,
    };
    let disease = &view.sheet.disease;
    let number = match (disease.group, disease.number) {
        (Some(group), Some(number)) => format!("{group}-{number} "),
        (None, Some(number)) => format!("{number} "),
        _ => String::new(),
    };
    let facts = NoticeFacts {
        sheet_id: id.to_owned(),
        disease: format!(
            "{number}{}",
            disease.name.as_deref().unwrap_or("（記載なし）")
        ),
        institution: organisation
            .or_else(|| view.sheet.institution.name.clone())
            .unwrap_or_default(),
        issued_at: info.issued_at,
        expires_at: info.expires_at,
    };
    let font = state.font.clone();
    let key = key.clone();
    let pdf = tokio::task::spawn_blocking(move || access_key_notice(&font, &key, &facts))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    Ok(pdf)
}

/// The notice of sheet `id`'s key as a PDF download, never cached.
pub(crate) fn pdf_answer(id: &str, pdf: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"access-key-{id}.pdf\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from(pdf),
    )
        .into_response()
}

/// `POST /v1/sheets/{id}/access-key`: a new key for a confirmed sheet, revoking the old one.
pub async fn reissue(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = reissue_key(&state, &principal, &id).await?;
    issued(&state, &headers, &id, &key).await
}

/// Issues a new key for a confirmed sheet and revokes the previous one (the API's and the
/// console's one way): only the hospital that registered it, audited.
pub(crate) async fn reissue_key(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<AccessKey, ApiError> {
    let action = "access_key.reissue";
    let sheet = sheets::load(state, principal, id, action, access::may_read_sheet).await?;
    let audit = principal
        .audit(action, "ok")
        .on("sheet", id)
        .with_patient(sheet.patient_ref.clone());
    let store = state.store();
    state
        .require_role(
            access::may_issue_access_key(principal, &sheet),
            &audit,
            "issue access keys (only the hospital that registered the sheet may)",
            "アクセスキーを発行することは（調査票を登録した医療機関のみ可能です）",
        )
        .await?;
    let (key, new_key) = new_key(state)?;
    let audit = audit.with_detail(format!(
        "access key re-issued, valid until {}; the previous key is revoked",
        new_key.expires_at
    ));
    if store
        .reissue_access_key(id, &principal.user_id, &new_key, &audit)
        .await?
        .is_none()
    {
        store
            .append_audit(&audit.outcome("conflict").with_detail("sheet not confirmed"))
            .await?;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "access_key.sheet_not_confirmed",
            format!(
                "sheet {id} is a draft: its access key is issued when a designated doctor confirms it"
            ),
            format!("調査票 {id} は仮登録です。アクセスキーは指定医が登録した時に発行されます"),
        ));
    }
    Ok(key)
}

/// `POST /v1/access-keys/lookup`
pub async fn lookup(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<LookupRequest>,
) -> Result<Json<SheetView>, ApiError> {
    look_up(&state, &principal, &request.access_key)
        .await
        .map(Json)
}

/// An officer's lookup of the sheet of the key `typed` (as typed from the paper): refuses other
/// roles, rate-limits wrong keys per person and terminal, binds the sheet to the officer's
/// municipality and audits every attempt without the key.
pub(crate) async fn look_up(
    state: &AppState,
    principal: &Principal,
    typed: &str,
) -> Result<SheetView, ApiError> {
    let store = state.store();
    let audit = principal.audit("access_key.lookup", "ok");
    state
        .require_role(
            access::may_look_up_access_keys(principal),
            &audit,
            "look up sheets by access key (municipal officers only)",
            "アクセスキーで調査票を照会することは（自治体の職員のみ可能です）",
        )
        .await?;
    let terminal = principal.terminal.as_deref();
    if let Some(wait) = state
        .guard
        .access_keys_blocked_for(&principal.user_id, terminal)
        .await?
    {
        store.append_audit(&audit.outcome("rate_limited")).await?;
        let seconds = wait.as_secs() + 1;
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "access_key.rate_limited",
            format!("too many wrong access keys; try again in {seconds} seconds"),
            format!(
                "誤ったアクセスキーが続いたため受け付けを停止しています。{seconds} 秒後に再度お試しください"
            ),
        )
        .retry_after(std::time::Duration::from_secs(seconds)));
    }
    let key = match AccessKey::parse(typed) {
        Ok(key) => key,
        Err(e) => {
            let event = audit.outcome("malformed").with_detail(e.to_string());
            store.append_audit(&event).await?;
            count_failure(state, principal).await?;
            return Err(malformed(&e));
        }
    };
    let redemption = store
        .redeem_access_key(&key.digest(), &principal.organisation_id, &audit)
        .await?;
    match redemption {
        Redemption::Unknown => {
            count_failure(state, principal).await?;
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "access_key.unknown",
                "no sheet has this access key, or the key has expired or been replaced",
                "このアクセスキーの調査票はありません（期限切れまたは再発行済みの場合を含みます）",
            ))
        }
        Redemption::BoundElsewhere { .. } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "access_key.bound_elsewhere",
            "the sheet of this access key has been taken up by another municipality",
            "このアクセスキーの調査票は、すでに別の自治体が受け付けています",
        )),
        Redemption::Bound { sheet_id, .. } => {
            sheets::watch_bulk_reading(state, principal).await?;
            sheets::reloaded(state, &sheet_id).await
        }
    }
}

/// Counts a wrong key; when it blocks the person or terminal, an audit alert says so.
async fn count_failure(state: &AppState, principal: &Principal) -> Result<(), ApiError> {
    let verdict = state
        .guard
        .record_access_key_failure(&principal.user_id, principal.terminal.as_deref())
        .await?;
    if verdict == FailureVerdict::Blocked {
        let alert = principal
            .audit("security.access_keys_blocked", "alert")
            .with_detail(format!(
                "{} wrong access keys within {} minutes",
                state.access_keys.failures_before_block, state.access_keys.block_minutes
            ));
        state.store().append_audit(&alert).await?;
        tracing::warn!(user = %principal.user_id, terminal = ?principal.terminal, "blocked access-key lookups after repeated wrong keys");
    }
    Ok(())
}

/// 422 for text that is not a key, saying why in both languages, located at the field.
pub(super) fn malformed(e: &ParseError) -> ApiError {
    let (message_ja, column) = match *e {
        ParseError::WrongLength { found } => (
            format!(
                "アクセスキーは{}文字です（空白とハイフンを除く）。入力は{found}文字でした",
                kakehashi_access_key::LEN
            ),
            None,
        ),
        ParseError::InvalidCharacter {
            character,
            position,
        } => (
            format!(
                "{position}文字目の「{character}」はアクセスキーに使われない文字です（数字と、I・L・O・U 以外の英字のみ）"
            ),
            u32::try_from(position).ok(),
        ),
        ParseError::CheckMismatch => (
            "チェック文字が一致しません。入力を誤っている可能性があります（1文字の誤り、または隣り合う2文字の入れ替え）".to_owned(),
            None,
        ),
    };
    ApiError {
        location: Some(SourceLocation {
            element: Some("access_key".to_owned()),
            column,
            ..SourceLocation::default()
        }),
        ..ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "access_key.malformed",
            e.to_string(),
            message_ja,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_is_chosen_only_when_asked_for() {
        let mut headers = HeaderMap::new();
        assert!(!wants_pdf(&headers));
        headers.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(!wants_pdf(&headers));
        headers.insert(
            header::ACCEPT,
            "text/html, Application/PDF;q=0.9".parse().unwrap(),
        );
        assert!(wants_pdf(&headers));
    }

    #[test]
    fn a_malformed_key_is_explained_in_both_languages_at_its_place() {
        let error = malformed(&ParseError::InvalidCharacter {
            character: 'U',
            position: 3,
        });
        assert_eq!(
            (error.status, error.code.as_str()),
            (422, "access_key.malformed")
        );
        assert!(
            error.message.contains("character 3 (`U`)"),
            "{}",
            error.message
        );
        assert!(error.message_ja.contains("3文字目"), "{}", error.message_ja);
        let location = error.location.unwrap();
        assert_eq!(
            (location.element.as_deref(), location.column),
            (Some("access_key"), Some(3))
        );
        let typo = malformed(&ParseError::CheckMismatch);
        assert!(typo.message.contains("check character"));
        assert!(typo.message_ja.contains("チェック文字"));
    }
}
