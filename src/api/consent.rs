//! `POST /v1/sheets/{id}/consent`: a municipal officer records the patient's answer on
//! research use (研究利用への同意). Consent on a confirmed sheet enqueues its delivery to the
//! national DB in the same transaction; a refusal withdraws a delivery not yet made, and says
//! so when an attempt without an answer may have reached it already. Without consent nothing
//! is ever sent.

use axum::extract::{Extension, State};
use serde::{Deserialize, Serialize};

use super::extract::{Json, Path};
use super::{ApiError, AppState, sheets};
use crate::auth::{Principal, access};
use crate::store::{Consent, ConsentEffect, ConsentSource, Delivery};

/// The patient's answer.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// True when the patient consented to research use; false records a refusal or a
    /// withdrawal.
    pub consented: bool,
}

/// What the national DB will get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutlook {
    /// Consented, but the sheet is a draft: it is sent once a designated doctor confirms it.
    AwaitingConfirmation,
    /// Enqueued (or being retried, or a dead letter: see `delivery`).
    Enqueued,
    /// Already delivered; a refusal now cannot unsend it.
    Delivered,
    /// Nothing is or will be sent.
    NotSent,
    /// Nothing more will be sent, but an attempt got no answer (the gateway stopped, or the
    /// answer was lost): the national DB may hold the sheet. See `delivery.in_doubt_since`.
    PossiblyDelivered,
}

/// The consent as recorded and what it means for delivery.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ConsentView {
    pub sheet_id: String,
    pub consent: Consent,
    pub outlook: DeliveryOutlook,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// What a recorded consent means for delivery; wakes the outbox when a delivery is due. Call
/// it after the consent's transaction committed.
pub(super) fn outlook(
    state: &AppState,
    effect: ConsentEffect,
) -> (DeliveryOutlook, Option<Delivery>) {
    match effect {
        ConsentEffect::AwaitingConfirmation => (DeliveryOutlook::AwaitingConfirmation, None),
        ConsentEffect::Delivery(d) if d.status == crate::store::DeliveryStatus::Delivered => {
            (DeliveryOutlook::Delivered, Some(d))
        }
        ConsentEffect::Delivery(d) => {
            state.outbox.wake();
            (DeliveryOutlook::Enqueued, Some(d))
        }
        ConsentEffect::NotSent { withdrawn } => (DeliveryOutlook::NotSent, withdrawn),
        ConsentEffect::PossiblyDelivered(d) => (DeliveryOutlook::PossiblyDelivered, Some(d)),
    }
}

pub async fn record(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Json(request): Json<ConsentRequest>,
) -> Result<Json<ConsentView>, ApiError> {
    record_consent(&state, &principal, id, request.consented)
        .await
        .map(Json)
}

/// Records the patient's answer on research use for sheet `id` (officers of its
/// municipality), with what it means for the delivery to the national DB; audited.
pub(crate) async fn record_consent(
    state: &AppState,
    principal: &Principal,
    id: String,
    consented: bool,
) -> Result<ConsentView, ApiError> {
    let sheet = sheets::load(
        state,
        principal,
        &id,
        "sheet.consent",
        access::may_record_consent,
    )
    .await?;
    let consent = Consent {
        consented,
        source: ConsentSource::Api,
        recorded_by: principal.user_id.clone(),
        recorded_at: crate::store::timestamp_now(),
    };
    let audit = principal
        .audit("sheet.consent", "ok")
        .on("sheet", &id)
        .with_patient(sheet.patient_ref)
        .with_detail(if consented { "consented" } else { "refused" });
    let effect = state.store().record_consent(&id, &consent, &audit).await?;
    let (outlook, delivery) = outlook(state, effect);
    Ok(ConsentView {
        sheet_id: id,
        consent,
        outlook,
        delivery,
    })
}
