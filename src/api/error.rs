//! API errors: every error body is JSON `{code, message, message_ja, location}` with a stable,
//! dotted `code` clients can match on.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kakehashi_sdk::SourceLocation;
use serde::Serialize;

use kakehashi_core::registry::LookupError;

use crate::decode_budget::BudgetError;
use crate::pipeline::SubmitError;
use crate::store::{Rejection, RejectionKind, StoreError};

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    pub message_ja: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The submission the error belongs to, when the input was journaled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_id: Option<String>,
    /// Seconds the client should wait before trying again (the `Retry-After` header).
    #[serde(skip)]
    pub retry_after_seconds: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        message_ja: impl Into<String>,
    ) -> Self {
        Self {
            status: status.as_u16(),
            code: code.to_owned(),
            message: message.into(),
            message_ja: message_ja.into(),
            location: None,
            submission_id: None,
            retry_after_seconds: None,
        }
    }

    /// Tells the client to wait `wait` (whole seconds, rounded up, at least one) before trying
    /// again: a client that waits as told is not refused for the same reason.
    pub fn retry_after(self, wait: std::time::Duration) -> Self {
        let seconds = u64::try_from(wait.as_millis().div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1);
        Self {
            retry_after_seconds: Some(seconds),
            ..self
        }
    }

    /// No `what` (`what_ja` in Japanese) with this id.
    pub fn not_found(what: &str, what_ja: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with id {id}"),
            format!("ID {id} の{what_ja}はありません"),
        )
    }

    /// Something that should not happen; the detail goes to the log, not to the client.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred; it has been logged",
            "予期しないエラーが発生しました（記録済みです）",
        )
    }

    /// The caller's role may not do this at all.
    pub fn role_denied(what: &str, what_ja: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "access.denied",
            format!("your role may not {what}"),
            format!("あなたの権限では{what_ja}できません"),
        )
    }

    /// A rejected submission: 415 for an unreadable encoding or format, 400 for a mapping
    /// problem, 422 for a broken document, 500 when the gateway failed on it.
    pub fn rejected(rejection: &Rejection, submission_id: Option<&str>) -> Self {
        let status = match rejection.kind {
            RejectionKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RejectionKind::Mapping => StatusCode::BAD_REQUEST,
            RejectionKind::Malformed => StatusCode::UNPROCESSABLE_ENTITY,
            RejectionKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self {
            location: rejection.location.as_deref().cloned(),
            submission_id: submission_id.map(str::to_owned),
            ..Self::new(
                status,
                &rejection.code,
                &rejection.message,
                &rejection.message_ja,
            )
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store failure");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store.unavailable",
            "the store is unavailable; nothing was acknowledged, please retry",
            "データベースに接続できません。受け付けていませんので再送してください",
        )
    }
}

impl From<kakehashi_access_key::RandomError> for ApiError {
    fn from(e: kakehashi_access_key::RandomError) -> Self {
        Self::internal(&e.to_string())
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Adapter(e) => Self::from(e),
            SubmitError::Store(e) => e.into(),
            SubmitError::Budget(e) => e.into(),
            SubmitError::Worker(reason) => {
                tracing::error!(%reason, "conversion worker failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the conversion failed unexpectedly; the input is journaled and will be processed again shortly",
                    "変換中に予期しないエラーが発生しました。入力は保存済みで、まもなく再処理されます",
                )
            }
        }
    }
}

impl From<BudgetError> for ApiError {
    fn from(e: BudgetError) -> Self {
        match e {
            BudgetError::Busy { retry_after } => {
                let seconds = retry_after.as_secs().max(1);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!("the gateway is reading as many documents as its memory allows; nothing was stored, send it again in {seconds} seconds"),
                    format!("ゲートウェイは同時に読める文書の上限に達しています。何も保存していませんので、{seconds} 秒後に再送してください"),
                )
                .retry_after(retry_after)
            }
        }
    }
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::Unknown { name, kind, known } => Self::new(
                StatusCode::BAD_REQUEST,
                "submission.unknown_adapter",
                format!("no adapter named `{name}` reads {kind} records (known: {known})"),
                format!(
                    "{}を読むアダプター `{name}` はありません（利用可能: {known}）",
                    kind.ja()
                ),
            ),
            LookupError::WrongKind {
                name,
                kind,
                produces,
            } => Self::new(
                StatusCode::BAD_REQUEST,
                "submission.unknown_adapter",
                format!("adapter `{name}` reads {produces} records, not {kind} records"),
                format!(
                    "アダプター `{name}` が読むのは{}で、{}ではありません",
                    produces.ja(),
                    kind.ja()
                ),
            ),
            LookupError::Unsniffed {
                kind,
                content_type,
                known,
            } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "submission.unsupported_media_type",
                format!(
                    "no {kind} adapter reads content type {content_type}; send a type one of them reads (known: {known}), or name one with ?adapter="
                ),
                format!(
                    "Content-Type {content_type} の{}を読めるアダプターがありません（利用可能: {known}）。対応する形式で送るか ?adapter= で指定してください",
                    kind.ja()
                ),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after_seconds;
        let mut response = (status, Json(self)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_spent_budget_is_busy_with_retry_after() {
        let busy = ApiError::from(BudgetError::Busy {
            retry_after: Duration::from_secs(5),
        });
        assert_eq!(
            (busy.status, busy.code.as_str(), busy.retry_after_seconds),
            (503, "busy", Some(5))
        );
        assert!(busy.message_ja.contains("5 秒後"), "{}", busy.message_ja);
        let response = busy.into_response();
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "5");
    }
}
