//! The two gates. [`identify_terminal`] turns the verified client certificate into a
//! registered terminal and its organisation ([`Caller`]), and applies the rates and the
//! address block. [`require_full_session`] and [`require_any_session`] turn the bearer token
//! into a [`Principal`] of that same organisation; [`require_app`] turns an app's machine
//! credential into an [`AppPrincipal`] of the terminal's app organisation. Every refusal is
//! audited.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kakehashi_tls::PeerIdentity;

use super::{ApiError, AppState, Transport};
use crate::auth::{AppPrincipal, Caller, Principal, token};
use crate::store::SessionScope;

fn unauthorised(code: &str, message: &str, message_ja: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, code, message, message_ja)
}

fn forbidden(code: &str, message: &str, message_ja: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message, message_ja)
}

/// Audits a refusal, then answers it. A store failure while auditing answers 503 instead:
/// nothing goes unrecorded.
async fn refuse(
    state: &AppState,
    caller: &Caller,
    actor: &str,
    action: &str,
    error: ApiError,
) -> Response {
    let event = caller
        .audit(actor, action, "denied")
        .with_detail(error.code.clone());
    match state.store().append_audit(&event).await {
        Ok(_) => error.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// The terminal gate.
pub async fn identify_terminal(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let source = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let peer = request.extensions().get::<PeerIdentity>().cloned();
    let mut caller = Caller {
        terminal: None,
        organisation_id: None,
        source,
    };
    if state.transport == Transport::MutualTls {
        let Some(name) = peer.as_ref().and_then(|p| p.terminal_name()) else {
            let error = forbidden(
                "terminal.unidentified",
                "the client certificate names no terminal",
                "クライアント証明書に端末名がありません",
            );
            return refuse(&state, &caller, "unknown", "terminal.connect", error).await;
        };
        caller.terminal = Some(name.to_owned());
        match state.store().terminal(name).await {
            Err(e) => return ApiError::from(e).into_response(),
            Ok(Some(terminal)) if !terminal.disabled => {
                caller.organisation_id = Some(terminal.organisation_id);
            }
            Ok(_) => {
                let error = forbidden(
                    "terminal.not_permitted",
                    "this terminal is not registered as permitted",
                    "この端末は許可端末として登録されていません",
                );
                return refuse(&state, &caller, "unknown", "terminal.connect", error).await;
            }
        }
    }
    let blocked = match state.guard.blocked_for(source).await {
        Ok(blocked) => blocked,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(wait) = blocked {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "security.blocked",
            "too many failed logins from this address; try again later",
            "このアドレスからのログイン失敗が多すぎます。しばらくしてから再試行してください",
        )
        .retry_after(wait)
        .into_response();
    }
    if let Err(wait) = state.guard.admit(caller.terminal.as_deref(), source) {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "security.rate_limited",
            "too many requests from this terminal or address; slow down",
            "この端末またはアドレスからのリクエストが多すぎます。間隔をあけてください",
        )
        .retry_after(wait)
        .into_response();
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Refused: the user belongs to another organisation than the terminal.
fn wrong_organisation() -> ApiError {
    forbidden(
        "auth.wrong_organisation",
        "this user belongs to another organisation than this terminal",
        "このユーザーはこの端末とは別の組織に所属しています",
    )
}

/// The answer to a request the terminal gate did not see: the routes are wired wrong.
fn gate_missing() -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the terminal gate did not run",
        "端末の確認が行われませんでした",
    )
    .into_response()
}

/// Refuses a bearer secret nobody holds (`why`, as the failure is counted against the caller's
/// address), audited as `action` by an unknown actor.
async fn refuse_unknown(
    state: &AppState,
    caller: &Caller,
    why: &str,
    action: &str,
    error: ApiError,
) -> Response {
    if let Err(e) = count_failure(state, caller, "unknown", why).await {
        return e.into_response();
    }
    refuse(state, caller, "unknown", action, error).await
}

/// Counts an authentication failure against the caller's address; when it crosses the
/// threshold, the address is blocked and an audit alert says why.
pub(super) async fn count_failure(
    state: &AppState,
    caller: &Caller,
    actor: &str,
    why: &str,
) -> Result<(), ApiError> {
    if state.guard.record_failure(caller.source).await? == super::guard::FailureVerdict::Blocked {
        let alert = caller
            .audit(actor, "security.source_blocked", "alert")
            .with_detail(why);
        state.store().append_audit(&alert).await?;
        tracing::warn!(source = ?caller.source, %why, "blocked an address after repeated authentication failures");
    }
    Ok(())
}

/// The bearer token of a request, if it carries one.
pub(super) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The person gate for everything but changing one's password.
pub async fn require_full_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    authenticate(state, request, next, false).await
}

/// The person gate for changing one's password (a one-time password's session suffices).
pub async fn require_any_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    authenticate(state, request, next, true).await
}

async fn authenticate(
    state: AppState,
    mut request: Request,
    next: Next,
    password_change_allowed: bool,
) -> Response {
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return gate_missing();
    };
    let Some(presented) = bearer(request.headers()) else {
        return unauthorised(
            "auth.token_required",
            "log in first and send the token as `Authorization: Bearer <token>`",
            "先にログインし、トークンを `Authorization: Bearer <token>` で送ってください",
        )
        .into_response();
    };
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let session = match state
        .store()
        .session(&token::token_hash(presented), &now)
        .await
    {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(session) = session else {
        let error = unauthorised(
            "auth.token_invalid",
            "the token is unknown or has expired; log in again",
            "トークンが無効か期限切れです。再度ログインしてください",
        );
        return refuse_unknown(&state, &caller, "invalid tokens", "auth.token", error).await;
    };
    let user = session.user;
    if state.transport == Transport::MutualTls
        && caller.organisation_id.as_deref() != Some(user.organisation_id.as_str())
    {
        return refuse(
            &state,
            &caller,
            &user.id,
            "auth.token",
            wrong_organisation(),
        )
        .await;
    }
    if session.scope == SessionScope::PasswordChange && !password_change_allowed {
        return forbidden(
            "auth.password_change_required",
            "change the one-time initial password first (POST /v1/auth/password)",
            "先に初期パスワードを変更してください（POST /v1/auth/password）",
        )
        .into_response();
    }
    request.extensions_mut().insert(Principal {
        user_id: user.id,
        role: user.role,
        organisation_id: user.organisation_id,
        terminal: caller.terminal,
        source: caller.source,
    });
    next.run(request).await
}

/// The app gate (the intake API): the bearer token is an app's machine credential, unrevoked,
/// of the same app organisation as the terminal. Apps are not people: a person's session token
/// is no credential here (and an app's credential opens no person's endpoint). An unknown
/// credential counts against the address like an unknown session token.
pub async fn require_app(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return gate_missing();
    };
    let Some(presented) = bearer(request.headers()) else {
        let error = unauthorised(
            "intake.credential_required",
            "send the app's credential as `Authorization: Bearer <credential>`",
            "アプリの認証情報を `Authorization: Bearer <credential>` で送ってください",
        );
        return refuse(&state, &caller, "unknown", "intake.authenticate", error).await;
    };
    let credential = match state
        .store()
        .app_credential(&token::token_hash(presented))
        .await
    {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(credential) = credential else {
        let error = unauthorised(
            "intake.credential_invalid",
            "the credential is unknown or revoked; ask the gateway's administrator for one",
            "認証情報が無効か失効しています。ゲートウェイの管理者に発行を依頼してください",
        );
        return refuse_unknown(
            &state,
            &caller,
            "invalid app credentials",
            "intake.authenticate",
            error,
        )
        .await;
    };
    let actor = format!("{}/{}", credential.organisation_id, credential.id);
    if state.transport == Transport::MutualTls
        && caller.organisation_id.as_deref() != Some(credential.organisation_id.as_str())
    {
        let error = forbidden(
            "intake.wrong_organisation",
            "this credential belongs to another app than this terminal",
            "この認証情報はこの端末とは別のアプリのものです",
        );
        return refuse(&state, &caller, &actor, "intake.authenticate", error).await;
    }
    request.extensions_mut().insert(AppPrincipal {
        organisation_id: credential.organisation_id,
        credential_id: credential.id,
        terminal: caller.terminal,
        source: caller.source,
    });
    next.run(request).await
}
