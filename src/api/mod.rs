//! The HTTP API (axum): versioned JSON under `/v1`, FHIR Questionnaires at their canonical URLs
//! under `/fhir`, Prometheus text on `/metrics`.
//!
//! Every request passes two gates before a handler sees it ([`identity`]): the terminal gate
//! (the client certificate names a registered terminal; rates per terminal and address) and,
//! except for health, metrics, the OpenAPI document and the login, the person gate (a valid
//! bearer token of a user of the terminal's own organisation). Handlers get a
//! [`Principal`](crate::auth::Principal) and decide per object with [`crate::auth::access`].
//!
//! The intake API (`/v1/intake/…`) has a gate of its own instead of the person gate: the
//! bearer token is an app's machine credential, and handlers get an
//! [`AppPrincipal`](crate::auth::AppPrincipal).
//!
//! The web console ([`crate::console`]) is merged in under `/console/`, behind the terminal
//! gate; it signs people in with browser sessions of its own instead of bearer tokens.

pub(crate) mod access_keys;
pub(crate) mod application_files;
pub(crate) mod applications;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod certifications;
pub(crate) mod confirm;
pub(crate) mod consent;
pub(crate) mod deliveries;
pub(crate) mod doctors;
mod endpoint;
mod error;
pub(crate) mod extract;
mod guard;
mod identity;
pub(crate) mod intake;
pub(crate) mod intake_webhook;
pub(crate) mod issuing;
pub(crate) mod judgment;
mod openapi;
pub(crate) mod print;
pub(crate) mod renewals;
pub(crate) mod review;
mod routes;
pub(crate) mod sheets;
pub(crate) mod submissions;
mod system;
mod telemetry;
pub(crate) mod templates;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;

use endpoint::Gate;
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
    /// The address clients reach the gateway at (`public_url`), without a trailing `/`.
    pub public_url: Arc<str>,
    /// 自己負担上限額 tables and 階層区分 thresholds (`mappings/reference/copayment.toml`).
    pub copayment: Arc<kakehashi_adapter_municipal::CopaymentTables>,
}

impl AppState {
    pub fn store(&self) -> &Arc<dyn crate::store::Store> {
        self.pipeline.store()
    }

    /// The gateway's FHIR base, under which its Questionnaires' canonical URLs resolve
    /// (`GET /fhir/Questionnaire/{slug}`).
    pub fn fhir_base(&self) -> String {
        format!("{}/fhir", self.public_url)
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

/// The API: the routes of [`routes::endpoints`], all behind the terminal gate, the personal
/// ones also behind the person gate; every answer an error is JSON.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.security.request_timeout_seconds);
    let (mut terminal, mut any_session, mut full_session, mut app) =
        (Router::new(), Router::new(), Router::new(), Router::new());
    for endpoint in routes::endpoints() {
        let router = match endpoint.gate {
            Gate::Terminal => &mut terminal,
            Gate::AnySession => &mut any_session,
            Gate::FullSession => &mut full_session,
            Gate::App => &mut app,
        };
        *router = std::mem::take(router).route(endpoint.path, endpoint.handler);
    }
    let full_session = full_session.route_layer(middleware::from_fn_with_state(
        state.clone(),
        identity::require_full_session,
    ));
    let any_session = any_session.route_layer(middleware::from_fn_with_state(
        state.clone(),
        identity::require_any_session,
    ));
    // Applications come with their attachments base64-encoded in the JSON (a 10 MB file is
    // 13.4 MiB of it): the app's routes take a body up to `max_body_bytes`, as uploads do,
    // instead of the 2 MB axum holds other JSON bodies to. Only the intake POST has a body.
    let app = app
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            identity::require_app,
        ))
        .layer(DefaultBodyLimit::max(state.max_body_bytes));
    let routes = terminal
        .merge(full_session)
        .merge(any_session)
        .merge(app)
        .merge(crate::console::routes(state.clone()))
        .fallback(system::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::identify_terminal,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(extract::json_errors))
        .with_state(state);
    // Responses are counted outside the panic net, so a caught panic's 500 counts too.
    telemetry::layer(routes).layer(middleware::from_fn(count_responses))
}
