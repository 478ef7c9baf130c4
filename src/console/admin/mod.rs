//! The administrator's screens (管理者).

use axum::Router;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Console, NavItem, page, t};
use crate::api::AppState;

/// The administrator's navigation, after home.
pub const NAV: &[NavItem] = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The administrator's home page.
pub async fn home(_state: AppState, console: Console) -> Response {
    let lang = console.lang;
    page(&console, t(lang, "home.admin"), html! {}).into_response()
}
