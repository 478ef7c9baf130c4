//! Printable PDFs of a sheet: `GET /v1/sheets/{id}/print?masked=true|false` (the sheet, masked
//! for the review board by default) and `GET /v1/sheets/{id}/registration-card` (登録者証, for
//! a confirmed sheet whose patient consented). A sheet the caller may not read is "not found";
//! every print is audited with the disclosure and the patient's pseudonym before it is sent.

use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use super::extract::{Path, Query};
use super::{ApiError, AppState, sheets};
use crate::auth::{Principal, access};
use crate::print::{self, Disclosure, RegistrationCard, SheetPrint};
use crate::store::SheetStatus;

/// `?masked=true` (the default) or `?masked=false`
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrintParams {
    /// `true` (the default): personal data blacked out and absent from the file; `false`:
    /// the full sheet, for the sheet's institution and municipality only.
    #[schemars(extend("enum" = ["true", "false"]))]
    masked: Option<String>,
}

impl PrintParams {
    /// The disclosure asked for, or the value that is neither `true` nor `false`.
    fn disclosure(&self) -> Result<Disclosure, &str> {
        match self.masked.as_deref() {
            None | Some("true") => Ok(Disclosure::Masked),
            Some("false") => Ok(Disclosure::Full),
            Some(other) => Err(other),
        }
    }
}

fn invalid_masked(value: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "request.invalid_parameter",
        format!("masked must be true or false, not `{value}`"),
        format!("masked には true か false を指定してください（「{value}」は指定できません）"),
    )
}

pub async fn sheet(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Query(params): Query<PrintParams>,
) -> Result<Response, ApiError> {
    print_sheet(&state, &principal, &id, params.masked.as_deref()).await
}

/// Prints a sheet for `principal` (the API's and the console's one way): masked unless
/// `masked` is `false`, in full only for the sheet's institution and municipality; audited.
pub(crate) async fn print_sheet(
    state: &AppState,
    principal: &Principal,
    id: &str,
    masked: Option<&str>,
) -> Result<Response, ApiError> {
    let disclosure = PrintParams {
        masked: masked.map(str::to_owned),
    }
    .disclosure()
    .map_err(invalid_masked)?;
    let detail = match disclosure {
        Disclosure::Masked => "masked=true",
        Disclosure::Full => "masked=false",
    };
    let stored = sheets::load(state, principal, id, "sheet.print", access::may_read_sheet).await?;
    let audit = principal
        .audit("sheet.print", "ok")
        .on("sheet", id)
        .with_patient(stored.patient_ref.clone())
        .with_detail(detail);
    state
        .require_role(
            access::may_print_sheet(principal, &stored, disclosure),
            &audit,
            "print sheets unmasked (only the institution and its municipality may)",
            "個人情報をマスクせずに印刷することは（医療機関と自治体のみ可能です）",
        )
        .await?;
    let font = state.font.clone();
    let catalog = state.pipeline.catalog().clone();
    let printed_on = crate::pipeline::today_in_japan();
    let pdf = render(move || {
        let sheet = &stored.sheet;
        let template = catalog.templates.for_sheet(sheet);
        let print = SheetPrint {
            id: &stored.id,
            status: stored.status,
            sheet,
            findings: &stored.findings,
            template,
            printed_on,
        };
        print::sheet_print(&font, &print, disclosure)
    })
    .await?;
    state.store().append_audit(&audit).await?;
    sheets::watch_bulk_reading(state, principal).await?;
    let name = match disclosure {
        Disclosure::Masked => format!("sheet-{id}-masked.pdf"),
        Disclosure::Full => format!("sheet-{id}.pdf"),
    };
    Ok(pdf_response(pdf, &name))
}

pub async fn registration_card(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = state.store();
    let stored = sheets::load(
        &state,
        &principal,
        &id,
        "sheet.registration_card",
        access::may_read_sheet,
    )
    .await?;
    let audit = principal
        .audit("sheet.registration_card", "ok")
        .on("sheet", &id)
        .with_patient(stored.patient_ref.clone());
    state
        .require_role(
            access::may_issue_registration_card(&principal, &stored),
            &audit,
            "issue registration cards (only the municipality the sheet was sent to may)",
            "登録者証を交付することは（調査票の提出先の自治体のみ可能です）",
        )
        .await?;
    let consent = store.consent(&id).await?;
    let registered = match (stored.status, &stored.confirmed_at, &consent) {
        (SheetStatus::Confirmed, Some(confirmed_at), Some(c)) if c.consented => {
            // The later of the two events completed the registration.
            japan_date(confirmed_at.max(&c.recorded_at))
        }
        (SheetStatus::Draft, ..) | (_, None, _) => {
            let refused = audit.outcome("refused").with_detail("not confirmed");
            store.append_audit(&refused).await?;
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "registration_card.not_confirmed",
                format!(
                    "sheet {id} is not confirmed yet; a designated doctor must confirm it first"
                ),
                format!(
                    "調査票 {id} は指定医による登録（確定）がまだのため、登録者証を交付できません"
                ),
            ));
        }
        _ => {
            let refused = audit.outcome("refused").with_detail("no consent");
            store.append_audit(&refused).await?;
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "registration_card.no_consent",
                format!(
                    "the patient of sheet {id} has not consented to registering the data; record consent first"
                ),
                format!(
                    "調査票 {id} の患者からデータ登録への同意が得られていないため、登録者証を交付できません"
                ),
            ));
        }
    };
    let municipality_id = stored.municipality_id.clone().unwrap_or_default();
    let municipality = store
        .organisation(&municipality_id)
        .await?
        .map_or(municipality_id, |o| o.name);
    let font = state.font.clone();
    let issued_on = crate::pipeline::today_in_japan();
    let pdf = render(move || {
        let card = RegistrationCard {
            sheet_id: &stored.id,
            sheet: &stored.sheet,
            registered_on: registered.unwrap_or(issued_on),
            issued_on,
            municipality: &municipality,
        };
        print::registration_card(&font, &card)
    })
    .await?;
    store.append_audit(&audit).await?;
    sheets::watch_bulk_reading(&state, &principal).await?;
    Ok(pdf_response(pdf, &format!("registration-card-{id}.pdf")))
}

/// The date in Japan of a stored RFC 3339 timestamp.
fn japan_date(timestamp: &str) -> Option<NaiveDate> {
    let japan = FixedOffset::east_opt(9 * 3600)?;
    DateTime::parse_from_rfc3339(timestamp)
        .ok()
        .map(|t| t.with_timezone(&japan).date_naive())
}

/// Renders off the async threads (a long sheet takes milliseconds of CPU).
async fn render(
    job: impl FnOnce() -> Result<Vec<u8>, kakehashi_pdf::PdfError> + Send + 'static,
) -> Result<Vec<u8>, ApiError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(|e| ApiError::internal(&e.to_string()))
}

fn pdf_response(pdf: Vec<u8>, file_name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from(pdf),
    )
        .into_response()
}
