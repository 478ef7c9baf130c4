//! Applications (申請) from Mynaportal: import a download, list, read, move the status on, and
//! export the statuses for Mynaportal's bulk status update. Only municipal officers, and only
//! their own municipality's applications: another municipality's 受付番号 answers 404.
//!
//! An import is atomic per download: the archive is read whole by the adapter before anything
//! is stored, and stored in one transaction. A download is one file the officer took from
//! 申請管理; when part of it cannot be read (truncated, tampered), storing the rest would leave
//! gaps nobody notices, while re-downloading and importing again is safe because an import is
//! idempotent.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kakehashi_access_key::AccessKey;
use kakehashi_adapter_municipal::{CopaymentProposal, CopaymentTables, propose_tier};
use kakehashi_adapter_mynaportal::choose_mapping;
use kakehashi_sdk::{Application, ApplicationStatus, Finding, RecordKind};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path, Query};
use super::{ApiError, AppState, submissions};
use crate::auth::{Principal, access};
use crate::judgment::Judgment;
use crate::pipeline::{content_hash, today_in_japan};
use crate::store::{
    ApplicationListing, AuditEvent, ImportOutcome, ImportResult, NewApplication, RawInput,
    Redemption, Rejection, StatusChange, Store, StoreError, StoredApplication,
};

/// Refuses callers who are not municipal officers, auditing the refusal.
pub(super) async fn require_officer(
    state: &AppState,
    principal: &Principal,
    action: &str,
) -> Result<(), ApiError> {
    state
        .require_role(
            access::may_handle_applications(principal),
            &principal.audit(action, "ok"),
            "handle applications",
            "申請を扱うことは",
        )
        .await
}

/// `?mapping=NAME`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// The download's form (`mappings/mynaportal/NAME.toml`); the only one when absent.
    #[schemars(length(min = 1))]
    mapping: Option<String>,
}

/// Counts of an import's outcomes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ImportSummary {
    pub applications: usize,
    pub created: usize,
    pub unchanged: usize,
    pub status_updated: usize,
    pub status_kept: usize,
}

/// What an import did, per application.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ImportView {
    /// The mapping the download was read with.
    pub mapping: String,
    /// SHA-256 of the download as received.
    pub sha256: String,
    pub summary: ImportSummary,
    pub applications: Vec<ImportResult>,
}

/// The sheet an application's access key reaches — the key the applicant typed into the
/// e-application (or the app) instead of handing over the paper — bound to the municipality
/// the application was made to as an officer's lookup would bind it (`POST
/// /v1/access-keys/lookup`), and audited the same way, as `by` (an event of the caller for an
/// action). A key that does not parse, is unknown, expired or replaced, or whose sheet another
/// municipality took up links nothing; the application is still stored and the officer can
/// look the key up by hand.
async fn sheet_for_access_key(
    store: &dyn Store,
    by: &(dyn Fn(&str) -> AuditEvent + Sync),
    municipality_id: &str,
    access_key: &str,
) -> Result<Option<String>, StoreError> {
    let audit = by("access_key.lookup").with_detail("from an application");
    let key = match AccessKey::parse(access_key) {
        Ok(key) => key,
        Err(e) => {
            let event = audit.outcome("malformed").with_detail(e.to_string());
            store.append_audit(&event).await?;
            return Ok(None);
        }
    };
    let redemption = store
        .redeem_access_key(&key.digest(), municipality_id, &audit)
        .await?;
    Ok(match redemption {
        Redemption::Bound { sheet_id, .. } => Some(sheet_id),
        Redemption::Unknown | Redemption::BoundElsewhere { .. } => None,
    })
}

/// Links a stored application that carries an access key and is not linked yet to the sheet
/// the key finds ([`sheet_for_access_key`]), with its audit record (`application.link`) as
/// `by`; the sheet linked, if any. Mynaportal imports and the intake API both link this way.
pub(crate) async fn link_to_sheet(
    store: &dyn Store,
    by: &(dyn Fn(&str) -> AuditEvent + Sync),
    stored: &StoredApplication,
) -> Result<Option<String>, StoreError> {
    let Some(key) = stored.application.access_key.as_deref() else {
        return Ok(None);
    };
    if stored.linked_sheet_id.is_some() {
        return Ok(stored.linked_sheet_id.clone());
    }
    let Some(sheet_id) = sheet_for_access_key(store, by, &stored.municipality_id, key).await?
    else {
        return Ok(None);
    };
    let audit = by("application.link")
        .on("application", &stored.id)
        .with_patient(stored.patient_ref.clone())
        .with_detail(format!("sheet {sheet_id}"));
    store
        .link_application_sheet(&stored.id, &sheet_id, &audit)
        .await?;
    Ok(Some(sheet_id))
}

/// Links freshly imported applications that carry an access key to their sheets.
async fn link_sheets(
    state: &AppState,
    principal: &Principal,
    results: &[ImportResult],
) -> Result<(), StoreError> {
    let store = state.store();
    let by = |action: &str| principal.audit(action, "ok");
    for result in results {
        if let Some(stored) = store
            .application(&principal.organisation_id, &result.receipt_number)
            .await?
        {
            link_to_sheet(store.as_ref(), &by, &stored).await?;
        }
    }
    Ok(())
}

pub async fn import(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportView>, ApiError> {
    require_officer(&state, &principal, "application.import").await?;
    let body = submissions::read_body(&state, &headers, body).await?;
    import_download(
        &state,
        &principal,
        body,
        submissions::content_type(&headers),
        params.mapping,
    )
    .await
    .map(Json)
}

/// Imports a Mynaportal download (`body`, of `content_type`, read with `mapping` or the only
/// one) into the officer's municipality, atomically, linking the applications whose access
/// key finds a sheet; audited.
pub(crate) async fn import_download(
    state: &AppState,
    principal: &Principal,
    body: bytes::Bytes,
    content_type: Option<String>,
    mapping: Option<String>,
) -> Result<ImportView, ApiError> {
    require_officer(state, principal, "application.import").await?;
    let sha256 = content_hash(&body);
    // Held until the download is stored: its files are in memory until then.
    let (read, _reservation) = state
        .pipeline
        .read(RecordKind::Application, None, body, content_type, mapping)
        .await?;
    let audit = principal.audit("application.import", "ok");
    let download = match read {
        Ok(download) => download,
        Err(rejection) => {
            state
                .store()
                .append_audit(
                    &audit
                        .outcome("rejected")
                        .with_detail(rejection.code.clone()),
                )
                .await?;
            return Err(ApiError::rejected(&rejection, None));
        }
    };
    let applications: Vec<NewApplication> = download
        .applications
        .into_iter()
        .map(|a| NewApplication {
            receipt_number: a.record.receipt_number.clone().unwrap_or_default(),
            application: a.record,
            findings: a.findings,
        })
        .collect();
    let files: Vec<RawInput<'_>> = download
        .files
        .iter()
        .map(|file| RawInput {
            sha256: &file.sha256,
            content_type: file.media_type.as_deref(),
            body: &file.bytes,
        })
        .collect();
    let results = state
        .store()
        .import_applications(&principal.organisation_id, &files, &applications, &audit)
        .await?;
    link_sheets(state, principal, &results).await?;
    let mut summary = ImportSummary {
        applications: results.len(),
        ..ImportSummary::default()
    };
    for r in &results {
        *match r.outcome {
            ImportOutcome::Created => &mut summary.created,
            ImportOutcome::Unchanged => &mut summary.unchanged,
            ImportOutcome::StatusUpdated => &mut summary.status_updated,
            ImportOutcome::StatusKept => &mut summary.status_kept,
        } += 1;
    }
    Ok(ImportView {
        mapping: download.mapping.unwrap_or_default(),
        sha256,
        summary,
        applications: results,
    })
}

/// `?status=processing` (or `処理中`)
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only this status: a code (`processing`) or Mynaportal's label (`処理中`).
    #[schemars(extend("enum" = STATUS_NAMES))]
    status: Option<String>,
}

/// `?status=processing&mapping=NAME`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// Only this status: a code (`processing`) or Mynaportal's label (`処理中`).
    #[schemars(extend("enum" = STATUS_NAMES))]
    status: Option<String>,
    /// The mapping whose `[status_export]` the export uses; the only one when absent.
    #[schemars(length(min = 1))]
    mapping: Option<String>,
}

/// What `?status=` takes: the codes and Mynaportal's labels.
const STATUS_NAMES: [&str; 12] = [
    "submitted",
    "processing",
    "resubmission_required",
    "completed",
    "rejected",
    "withdrawal_accepted",
    "提出済",
    "処理中",
    "要再申請",
    "完了",
    "却下",
    "取消受付",
];

/// The status asked for, a code or Mynaportal's label (boxed: the error is large).
fn status(text: Option<&str>) -> Result<Option<ApplicationStatus>, Box<ApiError>> {
    let Some(text) = text else {
        return Ok(None);
    };
    text.parse().map(Some).map_err(|reason: String| {
        Box::new(ApiError::new(
            StatusCode::BAD_REQUEST,
            "application.bad_status",
            reason,
            format!("`{text}` は処理状況ではありません（提出済・処理中・要再申請・完了・却下・取消受付）"),
        ))
    })
}

pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ListParams>,
) -> Result<Json<Vec<ApplicationListing>>, ApiError> {
    require_officer(&state, &principal, "application.list").await?;
    let status = status(params.status.as_deref()).map_err(|e| *e)?;
    list_applications(&state, &principal, status)
        .await
        .map(Json)
}

/// The officer's municipality's applications (only `status` when given), by 受付番号;
/// audited.
pub(crate) async fn list_applications(
    state: &AppState,
    principal: &Principal,
    status: Option<ApplicationStatus>,
) -> Result<Vec<ApplicationListing>, ApiError> {
    require_officer(state, principal, "application.list").await?;
    let listed = state
        .store()
        .list_applications(&principal.organisation_id, status)
        .await?;
    state
        .store()
        .append_audit(
            &principal
                .audit("application.list", "ok")
                .with_detail(format!("{} applications", listed.len())),
        )
        .await?;
    Ok(listed)
}

/// A stored application with its state.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ApplicationView {
    /// 受付番号
    pub receipt_number: String,
    /// Where it came from: `mynaportal`, or `app:<code>` for an app's (the intake API).
    pub channel: String,
    pub status: ApplicationStatus,
    /// The statuses it may move to from here.
    pub next_statuses: Vec<ApplicationStatus>,
    /// The sheet the access key found; null until linked.
    pub linked_sheet_id: Option<String>,
    pub imported_at: String,
    pub updated_at: String,
    pub application: Application,
    pub findings: Vec<Finding>,
    /// 理由: why it is in its status, as the officer who moved it wrote it.
    pub status_reason: Option<String>,
    /// 階層区分 and 自己負担上限額 proposed from the self-information an app sent, with the
    /// reasons; null for an application without self-information (a Mynaportal download).
    pub copayment_proposal: Option<CopaymentProposal>,
    /// 機械判定 of the linked sheet as of the 申請日; null until a sheet is linked.
    pub judgment: Option<Judgment>,
}

fn next_statuses(status: ApplicationStatus) -> Vec<ApplicationStatus> {
    ApplicationStatus::ALL
        .into_iter()
        .filter(|next| *next != status && status.may_become(*next))
        .collect()
}

impl From<StoredApplication> for ApplicationView {
    fn from(s: StoredApplication) -> Self {
        Self {
            receipt_number: s.application.receipt_number.clone().unwrap_or_default(),
            channel: s.channel,
            status: s.status,
            next_statuses: next_statuses(s.status),
            linked_sheet_id: s.linked_sheet_id,
            imported_at: s.imported_at,
            updated_at: s.updated_at,
            application: s.application,
            findings: s.findings,
            status_reason: s.status_reason,
            copayment_proposal: None,
            judgment: None,
        }
    }
}

/// Loads the caller's municipality's application, auditing `action` either way.
pub(crate) async fn load(
    state: &AppState,
    principal: &Principal,
    receipt_number: &str,
    action: &str,
) -> Result<StoredApplication, ApiError> {
    require_officer(state, principal, action).await?;
    let audit = principal.audit(action, "ok");
    match state
        .store()
        .application(&principal.organisation_id, receipt_number)
        .await?
    {
        Some(found) => Ok(found),
        None => {
            state
                .store()
                .append_audit(&audit.outcome("not_found").with_detail(receipt_number))
                .await?;
            Err(ApiError::not_found("application", "申請", receipt_number))
        }
    }
}

pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(receipt_number): Path<String>,
) -> Result<Json<ApplicationView>, ApiError> {
    application(&state, &principal, &receipt_number)
        .await
        .map(Json)
}

/// One application of the officer's municipality by 受付番号, with the statuses it may move
/// to; audited with the patient.
pub(crate) async fn application(
    state: &AppState,
    principal: &Principal,
    receipt_number: &str,
) -> Result<ApplicationView, ApiError> {
    let found = load(state, principal, receipt_number, "application.read").await?;
    state
        .store()
        .append_audit(
            &principal
                .audit("application.read", "ok")
                .on("application", &found.id)
                .with_patient(found.patient_ref.clone()),
        )
        .await?;
    let mut view = ApplicationView::from(found);
    view.copayment_proposal = copayment_proposal(&state.copayment, &view.application);
    if let Some(sheet_id) = view.linked_sheet_id.as_deref() {
        let applied_on = view.application.applied_on.unwrap_or_else(today_in_japan);
        view.judgment =
            Some(super::judgment::judge_on(state, principal, sheet_id, applied_on).await?);
    }
    Ok(view)
}

/// The tier and cap an app's application points to, from its self-information and the
/// published tables; none for a Mynaportal download, which carries no self-information.
fn copayment_proposal(
    tables: &CopaymentTables,
    application: &Application,
) -> Option<CopaymentProposal> {
    let intake = application.intake.as_ref()?;
    Some(propose_tier(
        application.kind,
        &intake.self_information,
        application.applicant.relationship.as_deref(),
        application.applied_on.unwrap_or_else(today_in_japan),
        tables,
    ))
}

/// The status to move to, and why.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: ApplicationStatus,
    /// 理由: why, for the applicant — an app shows it with 要再申請 and 却下 (what to correct,
    /// why it was refused). Up to 1,000 characters, line breaks (LF) but no other control
    /// characters; blank is none; kept sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 1000),
        regex(pattern = r"^[^\x00-\x09\x0B-\x1F\x7F-\x9F]*$")
    )]
    pub reason: Option<String>,
}

/// The most characters a status reason may have.
const MAX_REASON_CHARS: usize = 1000;

/// The reason as kept: trimmed, none when blank; refused when too long or with control
/// characters other than LF (boxed: the error is large).
pub(crate) fn status_reason(reason: Option<&str>) -> Result<Option<String>, Box<ApiError>> {
    let Some(reason) = reason else {
        return Ok(None);
    };
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Box::new(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "application.bad_reason",
            format!(
                "the reason must be at most {MAX_REASON_CHARS} characters without control characters (it has {chars})"
            ),
            format!(
                "理由は制御文字を含まない {MAX_REASON_CHARS} 文字以内にしてください（{chars} 文字あります）"
            ),
        )));
    }
    let reason = reason.trim();
    Ok((!reason.is_empty()).then(|| reason.to_owned()))
}

/// A status change's result.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StatusView {
    /// 受付番号
    pub receipt_number: String,
    pub status: ApplicationStatus,
    pub previous: ApplicationStatus,
    /// False when the application was in that status already.
    pub changed: bool,
}

pub async fn set_status(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(receipt_number): Path<String>,
    Json(request): Json<StatusRequest>,
) -> Result<Json<StatusView>, ApiError> {
    let reason = status_reason(request.reason.as_deref()).map_err(|e| *e)?;
    move_status(
        &state,
        &principal,
        receipt_number,
        request.status,
        reason.as_deref(),
    )
    .await
    .map(Json)
}

/// Moves application `receipt_number` of the officer's municipality to status `to` when the
/// transition is allowed (状態遷移), with the `reason` the applicant will see; audited with the
/// patient.
pub(crate) async fn move_status(
    state: &AppState,
    principal: &Principal,
    receipt_number: String,
    to: ApplicationStatus,
    reason: Option<&str>,
) -> Result<StatusView, ApiError> {
    let found = load(state, principal, &receipt_number, "application.status").await?;
    let audit = principal
        .audit("application.status", "ok")
        .on("application", &found.id)
        .with_patient(found.patient_ref.clone())
        .with_detail(format!("{} -> {}", found.status.as_str(), to.as_str()));
    let change = state
        .store()
        .set_application_status(
            &principal.organisation_id,
            &receipt_number,
            to,
            reason,
            &audit,
        )
        .await?;
    let (previous, changed) = match change {
        StatusChange::Changed { from } => (from, true),
        StatusChange::Unchanged => (to, false),
        StatusChange::NotFound => {
            return Err(ApiError::not_found("application", "申請", &receipt_number));
        }
        StatusChange::Refused { from } => {
            let allowed: Vec<&str> = next_statuses(from)
                .into_iter()
                .map(ApplicationStatus::as_str)
                .collect();
            let allowed = if allowed.is_empty() {
                "none: it is final".to_owned()
            } else {
                allowed.join(", ")
            };
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "application.transition",
                format!(
                    "application {receipt_number} cannot move from {} to {} (allowed: {allowed})",
                    from.as_str(),
                    to.as_str()
                ),
                format!(
                    "申請 {receipt_number} は{}から{}にできません",
                    from.label_ja(),
                    to.label_ja()
                ),
            ));
        }
    };
    Ok(StatusView {
        receipt_number,
        status: to,
        previous,
        changed,
    })
}

pub async fn status_export(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    require_officer(&state, &principal, "application.export").await?;
    let (_, mapping) = choose_mapping(
        &state.pipeline.catalog().mappings,
        params.mapping.as_deref(),
    )
    .map_err(|e| ApiError::rejected(&Rejection::from(&e), None))?;
    let export = mapping.status_export;
    let listed = state
        .store()
        .list_applications(
            &principal.organisation_id,
            status(params.status.as_deref()).map_err(|e| *e)?,
        )
        .await?;
    let rows: Vec<(String, ApplicationStatus)> = listed
        .into_iter()
        .map(|a| (a.receipt_number, a.status))
        .collect();
    let csv = export.write(&rows).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "application.export_encoding",
            e.to_string(),
            "CP932 で書けない文字があります。ラベルか列名を変えるか UTF-8 で出力してください",
        )
    })?;
    state
        .store()
        .append_audit(
            &principal
                .audit("application.export", "ok")
                .with_detail(format!("{} applications", rows.len())),
        )
        .await?;
    let charset = match export.encoding {
        kakehashi_adapter_mynaportal::mapping::ExportEncoding::Cp932 => "shift_jis",
        kakehashi_adapter_mynaportal::mapping::ExportEncoding::Utf8 => "utf-8",
    };
    Ok((
        [
            (header::CONTENT_TYPE, format!("text/csv; charset={charset}")),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"status-export.csv\"".to_owned(),
            ),
        ],
        csv,
    )
        .into_response())
}
