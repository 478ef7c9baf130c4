//! Terminals: the permitted client-certificate names and their organisations (paged), and
//! permitting one more through [`crate::terminals::permit`] (as `kakehashi terminals add`).

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::api::{ApiError, AppState};
use crate::console::paging::{self, PAGE_SIZE};
use crate::console::{Console, form_csrf, page, t};
use crate::terminals::{PermitError, permit};

const PATH: &str = "/console/admin/terminals";

/// `?page=N`
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
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
    let (page_number, offset) = paging::offset(params.page);
    let rows = match state.store().terminals(offset, PAGE_SIZE + 1).await {
        Ok(rows) => rows,
        Err(e) => return console.error(&e.into()),
    };
    let (terminals, more) = paging::split(rows);
    let body = html! {
        table {
            thead { tr {
                th scope="col" { (t(lang, "admin.terminals.name")) }
                th scope="col" { (t(lang, "admin.users.organisation")) }
                th scope="col" { (t(lang, "admin.users.state")) }
            } }
            tbody {
                @for terminal in &terminals {
                    tr {
                        td { code { (terminal.name) } }
                        td { code { (terminal.organisation_id) } }
                        td { (t(lang, if terminal.disabled { "admin.terminals.disabled" } else { "admin.users.active" })) }
                    }
                }
            }
        }
        (paging::pager(lang, PATH, &[], page_number, more))
        h2 { (t(lang, "admin.terminals.new")) }
        p class="hint" { (t(lang, "admin.terminals.hint")) }
        form class="stack" method="post" action=(PATH) {
            (form_csrf(&console))
            div class="field" {
                label for="name" { (t(lang, "admin.terminals.name")) }
                input id="name" name="name" type="text" required autocomplete="off";
            }
            div class="field" {
                label for="organisation" { (t(lang, "admin.users.organisation")) }
                input id="organisation" name="organisation" type="text" required aria-describedby="organisation-hint";
                span class="hint" id="organisation-hint" { (t(lang, "admin.users.organisation_hint")) }
            }
            div { button type="submit" { (t(lang, "admin.terminals.add")) } }
        }
    };
    page(&console, t(lang, "admin.terminals.title"), body).into_response()
}

/// A terminal to permit.
#[derive(Debug, Deserialize)]
pub struct NewTerminal {
    name: String,
    organisation: String,
}

pub async fn add(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<NewTerminal>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let by = console.principal.audit("terminal.permit", "ok");
    let (name, organisation) = (form.name.trim(), form.organisation.trim());
    match permit(state.store().as_ref(), name, organisation, &by).await {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(PermitError::Store(e)) => console.error(&e.into()),
        Err(PermitError::UnknownOrganisation(id)) => console.error(&ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "terminal.unknown_organisation",
            format!("no organisation {id}; add it first"),
            format!("組織 {id} は登録されていません。先に組織を登録してください"),
        )),
    }
}
