//! An app's webhook through the intake API (`/v1/intake/webhook`), behind the app gate: the
//! app sets its HTTPS endpoint and is answered a new signing secret, once; reads the endpoint
//! and how its events fare (never the secret); or removes it. An administrator does the same
//! with `kakehashi apps webhook`. Every call is audited; the secret is sealed at rest and
//! never logged. See [`crate::webhook`] for the events and their delivery.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::extract::Json;
use super::{ApiError, AppState};
use crate::auth::AppPrincipal;
use crate::store::{AppWebhook, AuditEvent, Store, StoreError};
use crate::webhook::{check_url, signature};

/// The endpoint an app's events go to.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// An `https` URL (no credentials, no fragment, at most 2000 characters).
    #[schemars(length(min = 1, max = 2000))]
    pub url: String,
}

/// A webhook just set, with its signing secret: shown this once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WebhookRegistered {
    /// `app:<code>`
    pub app_id: String,
    pub url: String,
    /// `whsec_` and the base64 of 32 random bytes: the key of the `Webhook-Signature` HMAC
    /// (Standard Webhooks). Keep it secret; setting the webhook again replaces it.
    pub secret: String,
}

/// Why a webhook cannot be set: a URL that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusableUrl(pub String);

/// Sets app `app_id`'s webhook to `url` with a new secret, audited as `audit`
/// (`app.webhook_set`; `refused` for an unusable URL); the app's endpoint and
/// `kakehashi apps webhook` both do it here.
pub(crate) async fn register(
    store: &dyn Store,
    app_id: &str,
    url: &str,
    audit: &AuditEvent,
) -> Result<Result<WebhookRegistered, UnusableUrl>, StoreError> {
    let url = url.trim();
    if let Err(why) = check_url(url) {
        store
            .append_audit(
                &audit
                    .clone()
                    .on("organisation", app_id)
                    .outcome("refused")
                    .with_detail(format!("webhook URL refused: {why}")),
            )
            .await?;
        return Ok(Err(UnusableUrl(why)));
    }
    let secret = signature::generate_secret();
    store.set_app_webhook(app_id, url, &secret, audit).await?;
    Ok(Ok(WebhookRegistered {
        app_id: app_id.to_owned(),
        url: url.to_owned(),
        secret,
    }))
}

fn no_webhook(app_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "intake.no_webhook",
        format!("{app_id} has no webhook; set one with PUT /v1/intake/webhook"),
        format!(
            "{app_id} には Webhook が設定されていません（PUT /v1/intake/webhook で設定します）"
        ),
    )
}

pub async fn set(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
    Json(request): Json<WebhookRequest>,
) -> Result<Json<WebhookRegistered>, ApiError> {
    let audit = app.audit("app.webhook_set", "ok");
    match register(
        state.store().as_ref(),
        &app.organisation_id,
        &request.url,
        &audit,
    )
    .await?
    {
        Ok(registered) => Ok(Json(registered)),
        Err(UnusableUrl(why)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "intake.webhook_url",
            format!("the webhook URL cannot be used: {why}"),
            format!("この Webhook の URL は使えません（https の URL を指定してください）: {why}"),
        )),
    }
}

pub async fn read(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
) -> Result<Json<AppWebhook>, ApiError> {
    let store = state.store();
    let audit = app
        .audit("app.webhook_read", "ok")
        .on("organisation", &app.organisation_id);
    let Some(webhook) = store.app_webhook(&app.organisation_id).await? else {
        store.append_audit(&audit.outcome("not_found")).await?;
        return Err(no_webhook(&app.organisation_id));
    };
    store.append_audit(&audit).await?;
    Ok(Json(webhook))
}

pub async fn remove(
    State(state): State<AppState>,
    Extension(app): Extension<AppPrincipal>,
) -> Result<StatusCode, ApiError> {
    let audit = app.audit("app.webhook_remove", "ok");
    if state
        .store()
        .remove_app_webhook(&app.organisation_id, &audit)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_webhook(&app.organisation_id))
    }
}
