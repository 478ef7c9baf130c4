//! The review queue (OCR 確認): each box as scanned beside the value read, its confidence and
//! why a person must look, corrected from the keyboard alone — the input has the focus, Enter
//! records the value ([`resolve_task`]) and the next task comes up. The image is the API's
//! own answer ([`box_image`]).

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::review::{box_image, open_tasks, resolve_task};
use crate::api::{ApiError, AppState};
use crate::console::paging::{self, PAGE_SIZE};
use crate::console::{Console, Lang, form_csrf, page, t};
use crate::store::ReviewTask;

const PATH: &str = "/console/municipal/review";

/// `?task=ID` (the task to show first) and `?page=N` of the rest.
#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    #[serde(default)]
    task: Option<String>,
    #[serde(default)]
    page: Option<u32>,
    /// The sheet of the task just resolved and how many of its tasks are left.
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    left: Option<u64>,
}

fn percent(confidence: f32) -> String {
    format!("{:.0} %", confidence * 100.0)
}

/// The task being worked on: its image, what was read and why, and the form.
fn current(lang: Lang, console: &Console, task: &ReviewTask, error: Option<&ApiError>) -> Markup {
    let d = &task.detail;
    html! {
        section class="review-task" aria-labelledby="task-title" {
            h2 id="task-title" { (d.label) " " code { (task.target) } }
            div class="review-box" {
                img src={ (PATH) "/" (task.id) "/image" } alt={ (t(lang, "muni.review.image_alt")) ": " (d.label) };
            }
            dl {
                dt { (t(lang, "muni.review.read")) }
                dd { @match &d.read { Some(read) => { code { (read) } } None => { (t(lang, "muni.review.blank")) } } }
                dt { (t(lang, "muni.review.confidence")) } dd { (percent(task.confidence)) }
                dt { (t(lang, "muni.review.reasons")) }
                dd { ul { @for reason in &d.reasons { li { (reason_label(lang, reason)) " " code { (reason) } } } } }
                dt { (t(lang, "muni.review.sheet")) }
                dd { a href={ "/console/municipal/sheets/" (task.sheet_id) } { code { (task.sheet_id.get(..8).unwrap_or(&task.sheet_id)) } } }
            }
            form class="stack" method="post" action={ (PATH) "/" (task.id) } {
                (form_csrf(console))
                div class="field" {
                    label for="value" { (t(lang, "muni.review.value")) }
                    input id="value" name="value" type="text" autofocus required autocomplete="off"
                        spellcheck="false" aria-describedby="value-hint value-error"
                        aria-invalid=[error.map(|_| "true")];
                    span class="hint" id="value-hint" { (t(lang, "muni.review.value_hint")) }
                    @if let Some(error) = error {
                        span class="finding error" id="value-error" role="alert" {
                            (lang.pick(&error.message_ja, &error.message)) " " code { "(" (error.code) ")" }
                        }
                    }
                }
                div {
                    button type="submit" { (t(lang, "muni.review.submit")) }
                    " "
                    @if let Some(read) = &d.read {
                        input type="hidden" name="read" value=(read);
                        button class="secondary" type="submit" name="as_read" value="1" formnovalidate { (t(lang, "muni.review.as_read")) }
                        " "
                    }
                    button class="secondary" type="submit" name="blank" value="1" formnovalidate { (t(lang, "muni.review.submit_blank")) }
                }
            }
        }
    }
}

fn queue(lang: Lang, tasks: &[ReviewTask], page_number: u32, more: bool) -> Markup {
    html! {
        h2 { (t(lang, "muni.review.queue")) }
        @if tasks.is_empty() {
            p { (t(lang, "muni.review.empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "muni.review.field")) }
                    th scope="col" { (t(lang, "muni.review.read")) }
                    th scope="col" { (t(lang, "muni.review.confidence")) }
                    th scope="col" { (t(lang, "muni.review.reasons")) }
                } }
                tbody {
                    @for task in tasks {
                        tr {
                            td { a href={ (PATH) "?task=" (task.id) } { (task.detail.label) } }
                            td { (task.detail.read.as_deref().unwrap_or("—")) }
                            td { (percent(task.confidence)) }
                            td { @for reason in &task.detail.reasons { span title=(reason) { (reason_label(lang, reason)) } br; } }
                        }
                    }
                }
            }
            (paging::pager(lang, PATH, &[], page_number, more))
        }
    }
}

async fn render(
    state: &AppState,
    console: &Console,
    params: &QueueParams,
    error: Option<(&str, &ApiError)>,
) -> Result<Markup, Response> {
    let lang = console.lang;
    let (page_number, offset) = paging::offset(params.page);
    let fetched = open_tasks(state, &console.principal, offset + PAGE_SIZE + 1)
        .await
        .map_err(|e| console.error(&e))?;
    let wanted = error.map(|(id, _)| id).or(params.task.as_deref());
    let working = wanted
        .and_then(|id| fetched.iter().find(|t| t.id == id))
        .or(fetched.first())
        .cloned();
    let (tasks, more) = paging::split(fetched.into_iter().skip(offset as usize).collect());
    let body = html! {
        @if let (Some(sheet), Some(left)) = (&params.done, params.left) {
            div class="notice success" role="status" {
                p { (t(lang, "muni.review.resolved")) " "
                    @if left == 0 { (t(lang, "muni.review.sheet_done")) " " code { (sheet.get(..8).unwrap_or(sheet)) } }
                    @else { (t(lang, "muni.review.left")) ": " (left) } }
            }
        }
        @if let Some(task) = &working {
            (current(lang, console, task, error.map(|(_, e)| e)))
        }
        (queue(lang, &tasks, page_number, more))
    };
    Ok(page(console, t(lang, "muni.review.title"), body))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<QueueParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&state, &console, &params, None)
        .await
        .map_or_else(|r| r, IntoResponse::into_response)
}

/// What the reviewer read in the box: typed, the value as read, or an empty box.
#[derive(Debug, Deserialize)]
pub struct Answer {
    #[serde(default)]
    value: String,
    /// The value as read, sent back by the "as read" choice.
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    as_read: Option<String>,
    #[serde(default)]
    blank: Option<String>,
}

/// Records the value, then on to the next task; a value that does not fit comes back beside
/// the input.
pub async fn resolve(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    Form(answer): Form<Answer>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let value = if answer.blank.is_some() {
        None
    } else if answer.as_read.is_some() {
        answer.read
    } else {
        Some(answer.value)
    };
    match resolve_task(&state, &console.principal, &id, value.as_deref()).await {
        Ok(outcome) => Redirect::to(&format!(
            "{PATH}?done={}&left={}",
            outcome.task.sheet_id, outcome.open_for_sheet
        ))
        .into_response(),
        Err(error) if error.status == 422 => {
            match render(
                &state,
                &console,
                &QueueParams::default(),
                Some((&id, &error)),
            )
            .await
            {
                Ok(markup) => (StatusCode::UNPROCESSABLE_ENTITY, markup).into_response(),
                Err(response) => response,
            }
        }
        Err(error) => console.error(&error),
    }
}

/// The box as scanned: the API's answer to `GET /v1/review/{id}/image`.
pub async fn image(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    box_image(&state, &console.principal, &id)
        .await
        .unwrap_or_else(|e| console.error(&e))
}

/// A review reason in words: the stable code a review task carries (see the scan adapter's
/// evidence) looked up in the catalogue's `review_reason` table.
fn reason_label(lang: Lang, code: &str) -> &'static str {
    t(lang, &format!("review_reason.{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_review_reason_has_words_in_the_catalogue() {
        for reason in kakehashi_adapter_scan::Reason::ALL {
            let code = reason.code();
            assert_ne!(reason_label(Lang::Ja, code), "?", "{code}");
        }
    }
}
