//! 新規: a sheet started from nothing, as in the MHLW online registration. Find the disease by
//! number or name among all notified diseases (the catalogue), fill the template's form (the
//! programme's common part with free items where no template exists yet), and save it as a
//! draft — as a FHIR document through the API's own submission, like an EHR's form tool.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kakehashi_sdk::{
    ApplicationType, DiseaseEntry, DiseaseKey, Provenance, Sheet, SheetKind, Template,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{self, Shown};
use crate::api::submissions::{SubmitParams, submit};
use crate::api::templates::key as disease_key;
use crate::api::{ApiError, AppState};
use crate::console::{Console, Lang, form_csrf, page, t};

/// Matches shown at most.
const MAX_MATCHES: usize = 50;

/// `?q=` (a number or part of a name) and `?kind=`.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
}

/// The path segment of a disease: `49`, or `7-1` (疾患群-告示番号) for 小慢.
fn number_path(key: &DiseaseKey) -> String {
    match key.group {
        Some(group) => format!("{group}-{}", key.number),
        None => key.number.to_string(),
    }
}

fn kind_key(kind: SheetKind) -> &'static str {
    match kind {
        SheetKind::Nanbyo => "new.nanbyo",
        SheetKind::Shoman => "new.shoman",
    }
}

pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<SearchParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let lang = console.lang;
    let kind = params.kind.parse::<SheetKind>().ok();
    let query = params.q.trim();
    let catalog = state.pipeline.catalog();
    let matches: Vec<&DiseaseEntry> = if query.is_empty() {
        Vec::new()
    } else {
        catalog
            .diseases
            .search(kind, Some(query))
            .take(MAX_MATCHES)
            .collect()
    };
    let body = html! {
        p { (t(lang, "new.lead")) }
        form class="filters" method="get" action="/console/sheets/new" role="search" {
            div class="field" {
                label for="q" { (t(lang, "new.query")) }
                input id="q" name="q" type="search" value=(params.q) required;
            }
            div class="field" {
                label for="kind" { (t(lang, "new.kind")) }
                select id="kind" name="kind" {
                    option value="" { (t(lang, "list.any")) }
                    @for k in [SheetKind::Nanbyo, SheetKind::Shoman] {
                        option value=(k.as_str()) selected[kind == Some(k)] { (t(lang, kind_key(k))) }
                    }
                }
            }
            div { button type="submit" { (t(lang, "new.search")) } }
        }
        @if !query.is_empty() {
            @if matches.is_empty() {
                p role="status" { (t(lang, "new.no_match")) }
            } @else {
                table {
                    thead {
                        tr {
                            th scope="col" { (t(lang, "new.kind")) }
                            th scope="col" { (t(lang, "new.number")) }
                            th scope="col" { (t(lang, "list.disease")) }
                            th scope="col" { (t(lang, "new.template")) }
                        }
                    }
                    tbody {
                        @for entry in &matches {
                            tr {
                                td { (t(lang, kind_key(entry.key.kind))) }
                                td { (number_path(&entry.key)) }
                                td {
                                    a href={ "/console/sheets/new/" (entry.key.kind.as_str()) "/" (number_path(&entry.key)) } {
                                        (entry.name)
                                    }
                                }
                                td {
                                    @if catalog.templates.get(&entry.key).is_some() { (t(lang, "new.has_template")) }
                                    @else { (t(lang, "new.common_only")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&console, t(lang, "new.title"), body).into_response()
}

/// The empty sheet of a notified disease, and its template if it has one.
fn blank_sheet<'a>(
    state: &'a AppState,
    kind: &str,
    number: &str,
) -> Option<(Sheet, Option<&'a Template>)> {
    let key = disease_key(kind, number)?;
    let catalog = state.pipeline.catalog();
    let entry = catalog.diseases.get(&key)?;
    let mut sheet = Sheet::new(key.kind, Provenance::default());
    sheet.application_type = Some(ApplicationType::New);
    sheet.disease.group = key.group;
    sheet.disease.number = Some(key.number);
    sheet.disease.name = Some(entry.name.clone());
    sheet.disease.code = entry.code.clone();
    Some((sheet, catalog.templates.get(&key)))
}

fn not_found(kind: &str, number: &str) -> ApiError {
    ApiError::not_found("notified disease", "告示疾病", &format!("{kind}/{number}"))
}

fn new_form(
    console: &Console,
    action: &str,
    sheet: &Sheet,
    template: Option<&Template>,
    posted: Option<&BTreeMap<String, String>>,
    findings: &[kakehashi_sdk::Finding],
) -> Markup {
    let lang: Lang = console.lang;
    let shown = Shown {
        sheet,
        findings,
        posted,
        editable: true,
    };
    let body = html! {
        p { (t(lang, "new.form_lead")) }
        @if template.is_none() { p class="hint" { (t(lang, "editor.no_template")) } }
        @if posted.is_some() {
            div class="notice error" role="alert" { p { (t(lang, "editor.unreadable")) } }
        }
        form method="post" action=(action) {
            (form_csrf(console))
            (form::render(lang, &shown, template))
            button type="submit" { (t(lang, "new.save")) }
        }
    };
    page(console, t(lang, "new.title"), body)
}

pub async fn blank(
    State(state): State<AppState>,
    console: Console,
    Path((kind, number)): Path<(String, String)>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let Some((sheet, template)) = blank_sheet(&state, &kind, &number) else {
        return console.error(&not_found(&kind, &number));
    };
    let action = format!("/console/sheets/new/{kind}/{number}");
    new_form(&console, &action, &sheet, template, None, &[]).into_response()
}

/// Saves the new sheet as a draft: the form read into a sheet, written as a FHIR document and
/// submitted through the API's submission (journaled, converted, checked, stored, audited).
pub async fn create(
    State(state): State<AppState>,
    console: Console,
    Path((kind, number)): Path<(String, String)>,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let Some((blank, template)) = blank_sheet(&state, &kind, &number) else {
        return console.error(&not_found(&kind, &number));
    };
    let posted: BTreeMap<String, String> = posted.into_iter().collect();
    let sheet = match form::read(&blank, template, &posted) {
        Ok(sheet) => sheet,
        Err(unreadable) => {
            let action = format!("/console/sheets/new/{kind}/{number}");
            let page = new_form(
                &console,
                &action,
                &blank,
                template,
                Some(&posted),
                &unreadable,
            );
            return (StatusCode::UNPROCESSABLE_ENTITY, page).into_response();
        }
    };
    let document_id = uuid::Uuid::new_v4().to_string();
    let bundle = match kakehashi_adapter_fhir::sheet_bundle(
        &sheet,
        template,
        &document_id,
        "in-progress",
        &state.fhir_base(),
    ) {
        Ok(bundle) => bundle,
        Err(e) => return console.error(&ApiError::internal(&e.to_string())),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/fhir+json"),
    );
    let params = SubmitParams {
        adapter: Some("fhir".to_owned()),
        mapping: None,
        municipality: None,
    };
    match submit(
        &state,
        console.principal.clone(),
        params,
        &headers,
        Body::from(bundle),
        None,
    )
    .await
    {
        Ok((view, _)) => match view.sheets.first() {
            Some(stored) => {
                Redirect::to(&format!("/console/sheets/{}?saved=1", stored.id)).into_response()
            }
            None => console.error(&ApiError::internal("a new sheet's document held no sheet")),
        },
        Err(error) => console.error(&error),
    }
}
