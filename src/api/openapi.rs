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
    let review_list = generator.subschema_for::<super::review::ReviewList>();
    let review_answer = generator.subschema_for::<super::review::ReviewAnswer>();
    let review_outcome = generator.subschema_for::<super::review::ReviewOutcome>();
    let mut schemas = generator.take_definitions(true);
    schemas.entry("Sheet").or_insert_with(|| sheet.to_value());
    schemas
        .entry("SubmissionView")
        .or_insert_with(|| submission.to_value());
    schemas
        .entry("ApiError")
        .or_insert_with(|| error.to_value());
    schemas
        .entry("ReviewList")
        .or_insert_with(|| review_list.to_value());
    schemas
        .entry("ReviewAnswer")
        .or_insert_with(|| review_answer.to_value());
    schemas
        .entry("ReviewOutcome")
        .or_insert_with(|| review_outcome.to_value());
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
                    { "name": "adapter", "in": "query", "schema": { "type": "string", "enum": ["csv", "fhir", "scan"] }, "description": "Adapter; chosen from Content-Type when absent (municipal officers: scan)" },
                    { "name": "mapping", "in": "query", "schema": { "type": "string" }, "description": "Column layout (mappings/csv/NAME.toml) or scan form template (mappings/scan/NAME.toml); detected when absent" }
                ],
                "requestBody": { "required": true, "content": {
                    "text/csv": { "schema": { "type": "string", "format": "binary" } },
                    "application/pdf": { "schema": { "type": "string", "format": "binary" }, "description": "Scanned paper sheets (image-only PDF)" },
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
            "/v1/review": { "get": {
                "summary": "Values read by OCR that wait for a person (municipal officers: their municipality's queue)",
                "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }],
                "responses": {
                    "200": { "description": "Open review tasks, oldest first", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReviewList" } } } },
                    "403": error_response("Role may not review")
                }
            }},
            "/v1/review/{id}": { "post": {
                "summary": "Record the value the reviewer reads in the box; the sheet is checked again",
                "parameters": id_param("Review task id"),
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReviewAnswer" } } } },
                "responses": {
                    "200": { "description": "Resolved", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReviewOutcome" } } } },
                    "404": error_response("No such task visible to the caller"),
                    "409": error_response("review.resolved: resolved already, or the sheet is registered"),
                    "422": error_response("review.invalid_value: the value does not fit the field")
                }
            }},
            "/v1/review/{id}/image": { "get": {
                "summary": "The box as scanned and straightened",
                "parameters": id_param("Review task id"),
                "responses": {
                    "200": { "description": "PNG", "content": { "image/png": { "schema": { "type": "string", "format": "binary" } } } },
                    "404": error_response("No such task visible to the caller")
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
        for name in ["Sheet", "SubmissionView", "ApiError", "Finding"] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
    }
}
