//! A municipal certification decision (認定). Only the shape that keeps room for the municipal
//! adapter of a later version; the decision itself already appears on the sheet.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Provenance;

/// 認定 / 不認定
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificationDecision {
    /// 認定
    Certified,
    /// 不認定
    NotCertified,
}

/// 認定結果: what the municipality decided about one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub schema_version: String,
    pub decision: CertificationDecision,
    /// 受給者番号 (recipient number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_number: Option<String>,
    /// 階層区分 (income tier)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_tier: Option<String>,
    /// 有効期間 (validity), first and last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// 研究利用への同意 (consent to research use): only consented sheets reach the national DB.
    pub research_consent: bool,
    pub provenance: Provenance,
}
