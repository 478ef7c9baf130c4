//! What the back office takes from the gateway: the 受給者証 issuing file in a layout
//! ([`issuing_file_for`]) and one certified decision as the PMH hub's registration JSON
//! ([`pmh_for`]), as downloads; both the API's own answers, audited the same way.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use crate::api::AppState;
use crate::api::issuing::{issuing_file_for, pmh_for};
use crate::console::{Console, page, t};

pub async fn show(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    let layouts: Vec<&str> = state
        .pipeline
        .catalog()
        .mappings
        .names("municipal")
        .collect();
    let body = html! {
        section {
            h2 { (t(lang, "muni.exports.issuing")) }
            p class="hint" { (t(lang, "muni.exports.issuing_hint")) }
            form class="filters" method="get" action="/console/municipal/exports/issuing" {
                div class="field" {
                    label for="layout" { (t(lang, "muni.decisions.layout")) }
                    select id="layout" name="layout" {
                        @for name in &layouts { option value=(name) { (name) } }
                    }
                }
                div { button type="submit" { (t(lang, "muni.exports.download")) } }
            }
        }
        section {
            h2 { (t(lang, "muni.exports.pmh")) }
            p class="hint" { (t(lang, "muni.exports.pmh_hint")) }
            form class="filters" method="get" action="/console/municipal/exports/pmh" {
                div class="field" {
                    label for="receipt" { (t(lang, "muni.applications.receipt")) }
                    input id="receipt" name="receipt" type="text" inputmode="numeric" required pattern="[0-9]{15}";
                }
                div { button type="submit" { (t(lang, "muni.exports.download")) } }
            }
        }
    };
    page(&console, t(lang, "muni.exports.title"), body).into_response()
}

/// `?layout=NAME`
#[derive(Debug, Deserialize)]
pub struct IssuingQuery {
    layout: String,
}

pub async fn issuing(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<IssuingQuery>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    issuing_file_for(&state, &console.principal, &query.layout)
        .await
        .unwrap_or_else(|e| console.error(&e))
}

/// `?receipt=受付番号`
#[derive(Debug, Deserialize)]
pub struct PmhQuery {
    receipt: String,
}

pub async fn pmh(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<PmhQuery>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match pmh_for(&state, &console.principal, query.receipt.trim()).await {
        Ok(registration) => (
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"pmh-{}.json\"", query.receipt.trim()),
            )],
            axum::Json(registration),
        )
            .into_response(),
        Err(error) => console.error(&error),
    }
}
