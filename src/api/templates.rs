//! Disease templates for EHR form tools: `GET /v1/templates/{kind}/{number}/questionnaire`
//! gives a template as a FHIR Questionnaire, and `GET /v1/templates/{kind}/common/questionnaire`
//! the programme's common form (for a disease without a template yet); `GET
//! /fhir/Questionnaire/{slug}` is the same Questionnaire at its canonical URL, which the
//! gateway's FHIR responses name. Templates are published data, not personal data: any
//! signed-in user may read them, and reads are not audited.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kakehashi_adapter_fhir::Form;
use kakehashi_sdk::{DiseaseKey, SheetKind};

use super::extract::Path;
use super::sheets::FHIR_JSON;
use super::{ApiError, AppState};

/// `nanbyo` + `49`, or `shoman` + `7-1` (疾患群-告示番号).
pub(crate) fn key(kind: &str, number: &str) -> Option<DiseaseKey> {
    let kind: SheetKind = kind.parse().ok()?;
    match (kind, number.split_once('-')) {
        (SheetKind::Nanbyo, None) => Some(DiseaseKey {
            kind,
            group: None,
            number: number.parse().ok()?,
        }),
        (SheetKind::Shoman, Some((group, number))) => Some(DiseaseKey {
            kind,
            group: Some(group.parse().ok()?),
            number: number.parse().ok()?,
        }),
        _ => None,
    }
}

/// A form's Questionnaire, as `application/fhir+json`: a common form, or a disease's when the
/// catalog has its template (`None` when it has not).
fn form_questionnaire(state: &AppState, form: Form) -> Option<Response> {
    let base = state.fhir_base();
    let questionnaire = match form {
        Form::Common(_) => kakehashi_adapter_fhir::form_questionnaire(form, None, &base),
        Form::Disease(key) => {
            let template = state.pipeline.catalog().templates.get(&key)?;
            kakehashi_adapter_fhir::questionnaire(template, &base)
        }
    };
    Some(
        (
            [(header::CONTENT_TYPE, FHIR_JSON)],
            questionnaire.to_string(),
        )
            .into_response(),
    )
}

pub async fn questionnaire(
    State(state): State<AppState>,
    Path((kind, number)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let what = format!("{kind}/{number}");
    let missing = || ApiError::not_found("disease template", "疾病テンプレート", &what);
    let form = match (kind.parse::<SheetKind>(), number.as_str()) {
        (Ok(kind), "common") => Form::Common(kind),
        _ => Form::Disease(key(&kind, &number).ok_or_else(missing)?),
    };
    form_questionnaire(&state, form).ok_or_else(missing)
}

/// `GET /fhir/Questionnaire/{slug}`: the Questionnaire whose canonical URL this is
/// (`nanbyo-049`, `shoman-07-001`, `nanbyo-common`, as the gateway writes them).
pub async fn canonical(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("Questionnaire", "様式（Questionnaire）", &slug);
    // Only the slug the gateway writes: a canonical URL names one resource.
    let form = Form::from_slug(&slug)
        .filter(|form| form.slug() == slug)
        .ok_or_else(missing)?;
    form_questionnaire(&state, form).ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_paths_name_nanbyo_by_number_and_shoman_by_group_and_number() {
        assert_eq!(key("nanbyo", "49").map(|k| k.number), Some(49));
        let t1d = key("shoman", "7-1").unwrap();
        assert_eq!((t1d.group, t1d.number), (Some(7), 1));
        assert!(key("shoman", "7").is_none());
        assert!(key("nanbyo", "7-1").is_none());
        assert!(key("other", "1").is_none());
    }
}
