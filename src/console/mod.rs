//! The web console: Japanese screens (English on request) for the people in the loop, served
//! under `/console/` on the API's listener, behind the same terminal gate, acting only through
//! the functions the API's handlers use (so the same access rules and audit apply).
//!
//! Server-rendered HTML ([maud](https://maud.lambda.xyz), checked at compile time), one
//! stylesheet, no script. Layers, outermost first: [`headers`] (CSP, no-store, language),
//! [`session`] (the browser session, bound to terminal and organisation), [`csrf`] (every
//! POST carries the form token).
//!
//! Extension points (see docs/ARCHITECTURE.md, "The web console"): each area is a module with
//! `pub fn routes() -> Router<AppState>` (merged below), `pub const NAV: &[NavItem]` (its
//! navigation) and, where a card per screen ([`layout::nav_home`]) is not enough, `pub async fn
//! home(…)`; handlers take a [`Console`] (the signed-in person:
//! its [`crate::auth::Principal`], language and CSRF token), render with [`page`], put
//! [`form_csrf`] first in every form, and word everything with [`t`].

pub mod admin;
mod assets;
mod csrf;
pub mod findings;
mod headers;
pub mod hospital;
mod i18n;
mod layout;
mod login;
pub mod municipal;
pub mod paging;
pub mod refusals;
mod session;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub use i18n::{Lang, t};
use layout::nav_home;
pub use layout::{NavItem, api_error_page, error_page, form_csrf, page, role_key};
pub use session::Console;

use crate::api::AppState;
use crate::store::Role;

/// The console's routes with its layers; the API's router merges them inside its terminal gate.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(home))
        .route("/console/assets/console.css", get(assets::stylesheet))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .merge(login::routes())
        .merge(hospital::routes())
        .merge(municipal::routes())
        .merge(admin::routes())
        .layer(middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(middleware::from_fn_with_state(state, session::resolve))
        .layer(middleware::from_fn(headers::secure))
}

/// The home page of the person's role.
async fn home(State(state): State<AppState>, console: Console) -> Response {
    match console.principal.role {
        Role::Doctor | Role::Clerk => hospital::home(state, console).await,
        Role::MunicipalOfficer => nav_home(&console, "home.municipal", municipal::NAV),
        Role::Administrator => nav_home(&console, "home.admin", admin::NAV),
        Role::Integrator => {
            let lang = console.lang;
            page(&console, t(lang, "nav.home"), maud::html! {}).into_response()
        }
    }
}

async fn not_found(lang: axum::Extension<Lang>) -> Response {
    error_page(
        lang.0,
        StatusCode::NOT_FOUND,
        "not_found",
        t(lang.0, "error.not_found"),
    )
}
