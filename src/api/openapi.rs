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
    let mut schemas = generator.take_definitions(true);
    schemas.entry("Sheet").or_insert_with(|| sheet.to_value());
    schemas
        .entry("SubmissionView")
        .or_insert_with(|| submission.to_value());
    schemas
        .entry("ApiError")
        .or_insert_with(|| error.to_value());
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
            "/v1/sheets/{id}/print": { "get": {
                "summary": "The sheet as a printable A4 PDF: masked for the review board (name, kana, address, postal code, date of birth — the age is printed instead —, insurance identifiers, payer and recipient numbers, phone blacked out and absent from the file), or with ?masked=false in full for the sheet's institution and municipality",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "Sheet id" },
                    { "name": "masked", "in": "query", "schema": { "type": "boolean", "default": true }, "description": "false prints the personal data too" }
                ],
                "responses": {
                    "200": { "description": "The print", "content": { "application/pdf": { "schema": { "type": "string", "format": "binary" } } } },
                    "400": error_response("masked is neither true nor false"),
                    "403": error_response("The caller's role may not print unmasked"),
                    "404": error_response("No such sheet, or not the caller's")
                }
            }},
            "/v1/sheets/{id}/registration-card": { "get": {
                "summary": "The registration card (指定難病登録者証 / 小児慢性特定疾病登録者証) as a PDF, for a confirmed sheet whose patient consented; municipal officers of the sheet's municipality",
                "parameters": id_param("Sheet id"),
                "responses": {
                    "200": { "description": "The card", "content": { "application/pdf": { "schema": { "type": "string", "format": "binary" } } } },
                    "403": error_response("The caller is not the sheet's municipality"),
                    "404": error_response("No such sheet, or not the caller's"),
                    "409": error_response("registration_card.not_confirmed or registration_card.no_consent")
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
