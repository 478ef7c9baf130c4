//! Extractors whose rejections are the API's JSON error: axum's own answer a bad JSON body, a
//! wrong content type or a malformed query with `text/plain` and no code. These wrap axum's
//! and turn each rejection into `{code, message, message_ja}` with the status axum chose.
//! [`json_errors`] is the net under everything else the framework answers by itself (405, a
//! timeout's 408).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;

fn rejected(status: StatusCode, code: &str, detail: String, what_ja: &str) -> ApiError {
    ApiError::new(status, code, detail.clone(), format!("{what_ja}: {detail}"))
}

/// A JSON body (or answer). A body that is not JSON is 400 `request.json_syntax`, one not
/// declared `application/json` 415 `request.json_content_type`, one of the wrong shape 422
/// `request.json_data` naming the field, one over the route's limit 413 `request.too_large`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => {
                let status = rejection.status();
                let detail = rejection.body_text();
                Err(match rejection {
                    JsonRejection::JsonDataError(_) => rejected(
                        status,
                        "request.json_data",
                        detail,
                        "JSON の内容が正しくありません",
                    ),
                    JsonRejection::JsonSyntaxError(_) => rejected(
                        status,
                        "request.json_syntax",
                        detail,
                        "本文が JSON として読めません",
                    ),
                    JsonRejection::MissingJsonContentType(_) => rejected(
                        status,
                        "request.json_content_type",
                        detail,
                        "Content-Type: application/json で送ってください",
                    ),
                    _ if status == StatusCode::PAYLOAD_TOO_LARGE => rejected(
                        status,
                        "request.too_large",
                        detail,
                        "本文が上限を超えています",
                    ),
                    _ => rejected(status, "request.body", detail, "本文を読めません"),
                })
            }
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string read into `T`: 400 `request.invalid_query` naming the parameter otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection: QueryRejection| {
                rejected(
                    rejection.status(),
                    "request.invalid_query",
                    rejection.body_text(),
                    "クエリパラメーターが正しくありません",
                )
            })
    }
}

/// Path parameters read into `T`: 400 `request.invalid_path` otherwise.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection: PathRejection| {
                let status = match rejection.status() {
                    StatusCode::INTERNAL_SERVER_ERROR => StatusCode::BAD_REQUEST,
                    other => other,
                };
                rejected(
                    status,
                    "request.invalid_path",
                    rejection.body_text(),
                    "パスパラメーターが正しくありません",
                )
            })
    }
}

/// The error of a status the framework answered by itself, with a code and its wording.
pub(crate) fn framework_error(status: StatusCode) -> ApiError {
    let (code, message_ja) = framework_wording(status);
    let message = status
        .canonical_reason()
        .unwrap_or("the request was refused")
        .to_lowercase();
    ApiError::new(status, code, message, message_ja)
}

/// The code and Japanese wording of a status the framework answers by itself.
fn framework_wording(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "request.method_not_allowed",
            "このエンドポイントはこのメソッドを受け付けません",
        ),
        StatusCode::REQUEST_TIMEOUT => ("request.timeout", "要求が時間内に完了しませんでした"),
        StatusCode::PAYLOAD_TOO_LARGE => ("request.too_large", "本文が大きすぎます"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "request.unsupported_media_type",
            "この Content-Type は受け付けません",
        ),
        s if s.is_server_error() => ("internal", "予期しないエラーが発生しました（記録済みです）"),
        _ => ("request.rejected", "要求を受け付けられません"),
    }
}

/// Any error answer of the API that is not JSON yet (the framework's 405, a timeout's 408)
/// becomes the JSON error with a code, keeping its status and headers.
pub async fn json_errors(request: Request, next: Next) -> Response {
    // The web console answers its errors as pages of its own.
    let path = request.uri().path();
    if path == "/console" || path.starts_with("/console/") {
        return crate::console::refusals::as_pages(request, next).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = framework_error(status);
    let body = serde_json::to_vec(&error).unwrap_or_default();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
