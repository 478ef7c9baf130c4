//! Errors answered before or around the console's own handlers — the terminal gate's refusals
//! (a terminal not permitted, a blocked address, too many requests), the request timeout —
//! are JSON for the API; a person in a browser gets them as a console page instead, in their
//! language and with the console's protective headers, `Retry-After` kept.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;

use super::headers::{language, protect};
use super::layout::api_error_page;
use crate::api::ApiError;
use crate::api::extract::framework_error;

/// The most of an error body read to turn it into a page; refusals are a few hundred bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// An error body as the API writes it.
#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
    message_ja: String,
}

/// The layer (outermost, for `/console` paths only): any error answer that is not a page yet
/// becomes one.
pub async fn as_pages(request: Request, next: Next) -> Response {
    let lang = language(&request);
    let response = next.run(request).await;
    let status = response.status();
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_page {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    let error = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(said) => ApiError::new(status, &said.code, said.message, said.message_ja),
        Err(_) => framework_error(status),
    };
    let mut page = api_error_page(lang, &error);
    if let Some(wait) = parts.headers.get(header::RETRY_AFTER) {
        page.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    protect(page.headers_mut());
    page
}
