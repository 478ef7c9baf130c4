//! The page of one upload while it is read and after: a document that takes longer than the
//! upload waits (a scan's OCR, a large export) is followed here. While the submission is
//! `received` the page says so, with how long it has been reading, and reloads itself every
//! few seconds through the `Refresh` header (no script); the person can stop the reloading
//! (WCAG 2.2.1) and reload by hand. When reading ends it shows the result of each sheet, or
//! the document's located error. It reads through the API's own function, so only the
//! sender's organisation sees it and every look is audited.

use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::upload::result;
use crate::api::submissions::{SheetPage, read};
use crate::api::{ApiError, AppState, extract};
use crate::console::{Console, page, t};
use crate::store::SubmissionStatus;

/// Seconds between the page's reloads while reading.
const RELOAD_SECONDS: &str = "3";

/// `?auto=off` stops the page reloading itself.
#[derive(Debug, Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    auto: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Query(query): Query<ProgressQuery>,
) -> Response {
    let lang = console.lang;
    let view = match read(
        State(state.clone()),
        Extension(console.principal.clone()),
        extract::Path(id.clone()),
        extract::Query(SheetPage::default()),
    )
    .await
    {
        Ok(view) => view.0,
        Err(error) => return console.error(&error),
    };
    let record = &view.submission;
    match (record.status, &record.error) {
        (SubmissionStatus::Received, _) => {}
        (_, Some(rejection)) => return console.error(&ApiError::rejected(rejection, Some(&id))),
        _ => {
            let body = html! {
                (result(&state, lang, &view))
                p { a href="/console/upload" { (t(lang, "upload.again")) } }
            };
            return page(&console, t(lang, "upload.result_title"), body).into_response();
        }
    }
    let reloading = query.auto.as_deref() != Some("off");
    let elapsed = chrono::DateTime::parse_from_rfc3339(&record.received_at)
        .map(|at| (chrono::Utc::now() - at.to_utc()).num_seconds().max(0))
        .unwrap_or_default();
    let here = format!("/console/uploads/{id}");
    let body = html! {
        div class="notice" role="status" {
            p { (t(lang, "upload.reading")) }
            p {
                (t(lang, "upload.receipt")) ": " code { (id.get(..8).unwrap_or(&id)) } " · "
                (t(lang, "upload.elapsed")) ": " (elapsed) " " (t(lang, "upload.seconds"))
            }
        }
        p {
            @if reloading {
                (t(lang, "upload.reloading")) " "
                a href={ (here) "?auto=off" } { (t(lang, "upload.reload_stop")) }
            } @else {
                a href={ (here) "?auto=off" } { (t(lang, "upload.reload_now")) } " · "
                a href=(here) { (t(lang, "upload.reload_start")) }
            }
        }
    };
    let mut response = page(&console, t(lang, "upload.progress_title"), body).into_response();
    if reloading {
        response
            .headers_mut()
            .insert("refresh", HeaderValue::from_static(RELOAD_SECONDS));
    }
    response
}
