//! Accounts: the list (by id, paged, optionally of one organisation), a new account with its
//! one-time initial password shown once ([`accounts::create_account`]), a reset to a new
//! one-time password ([`accounts::reset_password`]) and lifting a lockout ([`accounts::unlock`]).

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::accounts::{self, AccountError, AccountRequest};
use crate::api::{ApiError, AppState};
use crate::console::paging::{self, PAGE_SIZE};
use crate::console::{Console, Lang, form_csrf, page, role_key, t};
use crate::store::{DoctorProfile, Role};

const PATH: &str = "/console/admin/users";

const ROLES: [Role; 5] = [
    Role::Doctor,
    Role::Clerk,
    Role::MunicipalOfficer,
    Role::Administrator,
    Role::Integrator,
];

/// An account change refused, as the console shows errors.
fn refused(error: AccountError) -> ApiError {
    let message = error.to_string();
    match error {
        AccountError::Store(e) => e.into(),
        AccountError::Hash(e) => ApiError::internal(&e.to_string()),
        AccountError::UnknownUser(_) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            message,
            "その利用者はいません",
        ),
        AccountError::UnknownOrganisation(id) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "user.unknown_organisation",
            message,
            format!("組織 {id} は登録されていません"),
        ),
        AccountError::WrongOrganisationKind { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "user.wrong_organisation_kind",
            message,
            "この役割はその種類の組織には所属できません",
        ),
    }
}

/// `?organisation=KIND:CODE&page=N`
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    page: Option<u32>,
}

/// The one-time secrets of an account just made or reset: shown on this page only.
struct Shown<'a> {
    user_id: &'a str,
    password: &'a str,
    totp_uri: Option<&'a str>,
}

fn add_form(lang: Lang, console: &Console) -> Markup {
    html! {
        form class="stack" method="post" action=(PATH) {
            (form_csrf(console))
            div class="field" {
                label for="user" { (t(lang, "admin.users.id")) }
                input id="user" name="user" type="text" required autocomplete="off";
            }
            div class="field" {
                label for="organisation" { (t(lang, "admin.users.organisation")) }
                input id="organisation" name="organisation" type="text" required aria-describedby="organisation-hint";
                span class="hint" id="organisation-hint" { (t(lang, "admin.users.organisation_hint")) }
            }
            div class="field" {
                label for="role" { (t(lang, "admin.users.role")) }
                select id="role" name="role" {
                    @for role in ROLES { option value=(role.as_str()) { (t(lang, role_key(role))) } }
                }
            }
            div class="field" {
                label for="name" { (t(lang, "admin.users.name")) }
                input id="name" name="name" type="text" required;
            }
            div { button type="submit" { (t(lang, "admin.users.add")) } }
        }
    }
}

async fn render(
    state: &AppState,
    console: &Console,
    params: &ListParams,
    above: Markup,
) -> Result<Markup, Response> {
    let lang = console.lang;
    let (page_number, offset) = paging::offset(params.page);
    let organisation = Some(params.organisation.trim()).filter(|o| !o.is_empty());
    let rows = state
        .store()
        .users(organisation, offset, PAGE_SIZE + 1)
        .await
        .map_err(|e| console.error(&e.into()))?;
    let (users, more) = paging::split(rows);
    let body = html! {
        (above)
        form class="filters" method="get" action=(PATH) role="search" {
            div class="field" {
                label for="filter-organisation" { (t(lang, "admin.users.organisation")) }
                input id="filter-organisation" name="organisation" type="text" value=(params.organisation);
            }
            div { button type="submit" { (t(lang, "list.apply")) } }
        }
        @if users.is_empty() {
            p { (t(lang, "list.empty")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(lang, "admin.users.id")) }
                    th scope="col" { (t(lang, "admin.users.name")) }
                    th scope="col" { (t(lang, "admin.users.role")) }
                    th scope="col" { (t(lang, "admin.users.organisation")) }
                    th scope="col" { (t(lang, "admin.users.state")) }
                    th scope="col" { (t(lang, "admin.users.actions")) }
                } }
                tbody {
                    @for u in &users {
                        tr {
                            td { code { (u.id) } }
                            td { (u.display_name) }
                            td { (t(lang, role_key(u.role))) }
                            td { code { (u.organisation_id) } }
                            td {
                                @if u.locked_until.is_some() { span class="finding error" { (t(lang, "admin.users.locked")) } " " }
                                @if u.must_change_password { (t(lang, "admin.users.initial")) }
                                @else { (t(lang, "admin.users.active")) }
                                " (" (t(lang, "admin.users.failures")) " " (u.failed_logins) ")"
                            }
                            td {
                                form method="post" action={ (PATH) "/" (u.id) "/reset" } {
                                    (form_csrf(console))
                                    button class="secondary" type="submit" aria-label={ (t(lang, "admin.users.reset")) " " (u.id) } { (t(lang, "admin.users.reset")) }
                                }
                                @if u.locked_until.is_some() || u.failed_logins > 0 {
                                    form method="post" action={ (PATH) "/" (u.id) "/unlock" } {
                                        (form_csrf(console))
                                        button class="secondary" type="submit" aria-label={ (t(lang, "admin.users.unlock")) " " (u.id) } { (t(lang, "admin.users.unlock")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (paging::pager(lang, PATH, &[("organisation", params.organisation.as_str())], page_number, more))
        }
        h2 { (t(lang, "admin.users.new")) }
        (add_form(lang, console))
    };
    Ok(page(console, t(lang, "admin.users.title"), body))
}

fn shown(lang: Lang, secrets: &Shown<'_>) -> Markup {
    html! {
        div class="notice success" role="status" {
            p { (t(lang, "admin.users.once")) }
            dl {
                dt { (t(lang, "admin.users.id")) } dd { code { (secrets.user_id) } }
                dt { (t(lang, "admin.users.password")) } dd { span class="access-key" { (secrets.password) } }
                @if let Some(uri) = secrets.totp_uri {
                    dt { (t(lang, "admin.users.totp")) } dd { code { (uri) } }
                }
            }
        }
    }
}

async fn answer(state: &AppState, console: &Console, above: Markup) -> Response {
    render(state, console, &ListParams::default(), above)
        .await
        .map_or_else(|r| r, IntoResponse::into_response)
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(params): Query<ListParams>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    render(&state, &console, &params, html! {})
        .await
        .map_or_else(|r| r, IntoResponse::into_response)
}

/// A new account.
#[derive(Debug, Deserialize)]
pub struct NewAccount {
    user: String,
    organisation: String,
    role: Role,
    name: String,
}

pub async fn add(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<NewAccount>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let request = AccountRequest {
        user_id: form.user.trim().to_owned(),
        organisation_id: form.organisation.trim().to_owned(),
        role: form.role,
        display_name: form.name.trim().to_owned(),
        profile: DoctorProfile::default(),
        registration_batch: None,
    };
    let by = console.principal.audit("user.create", "ok");
    let issued = match accounts::create_account(state.store().as_ref(), request, &by).await {
        Ok(issued) => issued,
        Err(error) => return console.error(&refused(error)),
    };
    let lang = console.lang;
    let above = if issued.created {
        shown(
            lang,
            &Shown {
                user_id: &issued.user_id,
                password: &issued.initial_password,
                totp_uri: issued.totp_uri.as_deref(),
            },
        )
    } else {
        html! { div class="notice error" role="alert" { p { (t(lang, "admin.users.exists")) } } }
    };
    answer(&state, &console, above).await
}

pub async fn reset(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let by = console.principal.audit("user.reset_password", "ok");
    match accounts::reset_password(state.store().as_ref(), &id, &by).await {
        Ok(password) => {
            let above = shown(
                console.lang,
                &Shown {
                    user_id: &id,
                    password: &password,
                    totp_uri: None,
                },
            );
            answer(&state, &console, above).await
        }
        Err(error) => console.error(&refused(error)),
    }
}

pub async fn unlock(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = console.require(super::ROLES) {
        return refused;
    }
    let by = console.principal.audit("user.unlock", "ok");
    match accounts::unlock(state.store().as_ref(), &id, &by).await {
        Ok(()) => Redirect::to(PATH).into_response(),
        Err(error) => console.error(&refused(error)),
    }
}
