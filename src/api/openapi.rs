//! The OpenAPI 3.1 document served at `/v1/openapi.json`. Paths are written here; the schemas
//! are generated from the same Rust types the handlers serialise, so they cannot drift.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::access_keys::{IssuedKeyView, LookupRequest};
use super::applications::{ApplicationView, ImportView, StatusRequest, StatusView};
use super::certifications::{CertificationConversionView, CertificationImportView};
use super::sheets::SheetView;
use super::{ApiError, SubmissionView};
use crate::store::ApplicationListing;

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
    let sheet_view = generator.subschema_for::<SheetView>();
    let issued_key = generator.subschema_for::<IssuedKeyView>();
    let lookup = generator.subschema_for::<LookupRequest>();
    let decisions = generator.subschema_for::<CertificationConversionView>();
    let judgment = generator.subschema_for::<crate::judgment::Judgment>();
    let named = [
        ("ImportView", generator.subschema_for::<ImportView>()),
        (
            "ApplicationListing",
            generator.subschema_for::<ApplicationListing>(),
        ),
        (
            "ApplicationView",
            generator.subschema_for::<ApplicationView>(),
        ),
        ("StatusRequest", generator.subschema_for::<StatusRequest>()),
        ("StatusView", generator.subschema_for::<StatusView>()),
        (
            "CertificationImportView",
            generator.subschema_for::<CertificationImportView>(),
        ),
        (
            "PmhRegistration",
            generator.subschema_for::<kakehashi_adapter_municipal::PmhRegistration>(),
        ),
    ];
    let review_list = generator.subschema_for::<super::review::ReviewList>();
    let review_answer = generator.subschema_for::<super::review::ReviewAnswer>();
    let review_outcome = generator.subschema_for::<super::review::ReviewOutcome>();
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in named {
        schemas.entry(name).or_insert_with(|| schema.to_value());
    }
    schemas.entry("Sheet").or_insert_with(|| sheet.to_value());
    schemas
        .entry("SubmissionView")
        .or_insert_with(|| submission.to_value());
    schemas
        .entry("ApiError")
        .or_insert_with(|| error.to_value());
    for (name, schema) in [
        ("SheetView", sheet_view),
        ("IssuedKeyView", issued_key),
        ("LookupRequest", lookup),
        ("CertificationConversionView", decisions),
        ("Judgment", judgment),
        ("ReviewList", review_list),
        ("ReviewAnswer", review_answer),
        ("ReviewOutcome", review_outcome),
    ] {
        schemas.entry(name).or_insert_with(|| schema.to_value());
    }
    let issued_key_answer = json!({
        "application/json": { "schema": { "$ref": "#/components/schemas/IssuedKeyView" } },
        "application/pdf": { "schema": { "type": "string", "format": "binary" } }
    });
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
            "/v1/certifications/convert": { "post": {
                "summary": "Read a municipal back office's decision file (CSV or fixed-length, CP932) with a layout, storing nothing: the certifications and their findings (municipal officers, integrators)",
                "parameters": [
                    { "name": "layout", "in": "query", "schema": { "type": "string" }, "description": "Decision file layout (mappings/municipal/NAME.toml); without it a 400 municipal.layout_required lists the known ones" }
                ],
                "requestBody": { "required": true, "content": {
                    "text/csv": { "schema": { "type": "string", "format": "binary" } },
                    "application/octet-stream": { "schema": { "type": "string", "format": "binary" } }
                }},
                "responses": {
                    "200": { "description": "Every decision of the file, with findings (bad values located by line and column or byte)",
                             "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CertificationConversionView" } } } },
                    "400": error_response("Unknown or invalid layout, missing ?layout=, or an empty body"),
                    "403": error_response("The caller's role may not read decision files"),
                    "413": error_response("Body over the configured limit"),
                    "415": error_response("Bytes that are not Shift_JIS (CP932) / UTF-8; located by line and byte"),
                    "422": error_response("A broken file (wrong record length, field count, unknown decision); located")
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
            "/v1/sheets/{id}/confirm": { "post": {
                "summary": "A designated doctor confirms (登録) a draft; issues its access key (アクセスキー), shown only in this answer. With Accept: application/pdf the answer is the patient's printed notice of the key",
                "parameters": id_param("Sheet id"),
                "responses": {
                    "200": { "description": "Confirmed, with the key", "content": issued_key_answer.clone() },
                    "403": error_response("Only a designated doctor of the institution confirms"),
                    "404": error_response("No such sheet"),
                    "409": error_response("Confirmed already (sheet.not_draft) or still has errors (sheet.has_errors)")
                }
            }},
            "/v1/sheets/{id}/renew": { "post": {
                "summary": "Renewal (前回値踏襲): start this year's draft (更新) from the patient's last confirmed sheet of this disease; every carried value is listed in provenance.carried_over until someone changes it or clears its mark, and confirmation clears them. From another hospital only where the patient's consent was recorded",
                "parameters": id_param("A confirmed sheet of the patient (from another hospital: the sheet the consent names)"),
                "responses": {
                    "201": { "description": "The new draft", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SheetView" } } } },
                    "200": { "description": "The draft this renewal made before (asking again is idempotent)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SheetView" } } } },
                    "403": error_response("Only hospital doctors and clerks renew"),
                    "404": error_response("No such sheet, or another hospital's without the patient's consent"),
                    "409": error_response("No confirmed sheet to renew from (renewal.not_confirmed)")
                }
            }},
            "/v1/sheets/{id}/carryover-consent": { "post": {
                "summary": "Record the patient's consent that another hospital may renew from this sheet (by the sheet's hospital or its municipality)",
                "parameters": id_param("Sheet id"),
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["organisation_id"], "additionalProperties": false,
                    "properties": { "organisation_id": { "type": "string", "description": "The receiving hospital, hospital:<医療機関コード>" } }
                } } } },
                "responses": {
                    "200": { "description": "Recorded (recording it again changes nothing)" },
                    "404": error_response("No such sheet (or not the caller's)"),
                    "422": error_response("Not a hospital's organisation id (renewal.organisation)")
                }
            }},
            "/v1/sheets/{id}/access-key": { "post": {
                "summary": "Issue a new access key for a confirmed sheet (the patient lost the paper); the previous key stops working. JSON, or with Accept: application/pdf the printed notice",
                "parameters": id_param("Sheet id"),
                "responses": {
                    "200": { "description": "The new key", "content": issued_key_answer },
                    "403": error_response("Only the hospital that registered the sheet issues keys"),
                    "404": error_response("No such sheet"),
                    "409": error_response("The sheet is a draft (access_key.sheet_not_confirmed)")
                }
            }},
            "/v1/access-keys/lookup": { "post": {
                "summary": "A municipal officer fetches a sheet by its access key; the sheet is bound to the officer's municipality",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/LookupRequest" } } } },
                "responses": {
                    "200": { "description": "The sheet, now visible to the municipality", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SheetView" } } } },
                    "403": error_response("Only municipal officers look up keys"),
                    "404": error_response("Unknown, expired or replaced key (access_key.unknown)"),
                    "409": error_response("Another municipality took the sheet up (access_key.bound_elsewhere)"),
                    "422": error_response("Not a key: wrong length, a character keys never use, or a check character that does not match (access_key.malformed)"),
                    "429": error_response("Too many wrong keys from this person or terminal; see Retry-After (access_key.rate_limited)")
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
            "/v1/certifications/import": { "post": {
                "summary": "Apply a decision file (認定 / 不認定 per application; municipal officers, their own municipality's applications). All or nothing per file: in one transaction each decision is stored, merged into its linked sheet's 行政記載欄, the application moves to 完了, and the research consent is recorded (consent on a confirmed sheet enqueues its delivery). Importing the same file again changes nothing",
                "parameters": [
                    { "name": "layout", "in": "query", "schema": { "type": "string" }, "description": "Decision file layout (mappings/municipal/NAME.toml)" }
                ],
                "requestBody": { "required": true, "content": {
                    "text/csv": { "schema": { "type": "string", "format": "binary" } },
                    "application/octet-stream": { "schema": { "type": "string", "format": "binary" } }
                }},
                "responses": {
                    "200": { "description": "Per-application outcome (recorded, replaced, unchanged), status and delivery outlook", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CertificationImportView" } } } },
                    "400": error_response("Unknown or invalid layout, missing ?layout=, or an empty body"),
                    "403": error_response("Not a municipal officer"),
                    "409": error_response("certification.unlinked_application: the application is not linked to a sheet yet (look its access key up first); located; nothing applied"),
                    "413": error_response("Body over the configured limit"),
                    "415": error_response("Bytes that are not Shift_JIS (CP932) / UTF-8; located"),
                    "422": error_response("A broken file, a record with error findings (certification.invalid_record, with its `findings` beside the error) or a 受付番号 that names no application of the municipality (certification.unknown_application); located by line (and byte); nothing applied"),
                    "503": error_response("Store unavailable; nothing applied")
                }
            }},
            "/v1/certifications/issuing-file": { "get": {
                "summary": "The 受給者証 issuing file for the back office: the municipality's certified decisions in a decision-file layout (CSV or fixed-length), patient fields from the applications",
                "parameters": [
                    { "name": "layout", "in": "query", "required": true, "schema": { "type": "string" }, "description": "Layout (mappings/municipal/NAME.toml)" }
                ],
                "responses": {
                    "200": { "description": "The file, in the layout's encoding (text/csv or text/plain; charset shift_jis or utf-8)", "content": {
                        "text/csv": { "schema": { "type": "string", "format": "binary" } },
                        "text/plain": { "schema": { "type": "string", "format": "binary" } }
                    } },
                    "400": error_response("Unknown or invalid layout"),
                    "403": error_response("Not a municipal officer"),
                    "422": error_response("A stored value cannot be written in the layout (too long, not CP932); names the 受付番号 and field")
                }
            }},
            "/v1/certifications/{receipt_number}/pmh": { "get": {
                "summary": "One certified decision as the JSON of the PMH hub's 医療費助成対象者情報登録API (Digital Agency), patient fields from the application",
                "parameters": [{ "name": "receipt_number", "in": "path", "required": true, "schema": { "type": "string" }, "description": "受付番号 (15 digits)" }],
                "responses": {
                    "200": { "description": "The registration", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PmhRegistration" } } } },
                    "403": error_response("Not a municipal officer"),
                    "404": error_response("No decision on that application at the caller's municipality"),
                    "422": error_response("Not registrable (pmh.not_certified, pmh.missing, pmh.insurer_number …)")
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
            "/v1/applications/import": { "post": {
                "summary": "Import a Mynaportal 申請管理 download (ZIP of application XML and attachments; municipal officers). Atomic per download; importing it again changes nothing; a changed 処理状況 is taken when it is an allowed transition",
                "parameters": [
                    { "name": "mapping", "in": "query", "schema": { "type": "string" }, "description": "Form layout (mappings/mynaportal/NAME.toml); the only one when absent" }
                ],
                "requestBody": { "required": true, "content": {
                    "application/zip": { "schema": { "type": "string", "format": "binary" } }
                }},
                "responses": {
                    "200": { "description": "Per-application results", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImportView" } } } },
                    "400": error_response("Unknown mapping, or an empty body"),
                    "403": error_response("Not a municipal officer"),
                    "413": error_response("Body over the configured limit"),
                    "415": error_response("An XML entry in an encoding not read, or an encrypted entry"),
                    "422": error_response("The download is broken or hostile (truncated, path traversal, zip bomb, too large, bad XML, bad 受付番号); names the entry, line and element; nothing stored"),
                    "503": error_response("Store unavailable; nothing acknowledged")
                }
            }},
            "/v1/applications": { "get": {
                "summary": "The municipality's applications, without personal data",
                "parameters": [
                    { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "Only this status: a code (processing) or Mynaportal's label (処理中)" }
                ],
                "responses": {
                    "200": { "description": "Applications by 受付番号", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/ApplicationListing" } } } } },
                    "400": error_response("Unknown status"),
                    "403": error_response("Not a municipal officer")
                }
            }},
            "/v1/applications/status-export": { "get": {
                "summary": "CSV of 受付番号 and 処理状況 for Mynaportal's bulk status update; columns, labels and encoding from the mapping's [status_export] (an assumption: the layout is not public)",
                "parameters": [
                    { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "Only this status" },
                    { "name": "mapping", "in": "query", "schema": { "type": "string" }, "description": "Mapping whose [status_export] to use" }
                ],
                "responses": {
                    "200": { "description": "The CSV (CP932 or UTF-8)", "content": { "text/csv": { "schema": { "type": "string" } } } },
                    "400": error_response("Unknown status or mapping"),
                    "403": error_response("Not a municipal officer"),
                    "422": error_response("A label cannot be written in CP932")
                }
            }},
            "/v1/applications/{receipt_number}": { "get": {
                "summary": "One application with applicant, patient, access key, attachments and the statuses it may move to",
                "parameters": [{ "name": "receipt_number", "in": "path", "required": true, "schema": { "type": "string" }, "description": "受付番号 (15 digits)" }],
                "responses": {
                    "200": { "description": "The application", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApplicationView" } } } },
                    "403": error_response("Not a municipal officer"),
                    "404": error_response("No such application at the caller's municipality")
                }
            }},
            "/v1/applications/{receipt_number}/status": { "post": {
                "summary": "Move an application's status (状態遷移): open statuses (提出済, 処理中, 要再申請) may move to any status but 提出済; 完了, 却下 and 取消受付 are final",
                "parameters": [{ "name": "receipt_number", "in": "path", "required": true, "schema": { "type": "string" }, "description": "受付番号 (15 digits)" }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StatusRequest" } } } },
                "responses": {
                    "200": { "description": "Moved, or already there (changed: false)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StatusView" } } } },
                    "403": error_response("Not a municipal officer"),
                    "404": error_response("No such application at the caller's municipality"),
                    "409": error_response("Not an allowed transition")
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
        for name in [
            "Sheet",
            "SubmissionView",
            "ApiError",
            "Finding",
            "SheetView",
            "IssuedKeyView",
            "LookupRequest",
            "Judgment",
            "ImportView",
            "ApplicationView",
        ] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
    }
}
