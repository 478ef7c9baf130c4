//! Logging in and out, changing one's password, and who am I.
//!
//! Five wrong passwords in a row lock the account for a while; repeated failures from one
//! address block the address; administrators also give a TOTP code. An unknown user id costs
//! the same time as a wrong password and gets the same answer.

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use super::extract::Json;
use super::{ApiError, AppState, Transport, identity};
use crate::auth::{Caller, Principal, password, token, totp};
use crate::store::{Role, SessionScope, User};

/// `POST /v1/auth/login`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub user_id: String,
    pub password: String,
    /// The current TOTP code; required for administrators.
    #[serde(default)]
    pub totp: Option<String>,
}

/// A successful login.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: String,
    /// `password_change` when the one-time initial password must be changed first.
    pub scope: SessionScope,
    pub user: UserView,
}

/// A user as the API shows them.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UserView {
    pub id: String,
    pub role: Role,
    pub organisation_id: String,
}

fn now_plus(minutes: u32) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(i64::from(minutes)))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn now() -> String {
    now_plus(0)
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "auth.invalid_credentials",
        "wrong user id, password or one-time code",
        "ユーザーID、パスワードまたはワンタイムコードが違います",
    )
}

/// Counts and audits a failed login, then answers `error`.
async fn failed(
    state: &AppState,
    caller: &Caller,
    user: Option<&User>,
    user_id: &str,
    reason: &str,
    error: ApiError,
) -> ApiError {
    let store = state.store();
    let mut detail = reason.to_owned();
    if let Some(user) = user {
        let lock_until = now_plus(state.security.lockout_minutes);
        match store
            .record_failed_login(&user.id, state.security.lockout_after, &lock_until)
            .await
        {
            Ok(n) if n == state.security.lockout_after => detail.push_str("; account locked"),
            Ok(_) => {}
            Err(e) => return e.into(),
        }
    }
    let event = caller
        .audit(user_id, "auth.login", "failed")
        .with_detail(detail);
    if let Err(e) = store.append_audit(&event).await {
        return e.into();
    }
    match identity::count_failure(state, caller, user_id, "repeated login failures").await {
        Ok(()) => error,
        Err(e) => e,
    }
}

pub async fn login(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(request): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let user = check_login(
        &state,
        &caller,
        &request.user_id,
        &request.password,
        request.totp.as_deref(),
    )
    .await?;
    let scope = session_scope(&user);
    let (token, token_hash) = token::new_token();
    let expires_at = now_plus(state.security.token_minutes);
    let store = state.store();
    store
        .create_session(&token_hash, &user.id, scope, &expires_at)
        .await?;
    store
        .append_audit(&caller.audit(&user.id, "auth.login", "ok"))
        .await?;
    Ok(Json(LoginResponse {
        token,
        token_type: "Bearer",
        expires_at,
        scope,
        user: UserView {
            id: user.id,
            role: user.role,
            organisation_id: user.organisation_id,
        },
    }))
}

/// What a new session of the user allows: only changing the password while it is the
/// one-time initial one.
pub(crate) fn session_scope(user: &User) -> SessionScope {
    if user.must_change_password {
        SessionScope::PasswordChange
    } else {
        SessionScope::Full
    }
}

/// Checks a login (user id, password, and the TOTP code for administrators) the one way the
/// API and the web console both log people in. Every failure gets the same answer, 401
/// `auth.invalid_credentials`, so that nothing tells a right password from a wrong one: an
/// unknown user costs as long as a wrong password; a right password at another
/// organisation's terminal, or with a missing, wrong or already used code, is refused alike
/// (the reason goes to the audit trail only). Every failure counts towards the account's
/// lockout and the address's block. The user, with their failure count cleared.
pub(crate) async fn check_login(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    given_password: &str,
    totp_code: Option<&str>,
) -> Result<User, ApiError> {
    let store = state.store();
    let Some(user) = store.user(user_id).await? else {
        password::verify_dummy(given_password);
        return Err(failed(
            state,
            caller,
            None,
            user_id,
            "unknown user",
            invalid_credentials(),
        )
        .await);
    };
    if let Some(until) = user.locked_until.as_deref().filter(|u| *u > now().as_str()) {
        let error = ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.locked",
            format!("the account is locked after repeated failures until {until}"),
            format!("ログイン失敗が続いたため、{until} までアカウントがロックされています"),
        );
        let event = caller
            .audit(&user.id, "auth.login", "denied")
            .with_detail("account locked");
        store.append_audit(&event).await?;
        return Err(error);
    }
    let hash = user.password_hash.clone();
    let given = given_password.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify(&hash, &given))
        .await
        .unwrap_or(false);
    if !matches {
        return Err(failed(
            state,
            caller,
            Some(&user),
            &user.id,
            "wrong password",
            invalid_credentials(),
        )
        .await);
    }
    let refusal = if state.transport == Transport::MutualTls
        && caller.organisation_id.as_deref() != Some(user.organisation_id.as_str())
    {
        Some("terminal of another organisation")
    } else if user.role.needs_second_factor() {
        second_factor_refusal(state, &user, totp_code).await?
    } else {
        None
    };
    if let Some(reason) = refusal {
        return Err(failed(
            state,
            caller,
            Some(&user),
            &user.id,
            reason,
            invalid_credentials(),
        )
        .await);
    }
    store.record_successful_login(&user.id).await?;
    Ok(user)
}

/// Why an administrator's second factor refuses the login, if it does: no code, a code of none
/// of the current steps, or one of a step already used (a code is good once).
async fn second_factor_refusal(
    state: &AppState,
    user: &User,
    totp_code: Option<&str>,
) -> Result<Option<&'static str>, ApiError> {
    let Some(code) = totp_code else {
        return Ok(Some("no TOTP code"));
    };
    let step = user
        .totp_secret
        .as_deref()
        .and_then(|secret| totp::verify(secret, &user.id, code, totp::current_step()));
    let Some(step) = step else {
        return Ok(Some("wrong TOTP code"));
    };
    if state.store().claim_totp_step(&user.id, step).await? {
        Ok(None)
    } else {
        Ok(Some("TOTP code already used"))
    }
}

/// `POST /v1/auth/password`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(change): Json<PasswordChange>,
) -> Result<Json<Notice>, ApiError> {
    set_own_password(&state, &principal, change).await?;
    Ok(Json(Notice {
        message: "password changed; log in again with the new password",
        message_ja: "パスワードを変更しました。新しいパスワードで再度ログインしてください",
    }))
}

/// Changes the caller's own password (the API's and the console's one way): the current one
/// must match and the new one meet the policy; every session of the user ends, audited.
pub(crate) async fn set_own_password(
    state: &AppState,
    principal: &Principal,
    change: PasswordChange,
) -> Result<(), ApiError> {
    let store = state.store();
    let user = store
        .user(&principal.user_id)
        .await?
        .ok_or_else(invalid_credentials)?;
    let hash = user.password_hash.clone();
    let current = change.current_password.clone();
    let matches = tokio::task::spawn_blocking(move || password::verify(&hash, &current))
        .await
        .unwrap_or(false);
    let audit = principal
        .audit("auth.password_change", "ok")
        .on("user", &user.id);
    if !matches {
        store
            .append_audit(
                &audit
                    .outcome("failed")
                    .with_detail("wrong current password"),
            )
            .await?;
        return Err(invalid_credentials());
    }
    if let Some((message, message_ja)) = password::policy_violation(&change.new_password, &user.id)
        .or_else(|| {
            (change.new_password == change.current_password).then(|| {
                (
                    "the new password must differ from the current one".to_owned(),
                    "新しいパスワードは現在のものと別にしてください".to_owned(),
                )
            })
        })
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "auth.weak_password",
            message,
            message_ja,
        ));
    }
    let new = change.new_password;
    let new_hash = tokio::task::spawn_blocking(move || password::hash(&new))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(|e| ApiError::internal(&e.to_string()))?;
    store.set_password(&user.id, &new_hash).await?;
    store.append_audit(&audit).await?;
    Ok(())
}

/// What happened, in English and Japanese.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Notice {
    pub message: &'static str,
    pub message_ja: &'static str,
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let presented = identity::bearer(&headers).unwrap_or_default();
    state
        .store()
        .end_session(&token::token_hash(presented))
        .await?;
    state
        .store()
        .append_audit(&principal.audit("auth.logout", "ok"))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller, as the token says.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Me {
    pub user_id: String,
    pub role: Role,
    pub organisation_id: String,
    /// The terminal the session was opened at.
    pub terminal: Option<String>,
}

pub async fn me(Extension(principal): Extension<Principal>) -> Json<Me> {
    Json(Me {
        user_id: principal.user_id,
        role: principal.role,
        organisation_id: principal.organisation_id,
        terminal: principal.terminal,
    })
}
