//! Browser sessions: the cookie `__Host-kakehashi-console` carries a random 256-bit id of which
//! the store keeps only the SHA-256 ([`crate::store::ConsoleSessions`]). A session is valid
//! only from the terminal (client certificate) and organisation it was opened from — a cookie
//! replayed from another terminal is refused and audited — and ends after the configured idle
//! and absolute timeouts (`[security] console_idle_seconds`, `console_absolute_seconds`).
//!
//! [`resolve`] runs before every console handler; handlers take a [`Console`] (a signed-in
//! person, who has changed their initial password) or a [`Visitor`] (anyone, for the login).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::i18n::{Lang, t};
use super::layout;
use crate::api::{ApiError, AppState, Transport};
use crate::auth::{Caller, Principal, token};
use crate::store::{ConsoleSession, SessionScope, timestamp_now};

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-kakehashi-console";
/// The login form's token before there is a session (double-submit cookie).
pub const LOGIN_CSRF_COOKIE: &str = "__Host-kakehashi-console-login";

/// 256 random bits, URL-safe.
pub(super) fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A cookie's `Set-Cookie` value: host-only, HTTPS-only, never sent cross-site, out of
/// scripts' reach. An empty value with `Max-Age=0` removes it.
pub(super) fn set_cookie(name: &str, value: &str) -> String {
    let expiry = if value.is_empty() { "; Max-Age=0" } else { "" };
    format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict{expiry}")
}

/// The value of cookie `name` in the request's headers.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The session of the request, as [`resolve`] found it valid.
#[derive(Debug, Clone)]
pub(super) struct Live {
    pub principal: Principal,
    pub scope: SessionScope,
    pub csrf: String,
    pub display_name: String,
    pub organisation_name: String,
    pub id_sha256: String,
}

/// Set by [`resolve`] when the request's session just timed out.
#[derive(Debug, Clone, Copy)]
struct TimedOut;

fn older_than(stamp: &str, seconds: u64, now: DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(stamp).map_or(true, |at| {
        now.signed_duration_since(at).num_seconds() >= i64::try_from(seconds).unwrap_or(i64::MAX)
    })
}

/// Opens a session for a user who just logged in at `caller`'s terminal; the cookie to set.
pub(super) async fn open(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    organisation_id: &str,
    scope: SessionScope,
) -> Result<String, ApiError> {
    let id = random_secret();
    let now = timestamp_now();
    let idle = chrono::Duration::seconds(
        i64::try_from(state.security.console_idle_seconds).unwrap_or(i64::MAX / 1000),
    );
    let idle_before = (Utc::now() - idle).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let session = ConsoleSession {
        id_sha256: token::token_hash(&id),
        user_id: user_id.to_owned(),
        organisation_id: organisation_id.to_owned(),
        terminal: caller.terminal.clone(),
        scope,
        csrf_secret: random_secret(),
        created_at: now.clone(),
        last_seen_at: now,
    };
    state
        .store()
        .create_console_session(&session, &idle_before)
        .await?;
    Ok(set_cookie(SESSION_COOKIE, &id))
}

/// Finds the request's session, if its cookie names a live one from this terminal; refuses a
/// session presented from another terminal or organisation (audited); ends a timed-out one.
pub async fn resolve(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Some(id) = cookie(request.headers(), SESSION_COOKIE).map(token::token_hash) else {
        return next.run(request).await;
    };
    let caller = request.extensions().get::<Caller>().cloned();
    let lang = request
        .extensions()
        .get::<Lang>()
        .copied()
        .unwrap_or_default();
    match find(&state, &id, caller.as_ref()).await {
        Ok(Found::Live(live)) => {
            request.extensions_mut().insert(*live);
        }
        Ok(Found::Unknown) => {}
        Ok(Found::TimedOut) => {
            request.extensions_mut().insert(TimedOut);
        }
        Ok(Found::ElsewhereRefused) => {
            let mut response = layout::error_page(
                lang,
                StatusCode::FORBIDDEN,
                "session.wrong_terminal",
                t(lang, "error.session_elsewhere"),
            );
            clear_session_cookie(&mut response);
            return response;
        }
        Err(error) => return layout::api_error_page(lang, &error),
    }
    next.run(request).await
}

enum Found {
    Live(Box<Live>),
    Unknown,
    TimedOut,
    ElsewhereRefused,
}

async fn find(state: &AppState, id: &str, caller: Option<&Caller>) -> Result<Found, ApiError> {
    let store = state.store();
    let Some(session) = store.console_session(id).await? else {
        return Ok(Found::Unknown);
    };
    let caller = caller.cloned().unwrap_or(Caller {
        terminal: None,
        organisation_id: None,
        source: None,
    });
    if state.transport == Transport::MutualTls
        && (caller.terminal != session.terminal
            || caller.organisation_id.as_deref() != Some(session.organisation_id.as_str()))
    {
        let event = caller
            .audit(&session.user_id, "console.session", "denied")
            .with_detail("session.wrong_terminal");
        store.append_audit(&event).await?;
        return Ok(Found::ElsewhereRefused);
    }
    let now = Utc::now();
    if older_than(
        &session.last_seen_at,
        state.security.console_idle_seconds,
        now,
    ) || older_than(
        &session.created_at,
        state.security.console_absolute_seconds,
        now,
    ) {
        store.end_console_session(id).await?;
        let event = caller
            .audit(&session.user_id, "auth.logout", "ok")
            .with_detail("console session timed out");
        store.append_audit(&event).await?;
        return Ok(Found::TimedOut);
    }
    let Some(user) = store.user(&session.user_id).await? else {
        return Ok(Found::Unknown);
    };
    let organisation_name = store
        .organisation(&user.organisation_id)
        .await?
        .map_or_else(|| user.organisation_id.clone(), |o| o.name);
    store.touch_console_session(id, &timestamp_now()).await?;
    Ok(Found::Live(Box::new(Live {
        principal: Principal {
            user_id: user.id,
            role: user.role,
            organisation_id: user.organisation_id,
            terminal: caller.terminal,
            source: caller.source,
        },
        scope: session.scope,
        csrf: session.csrf_secret,
        display_name: user.display_name,
        organisation_name,
        id_sha256: session.id_sha256,
    })))
}

fn clear_session_cookie(response: &mut Response) {
    if let Ok(value) = set_cookie(SESSION_COOKIE, "").parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Ends the person's session (logout), audited.
pub(super) async fn end(state: &AppState, console: &Console) -> Result<(), ApiError> {
    state
        .store()
        .end_console_session(&console.session_id)
        .await?;
    state
        .store()
        .append_audit(
            &console
                .principal
                .audit("auth.logout", "ok")
                .with_detail("console"),
        )
        .await?;
    Ok(())
}

/// A signed-in person at the console: who they are (the [`Principal`] the API's functions
/// take), the language of their pages, and their session's CSRF token for forms
/// ([`super::form_csrf`]). Without a session the request is sent to the login; with an
/// initial password still to change, to the password change.
#[derive(Debug, Clone)]
pub struct Console {
    pub principal: Principal,
    pub lang: Lang,
    pub csrf: String,
    pub display_name: String,
    pub organisation_name: String,
    /// The path asked for (the navigation marks the current page).
    pub path: String,
    session_id: String,
    scope: SessionScope,
}

impl Console {
    /// The error page for an error of the API's functions, in this person's layout.
    pub fn error(&self, error: &ApiError) -> Response {
        layout::api_error_page(self.lang, error)
    }

    /// "Not found" unless the person's role is one of `roles`: a screen of another role
    /// answers as a screen that does not exist, as the API does for objects.
    // The refusal is a whole answer, as axum's extractors reject with one; it is built once
    // per refused request, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn require(&self, roles: &[crate::store::Role]) -> Result<(), Response> {
        if roles.contains(&self.principal.role) {
            Ok(())
        } else {
            Err(layout::error_page(
                self.lang,
                StatusCode::NOT_FOUND,
                "not_found",
                t(self.lang, "error.not_found"),
            ))
        }
    }

    #[allow(clippy::result_large_err)]
    fn from_parts(parts: &Parts) -> Result<Self, Response> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let Some(live) = parts.extensions.get::<Live>().cloned() else {
            let to = if parts.extensions.get::<TimedOut>().is_some() {
                "/console/login?ended=timeout"
            } else {
                "/console/login"
            };
            return Err(Redirect::to(to).into_response());
        };
        Ok(Self {
            principal: live.principal,
            lang,
            csrf: live.csrf,
            display_name: live.display_name,
            organisation_name: live.organisation_name,
            path: parts.uri.path().to_owned(),
            session_id: live.id_sha256,
            scope: live.scope,
        })
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let console = Self::from_parts(parts)?;
        if console.scope == SessionScope::PasswordChange {
            return Err(Redirect::to("/console/password").into_response());
        }
        Ok(console)
    }
}

/// A signed-in person who may still have to change their initial password: the password
/// change screen and the logout take this.
#[derive(Debug, Clone)]
pub struct AnySession(pub Console);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        Console::from_parts(parts).map(AnySession)
    }
}

/// Anyone at a permitted terminal (the login screen): the language, the terminal, and the
/// token the login form carries (its cookie is set when it is new).
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub caller: Caller,
    pub login_csrf: String,
    /// Whether `login_csrf` is new, so its cookie must be set.
    pub fresh: bool,
    /// The catalogue key of why the person is back at the login (`?ended=`).
    pub notice: Option<&'static str>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Response> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or(Caller {
            terminal: None,
            organisation_id: None,
            source: None,
        });
        let existing = cookie(&parts.headers, LOGIN_CSRF_COOKIE).map(str::to_owned);
        let notice = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("ended=")))
            .and_then(|why| match why {
                "timeout" => Some("login.ended_timeout"),
                "logout" => Some("login.ended_logout"),
                "changed" => Some("login.ended_changed"),
                _ => None,
            });
        Ok(Self {
            lang,
            caller,
            fresh: existing.is_none(),
            login_csrf: existing.unwrap_or_else(random_secret),
            notice,
        })
    }
}
