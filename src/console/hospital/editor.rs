//! One sheet: its findings, the form to correct a draft (checked again on save), the doctor's
//! confirmation (登録) with the access key shown once, and the prints.

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kakehashi_sdk::{Finding, Sheet, Template};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Shown};
use super::list::status_key;
use crate::api::AppState;
use crate::api::access_keys::notice_pdf;
use crate::api::confirm::confirm_sheet;
use crate::api::sheets::{SheetView, read_sheet, reloaded, update_sheet};
use crate::auth::access;
use crate::console::{Console, Lang, findings, form_csrf, page, t};
use crate::store::{Role, SheetStatus, StoredSheet};

/// The template of a sheet's disease, if there is one.
fn template_of<'a>(state: &'a AppState, sheet: &Sheet) -> Option<&'a Template> {
    state.pipeline.catalog().templates.for_sheet(sheet)
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    saved: Option<String>,
}

fn disease_title(sheet: &Sheet) -> String {
    let d = &sheet.disease;
    let number = match (d.group, d.number) {
        (Some(g), Some(n)) => format!("{g}-{n} "),
        (None, Some(n)) => format!("{n} "),
        _ => String::new(),
    };
    format!("{number}{}", d.name.as_deref().unwrap_or_default())
}

/// Whether the person sees the confirm button: a doctor (or, for paper, the officer) who may
/// confirm this draft.
fn may_confirm(console: &Console, stored: &StoredSheet) -> bool {
    stored.status == SheetStatus::Draft && access::may_confirm_sheet(&console.principal, stored)
}

struct Editor<'a> {
    stored: &'a StoredSheet,
    /// The values just posted that could not be read.
    posted: Option<&'a BTreeMap<String, String>>,
    /// The findings to show: the stored ones, or the unreadable values of a post.
    findings: &'a [Finding],
    saved: bool,
}

fn render(state: &AppState, console: &Console, editor: &Editor<'_>) -> Markup {
    let lang = console.lang;
    let stored = editor.stored;
    let editable = access::may_update_sheet(&console.principal, stored);
    let errors = crate::checks::has_errors(&stored.findings);
    let template = template_of(state, &stored.sheet);
    let shown = Shown {
        sheet: &stored.sheet,
        findings: editor.findings,
        posted: editor.posted,
        editable,
    };
    let body = html! {
        dl {
            dt { (t(lang, "editor.disease")) } dd { (disease_title(&stored.sheet)) }
            dt { (t(lang, "list.status")) } dd { (t(lang, status_key(stored.status))) }
            dt { (t(lang, "editor.sheet_id")) } dd { code { (stored.id) } }
        }
        @if editor.saved {
            div class="notice success" role="status" { p { (t(lang, "editor.saved")) } }
        }
        @if editor.posted.is_some() {
            div class="notice error" role="alert" { p { (t(lang, "editor.unreadable")) } }
        }
        h2 { (t(lang, "editor.findings")) }
        (findings::list(lang, &stored.findings))
        @if template.is_none() && stored.sheet.disease.number.is_some() {
            p class="hint" { (t(lang, "editor.no_template")) }
        }
        form method="post" action={ "/console/sheets/" (stored.id) } {
            (form_csrf(console))
            (form::render(lang, &shown, template))
            @if editable {
                button type="submit" { (t(lang, "editor.save")) }
            }
        }
        @if may_confirm(console, stored) {
            h2 { (t(lang, "editor.confirm_heading")) }
            @if errors {
                p class="notice warning" { (t(lang, "editor.confirm_blocked")) }
            } @else {
                form method="post" action={ "/console/sheets/" (stored.id) "/confirm" } {
                    (form_csrf(console))
                    p { (t(lang, "editor.confirm_lead")) }
                    button type="submit" { (t(lang, "editor.confirm")) }
                }
            }
        }
        h2 { (t(lang, "editor.prints")) }
        ul {
            li { a href={ "/console/sheets/" (stored.id) "/print?masked=false" } { (t(lang, "editor.print_full")) } }
            li { a href={ "/console/sheets/" (stored.id) "/print" } { (t(lang, "editor.print_masked")) } }
        }
    };
    page(console, t(lang, "editor.title"), body)
}

async fn load(state: &AppState, console: &Console, id: &str) -> Result<StoredSheet, Response> {
    console.require(super::ROLES)?;
    read_sheet(state, &console.principal, id)
        .await
        .map_err(|e| console.error(&e))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(params): Query<ShowParams>,
) -> Response {
    let stored = match load(&state, &console, &id).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let editor = Editor {
        stored: &stored,
        posted: None,
        findings: &stored.findings,
        saved: params.saved.is_some(),
    };
    render(&state, &console, &editor).into_response()
}

/// Saves the draft: the form read back into the sheet, checked again and stored through the
/// API's update. Values that cannot be read are shown beside their fields, nothing saved.
pub async fn save(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let stored = match load(&state, &console, &id).await {
        Ok(stored) => stored,
        Err(response) => return response,
    };
    let posted: BTreeMap<String, String> = posted.into_iter().collect();
    let template = template_of(&state, &stored.sheet);
    match form::read(&stored.sheet, template, &posted) {
        Ok(sheet) => match update_sheet(&state, &console.principal, &id, sheet).await {
            Ok(_) => Redirect::to(&format!("/console/sheets/{id}?saved=1")).into_response(),
            Err(error) => console.error(&error),
        },
        Err(unreadable) => {
            let editor = Editor {
                stored: &stored,
                posted: Some(&posted),
                findings: &unreadable,
                saved: false,
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&state, &console, &editor),
            )
                .into_response()
        }
    }
}

/// The page that shows the key once: the key, its notice to print (a download made now, as the
/// key is kept nowhere), and the way back.
fn confirmed(lang: Lang, console: &Console, view: &SheetView, key: &str, notice: &[u8]) -> Markup {
    let body = html! {
        div class="notice success" role="status" {
            p { (t(lang, "confirmed.lead")) }
        }
        h2 { (t(lang, "confirmed.key")) }
        p { span class="access-key" { (key) } }
        p class="notice warning" { (t(lang, "confirmed.once")) }
        p {
            a class="button" download={ "access-key-" (view.id) ".pdf" }
                href={ "data:application/pdf;base64," (STANDARD.encode(notice)) } {
                (t(lang, "confirmed.notice"))
            }
        }
        ul {
            li { a href={ "/console/sheets/" (view.id) "/print?masked=false" } { (t(lang, "editor.print_full")) } }
            li { a href={ "/console/sheets/" (view.id) } { (t(lang, "confirmed.back")) } }
        }
    };
    page(console, t(lang, "confirmed.title"), body)
}

/// Confirms the sheet through the API's confirmation (a clerk is refused there, as in the API).
pub async fn confirm(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(&[Role::Doctor, Role::Clerk]) {
        return refused;
    }
    let key = match confirm_sheet(&state, &console.principal, &id).await {
        Ok(key) => key,
        Err(error) => return console.error(&error),
    };
    let view = match reloaded(&state, &id).await {
        Ok(view) => view,
        Err(error) => return console.error(&error),
    };
    let notice = match notice_pdf(&state, &view, &key).await {
        Ok(pdf) => pdf,
        Err(error) => return console.error(&error),
    };
    confirmed(console.lang, &console, &view, &key.to_string(), &notice).into_response()
}

/// `?masked=false` for the full print.
#[derive(Debug, Default, Deserialize)]
pub struct PrintQuery {
    #[serde(default)]
    masked: Option<String>,
}

/// The print, as the API's print answers it (the same access rules and audit).
pub async fn print(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(query): Query<PrintQuery>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match crate::api::print::print_sheet(&state, &console.principal, &id, query.masked.as_deref())
        .await
    {
        Ok(response) => response,
        Err(error) => console.error(&error),
    }
}
