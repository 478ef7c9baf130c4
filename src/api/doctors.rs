//! Registering designated doctors (seed 003): `POST /v1/doctors` (one, JSON),
//! `POST /v1/doctors/import` (a roster CSV) and the printable issuance notice of a batch,
//! `GET /v1/doctors/imports/{batch}/notice.pdf`. A municipal officer registers doctors of the
//! institutions in their prefecture (the first two digits of both codes); an administrator,
//! any.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::extract::{Json, Path};
use super::{ApiError, AppState};
use crate::accounts::{self, AccountError};
use crate::auth::{Principal, access};
use crate::doctors::{self, DoctorEntry, RosterProblem};
use crate::store::{OrganisationKind, Role};

/// What a registration did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RegistrationView {
    pub batch_id: String,
    /// Accounts created now.
    pub created: Vec<String>,
    /// Accounts that existed already (left unchanged).
    pub existing: Vec<String>,
    /// The printable notice with the initial passwords of the accounts created.
    pub notice: String,
}

/// A roster refused, with every problem located.
#[derive(Debug, Serialize)]
struct RosterRefusal {
    code: &'static str,
    message: String,
    message_ja: String,
    problems: Vec<RosterProblem>,
}

fn prefecture_of_organisation(id: &str) -> Option<&str> {
    id.split_once(':').and_then(|(_, code)| code.get(..2))
}

/// The institutions the caller may register doctors for; refuses the others, located.
fn out_of_area(principal: &Principal, entries: &[DoctorEntry]) -> Vec<RosterProblem> {
    if principal.role == Role::Administrator {
        return vec![];
    }
    let area = prefecture_of_organisation(&principal.organisation_id);
    entries
        .iter()
        .filter(|e| e.institution_code.get(..2) != area)
        .map(|e| RosterProblem {
            code: "roster.out_of_area",
            message: format!(
                "line {}: institution {} is outside your prefecture",
                e.line, e.institution_code
            ),
            message_ja: format!(
                "{} 行目: 医療機関 {} は管轄の都道府県外です",
                e.line, e.institution_code
            ),
            location: {
                let mut l = kakehashi_sdk::SourceLocation::line(e.line);
                l.column_name = Some("医療機関コード".into());
                l
            },
        })
        .collect()
}

/// The API's answer to a registration: 201 with what it did, or 422 with every problem.
fn registration_response(registered: Result<RegistrationView, Vec<RosterProblem>>) -> Response {
    match registered {
        Ok(view) => (StatusCode::CREATED, Json(view)).into_response(),
        Err(problems) => refuse_roster(problems),
    }
}

fn refuse_roster(problems: Vec<RosterProblem>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(RosterRefusal {
            code: "roster.invalid",
            message: format!(
                "the roster has {} problem(s); nothing was registered",
                problems.len()
            ),
            message_ja: format!(
                "名簿に {} 件の問題があります。登録は行っていません",
                problems.len()
            ),
            problems,
        }),
    )
        .into_response()
}

/// Registers `entries` (a roster's designated doctors) as one batch when the caller may
/// register each of them; the problems refuse the whole roster, located. Audited.
async fn register(
    state: &AppState,
    principal: &Principal,
    entries: Vec<DoctorEntry>,
) -> Result<Result<RegistrationView, Vec<RosterProblem>>, ApiError> {
    let audit = principal.audit("user.create", "ok");
    state
        .require_role(
            access::may_register_doctors(principal),
            &audit,
            "register doctors",
            "指定医を登録することは",
        )
        .await?;
    let problems = out_of_area(principal, &entries);
    if !problems.is_empty() {
        state
            .store()
            .append_audit(&audit.outcome("denied").with_detail("roster.out_of_area"))
            .await?;
        return Ok(Err(problems));
    }
    let batch_id = uuid::Uuid::new_v4().to_string();
    let issued = accounts::register_doctors(state.store().as_ref(), &entries, &batch_id, &audit)
        .await
        .map_err(|e| match e {
            AccountError::Store(e) => ApiError::from(e),
            other => ApiError::internal(&other.to_string()),
        })?;
    let (created, existing): (Vec<_>, Vec<_>) = issued.into_iter().partition(|i| i.created);
    Ok(Ok(RegistrationView {
        notice: format!("/v1/doctors/imports/{batch_id}/notice.pdf"),
        batch_id,
        created: created.into_iter().map(|i| i.user_id).collect(),
        existing: existing.into_iter().map(|i| i.user_id).collect(),
    }))
}

pub async fn register_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(mut entry): Json<DoctorEntry>,
) -> Result<Response, ApiError> {
    entry.line = 1;
    let mut problems = Vec::new();
    doctors::validate(&entry, &mut problems);
    if !problems.is_empty() {
        return Ok(refuse_roster(problems));
    }
    register(&state, &principal, vec![entry])
        .await
        .map(registration_response)
}

pub async fn import(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Body,
) -> Result<Response, ApiError> {
    let body = axum::body::to_bytes(body, state.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "roster.too_large",
                "the roster is larger than the request limit",
                "名簿が上限サイズを超えています",
            )
        })?;
    import_roster(&state, &principal, &body)
        .await
        .map(registration_response)
}

/// Registers a roster CSV (UTF-8 or CP932) of designated doctors, all or nothing: the problems
/// located by line, or what was registered with the batch of its notice.
pub(crate) async fn import_roster(
    state: &AppState,
    principal: &Principal,
    roster: &[u8],
) -> Result<Result<RegistrationView, Vec<RosterProblem>>, ApiError> {
    match doctors::parse_roster(roster) {
        Ok(entries) => register(state, principal, entries).await,
        Err(problems) => Ok(Err(problems)),
    }
}

pub async fn notice(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(batch): Path<String>,
) -> Result<Response, ApiError> {
    notice_pdf(&state, &principal, &batch).await
}

/// The printable issuance notice of registration batch `batch`, with the initial passwords
/// not yet changed, for the registrar's side; audited.
pub(crate) async fn notice_pdf(
    state: &AppState,
    principal: &Principal,
    batch: &str,
) -> Result<Response, ApiError> {
    let store = state.store();
    let audit = principal
        .audit("user.notice", "ok")
        .on("registration", batch);
    let accounts = store.issued_accounts(batch).await?;
    // Only the registrar's side may print: the officer whose batch it is, or an administrator.
    let allowed = access::may_register_doctors(principal)
        && accounts.iter().all(|a| {
            principal.role == Role::Administrator
                || prefecture_of_organisation(&a.organisation_id)
                    == prefecture_of_organisation(&principal.organisation_id)
        });
    if accounts.is_empty() || !allowed {
        store
            .append_audit(&audit.outcome(if accounts.is_empty() {
                "not_found"
            } else {
                "denied"
            }))
            .await?;
        return Err(ApiError::not_found("registration", "登録", batch));
    }
    let mut institutions: Vec<(crate::store::Organisation, Vec<_>)> = Vec::new();
    for account in accounts {
        match institutions.last_mut() {
            Some((org, list)) if org.id == account.organisation_id => list.push(account),
            _ => {
                let org = store
                    .organisation(&account.organisation_id)
                    .await?
                    .unwrap_or_else(|| {
                        crate::store::Organisation::new(
                            OrganisationKind::Hospital,
                            &account.organisation_id,
                            &account.organisation_id,
                        )
                    });
                institutions.push((org, vec![account]));
            }
        }
    }
    let issuer = store
        .organisation(&principal.organisation_id)
        .await?
        .map_or_else(|| principal.organisation_id.clone(), |o| o.name);
    let today = crate::pipeline::today_in_japan().to_string();
    let font = state.font.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        crate::notice::issuance_notice(&font, &today, &issuer, &institutions)
    })
    .await
    .map_err(|e| ApiError::internal(&e.to_string()))?
    .map_err(|e| ApiError::internal(&e.to_string()))?;
    store.append_audit(&audit).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"notice-{batch}.pdf\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from(pdf),
    )
        .into_response())
}
