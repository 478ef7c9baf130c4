//! Upload of an EHR's CSV, a FHIR document or a scanned PDF: a multipart form into the API's
//! own submission ([`submit`]), answered with the result of each sheet — or, when reading
//! takes longer than `[security] console_result_wait_ms` (a scan's OCR), with the upload's
//! progress page ([`super::progress`]) once the file is journaled.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_sdk::{RecordKind, Severity};
use maud::{Markup, html};

use crate::api::submissions::{SubmissionView, SubmitParams, submit as submit_document};
use crate::api::{ApiError, AppState};
use crate::console::{Console, Lang, findings, form_csrf, page, t};
use crate::store::Role;

fn sheet_upload_form(state: &AppState, console: &Console) -> Markup {
    let lang = console.lang;
    let adapters: Vec<String> = state
        .pipeline
        .adapters()
        .of_kind(RecordKind::Sheet)
        .filter(|r| r.senders.includes_institutions())
        .map(|r| r.adapter.name().to_owned())
        .collect();
    let fields = html! {
        (file_field(lang, "upload.file", "upload.file_hint", ".csv,.json,.jsonl,.ndjson,.pdf,.txt"))
        div class="field" {
            label for="adapter" { (t(lang, "upload.adapter")) }
            select id="adapter" name="adapter" {
                option value="" { (t(lang, "upload.detect")) }
                @for name in &adapters { option value=(name) { (name) } }
            }
        }
        div class="field" {
            label for="mapping" { (t(lang, "upload.mapping")) }
            input id="mapping" name="mapping" type="text" aria-describedby="mapping-hint";
            span class="hint" id="mapping-hint" { (t(lang, "upload.mapping_hint")) }
        }
        div class="field" {
            label for="municipality" { (t(lang, "upload.municipality")) }
            input id="municipality" name="municipality" type="text" inputmode="numeric" aria-describedby="municipality-hint";
            span class="hint" id="municipality-hint" { (t(lang, "upload.municipality_hint")) }
        }
    };
    upload_form(console, "/console/upload", fields, "upload.submit")
}

/// A form that uploads one file (multipart, with its CSRF token first, as the CSRF layer reads
/// it): every upload screen of the console is one, with `fields` between the token and the
/// submit button labelled by the catalogue key `submit`.
pub(in crate::console) fn upload_form(
    console: &Console,
    action: &str,
    fields: Markup,
    submit: &str,
) -> Markup {
    html! {
        form class="stack" method="post" action=(action) enctype="multipart/form-data" {
            (form_csrf(console))
            (fields)
            div { button type="submit" { (t(console.lang, submit)) } }
        }
    }
}

/// The file input of an upload form, labelled and described by the catalogue keys `label` and
/// `hint`, offering the file types in `accept`.
pub(in crate::console) fn file_field(lang: Lang, label: &str, hint: &str, accept: &str) -> Markup {
    html! {
        div class="field" {
            label for="file" { (t(lang, label)) }
            input id="file" name="file" type="file" required accept=(accept) aria-describedby="file-hint";
            span class="hint" id="file-hint" { (t(lang, hint)) }
        }
    }
}

/// A required choice among `names` (mappings, layouts), labelled by the catalogue key `label`.
pub(in crate::console) fn name_choice(lang: Lang, id: &str, label: &str, names: &[&str]) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (t(lang, label)) }
            select id=(id) name=(id) {
                @for name in names { option value=(name) { (name) } }
            }
        }
    }
}

pub async fn form(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    page(
        &console,
        t(lang, "upload.title"),
        sheet_upload_form(&state, &console),
    )
    .into_response()
}

/// The uploaded file and the form's choices.
#[derive(Default)]
pub(in crate::console) struct Upload {
    pub file: Vec<u8>,
    pub content_type: Option<String>,
    pub params: Vec<(String, String)>,
}

/// Reads a multipart form for one of `roles`: its `file` part and its other fields (every
/// upload form of the console: sheets here, Mynaportal downloads, decision files and rosters
/// elsewhere). Another role's upload is refused before its body is read; an unreadable one is
/// answered with the error page.
pub(in crate::console) async fn read_upload(
    console: &Console,
    roles: &[Role],
    multipart: Multipart,
) -> Result<Upload, Response> {
    console.require(roles)?;
    read_parts(multipart)
        .await
        .map_err(|error| console.error(&error))
}

async fn read_parts(mut multipart: Multipart) -> Result<Upload, ApiError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "submission.unreadable_upload",
            format!("the upload could not be read: {e}"),
            format!("アップロードを読み取れませんでした: {e}"),
        )
    };
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.content_type = field
                .content_type()
                .filter(|c| *c != "application/octet-stream")
                .map(str::to_owned);
            upload.file = field.bytes().await.map_err(broken)?.to_vec();
        } else {
            let value = field.text().await.map_err(broken)?;
            upload.params.push((name, value.trim().to_owned()));
        }
    }
    Ok(upload)
}

/// The non-empty value of form field `name`.
pub(in crate::console) fn chosen(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.clone())
}

pub(super) fn result(state: &AppState, lang: Lang, view: &SubmissionView) -> Markup {
    let summary = &view.summary;
    html! {
        div class="notice success" role="status" {
            p {
                @if view.duplicate { (t(lang, "upload.duplicate")) " " }
                (t(lang, "upload.sheets")) ": " (summary.sheets) " · "
                (t(lang, "upload.with_errors")) ": " (summary.sheets_with_errors) " · "
                (t(lang, "upload.warnings")) ": " (summary.warnings)
            }
            @if view.next.is_some() {
                p { a href="/console/sheets" { (t(lang, "upload.first_sheets")) } }
            }
        }
        table {
            thead {
                tr {
                    th scope="col" { "#" }
                    th scope="col" { (t(lang, "list.sheet")) }
                    th scope="col" { (t(lang, "list.disease")) }
                    th scope="col" { (t(lang, "list.findings")) }
                }
            }
            tbody {
                @for s in &view.sheets {
                    tr {
                        td { (s.record_index + 1) }
                        td { a href={ "/console/sheets/" (s.id) } { code { (s.id.get(..8).unwrap_or(&s.id)) } } }
                        td {
                            @if let Some(number) = s.disease_number {
                                (number) " "
                                (state.pipeline.catalog().diseases.get(&kakehashi_sdk::DiseaseKey { kind: s.kind, group: s.disease_group, number }).map(|e| e.name.as_str()).unwrap_or_default())
                            }
                        }
                        td {
                            @let errors: Vec<_> = s.findings.iter().filter(|f| f.severity == Severity::Error).cloned().collect();
                            @if errors.is_empty() { (t(lang, "list.no_errors")) }
                            @else { (findings::list(lang, &errors)) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn submit(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> Response {
    let lang = console.lang;
    let upload = match read_upload(&console, super::ROLES, multipart).await {
        Ok(upload) => upload,
        Err(refused) => return refused,
    };
    let params = SubmitParams {
        adapter: chosen(&upload.params, "adapter"),
        mapping: chosen(&upload.params, "mapping"),
        municipality: chosen(&upload.params, "municipality"),
    };
    let mut headers = HeaderMap::new();
    if let Some(value) = upload
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Read on a task of its own, so that a long read (a scan's OCR) goes on after this page
    // has handed the person over to the progress page.
    let (journaled, journaled_id) = tokio::sync::oneshot::channel();
    let (task_state, principal) = (state.clone(), console.principal.clone());
    let mut reading = tokio::spawn(async move {
        let body = Body::from(upload.file);
        submit_document(
            &task_state,
            principal,
            params,
            &headers,
            body,
            Some(journaled),
        )
        .await
    });
    let wait = Duration::from_millis(state.security.console_result_wait_ms);
    let finished = tokio::select! {
        biased;
        done = &mut reading => Some(done),
        () = tokio::time::sleep(wait) => None,
    };
    let outcome = match finished {
        Some(done) => done,
        None => match journaled_id.await {
            Ok(id) => return Redirect::to(&format!("/console/uploads/{id}")).into_response(),
            // Refused before it was journaled (its error is the task's answer).
            Err(_) => reading.await,
        },
    };
    match outcome {
        Ok(Ok((view, _))) => {
            let body = html! {
                (result(&state, lang, &view))
                h2 { (t(lang, "upload.again")) }
                (sheet_upload_form(&state, &console))
            };
            page(&console, t(lang, "upload.result_title"), body).into_response()
        }
        Ok(Err(error)) => console.error(&error),
        Err(failed) => console.error(&ApiError::internal(&failed.to_string())),
    }
}
