//! Every way a delivery is refused, with its HTTP status, stable code and messages. The codes
//! are the contract (`conformance/push/PROTOCOL.md`); the messages explain, and name places
//! (JSON pointers, headers), never the sheet's values.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_envelope::EnvelopeError;

use crate::protocol::Problem;

/// A refused delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `Kakehashi-Protocol` is missing or not `1`.
    Protocol(String),
    /// The content type is not one this receiver accepts.
    ContentType(String),
    /// The body exceeds the size limit.
    TooLarge,
    /// No `Idempotency-Key` header.
    MissingKey,
    /// The `Idempotency-Key` header is not 1–128 characters of `[A-Za-z0-9._:-]`.
    InvalidKey,
    /// The envelope or the document cannot be read.
    Malformed(String),
    /// The envelope cannot be decrypted with this receiver's key.
    Undecryptable(String),
    /// The signature names a key that is not an accepted sender.
    UnknownSender(String),
    /// The signature does not verify.
    BadSignature(String),
    /// The sheet does not match the schema: the first errors, `pointer: reason`.
    Schema(Vec<String>),
    /// `delivery_id` differs from the `Idempotency-Key` header.
    KeyMismatch,
    /// The key was used before with a different document.
    Conflict,
    /// The receiver's store failed.
    Unavailable,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::ContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The stable error code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Protocol(_) => "delivery.protocol",
            Self::ContentType(_) => "payload.content_type",
            Self::TooLarge => "payload.too_large",
            Self::MissingKey => "delivery.missing_key",
            Self::InvalidKey => "delivery.invalid_key",
            Self::Malformed(_) => "payload.malformed",
            Self::Undecryptable(_) => "payload.undecryptable",
            Self::UnknownSender(_) => "payload.unknown_sender",
            Self::BadSignature(_) => "payload.bad_signature",
            Self::Schema(_) => "payload.schema",
            Self::KeyMismatch => "delivery.key_mismatch",
            Self::Conflict => "idempotency.conflict",
            Self::Unavailable => "receiver.unavailable",
        }
    }

    /// The message in English and in Japanese.
    fn messages(&self) -> (String, String) {
        let (en, ja, detail) = match self {
            Self::Protocol(found) => (
                "Kakehashi-Protocol must be 1",
                "Kakehashi-Protocol ヘッダーは 1 でなければなりません",
                Some(found.clone()),
            ),
            Self::ContentType(found) => (
                "unsupported content type",
                "対応していない Content-Type です",
                Some(found.clone()),
            ),
            Self::TooLarge => (
                "the body exceeds 10 MiB",
                "本文が 10 MiB を超えています",
                None,
            ),
            Self::MissingKey => (
                "the Idempotency-Key header is required",
                "Idempotency-Key ヘッダーが必要です",
                None,
            ),
            Self::InvalidKey => (
                "the Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 . _ : -",
                "Idempotency-Key は英数字と . _ : - の 1〜128 文字でなければなりません",
                None,
            ),
            Self::Malformed(reason) => (
                "the delivery cannot be read",
                "配信内容を読み取れません",
                Some(reason.clone()),
            ),
            Self::Undecryptable(reason) => (
                "the payload cannot be decrypted with this receiver's key",
                "この受信者の鍵でペイロードを復号できません",
                Some(reason.clone()),
            ),
            Self::UnknownSender(key_id) => (
                "the payload is signed by an unknown sender key",
                "ペイロードの署名鍵が登録されていません",
                Some(format!("kid {key_id}")),
            ),
            Self::BadSignature(key_id) => (
                "the payload signature does not verify",
                "ペイロードの署名を検証できません",
                Some(format!("kid {key_id}")),
            ),
            Self::Schema(errors) => (
                "the sheet does not match sheet.schema.json",
                "調査票が sheet.schema.json に適合しません",
                Some(errors.join("; ")),
            ),
            Self::KeyMismatch => (
                "delivery_id differs from the Idempotency-Key header",
                "delivery_id が Idempotency-Key ヘッダーと一致しません",
                None,
            ),
            Self::Conflict => (
                "this Idempotency-Key was used for a different document",
                "この Idempotency-Key は別の内容の配信に使われています",
                None,
            ),
            Self::Unavailable => (
                "the receiver cannot store deliveries now; retry later with the same key",
                "受信者が現在保存できません。同じキーで後ほど再送してください",
                None,
            ),
        };
        match detail {
            Some(detail) => (format!("{en}: {detail}"), format!("{ja}: {detail}")),
            None => (en.to_owned(), ja.to_owned()),
        }
    }
}

impl From<EnvelopeError> for Refusal {
    fn from(error: EnvelopeError) -> Self {
        match error {
            EnvelopeError::Undecryptable(reason) => Self::Undecryptable(reason),
            EnvelopeError::UnknownSender { key_id } => Self::UnknownSender(key_id),
            EnvelopeError::BadSignature { key_id } => Self::BadSignature(key_id),
            other => Self::Malformed(other.to_string()),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = self.status();
        let (message, message_ja) = self.messages();
        let problem = Problem {
            code: self.code().to_owned(),
            message,
            message_ja,
        };
        let mut response = (status, Json(problem)).into_response();
        if self == Self::TooLarge {
            // The rest of the body was not read: the connection cannot carry another request.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
