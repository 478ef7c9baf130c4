//! A subsidy application (申請), e.g. downloaded from Mynaportal's 申請管理. Only the shape that
//! keeps room for the Mynaportal adapter of a later version.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Provenance, SheetKind};

/// 申請: what a patient (or guardian) submits to the municipality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub schema_version: String,
    pub kind: SheetKind,
    /// 受付番号 (Mynaportal receipt number, 15 digits)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    /// 申請日 (date applied)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_on: Option<NaiveDate>,
    /// アクセスキー of the sheet the application refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    pub provenance: Provenance,
}
