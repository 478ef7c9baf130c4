//! アクセスキー照会: the officer types the key from the patient's paper and gets the sheet,
//! through the API's lookup ([`look_up`]: rate limits, binding to the municipality, audit).

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::access_keys::look_up;
use crate::api::{ApiError, AppState};
use crate::console::{Console, form_csrf, page, t};

/// The lookup form; `error` beside the input when the key was refused.
fn render(console: &Console, typed: &str, error: Option<&ApiError>) -> Markup {
    let lang = console.lang;
    let body = html! {
        form class="stack" method="post" action="/console/municipal/lookup" {
            (form_csrf(console))
            div class="field" {
                label for="access_key" { (t(lang, "muni.lookup.key")) }
                input id="access_key" name="access_key" type="text" required autofocus
                    autocomplete="off" spellcheck="false" value=(typed)
                    aria-describedby="access_key-hint access_key-error"
                    aria-invalid=[error.map(|_| "true")];
                span class="hint" id="access_key-hint" { (t(lang, "muni.lookup.hint")) }
                @if let Some(error) = error {
                    span class="finding error" id="access_key-error" role="alert" {
                        (lang.pick(&error.message_ja, &error.message)) " "
                        code { "(" (error.code) ")" }
                    }
                }
            }
            div { button type="submit" { (t(lang, "muni.lookup.submit")) } }
        }
    };
    page(console, t(lang, "muni.lookup.title"), body)
}

pub async fn form(console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&console, "", None).into_response()
}

/// The key as typed.
#[derive(Debug, Deserialize)]
pub struct Lookup {
    access_key: String,
}

/// Looks the key up; the sheet's page on success, the form with the reason otherwise.
pub async fn submit(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<Lookup>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match look_up(&state, &console.principal, &form.access_key).await {
        Ok(view) => Redirect::to(&format!("/console/municipal/sheets/{}", view.id)).into_response(),
        Err(error) if error.status < 500 => {
            let status = axum::http::StatusCode::from_u16(error.status)
                .unwrap_or(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            (status, render(&console, &form.access_key, Some(&error))).into_response()
        }
        Err(error) => console.error(&error),
    }
}
