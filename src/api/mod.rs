//! The HTTP API (axum): versioned JSON under `/v1`, Prometheus text on `/metrics`.
//!
//! Every request passes two gates before a handler sees it ([`identity`]): the terminal gate
//! (the client certificate names a registered terminal; rates per terminal and address) and,
//! except for health, metrics, the OpenAPI document and the login, the person gate (a valid
//! bearer token of a user of the terminal's own organisation). Handlers get a
//! [`Principal`](crate::auth::Principal) and decide per object with [`crate::auth::access`].

mod access_keys;
mod applications;
mod audit;
mod auth;
mod certifications;
mod consent;
mod deliveries;
mod doctors;
mod error;
mod guard;
mod identity;
mod issuing;
mod judgment;
mod openapi;
mod print;
mod review;
mod sheets;
mod submissions;
mod system;
mod telemetry;
mod templates;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use error::ApiError;
pub use guard::Guard;
pub use openapi::document as openapi_document;
pub use submissions::SubmissionView;
pub use telemetry::install_panic_hook;

use crate::config::{AccessKeyConfig, SecurityConfig};
use crate::pipeline::Pipeline;

/// How requests reach the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS with a client certificate: the terminal is known.
    MutualTls,
    /// Plain HTTP for development: no terminal identity, so the terminal/organisation match is
    /// not checked.
    PlainDevelopment,
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pipeline: Pipeline,
    pub max_body_bytes: usize,
    pub transport: Transport,
    pub security: Arc<SecurityConfig>,
    pub access_keys: Arc<AccessKeyConfig>,
    pub guard: Arc<Guard>,
    /// The Japanese font for printed documents.
    pub font: Arc<kakehashi_pdf::Font>,
    /// Wakes the delivery worker when a delivery becomes due.
    pub outbox: crate::push::OutboxWaker,
}

impl AppState {
    pub fn store(&self) -> &Arc<dyn crate::store::Store> {
        self.pipeline.store()
    }

    /// Lets the request on when the caller's role is `allowed`; otherwise records `audit` as
    /// `denied` and answers 403 `access.denied` naming what the role may not do.
    pub async fn require_role(
        &self,
        allowed: bool,
        audit: &crate::store::AuditEvent,
        what: &str,
        what_ja: &str,
    ) -> Result<(), ApiError> {
        if allowed {
            return Ok(());
        }
        self.store()
            .append_audit(&audit.clone().outcome("denied"))
            .await?;
        Err(ApiError::role_denied(what, what_ja))
    }
}

async fn count_responses(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    crate::metrics::record_response(response.status().as_u16());
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        // The rest of the body is never read, so the connection cannot carry another request:
        // say so, or the client's pool would reuse it.
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The API: all routes behind the terminal gate, the personal ones also behind the person
/// gate.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.security.request_timeout_seconds);
    let personal = Router::new()
        .route("/v1/me", get(auth::me))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/submissions", post(submissions::create))
        .route("/v1/submissions/{id}", get(submissions::read))
        .route("/v1/convert", post(submissions::convert))
        .route("/v1/certifications/convert", post(certifications::convert))
        .route("/v1/certifications/import", post(certifications::import))
        .route(
            "/v1/certifications/issuing-file",
            get(issuing::issuing_file),
        )
        .route("/v1/certifications/{receipt_number}/pmh", get(issuing::pmh))
        .route("/v1/sheets", get(sheets::list))
        .route("/v1/sheets/{id}", get(sheets::read).put(sheets::update))
        .route("/v1/sheets/{id}/confirm", post(sheets::confirm))
        .route("/v1/sheets/{id}/access-key", post(access_keys::reissue))
        .route("/v1/access-keys/lookup", post(access_keys::lookup))
        .route("/v1/sheets/{id}/print", get(print::sheet))
        .route(
            "/v1/sheets/{id}/registration-card",
            get(print::registration_card),
        )
        .route("/v1/sheets/{id}/judgment", get(judgment::read))
        .route(
            "/v1/templates/{kind}/{number}/questionnaire",
            get(templates::questionnaire),
        )
        .route("/v1/sheets/{id}/consent", post(consent::record))
        .route("/v1/review", get(review::list))
        .route("/v1/review/{id}", post(review::resolve))
        .route("/v1/review/{id}/image", get(review::image))
        .route("/v1/deliveries", get(deliveries::list))
        .route("/v1/deliveries/{id}", get(deliveries::read))
        .route("/v1/deliveries/{id}/retry", post(deliveries::retry))
        .route("/v1/deliveries/{id}/discard", post(deliveries::discard))
        .route("/v1/doctors", post(doctors::register_one))
        .route("/v1/doctors/import", post(doctors::import))
        .route(
            "/v1/doctors/imports/{batch}/notice.pdf",
            get(doctors::notice),
        )
        .route("/v1/applications", get(applications::list))
        .route("/v1/applications/import", post(applications::import))
        .route(
            "/v1/applications/status-export",
            get(applications::status_export),
        )
        .route("/v1/applications/{receipt_number}", get(applications::read))
        .route(
            "/v1/applications/{receipt_number}/status",
            post(applications::set_status),
        )
        .route("/v1/audit", get(audit::query))
        .route("/v1/audit/fhir", get(audit::fhir))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            identity::require_full_session,
        ));
    let password_change = Router::new()
        .route("/v1/auth/password", post(auth::change_password))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            identity::require_any_session,
        ));
    let routes = Router::new()
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/healthz", get(system::healthz))
        .route("/v1/openapi.json", get(system::openapi))
        .route("/metrics", get(system::metrics))
        .merge(personal)
        .merge(password_change)
        .fallback(system::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::identify_terminal,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state);
    // Responses are counted outside the panic net, so a caught panic's 500 counts too.
    telemetry::layer(routes).layer(middleware::from_fn(count_responses))
}
