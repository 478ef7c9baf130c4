//! The hospital's screens (医療機関): medical clerks (医療クラーク) draft and correct sheets, the
//! designated doctor (指定医) confirms them. Each screen acts through the API's own functions
//! ([`crate::api::sheets`], [`crate::api::submissions`], [`crate::api::confirm`],
//! [`crate::api::print`]), so the access rules and the audit are the API's.

mod dashboard;
mod editor;
mod form;
pub(super) mod list;
mod new_sheet;
mod progress;
pub(super) mod upload;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::{get, post};

use super::{Console, NavItem};
use crate::api::AppState;
use crate::store::Role;

/// The hospital's navigation, after home (the dashboard).
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/console/sheets",
        msg: "nav.sheets",
    },
    NavItem {
        href: "/console/upload",
        msg: "nav.upload",
    },
    NavItem {
        href: "/console/sheets/new",
        msg: "nav.new_sheet",
    },
];

/// The roles these screens are for.
const ROLES: &[Role] = &[Role::Clerk, Role::Doctor];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/sheets", get(list::show))
        .route("/console/sheets/new", get(new_sheet::search))
        .route(
            "/console/sheets/new/{kind}/{number}",
            get(new_sheet::blank).post(new_sheet::create),
        )
        .route("/console/sheets/{id}", get(editor::show).post(editor::save))
        .route("/console/sheets/{id}/confirm", post(editor::confirm))
        .route("/console/sheets/{id}/access-key", post(editor::reissue))
        .route("/console/sheets/{id}/renew", post(editor::renew))
        .route(
            "/console/sheets/{id}/carryover-consent",
            post(editor::carryover_consent),
        )
        .route("/console/sheets/{id}/print", get(editor::print))
        // The CSRF layer has read the body within the gateway's `max_body_bytes` already;
        // axum's own 2 MB default for multipart forms would refuse a scanned PDF below it.
        .route("/console/uploads/{id}", get(progress::show))
        .route(
            "/console/upload",
            get(upload::form)
                .post(upload::submit)
                .layer(DefaultBodyLimit::disable()),
        )
}

/// The hospital's home page: the dashboard.
pub async fn home(state: AppState, console: Console) -> Response {
    dashboard::show(state, console).await
}
