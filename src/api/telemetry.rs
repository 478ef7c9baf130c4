//! What every request carries for the operator: an id (`x-request-id`, taken from the client
//! or made here, and echoed in the answer), a tracing span named after it in which every log
//! line of the request is written, and a net for panics. A panic in a handler is a bug; it
//! must not close the client's connection without an answer, so it is caught, counted
//! (`kakehashi_panics_total`), logged in the request's span, and answered 500 with the usual
//! JSON error.

use std::any::Any;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::ApiError;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` (whose innermost layers are already applied) in the panic net, the request
/// span and the request id, in that order from the inside out.
pub fn layer(router: Router) -> Router {
    router
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The span of one request: its id, method and path (ids in paths are not personal data; the
/// query is left out).
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
}

/// The answer to a request whose handler panicked. The panic's message is not logged: it may
/// quote the data being processed (the panic hook logs where it happened).
fn answer_panic(_payload: Box<dyn Any + Send + 'static>) -> Response {
    crate::metrics::record_panic();
    tracing::error!("a request handler panicked; answered 500");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an unexpected error occurred; it has been logged with this request's id (x-request-id)",
        "予期しないエラーが発生しました。このリクエストの ID（x-request-id）とともに記録されています",
    )
    .into_response()
}

/// Logs panics with their location only, in the current span (so a request's id or a
/// submission's id goes with it); the payload is left out because it may quote personal data.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "unknown".into());
        let thread = std::thread::current();
        tracing::error!(
            %location,
            thread = thread.name().unwrap_or("unnamed"),
            "panicked (message withheld: it may quote personal data)"
        );
    }));
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn panicking_handler() -> &'static str {
        let cells: Vec<&str> = Vec::new();
        cells[3]
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_as_json_with_its_request_id() {
        let app = layer(Router::new().route("/boom", get(panicking_handler)));
        let response = app
            .oneshot(
                Request::builder()
                    .uri("/boom")
                    .header("x-request-id", "req-42")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .expect("the panic is answered, not propagated");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["x-request-id"], "req-42");
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(error["code"], "internal");
        assert!(
            error["message_ja"]
                .as_str()
                .unwrap()
                .contains("x-request-id")
        );
    }

    #[tokio::test]
    async fn every_answer_carries_a_request_id_made_here_when_the_client_sent_none() {
        let app = layer(Router::new().route("/ok", get(|| async { "ok" })));
        let response = app
            .oneshot(Request::builder().uri("/ok").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
}
