//! The hospital's dashboard: drafts, sheets with errors, sheets awaiting the doctor, and the
//! latest sheets.

use axum::response::{IntoResponse, Response};
use maud::html;

use super::list;
use crate::api::AppState;
use crate::api::sheets::list_sheets;
use crate::console::{Console, page, t};
use crate::store::{SheetQuery, SheetStatus};

/// The dashboard's cards: catalogue key, the sheets it counts, the list's filter.
const CARDS: &[(&str, Option<bool>, &str)] = &[
    ("dashboard.drafts", None, "/console/sheets?status=draft"),
    (
        "dashboard.with_errors",
        Some(true),
        "/console/sheets?status=draft&findings=errors",
    ),
    (
        "dashboard.awaiting_doctor",
        Some(false),
        "/console/sheets?status=draft&findings=clean",
    ),
];

async fn render(state: &AppState, console: &Console) -> Result<maud::Markup, Response> {
    let lang = console.lang;
    let mut counts = Vec::new();
    let mut latest = Vec::new();
    for (key, has_errors, href) in CARDS {
        let query = SheetQuery {
            status: Some(SheetStatus::Draft),
            has_errors: *has_errors,
            limit: 10,
            ..SheetQuery::default()
        };
        let (sheets, total) = list_sheets(state, &console.principal, &query)
            .await
            .map_err(|e| console.error(&e))?;
        if has_errors.is_none() {
            latest = sheets;
        }
        counts.push((*key, total, *href));
    }
    let body = html! {
        div class="cards" {
            @for (key, total, href) in &counts {
                div class="card" {
                    span class="count" { (total) }
                    a href=(href) { (t(lang, key)) }
                }
            }
        }
        h2 { (t(lang, "dashboard.latest_drafts")) }
        (list::table(state, lang, &latest))
    };
    Ok(page(console, t(lang, "home.hospital"), body))
}

pub async fn show(state: AppState, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match render(&state, &console).await {
        Ok(markup) => markup.into_response(),
        Err(response) => response,
    }
}
