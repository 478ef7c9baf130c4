//! One sheet: its findings, the form to correct a draft (checked again on save), the doctor's
//! confirmation (登録) with the access key shown once, the prints; and for a confirmed sheet
//! the access key's re-issue, the renewal (前回値踏襲) and the carry-over consent.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kakehashi_access_key::AccessKey;
use kakehashi_sdk::{Finding, Sheet, Template};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Shown};
use super::list::status_key;
use crate::api::AppState;
use crate::api::access_keys::{notice_pdf, reissue_key};
use crate::api::confirm::confirm_sheet;
use crate::api::renewals::{self, CarryoverConsentRequest};
use crate::api::sheets::{SheetView, read_sheet, reloaded, update_sheet};
use crate::auth::access;
use crate::console::{Console, findings, form_csrf, page, t};
use crate::store::{SheetStatus, StoredSheet};

/// The template of a sheet's disease, if there is one.
fn template_of<'a>(state: &'a AppState, sheet: &Sheet) -> Option<&'a Template> {
    state.pipeline.catalog().templates.for_sheet(sheet)
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
pub struct ShowParams {
    #[serde(default)]
    saved: Option<String>,
    /// The hospital code a carry-over consent was just recorded for.
    #[serde(default)]
    consented: Option<String>,
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
    /// A carry-over consent just recorded, for this hospital code.
    consented: Option<&'a str>,
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
        @if let Some(code) = editor.consented {
            div class="notice success" role="status" { p { (t(lang, "after.consented")) " " code { (code) } } }
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
        @if stored.status == SheetStatus::Confirmed {
            (after_confirmation(console, stored))
        }
        h2 { (t(lang, "editor.prints")) }
        ul {
            li { a href={ "/console/sheets/" (stored.id) "/print?masked=false" } { (t(lang, "editor.print_full")) } }
            li { a href={ "/console/sheets/" (stored.id) "/print" } { (t(lang, "editor.print_masked")) } }
        }
    };
    page(console, t(lang, "editor.title"), body)
}

/// What a confirmed sheet still allows its hospital: a new access key when the patient lost the
/// notice (the old key stops working), this year's renewal from it (前回値踏襲), and the
/// patient's consent that another hospital renews from it.
fn after_confirmation(console: &Console, stored: &StoredSheet) -> Markup {
    let lang = console.lang;
    let principal = &console.principal;
    let action = |what: &str| format!("/console/sheets/{}/{what}", stored.id);
    html! {
        @if access::may_issue_access_key(principal, stored) {
            h2 { (t(lang, "after.reissue_heading")) }
            form method="post" action=(action("access-key")) {
                (form_csrf(console))
                p { (t(lang, "after.reissue_lead")) }
                button class="secondary" type="submit" { (t(lang, "after.reissue")) }
            }
        }
        @if access::may_renew(principal) {
            h2 { (t(lang, "after.renew_heading")) }
            form method="post" action=(action("renew")) {
                (form_csrf(console))
                p { (t(lang, "after.renew_lead")) }
                button type="submit" { (t(lang, "after.renew")) }
            }
        }
        @if access::may_record_carryover_consent(principal, stored) {
            h2 { (t(lang, "after.carryover_heading")) }
            form method="post" action=(action("carryover-consent")) {
                (form_csrf(console))
                p { (t(lang, "after.carryover_lead")) }
                div class="field" {
                    label for="hospital_code" { (t(lang, "after.hospital_code")) }
                    input id="hospital_code" name="hospital_code" type="text" inputmode="numeric"
                        pattern="[0-9]{10}" required aria-describedby="hospital_code-hint";
                    span class="hint" id="hospital_code-hint" { (t(lang, "after.hospital_code_hint")) }
                }
                button class="secondary" type="submit" { (t(lang, "after.carryover")) }
            }
        }
    }
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
        consented: params.consented.as_deref(),
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
                consented: None,
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
fn key_page(
    console: &Console,
    issued: Issued,
    view: &SheetView,
    key: &str,
    notice: &[u8],
) -> Markup {
    let lang = console.lang;
    let (title, lead) = match issued {
        Issued::OnConfirmation => ("confirmed.title", "confirmed.lead"),
        Issued::Again => ("after.reissued_title", "after.reissued_lead"),
    };
    let body = html! {
        div class="notice success" role="status" {
            p { (t(lang, lead)) }
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
    page(console, t(lang, title), body)
}

/// Why a key page is shown.
#[derive(Clone, Copy)]
enum Issued {
    OnConfirmation,
    Again,
}

/// The key page of a key just issued: the sheet reloaded and the notice printed for it.
async fn show_key(
    state: &AppState,
    console: &Console,
    id: &str,
    key: &AccessKey,
    issued: Issued,
) -> Response {
    let view = match reloaded(state, id).await {
        Ok(view) => view,
        Err(error) => return console.error(&error),
    };
    match notice_pdf(state, &view, key).await {
        Ok(notice) => key_page(console, issued, &view, &key.to_string(), &notice).into_response(),
        Err(error) => console.error(&error),
    }
}

/// Confirms the sheet through the API's confirmation (a clerk is refused there, as in the API).
pub async fn confirm(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match confirm_sheet(&state, &console.principal, &id).await {
        Ok(key) => show_key(&state, &console, &id, &key, Issued::OnConfirmation).await,
        Err(error) => console.error(&error),
    }
}

/// A new access key for a confirmed sheet, through the API's re-issue (the old key is revoked).
pub async fn reissue(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    match reissue_key(&state, &console.principal, &id).await {
        Ok(key) => show_key(&state, &console, &id, &key, Issued::Again).await,
        Err(error) => console.error(&error),
    }
}

/// This year's draft from the sheet, through the API's renewal; opens the new draft.
pub async fn renew(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let renewed =
        renewals::renew(State(state), Extension(console.principal.clone()), Path(id)).await;
    match renewed {
        Ok((_, Json(draft))) => {
            Redirect::to(&format!("/console/sheets/{}?saved=1", draft.id)).into_response()
        }
        Err(error) => console.error(&error),
    }
}

/// The carry-over consent form: the receiving hospital's 10-digit code.
#[derive(Debug, Deserialize)]
pub struct CarryoverForm {
    hospital_code: String,
}

/// Records the patient's consent that another hospital renews from the sheet, through the
/// API's own function.
pub async fn carryover_consent(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(form): Form<CarryoverForm>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let code = form.hospital_code.trim().to_owned();
    let request = CarryoverConsentRequest {
        organisation_id: format!("hospital:{code}"),
    };
    let recorded = renewals::consent(
        State(state),
        Extension(console.principal.clone()),
        Path(id.clone()),
        Json(request),
    )
    .await;
    match recorded {
        Ok(_) => Redirect::to(&format!("/console/sheets/{id}?consented={code}")).into_response(),
        Err(error) => console.error(&error),
    }
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
