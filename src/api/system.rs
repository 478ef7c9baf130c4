//! Health, metrics, the OpenAPI document, what integrators build on (the header fields, the
//! adapters), and the JSON 404.

use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;

use kakehashi_core::registry::Senders;
use kakehashi_sdk::{FieldDescription, HeaderField, RecordKind};
use serde::Serialize;

use super::extract::Json;
use super::{ApiError, AppState};

/// The gateway is up and its store answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// Always `ok`; a gateway whose store fails answers 503.
    pub status: &'static str,
}

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.pipeline.store().ping().await?;
    Ok(Json(Health { status: "ok" }))
}

pub async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}

pub async fn openapi(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(super::openapi::document(
        state.pipeline.adapters(),
        &state.pipeline.catalog().mappings,
    ))
}

pub async fn header_fields() -> Json<Vec<FieldDescription>> {
    Json(HeaderField::ALL.iter().map(|f| f.describe()).collect())
}

/// A registered adapter.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AdapterView {
    pub name: &'static str,
    /// The kind of record it produces; submissions take sheet adapters, application and
    /// decision imports the others.
    pub produces: RecordKind,
    /// Who sends its format: `institutions`, `municipalities` or both.
    pub senders: &'static str,
    /// Its folder of `mappings/`, and the mappings there.
    pub mapping_category: &'static str,
    pub mappings: Vec<String>,
}

pub async fn adapters(State(state): State<AppState>) -> Json<Vec<AdapterView>> {
    let catalog = state.pipeline.catalog();
    Json(
        state
            .pipeline
            .adapters()
            .iter()
            .map(|r| AdapterView {
                name: r.adapter.name(),
                produces: r.kind,
                senders: match r.senders {
                    Senders::Institutions => "institutions",
                    Senders::Municipalities => "municipalities",
                    Senders::InstitutionsAndMunicipalities => "institutions_and_municipalities",
                },
                mapping_category: r.adapter.mapping_category(),
                mappings: catalog
                    .mappings
                    .names(r.adapter.mapping_category())
                    .map(str::to_owned)
                    .collect(),
            })
            .collect(),
    )
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such endpoint: {}", uri.path()),
        format!("エンドポイント {} はありません", uri.path()),
    )
}
