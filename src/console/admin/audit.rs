//! The audit trail: a search by actor, action, outcome and time, paged on the server by
//! sequence number ([`authorised_query`], itself audited), and the hash chain's check
//! ([`verify_chain`], as `kakehashi audit verify`).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::api::AppState;
use crate::api::audit::{authorised_query, verify_chain};
use crate::console::paging::{PAGE_SIZE, page_link};
use crate::console::{Console, Lang, form_csrf, page, t};
use crate::store::{AuditQuery, ChainReport};

const PATH: &str = "/console/admin/audit";

/// The search's filters; `after` the last sequence number of the page before.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    after: Option<i64>,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A `datetime-local` value (Japan time) as RFC 3339.
fn instant(text: &str) -> Option<String> {
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
    Some(format!("{}+09:00", local.format("%Y-%m-%dT%H:%M:%S")))
}

impl SearchParams {
    fn query(&self) -> AuditQuery {
        AuditQuery {
            actor: given(&self.actor),
            action: given(&self.action),
            outcome: given(&self.outcome),
            since: instant(&self.since),
            until: instant(&self.until),
            after_seq: self.after,
            limit: Some(PAGE_SIZE),
            ..AuditQuery::default()
        }
    }

    fn filters(&self) -> [(&str, &str); 5] {
        [
            ("actor", self.actor.as_str()),
            ("action", self.action.as_str()),
            ("outcome", self.outcome.as_str()),
            ("since", self.since.as_str()),
            ("until", self.until.as_str()),
        ]
    }
}

fn search_form(lang: Lang, params: &SearchParams) -> Markup {
    let field = |id: &str, key: &str, value: &str, kind: &str| {
        html! {
            div class="field" {
                label for=(id) { (t(lang, key)) }
                input id=(id) name=(id) type=(kind) value=(value);
            }
        }
    };
    html! {
        form class="filters" method="get" action=(PATH) role="search" {
            (field("actor", "admin.audit.actor", &params.actor, "text"))
            (field("action", "admin.audit.action", &params.action, "text"))
            (field("outcome", "admin.audit.outcome", &params.outcome, "text"))
            (field("since", "admin.audit.since", &params.since, "datetime-local"))
            (field("until", "admin.audit.until", &params.until, "datetime-local"))
            div { button type="submit" { (t(lang, "list.apply")) } }
        }
    }
}

fn chain(lang: Lang, report: &ChainReport) -> Markup {
    let intact = report.breaks.is_empty();
    html! {
        div class={ "notice " (if intact { "success" } else { "error" }) } role="status" {
            p {
                strong { (t(lang, if intact { "admin.audit.intact" } else { "admin.audit.broken" })) }
                " " (t(lang, "admin.audit.records")) ": " (report.records)
            }
            @if let Some(head) = &report.head { p { (t(lang, "admin.audit.head")) ": " code { (head) } } }
            @if !intact { ul { @for b in &report.breaks { li { (b.to_string()) } } } }
        }
    }
}

async fn render(
    state: &AppState,
    console: &Console,
    params: &SearchParams,
    above: Markup,
) -> Result<Markup, Response> {
    let lang = console.lang;
    let records = authorised_query(state, &console.principal, &params.query())
        .await
        .map_err(|e| console.error(&e))?;
    let next = (records.len() == PAGE_SIZE as usize)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    let body = html! {
        (above)
        form method="post" action={ (PATH) "/verify" } {
            (form_csrf(console))
            button type="submit" { (t(lang, "admin.audit.verify")) }
        }
        h2 { (t(lang, "admin.audit.search")) }
        (search_form(lang, params))
        @if records.is_empty() {
            p { (t(lang, "list.empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (t(lang, "admin.audit.at")) }
                    th scope="col" { (t(lang, "admin.audit.actor")) }
                    th scope="col" { (t(lang, "admin.audit.action")) }
                    th scope="col" { (t(lang, "admin.audit.object")) }
                    th scope="col" { (t(lang, "admin.audit.outcome")) }
                    th scope="col" { (t(lang, "admin.audit.detail")) }
                } }
                tbody {
                    @for r in &records {
                        tr {
                            td { (r.seq) }
                            td { (r.at) }
                            td { code { (r.event.actor) } }
                            td { code { (r.event.action) } }
                            td { (r.event.object_type.as_deref().unwrap_or("")) " " code { (r.event.object_id.as_deref().unwrap_or("")) } }
                            td { (r.event.outcome) }
                            td { (r.event.detail.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
            nav class="pager" aria-label=(t(lang, "list.pages")) {
                @if params.after.is_some() {
                    a href=(page_link(PATH, &params.filters(), 1)) { (t(lang, "admin.audit.first")) }
                }
                @if let Some(seq) = next {
                    a href={ (page_link(PATH, &params.filters(), 1)) "&after=" (seq) } rel="next" { (t(lang, "list.next")) }
                }
            }
        }
    };
    Ok(page(console, t(lang, "admin.audit.title"), body))
}

pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<SearchParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&state, &console, &params, html! {})
        .await
        .map_or_else(|r| r, IntoResponse::into_response)
}

/// Checks the chain and shows the result above the newest records.
pub async fn verify(State(state): State<AppState>, console: Console) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let report = match verify_chain(&state, &console.principal).await {
        Ok(report) => report,
        Err(error) => return console.error(&error),
    };
    render(
        &state,
        &console,
        &SearchParams::default(),
        chain(console.lang, &report),
    )
    .await
    .map_or_else(|r| r, IntoResponse::into_response)
}
