//! Renewals (前回値踏襲): `POST /v1/sheets/{id}/renew` starts this year's draft (更新) from the
//! patient's last confirmed sheet, every carried value marked until someone touches it; and
//! `POST /v1/sheets/{id}/carryover-consent` records the patient's consent that another hospital
//! may do so from this sheet. Seed 001: reuse across hospitals only with the patient's consent,
//! and such use watched — every renewal and every consent is in the audit trail.
//!
//! From the caller's own hospital, `{id}` names any confirmed sheet of the patient and disease;
//! the newest confirmed one is used. From another hospital, `{id}` must be the very sheet the
//! consent names; without that consent the sheet answers 404 like one that does not exist.
//! Asking again returns the same draft (`200`), so the call is idempotent.

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use kakehashi_sdk::DiseaseKey;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::sheets::{SheetView, reloaded};
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::pipeline::{content_hash, sheet_id};
use crate::store::{
    CheckedSheet, RawInput, SheetStatus, StoredSheet, SubmissionRecord, SubmissionStatus,
};

/// Namespace of renewal submission ids: one per receiving organisation and source sheet.
const RENEWAL_NAMESPACE: Uuid = Uuid::from_u128(0x6b616b65_6861_7368_6972_656e6577616c);

/// The patient's consent that another hospital renews from a sheet.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarryoverConsentRequest {
    /// The receiving hospital's organisation id (`hospital:<医療機関コード>`).
    #[schemars(regex(pattern = r"^hospital:[0-9A-Za-z-]+$"))]
    pub organisation_id: String,
}

/// The consent as recorded.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CarryoverConsentView {
    pub sheet_id: String,
    pub organisation_id: String,
    pub recorded_by: String,
}

/// `hospital:` and a code of ASCII letters, digits and hyphens: the pattern the API document
/// gives, so that what it calls valid is exactly what is accepted.
fn is_hospital_organisation(id: &str) -> bool {
    id.strip_prefix("hospital:").is_some_and(|code| {
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("sheet", "調査票", id)
}

pub async fn consent(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Json(request): Json<CarryoverConsentRequest>,
) -> Result<Json<CarryoverConsentView>, ApiError> {
    let sheet = super::sheets::load(
        &state,
        &principal,
        &id,
        "sheet.carryover_consent",
        access::may_record_carryover_consent,
    )
    .await?;
    let organisation = request.organisation_id.as_str();
    if !is_hospital_organisation(organisation) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "renewal.organisation",
            format!(
                "`{organisation}` is not a hospital's organisation id (hospital:<医療機関コード>)"
            ),
            format!(
                "「{organisation}」は医療機関の組織ID（hospital:医療機関コード）ではありません"
            ),
        ));
    }
    let audit = principal
        .audit("sheet.carryover_consent", "ok")
        .on("sheet", &id)
        .with_patient(sheet.patient_ref)
        .with_detail(format!("for {organisation}"));
    state
        .store()
        .record_carryover_consent(&id, organisation, &audit)
        .await?;
    Ok(Json(CarryoverConsentView {
        sheet_id: id,
        organisation_id: organisation.to_owned(),
        recorded_by: principal.user_id,
    }))
}

/// The sheet to renew from: `found` itself from another hospital (with consent), or the
/// patient's newest confirmed sheet of the disease at the caller's own hospital.
async fn source_sheet(
    state: &AppState,
    principal: &Principal,
    found: StoredSheet,
) -> Result<Option<(StoredSheet, bool)>, ApiError> {
    let same_hospital = found.organisation_id.as_deref() == Some(&principal.organisation_id);
    if !same_hospital {
        let consented = state
            .store()
            .carryover_consented(&found.id, &principal.organisation_id)
            .await?;
        return Ok((consented && found.status == SheetStatus::Confirmed).then_some((found, false)));
    }
    let newest = match (&found.patient_ref, found.sheet.disease.number) {
        (Some(patient), Some(number)) => {
            let key = DiseaseKey {
                kind: found.sheet.kind,
                group: found.sheet.disease.group,
                number,
            };
            state
                .store()
                .latest_confirmed_sheet(&principal.organisation_id, patient, &key)
                .await?
        }
        _ => None,
    };
    Ok(match newest {
        Some(newest) if newest != found.id => {
            state.store().sheet(&newest).await?.map(|s| (s, true))
        }
        _ => Some((found, true)),
    })
}

pub async fn renew(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SheetView>), ApiError> {
    let audit = principal.audit("sheet.renew", "ok").on("sheet", &id);
    state
        .require_role(
            access::may_renew(&principal),
            &audit,
            "renew sheets (hospital doctors and clerks may)",
            "調査票を更新（前回値踏襲）することは（医療機関の医師・事務のみ可能です）",
        )
        .await?;
    let Some(found) = state.store().sheet(&id).await? else {
        state
            .store()
            .append_audit(&audit.outcome("not_found"))
            .await?;
        return Err(not_found(&id));
    };
    let patient = found.patient_ref.clone();
    let Some((source, same_hospital)) = source_sheet(&state, &principal, found).await? else {
        let denied = audit.outcome("denied").with_patient(patient);
        state.store().append_audit(&denied).await?;
        return Err(not_found(&id));
    };
    if source.status != SheetStatus::Confirmed {
        let refused = audit
            .outcome("refused")
            .with_patient(patient)
            .with_detail("renewal.not_confirmed");
        state.store().append_audit(&refused).await?;
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "renewal.not_confirmed",
            format!(
                "the patient has no confirmed sheet of this disease to renew from (sheet {id} is a draft)"
            ),
            format!(
                "この患者・疾病の登録済みの調査票がないため更新できません（調査票 {id} は仮登録です）"
            ),
        ));
    }
    // The source as the journal keeps it: its canonical JSON, content-addressed and sealed.
    let source_json =
        serde_json::to_vec(&source.sheet).map_err(|e| ApiError::internal(&e.to_string()))?;
    let sha256 = content_hash(&source_json);
    let submission_id = Uuid::new_v5(
        &RENEWAL_NAMESPACE,
        format!("{}\n{}", principal.organisation_id, source.id).as_bytes(),
    )
    .to_string();
    let new_id = sheet_id(&submission_id, 0);
    let template = state.pipeline.catalog().templates.for_sheet(&source.sheet);
    let mut draft =
        crate::renewal::carry_over(&source.sheet, &source.id, &sha256, template, same_hospital);
    let findings = state.pipeline.check(&mut draft);
    let record = SubmissionRecord {
        id: submission_id,
        organisation_id: principal.organisation_id.clone(),
        municipality_id: None,
        sha256: sha256.clone(),
        adapter: "renewal".into(),
        // What the draft was made from, and for whom (a submission is unique per input,
        // adapter and mapping, and two hospitals may renew from the same sheet).
        mapping: format!("{} for {}", source.id, principal.organisation_id),
        status: SubmissionStatus::Accepted,
        received_at: crate::store::timestamp_now(),
        completed_at: None,
        error: None,
    };
    let audit = principal
        .audit("sheet.renew", "ok")
        .on("sheet", &new_id)
        .with_patient(source.patient_ref.clone())
        .with_detail(format!(
            "from {} ({}), {} values carried over",
            source.id,
            if same_hospital {
                "same hospital"
            } else {
                "another hospital, with the patient's consent"
            },
            draft.provenance.carried_over.len()
        ));
    let checked = CheckedSheet {
        id: new_id.clone(),
        sheet: draft,
        findings,
        reviews: Vec::new(),
    };
    let source_raw = RawInput {
        sha256: &sha256,
        content_type: Some("application/json"),
        body: &source_json,
    };
    let created = state
        .store()
        .create_sheet(source_raw, &record, &checked, &audit)
        .await?;
    if !created {
        let again = audit.with_detail(format!("from {}: the draft exists already", source.id));
        state.store().append_audit(&again).await?;
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(reloaded(&state, &new_id).await?)))
}

#[cfg(test)]
mod tests {
    use super::is_hospital_organisation;

    #[test]
    fn only_a_hospital_and_its_code_is_an_organisation_to_consent_for() {
        assert!(is_hospital_organisation("hospital:1310000017"));
        assert!(is_hospital_organisation("hospital:A"));
        for bad in [
            "",
            "hospital:",
            " hospital:A",
            "hospital:A*",
            "hospital:A ",
            "municipality:130001",
        ] {
            assert!(!is_hospital_organisation(bad), "{bad:?}");
        }
    }
}
