//! The municipal officer's screens (自治体職員).

use axum::Router;
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Console, NavItem, page, t};
use crate::api::AppState;

/// The officer's navigation, after home.
pub const NAV: &[NavItem] = &[];

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The officer's home page.
pub async fn home(_state: AppState, console: Console) -> Response {
    let lang = console.lang;
    page(&console, t(lang, "home.municipal"), html! {}).into_response()
}
