//! Logging in and out, and the forced change of an initial password. The checks are the API's
//! own ([`crate::api::auth`]): the same lockout, address block, second factor and audit.

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;

use super::i18n::{Lang, t};
use super::layout::{api_error_page, bare_page, form_csrf, hidden_token, page};
use super::session::{self, AnySession, LOGIN_CSRF_COOKIE, Visitor, set_cookie};
use crate::api::auth::{PasswordChange, check_login, session_scope, set_own_password};
use crate::api::{ApiError, AppState};
use crate::store::SessionScope;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/login", get(login_form).post(login))
        .route("/console/logout", axum::routing::post(logout))
        .route(
            "/console/password",
            get(password_form).post(change_password),
        )
}

/// The login form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

fn field_error(lang: Lang, error: &ApiError) -> Markup {
    html! {
        div class="notice error" role="alert" id="form-error" {
            p { (lang.pick(&error.message_ja, &error.message)) }
            p class="hint" { (t(lang, "error.code")) ": " code { (error.code) } }
        }
    }
}

fn login_page(visitor: &Visitor, user_id: &str, error: Option<&ApiError>) -> Markup {
    let lang = visitor.lang;
    let body = html! {
        @if let Some(notice) = visitor.notice {
            div class="notice success" role="status" { p { (t(lang, notice)) } }
        }
        @if let Some(error) = error { (field_error(lang, error)) }
        form class="stack" method="post" action="/console/login" {
            (hidden_token(&visitor.login_csrf))
            div class="field" {
                label for="user_id" { (t(lang, "login.user_id")) }
                input id="user_id" name="user_id" type="text" autocomplete="username" required value=(user_id);
            }
            div class="field" {
                label for="password" { (t(lang, "login.password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            div class="field" {
                label for="totp" { (t(lang, "login.totp")) }
                input id="totp" name="totp" type="text" inputmode="numeric" autocomplete="one-time-code" aria-describedby="totp-hint";
                span class="hint" id="totp-hint" { (t(lang, "login.totp_hint")) }
            }
            div { button type="submit" { (t(lang, "login.submit")) } }
        }
    };
    bare_page(lang, t(lang, "login.title"), body)
}

/// The login screen; sets the login form's CSRF cookie when it is new.
async fn login_form(visitor: Visitor) -> Response {
    let mut response = login_page(&visitor, "", None).into_response();
    if visitor.fresh
        && let Ok(value) = set_cookie(LOGIN_CSRF_COOKIE, &visitor.login_csrf).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Response {
    let totp = Some(form.totp.trim()).filter(|c| !c.is_empty());
    let user = match check_login(&state, &visitor.caller, &form.user_id, &form.password, totp).await
    {
        Ok(user) => user,
        Err(error) => {
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::UNAUTHORIZED);
            return (status, login_page(&visitor, &form.user_id, Some(&error))).into_response();
        }
    };
    let scope = session_scope(&user);
    let opened = session::open(
        &state,
        &visitor.caller,
        &user.id,
        &user.organisation_id,
        scope,
    )
    .await;
    let audited = state
        .store()
        .append_audit(
            &visitor
                .caller
                .audit(&user.id, "auth.login", "ok")
                .with_detail("console"),
        )
        .await;
    let cookie = match (opened, audited) {
        (Ok(cookie), Ok(_)) => cookie,
        (Err(error), _) => return api_error_page(visitor.lang, &error),
        (_, Err(error)) => return api_error_page(visitor.lang, &error.into()),
    };
    let to = if scope == SessionScope::PasswordChange {
        "/console/password"
    } else {
        "/console/"
    };
    (
        AppendHeaders([
            (header::SET_COOKIE, cookie),
            (header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "")),
        ]),
        Redirect::to(to),
    )
        .into_response()
}

async fn logout(State(state): State<AppState>, AnySession(console): AnySession) -> Response {
    if let Err(error) = session::end(&state, &console).await {
        return console.error(&error);
    }
    (
        [(header::SET_COOKIE, set_cookie(session::SESSION_COOKIE, ""))],
        Redirect::to("/console/login?ended=logout"),
    )
        .into_response()
}

/// The password change form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

fn password_page(console: &session::Console, error: Option<&ApiError>) -> Markup {
    let lang = console.lang;
    let body = html! {
        p { (t(lang, "password.lead")) }
        @if let Some(error) = error { (field_error(lang, error)) }
        form class="stack" method="post" action="/console/password" {
            (form_csrf(console))
            div class="field" {
                label for="current_password" { (t(lang, "password.current")) }
                input id="current_password" name="current_password" type="password" autocomplete="current-password" required;
            }
            div class="field" {
                label for="new_password" { (t(lang, "password.new")) }
                input id="new_password" name="new_password" type="password" autocomplete="new-password" required minlength=(crate::auth::password::MIN_LENGTH) aria-describedby="new-password-hint";
                span class="hint" id="new-password-hint" { (t(lang, "password.policy")) }
            }
            div class="field" {
                label for="new_password_again" { (t(lang, "password.again")) }
                input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" required;
            }
            div { button type="submit" { (t(lang, "password.submit")) } }
        }
    };
    page(console, t(lang, "password.title"), body)
}

async fn password_form(AnySession(console): AnySession) -> Markup {
    password_page(&console, None)
}

async fn change_password(
    State(state): State<AppState>,
    AnySession(console): AnySession,
    Form(form): Form<PasswordForm>,
) -> Response {
    if form.new_password != form.new_password_again {
        let error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth.password_mismatch",
            t(Lang::En, "password.mismatch"),
            t(Lang::Ja, "password.mismatch"),
        );
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            password_page(&console, Some(&error)),
        )
            .into_response();
    }
    let change = PasswordChange {
        current_password: form.current_password,
        new_password: form.new_password,
    };
    match set_own_password(&state, &console.principal, change).await {
        // Every session of the person ended with the change: log in again.
        Ok(()) => (
            [(header::SET_COOKIE, set_cookie(session::SESSION_COOKIE, ""))],
            Redirect::to("/console/login?ended=changed"),
        )
            .into_response(),
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            (status, password_page(&console, Some(&error))).into_response()
        }
    }
}
