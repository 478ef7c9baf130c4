//! The HTTP API (axum): versioned JSON under `/v1`, Prometheus text on `/metrics`.
//!
//! Who the caller is reaches handlers as an [`Actor`] request extension set by a layer. Today
//! that layer ([`unauthenticated`]) marks every request as coming from an unauthenticated
//! development client; the terminal-certificate and user-token layer replaces it without
//! touching the handlers.

mod error;
mod openapi;
mod sheets;
mod submissions;
mod system;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use error::ApiError;
pub use openapi::document as openapi_document;
pub use submissions::SubmissionView;

use crate::pipeline::Pipeline;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pipeline: Pipeline,
    pub max_body_bytes: usize,
}

/// Who is calling, for authorisation and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

/// Marks every request as an unauthenticated development client.
pub async fn unauthenticated(mut request: Request, next: Next) -> Response {
    request
        .extensions_mut()
        .insert(Actor("unauthenticated".to_owned()));
    next.run(request).await
}

/// Records a read of stored data in the audit log, found or not, before answering.
async fn audit_read(
    state: &AppState,
    actor: Actor,
    action: &str,
    submission_id: Option<&str>,
    sheet_id: Option<&str>,
    found: bool,
) -> Result<(), ApiError> {
    let entry = crate::store::AuditEntry {
        actor: actor.0,
        action: action.to_owned(),
        submission_id: submission_id.map(str::to_owned),
        sheet_id: sheet_id.map(str::to_owned),
        outcome: if found { "ok" } else { "not_found" }.to_owned(),
    };
    Ok(state.pipeline.store().append_audit(&entry).await?)
}

async fn count_responses(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    crate::metrics::record_response(response.status().as_u16());
    response
}

/// The API's routes, without the identity layer.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/v1/submissions", post(submissions::create))
        .route("/v1/submissions/{id}", get(submissions::read))
        .route("/v1/sheets/{id}", get(sheets::read))
        .route("/v1/healthz", get(system::healthz))
        .route("/v1/openapi.json", get(system::openapi))
        .route("/metrics", get(system::metrics))
        .fallback(system::not_found)
        .with_state(state)
        .layer(middleware::from_fn(count_responses))
}

/// The API as served today: the routes behind the development identity layer.
pub fn router(state: AppState) -> Router {
    routes(state).layer(middleware::from_fn(unauthenticated))
}
