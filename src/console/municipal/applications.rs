//! The applications inbox (申請) from Mynaportal: import a download (申請管理 ZIP) with its result
//! per application ([`import_download`]), list them by status with server-side paging
//! ([`list_applications`]), open one ([`application`]) and move it to a status it may take
//! (状態遷移, [`move_status`]) with the reason the applicant will see. An app's application shows
//! the 階層区分 proposed from its self-information and the machine judgment of its linked sheet.

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_sdk::{ApplicationStatus, AttachmentRole};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::AppState;
use crate::api::applications::{
    ImportView, application, import_download, list_applications, move_status, status_reason,
};
use crate::console::hospital::upload::{chosen, file_field, name_choice, read_upload, upload_form};
use crate::console::paging::{self, PAGE_SIZE};
use crate::console::{Console, Lang, findings, form_csrf, page, t};
use crate::store::ImportOutcome;

use super::sheet::outcome_key;

const PATH: &str = "/console/municipal/applications";

/// A status as the page's language names it.
pub(super) fn status_label(lang: Lang, status: ApplicationStatus) -> &'static str {
    lang.pick(status.label_ja(), status.as_str())
}

/// `?status=processing&page=N`
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<ListParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    let status: Option<ApplicationStatus> = params.status.parse().ok();
    let listed = match list_applications(&state, &console.principal, status).await {
        Ok(listed) => listed,
        Err(error) => return console.error(&error),
    };
    let (page_number, offset) = paging::offset(params.page);
    let total = listed.len();
    let (rows, more) = paging::split(
        listed
            .into_iter()
            .skip(offset as usize)
            .take(PAGE_SIZE as usize + 1)
            .collect(),
    );
    let current = status.map(ApplicationStatus::as_str).unwrap_or_default();
    let body = html! {
        p { a class="button secondary" href={ (PATH) "/import" } { (t(lang, "muni.applications.import")) } }
        form class="filters" method="get" action=(PATH) role="search" {
            div class="field" {
                label for="status" { (t(lang, "muni.applications.status")) }
                select id="status" name="status" {
                    option value="" { (t(lang, "list.any")) }
                    @for s in ApplicationStatus::ALL {
                        option value=(s.as_str()) selected[s.as_str() == current] { (status_label(lang, s)) }
                    }
                }
            }
            div { button type="submit" { (t(lang, "list.apply")) } }
        }
        p role="status" { (t(lang, "list.total")) ": " (total) }
        @if rows.is_empty() {
            p { (t(lang, "list.empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "muni.applications.receipt")) }
                    th scope="col" { (t(lang, "muni.applications.status")) }
                    th scope="col" { (t(lang, "muni.applications.channel")) }
                    th scope="col" { (t(lang, "muni.applications.applied_on")) }
                    th scope="col" { (t(lang, "muni.sheet.disease")) }
                    th scope="col" { (t(lang, "muni.applications.sheet")) }
                } }
                tbody {
                    @for a in &rows {
                        tr {
                            td { a href={ (PATH) "/" (a.receipt_number) } { code { (a.receipt_number) } } }
                            td { (status_label(lang, a.status)) }
                            td { code { (a.channel) } }
                            td { (a.applied_on.as_deref().unwrap_or("—")) }
                            td { @if let Some(n) = a.disease_number { (n) } }
                            td {
                                @match &a.linked_sheet_id {
                                    Some(id) => { a href={ "/console/municipal/sheets/" (id) } { code { (id.get(..8).unwrap_or(id)) } } }
                                    None => { (t(lang, if a.has_access_key { "muni.applications.unlinked" } else { "muni.applications.no_key" })) }
                                }
                            }
                        }
                    }
                }
            }
            (paging::pager(lang, PATH, &[("status", current)], page_number, more))
        }
    };
    page(&console, t(lang, "muni.applications.title"), body).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(receipt): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    let view = match application(&state, &console.principal, &receipt).await {
        Ok(view) => view,
        Err(error) => return console.error(&error),
    };
    let body = html! {
        dl {
            dt { (t(lang, "muni.applications.status")) } dd { strong { (status_label(lang, view.status)) } }
            dt { (t(lang, "muni.applications.channel")) } dd { code { (view.channel) } }
            dt { (t(lang, "muni.applications.applied_on")) }
            dd { @if let Some(d) = view.application.applied_on { (d) } @else { "—" } }
            dt { (t(lang, "muni.sheet.disease")) }
            dd { (view.application.disease.name.as_deref().unwrap_or("—")) }
            dt { (t(lang, "muni.applications.sheet")) }
            dd {
                @match &view.linked_sheet_id {
                    Some(id) => { a href={ "/console/municipal/sheets/" (id) } { code { (id) } } }
                    None => { (t(lang, "muni.applications.unlinked")) }
                }
            }
            dt { (t(lang, "muni.applications.imported_at")) } dd { (view.imported_at) }
            @if let Some(reason) = &view.status_reason {
                dt { (t(lang, "muni.applications.reason")) } dd { (reason) }
            }
            @if let Some(judgment) = &view.judgment {
                dt { (t(lang, "muni.judgment.overall")) }
                dd {
                    strong { (t(lang, outcome_key(judgment.outcome))) }
                    @if let Some(id) = &view.linked_sheet_id {
                        " (" a href={ "/console/municipal/sheets/" (id) } { (t(lang, "muni.applications.judgment_detail")) } ")"
                    }
                }
            }
        }
        h2 { (t(lang, "muni.applications.findings")) }
        (findings::list(lang, &view.findings))
        h2 { (t(lang, "muni.applications.attachments")) }
        @if view.application.attachments.is_empty() {
            p { (t(lang, "muni.applications.no_attachments")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "muni.applications.file_name")) }
                    th scope="col" { (t(lang, "muni.applications.document_type")) }
                    th scope="col" { (t(lang, "muni.applications.media_type")) }
                    th scope="col" { (t(lang, "muni.applications.size")) }
                    th scope="col" { (t(lang, "muni.applications.role")) }
                } }
                tbody {
                    @for (index, file) in view.application.attachments.iter().enumerate() {
                        tr {
                            td { a href={ (PATH) "/" (view.receipt_number) "/attachments/" (index) } download { (file.file_name) } }
                            td { (file.document_type.as_deref().unwrap_or("—")) }
                            td { code { (file.media_type) } }
                            td { (file.size) " " (t(lang, "muni.applications.bytes")) }
                            td { (t(lang, match file.role {
                                AttachmentRole::PaperSheet => "muni.applications.role_paper_sheet",
                                AttachmentRole::Other => "muni.applications.role_other",
                            })) }
                        }
                    }
                }
            }
        }
        @if let Some(proposal) = &view.copayment_proposal {
            h2 { (t(lang, "muni.applications.proposal")) }
            p { (t(lang, "muni.applications.proposal_hint")) }
            dl {
                dt { (t(lang, "muni.applications.tier")) }
                dd { strong { (proposal.tier_ja.as_deref().unwrap_or("—")) } }
                dt { (t(lang, "muni.applications.cap")) }
                dd { @match proposal.monthly_cap { Some(cap) => { (cap) " " (t(lang, "muni.applications.yen")) } None => { "—" } } }
                dt { (t(lang, "muni.applications.fiscal_year")) }
                dd { @match proposal.fiscal_year { Some(year) => { (year) } None => { "—" } } }
            }
            (findings::list(lang, &proposal.reasons))
        }
        h2 { (t(lang, "muni.applications.move")) }
        @if view.next_statuses.is_empty() {
            p { (t(lang, "muni.applications.final")) }
        } @else {
            form method="post" action={ (PATH) "/" (view.receipt_number) "/status" } {
                (form_csrf(&console))
                label for="reason" { (t(lang, "muni.applications.reason")) }
                p id="reason-hint" class="hint" { (t(lang, "muni.applications.reason_hint")) }
                textarea id="reason" name="reason" rows="3" maxlength="1000" aria-describedby="reason-hint" {}
                @for next in &view.next_statuses {
                    button class="secondary" type="submit" name="status" value=(next.as_str()) { (status_label(lang, *next)) }
                    " "
                }
            }
        }
    };
    let title = format!(
        "{} {}",
        t(lang, "muni.applications.one"),
        view.receipt_number
    );
    page(&console, &title, body).into_response()
}

/// One attachment of the application, as the API answers it (a download; audited).
pub async fn attachment(
    State(state): State<AppState>,
    console: Console,
    Path((receipt, index)): Path<(String, String)>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    crate::api::application_files::attachment(&state, &console.principal, &receipt, &index)
        .await
        .unwrap_or_else(|e| console.error(&e))
}

/// The status to move to, and why.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: ApplicationStatus,
    #[serde(default)]
    reason: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    console: Console,
    Path(receipt): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    // A form sends a textarea's line breaks as CRLF; the API keeps LF.
    let reason = form.reason.map(|r| r.replace("\r\n", "\n"));
    let moved = match status_reason(reason.as_deref()) {
        Ok(reason) => {
            move_status(
                &state,
                &console.principal,
                receipt.clone(),
                form.status,
                reason.as_deref(),
            )
            .await
        }
        Err(error) => Err(*error),
    };
    match moved {
        Ok(_) => Redirect::to(&format!("{PATH}/{receipt}")).into_response(),
        Err(error) => console.error(&error),
    }
}

fn import_page(state: &AppState, console: &Console, result: Option<&ImportView>) -> Markup {
    let lang = console.lang;
    let mappings: Vec<&str> = state
        .pipeline
        .catalog()
        .mappings
        .names("mynaportal")
        .collect();
    let outcome_key = |o: ImportOutcome| match o {
        ImportOutcome::Created => "muni.import.created",
        ImportOutcome::Unchanged => "muni.import.unchanged",
        ImportOutcome::StatusUpdated => "muni.import.status_updated",
        ImportOutcome::StatusKept => "muni.import.status_kept",
    };
    let body = html! {
        @if let Some(view) = result {
            div class="notice success" role="status" {
                p { (t(lang, "muni.import.done")) ": " (view.summary.applications) " · "
                    (t(lang, "muni.import.created")) " " (view.summary.created) " · "
                    (t(lang, "muni.import.unchanged")) " " (view.summary.unchanged) " · "
                    (t(lang, "muni.import.status_updated")) " " (view.summary.status_updated) }
            }
            table {
                thead { tr {
                    th scope="col" { (t(lang, "muni.applications.receipt")) }
                    th scope="col" { (t(lang, "muni.import.outcome")) }
                    th scope="col" { (t(lang, "muni.applications.status")) }
                    th scope="col" { (t(lang, "muni.applications.findings")) }
                } }
                tbody {
                    @for r in &view.applications {
                        tr {
                            td { a href={ (PATH) "/" (r.receipt_number) } { code { (r.receipt_number) } } }
                            td { (t(lang, outcome_key(r.outcome))) }
                            td { (status_label(lang, r.status)) }
                            td { (findings::list(lang, &r.findings)) }
                        }
                    }
                }
            }
        }
        (upload_form(console, &format!("{PATH}/import"), html! {
            (file_field(lang, "muni.import.file", "muni.import.file_hint", ".zip"))
            (name_choice(lang, "mapping", "muni.import.mapping", &mappings))
        }, "muni.import.submit"))
    };
    page(console, t(lang, "muni.import.title"), body)
}

pub async fn import_form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    import_page(&state, &console, None).into_response()
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
    let mapping = chosen(&upload.params, "mapping");
    match import_download(
        &state,
        &console.principal,
        upload.file.into(),
        upload
            .content_type
            .or_else(|| Some("application/zip".to_owned())),
        mapping,
    )
    .await
    {
        Ok(view) => import_page(&state, &console, Some(&view)).into_response(),
        Err(error) => console.error(&error),
    }
}
