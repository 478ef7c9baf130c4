//! `POST /v1/certifications/convert`: a municipal officer (or an integrator testing a layout)
//! reads a back office's decision file with a layout of `mappings/municipal/` and sees the
//! certifications and findings it would give, without storing anything. Applying decisions to
//! applications and sheets is a separate, stored step.

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use kakehashi_adapter_municipal::MunicipalAdapter;
use kakehashi_sdk::{Adapter, Certification, Finding, Input, MappingContext, Record};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::submissions::read_body;
use super::{ApiError, AppState};
use crate::auth::{Principal, access};
use crate::pipeline::content_hash;
use crate::store::Rejection;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertParams {
    /// The decision file's layout (`mappings/municipal/NAME.toml`); without it the adapter
    /// answers `municipal.layout_required` with the known layouts.
    pub layout: Option<String>,
}

/// One decision as read, with what the adapter found.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConvertedCertification {
    pub certification: Certification,
    pub findings: Vec<Finding>,
}

/// The decisions of a file, in file order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CertificationConversionView {
    pub certifications: Vec<ConvertedCertification>,
}

pub async fn convert(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<ConvertParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CertificationConversionView>, ApiError> {
    let audit = principal.audit("certification.convert", "ok");
    if !access::may_convert_decisions(&principal) {
        state.store().append_audit(&audit.outcome("denied")).await?;
        return Err(ApiError::role_denied(
            "read decision files",
            "決定ファイルを読み込むことは",
        ));
    }
    let body = read_body(&state, &headers, body).await?;
    let catalog = state.pipeline.catalog().clone();
    let layout = params.layout;
    let converted = tokio::task::spawn_blocking(move || {
        let sha = content_hash(&body);
        let input = Input {
            bytes: &body,
            content_type: None,
            sha256: &sha,
        };
        let context = MappingContext {
            diseases: &catalog.diseases,
            templates: &catalog.templates,
            mappings: &catalog.mappings,
            mapping: layout.as_deref(),
        };
        MunicipalAdapter.convert(&input, &context)
    })
    .await
    .map_err(|e| ApiError::internal(&e.to_string()))?;
    match converted {
        Err(e) => {
            state
                .store()
                .append_audit(&audit.outcome("failed").with_detail(e.code.to_owned()))
                .await?;
            Err(ApiError::rejected(&Rejection::from(&e), None))
        }
        Ok(converted) => {
            state
                .store()
                .append_audit(&audit.with_detail(format!("{} decisions", converted.len())))
                .await?;
            let certifications = converted
                .into_iter()
                .filter_map(|c| match c.record {
                    Record::Certification(certification) => Some(ConvertedCertification {
                        certification: *certification,
                        findings: c.findings,
                    }),
                    Record::Sheet(_) | Record::Application(_) => None,
                })
                .collect();
            Ok(Json(CertificationConversionView { certifications }))
        }
    }
}
