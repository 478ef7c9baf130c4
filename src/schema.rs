//! The published JSON Schema of canonical records (`conformance/schema/`).

use kakehashi_sdk::{Record, Sheet};

/// JSON Schema (draft 2020-12) of a canonical sheet.
pub fn sheet_schema() -> serde_json::Value {
    schemars::schema_for!(Sheet).to_value()
}

/// JSON Schema (draft 2020-12) of any canonical record, tagged by `record_type`.
pub fn record_schema() -> serde_json::Value {
    schemars::schema_for!(Record).to_value()
}

/// JSON Schema (draft 2020-12) of a registration for the PMH hub's 医療費助成対象者情報登録API
/// (see conformance/pmh/README.md for what is assumed).
pub fn pmh_registration_schema() -> serde_json::Value {
    schemars::schema_for!(kakehashi_adapter_municipal::PmhRegistration).to_value()
}

/// JSON Schema (draft 2020-12) of an application an app sends to `POST
/// /v1/intake/applications`.
pub fn intake_application_schema() -> serde_json::Value {
    schemars::schema_for!(crate::api::intake::IntakeRequest).to_value()
}

/// The files of `conformance/schema/`, by name.
pub fn published() -> [(&'static str, serde_json::Value); 4] {
    [
        ("sheet.schema.json", sheet_schema()),
        ("record.schema.json", record_schema()),
        ("pmh-registration.schema.json", pmh_registration_schema()),
        (
            "intake-application.schema.json",
            intake_application_schema(),
        ),
    ]
}
