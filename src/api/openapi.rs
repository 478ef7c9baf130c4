//! The OpenAPI 3.1 document served at `/v1/openapi.json`. Paths are written here; the schemas
//! are generated from the same Rust types the handlers serialise, so they cannot drift.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::{ApiError, SubmissionView};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } }
    })
}

/// The document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = settings.into_generator();
    let sheet = generator.subschema_for::<kakehashi_sdk::Sheet>();
    let submission = generator.subschema_for::<SubmissionView>();
    let error = generator.subschema_for::<ApiError>();
    let judgment = generator.subschema_for::<crate::judgment::Judgment>();
    let mut schemas = generator.take_definitions(true);
    schemas.entry("Sheet").or_insert_with(|| sheet.to_value());
    schemas
        .entry("SubmissionView")
        .or_insert_with(|| submission.to_value());
    schemas
        .entry("ApiError")
        .or_insert_with(|| error.to_value());
    schemas
        .entry("Judgment")
        .or_insert_with(|| judgment.to_value());
    let id_param = |what: &str| json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": what }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Kakehashi gateway API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Clinical survey sheets (臨床調査個人票 / 医療意見書) in, checked canonical sheets out. Every error body is {code, message, message_ja, location}."
        },
        "paths": {
            "/v1/submissions": { "post": {
                "summary": "Submit a document (e.g. a hospital CSV export); returns the checked sheets",
                "parameters": [
                    { "name": "adapter", "in": "query", "schema": { "type": "string", "enum": ["csv"] }, "description": "Adapter; chosen from Content-Type when absent" },
                    { "name": "mapping", "in": "query", "schema": { "type": "string" }, "description": "Column layout (mappings/csv/NAME.toml); detected from the header line when absent" }
                ],
                "requestBody": { "required": true, "content": {
                    "text/csv": { "schema": { "type": "string", "format": "binary" } },
                    "application/octet-stream": { "schema": { "type": "string", "format": "binary" } }
                }},
                "responses": {
                    "202": { "description": "Journaled, converted and checked (sheets may carry error findings)",
                             "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SubmissionView" } } } },
                    "400": error_response("Unknown adapter or mapping, or an empty body"),
                    "413": error_response("Body over the configured limit"),
                    "415": error_response("Unsupported media type or undecodable encoding"),
                    "422": error_response("The document is broken (e.g. a truncated row); located"),
                    "503": error_response("Store unavailable; nothing acknowledged")
                }
            }},
            "/v1/submissions/{id}": { "get": {
                "summary": "A submission with its sheets and findings",
                "parameters": id_param("Submission id"),
                "responses": {
                    "200": { "description": "The submission", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SubmissionView" } } } },
                    "404": error_response("No such submission")
                }
            }},
            "/v1/sheets/{id}": { "get": {
                "summary": "One sheet in canonical JSON, or with ?format=fhir as a FHIR Bundle of QuestionnaireResponse and Patient",
                "parameters": id_param("Sheet id"),
                "responses": {
                    "200": { "description": "The sheet", "content": {
                        "application/json": { "schema": { "$ref": "#/components/schemas/Sheet" } },
                        "application/fhir+json": { "schema": { "type": "object" } }
                    } },
                    "400": error_response("Unknown format"),
                    "404": error_response("No such sheet")
                }
            }},
            "/v1/sheets/{id}/judgment": { "get": {
                "summary": "Machine judgment (機械判定 / 一次判定) of a sheet: 該当 / 非該当 / 要確認 for the diagnostic category, the severity and 軽症高額, with the reasons item by item",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "Sheet id" },
                    { "name": "applied_on", "in": "query", "schema": { "type": "string" }, "description": "申請日 (YYYY-MM-DD or 和暦): the 軽症高額 window is the 12 months up to its month; today (JST) when absent" }
                ],
                "responses": {
                    "200": { "description": "The judgment", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Judgment" } } } },
                    "400": error_response("applied_on is not a date"),
                    "404": error_response("No such sheet (or not one the caller may read)")
                }
            }},
            "/v1/templates/{kind}/{number}/questionnaire": { "get": {
                "summary": "A disease template as a FHIR Questionnaire (kind nanbyo or shoman; number 49, or group-number 7-1 for 小慢)",
                "responses": {
                    "200": { "description": "The Questionnaire", "content": { "application/fhir+json": { "schema": { "type": "object" } } } },
                    "404": error_response("No template for that disease")
                }
            }},
            "/v1/healthz": { "get": {
                "summary": "Liveness and store health",
                "responses": { "200": { "description": "Healthy" }, "503": error_response("Store unavailable") }
            }},
            "/v1/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1 document" } }
            }},
            "/metrics": { "get": {
                "summary": "Prometheus metrics (text)",
                "responses": { "200": { "description": "OpenMetrics text", "content": { "application/openmetrics-text": { "schema": { "type": "string" } } } } }
            }}
        },
        "components": { "schemas": Value::Object(schemas) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves() {
        let doc = document();
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
        for name in ["Sheet", "SubmissionView", "ApiError", "Finding", "Judgment"] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
    }
}
