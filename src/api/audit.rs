//! `GET /v1/audit` (JSON) and `GET /v1/audit/fhir` (a Bundle of IHE BALP AuditEvents), for
//! administrators, with filters. Reading the audit trail is itself audited.

use axum::extract::{Extension, State};

use super::extract::{Json, Query};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::store::{AuditQuery, AuditRecord, ChainReport};

/// The audit records `query` selects, for those who may read the trail; the read is audited.
pub(crate) async fn authorised_query(
    state: &AppState,
    principal: &Principal,
    query: &AuditQuery,
) -> Result<Vec<AuditRecord>, ApiError> {
    let audit = principal.audit("audit.query", "ok");
    state
        .require_role(
            access::may_read_audit(principal),
            &audit,
            "read the audit trail",
            "監査ログを見ることは",
        )
        .await?;
    let records = state.store().audit_query(query).await?;
    state
        .store()
        .append_audit(&audit.with_detail(format!("{} records", records.len())))
        .await?;
    Ok(records)
}

pub async fn query(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    Ok(Json(authorised_query(&state, &principal, &query).await?))
}

pub async fn fhir(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let records = authorised_query(&state, &principal, &query).await?;
    Ok(Json(crate::fhir_audit::bundle(&records)))
}

/// Checks the whole hash chain of the audit trail (administrators), as `kakehashi audit verify`
/// does; the check is audited with its result.
pub(crate) async fn verify_chain(
    state: &AppState,
    principal: &Principal,
) -> Result<ChainReport, ApiError> {
    let audit = principal.audit("audit.verify", "ok");
    state
        .require_role(
            access::may_read_audit(principal),
            &audit,
            "check the audit trail",
            "監査ログを検査することは",
        )
        .await?;
    let report = state.store().audit_verify(None).await?;
    let audit = if report.breaks.is_empty() {
        audit.with_detail(format!("{} records; intact", report.records))
    } else {
        audit
            .outcome("broken")
            .with_detail(format!("{} break(s)", report.breaks.len()))
    };
    state.store().append_audit(&audit).await?;
    Ok(report)
}
