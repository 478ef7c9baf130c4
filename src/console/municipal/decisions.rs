//! Decision files (認定 / 不認定) from the back office: uploaded with their layout and applied
//! all or nothing through the API's import ([`import_decisions`]); a refused file shows where
//! (line, column or byte) and the findings of the record that refused it.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kakehashi_sdk::CertificationDecision;
use maud::{Markup, html};

use super::applications::status_label;
use crate::api::AppState;
use crate::api::certifications::{CertificationImportView, Refusal, import_decisions};
use crate::console::hospital::upload::{chosen, file_field, name_choice, read_upload, upload_form};
use crate::console::{Console, findings, page, t};
use crate::store::CertificationOutcome;

const PATH: &str = "/console/municipal/decisions";

fn decision_key(decision: CertificationDecision) -> &'static str {
    match decision {
        CertificationDecision::Certified => "muni.decisions.certified",
        CertificationDecision::NotCertified => "muni.decisions.not_certified",
    }
}

fn result(console: &Console, view: &CertificationImportView) -> Markup {
    let lang = console.lang;
    let outcome_key = |o: CertificationOutcome| match o {
        CertificationOutcome::Recorded => "muni.decisions.recorded",
        CertificationOutcome::Replaced => "muni.decisions.replaced",
        CertificationOutcome::Unchanged => "muni.decisions.unchanged",
    };
    html! {
        div class="notice success" role="status" {
            p { (t(lang, "muni.decisions.done")) ": " (view.summary.decisions) " · "
                (t(lang, "muni.decisions.recorded")) " " (view.summary.recorded) " · "
                (t(lang, "muni.decisions.completed")) " " (view.summary.completed) }
        }
        table {
            thead { tr {
                th scope="col" { (t(lang, "muni.applications.receipt")) }
                th scope="col" { (t(lang, "muni.decisions.decision")) }
                th scope="col" { (t(lang, "muni.import.outcome")) }
                th scope="col" { (t(lang, "muni.applications.status")) }
                th scope="col" { (t(lang, "muni.applications.sheet")) }
            } }
            tbody {
                @for d in &view.decisions {
                    tr {
                        td { a href={ "/console/municipal/applications/" (d.receipt_number) } { code { (d.receipt_number) } } }
                        td { (t(lang, decision_key(d.decision))) }
                        td { (t(lang, outcome_key(d.outcome))) }
                        td { (status_label(lang, d.application_status)) }
                        td { a href={ "/console/municipal/sheets/" (d.sheet_id) } { code { (d.sheet_id.get(..8).unwrap_or(&d.sheet_id)) } } }
                    }
                }
            }
        }
    }
}

/// The refusal: the message, where in the file, the code, and the record's findings.
fn refused(console: &Console, refusal: &Refusal) -> Markup {
    let lang = console.lang;
    let error = &refusal.error;
    html! {
        div class="notice error" role="alert" {
            p { (lang.pick(&error.message_ja, &error.message)) }
            @if let Some(location) = &error.location {
                p { (t(lang, "error.location")) ": " (location.to_string()) }
            }
            p class="hint" { (t(lang, "error.code")) ": " code { (error.code) } }
            @if !refusal.findings.is_empty() { (findings::list(lang, &refusal.findings)) }
        }
    }
}

fn render(state: &AppState, console: &Console, above: Markup) -> Markup {
    let lang = console.lang;
    let layouts: Vec<&str> = state
        .pipeline
        .catalog()
        .mappings
        .names("municipal")
        .collect();
    let body = html! {
        (above)
        (upload_form(console, PATH, html! {
            (file_field(lang, "muni.decisions.file", "muni.decisions.file_hint", ".csv,.txt,.dat"))
            (name_choice(lang, "layout", "muni.decisions.layout", &layouts))
        }, "muni.decisions.submit"))
    };
    page(console, t(lang, "muni.decisions.title"), body)
}

pub async fn form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&state, &console, html! {}).into_response()
}

pub async fn import(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> Response {
    let upload = match read_upload(&console, super::ROLES, multipart).await {
        Ok(upload) => upload,
        Err(refused) => return refused,
    };
    let layout = chosen(&upload.params, "layout");
    match import_decisions(
        &state,
        &console.principal,
        upload.file.into(),
        upload.content_type,
        layout,
    )
    .await
    {
        Ok(view) => render(&state, &console, result(&console, &view)).into_response(),
        Err(refusal) if refusal.error.status < 500 && refusal.error.code != "access.denied" => {
            let status = StatusCode::from_u16(refusal.error.status)
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            (
                status,
                render(&state, &console, refused(&console, &refusal)),
            )
                .into_response()
        }
        Err(refusal) => console.error(&refusal.error),
    }
}
