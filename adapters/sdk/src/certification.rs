//! A municipal certification decision (認定), as the municipality's back office (認定事務 /
//! 受給者証発行システム) records it: the decision, the numbers printed on the 受給者証, the income
//! tier and special status that fix the monthly co-payment cap, and the patient's consent to
//! research use. The municipal adapter reads these from decision files; the gateway applies them
//! to applications and sheets.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::parse::to_halfwidth;
use crate::{Administrative, Provenance, SheetKind};

/// 認定 / 不認定
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CertificationDecision {
    /// 認定
    Certified,
    /// 不認定
    NotCertified,
}

impl CertificationDecision {
    /// The word printed in municipal documents.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Certified => "認定",
            Self::NotCertified => "不認定",
        }
    }
}

impl std::str::FromStr for CertificationDecision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match to_halfwidth(s.trim()).to_ascii_lowercase().as_str() {
            "認定" | "certified" => Ok(Self::Certified),
            "不認定" | "not_certified" | "却下" => Ok(Self::NotCertified),
            _ => Err(format!(
                "`{s}` is neither 認定 (certified) nor 不認定 (not certified)"
            )),
        }
    }
}

/// 階層区分 (income tier): fixes, with the special status, the monthly co-payment cap.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IncomeTier {
    /// 生活保護 (public assistance)
    PublicAssistance,
    /// 低所得Ⅰ (municipal tax exempt, own income up to about 800,000 yen a year)
    #[serde(rename = "low_income_1")]
    LowIncome1,
    /// 低所得Ⅱ (municipal tax exempt, own income above that)
    #[serde(rename = "low_income_2")]
    LowIncome2,
    /// 一般所得Ⅰ (municipal income-based tax under 71,000 yen)
    #[serde(rename = "general_income_1")]
    GeneralIncome1,
    /// 一般所得Ⅱ (71,000 yen to under 251,000 yen)
    #[serde(rename = "general_income_2")]
    GeneralIncome2,
    /// 上位所得 (251,000 yen or more)
    UpperIncome,
}

impl IncomeTier {
    pub const ALL: [IncomeTier; 6] = [
        Self::PublicAssistance,
        Self::LowIncome1,
        Self::LowIncome2,
        Self::GeneralIncome1,
        Self::GeneralIncome2,
        Self::UpperIncome,
    ];

    /// The tier as printed on the 受給者証 (with Roman numerals, as the MHLW tables write it).
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::PublicAssistance => "生活保護",
            Self::LowIncome1 => "低所得Ⅰ",
            Self::LowIncome2 => "低所得Ⅱ",
            Self::GeneralIncome1 => "一般所得Ⅰ",
            Self::GeneralIncome2 => "一般所得Ⅱ",
            Self::UpperIncome => "上位所得",
        }
    }

    /// The snake_case name used in JSON and mapping files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicAssistance => "public_assistance",
            Self::LowIncome1 => "low_income_1",
            Self::LowIncome2 => "low_income_2",
            Self::GeneralIncome1 => "general_income_1",
            Self::GeneralIncome2 => "general_income_2",
            Self::UpperIncome => "upper_income",
        }
    }
}

impl std::str::FromStr for IncomeTier {
    type Err = String;

    /// Accepts the JSON name or the Japanese label with Roman (Ⅰ, I), Arabic or full-width
    /// numerals: `一般所得Ⅰ`, `一般所得I`, `一般所得１`, `general_income_1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = to_halfwidth(s.trim())
            .replace(['Ⅱ', 'ⅱ'], "2")
            .replace("II", "2")
            .replace(['Ⅰ', 'ⅰ', 'I'], "1");
        Self::ALL
            .into_iter()
            .find(|t| {
                text == t.as_str()
                    || text
                        == t.label_ja()
                            .replace('Ⅰ', "1")
                            .replace('Ⅱ', "2")
            })
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a 階層区分 (生活保護, 低所得Ⅰ, 低所得Ⅱ, 一般所得Ⅰ, 一般所得Ⅱ, 上位所得)"
                )
            })
    }
}

/// 特例区分: a status that lowers the co-payment cap. No status is 一般 (the general column).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SpecialStatus {
    /// 高額かつ長期 (medical costs above 50,000 yen a month in six months or more of a year)
    HighCostLongTerm,
    /// 人工呼吸器等装着者 (on a ventilator or similar device around the clock)
    Ventilator,
    /// 重症 (小慢 only: the 重症患者基準, or 高額かつ長期)
    Severe,
}

impl SpecialStatus {
    pub const ALL: [SpecialStatus; 3] = [Self::HighCostLongTerm, Self::Ventilator, Self::Severe];

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::HighCostLongTerm => "高額かつ長期",
            Self::Ventilator => "人工呼吸器等装着者",
            Self::Severe => "重症",
        }
    }

    /// The snake_case name used in JSON, mapping files and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HighCostLongTerm => "high_cost_long_term",
            Self::Ventilator => "ventilator",
            Self::Severe => "severe",
        }
    }

    /// Reads a status; blank and 一般 (general) are no status.
    pub fn parse_optional(s: &str) -> Result<Option<Self>, String> {
        let text = to_halfwidth(s.trim());
        if text.is_empty() || text == "一般" || text == "general" {
            return Ok(None);
        }
        Self::ALL
            .into_iter()
            .find(|t| {
                text == t.as_str()
                    || text == t.label_ja()
                    || (*t == Self::Ventilator && text == "人工呼吸器")
            })
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a special status (一般, 高額かつ長期, 人工呼吸器等装着者, 重症)"
                )
            })
    }
}

/// 認定結果: what the municipality decided about one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    pub schema_version: String,
    /// 難病 or 小慢: which table the co-payment cap comes from.
    pub kind: SheetKind,
    pub decision: CertificationDecision,
    /// 受付番号 (the application's receipt number; 15 digits from Mynaportal)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    /// 公費負担者番号 (payer number: 8 digits, 法別番号 54 or 52, ending in a check digit)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_number: Option<String>,
    /// 受給者番号 (recipient number: 7 digits ending in a check digit)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_number: Option<String>,
    /// 階層区分 (income tier)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_tier: Option<IncomeTier>,
    /// 特例区分 (special status); none is 一般.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_status: Option<SpecialStatus>,
    /// 自己負担上限額（月額） (monthly co-payment cap, yen), from the published tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_copayment_cap: Option<u32>,
    /// 有効期間 (validity): first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// 有効期間 (validity): last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
    /// 研究利用への同意 (consent to research use): only consented sheets reach the national DB.
    pub research_consent: bool,
    pub provenance: Provenance,
}

impl Certification {
    /// Writes the decision into a sheet's 行政記載欄 (受給者番号, 公費負担者番号, 認定 / 不認定
    /// and the consent), leaving a number the decision does not carry as the sheet has it.
    pub fn apply_to(&self, administrative: &mut Administrative) {
        if let Some(recipient) = &self.recipient_number {
            administrative.recipient_number = Some(recipient.clone());
        }
        if let Some(payer) = &self.payer_number {
            administrative.payer_number = Some(payer.clone());
        }
        administrative.certification = Some(self.decision);
        administrative.research_consent = Some(self.research_consent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_fills_the_administrative_fields() {
        let mut admin = Administrative {
            payer_number: Some("54130018".into()),
            ..Administrative::default()
        };
        let certification = Certification {
            schema_version: crate::SCHEMA_VERSION.into(),
            kind: SheetKind::Nanbyo,
            decision: CertificationDecision::Certified,
            receipt_number: None,
            payer_number: None,
            recipient_number: Some("0001016".into()),
            income_tier: Some(IncomeTier::GeneralIncome1),
            special_status: None,
            monthly_copayment_cap: Some(10_000),
            valid_from: None,
            valid_to: None,
            research_consent: true,
            provenance: Provenance::default(),
        };
        certification.apply_to(&mut admin);
        assert_eq!(
            admin,
            Administrative {
                payer_number: Some("54130018".into()),
                recipient_number: Some("0001016".into()),
                certification: Some(CertificationDecision::Certified),
                research_consent: Some(true),
                ..Administrative::default()
            }
        );
    }

    #[test]
    fn tiers_read_in_every_numeral_style() {
        for (text, tier) in [
            ("一般所得Ⅰ", IncomeTier::GeneralIncome1),
            ("一般所得I", IncomeTier::GeneralIncome1),
            ("一般所得１", IncomeTier::GeneralIncome1),
            ("一般所得II", IncomeTier::GeneralIncome2),
            ("一般所得Ⅱ", IncomeTier::GeneralIncome2),
            ("低所得Ｉ", IncomeTier::LowIncome1),
            ("低所得ＩＩ", IncomeTier::LowIncome2),
            ("生活保護", IncomeTier::PublicAssistance),
            ("upper_income", IncomeTier::UpperIncome),
        ] {
            assert_eq!(text.parse::<IncomeTier>(), Ok(tier), "{text}");
        }
        for bad in ["一般所得Ⅲ", "中所得", ""] {
            assert!(bad.parse::<IncomeTier>().is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_and_decisions() {
        assert_eq!(SpecialStatus::parse_optional(" "), Ok(None));
        assert_eq!(SpecialStatus::parse_optional("一般"), Ok(None));
        assert_eq!(
            SpecialStatus::parse_optional("人工呼吸器等装着者"),
            Ok(Some(SpecialStatus::Ventilator))
        );
        assert!(SpecialStatus::parse_optional("軽症").is_err());
        assert_eq!("認定".parse(), Ok(CertificationDecision::Certified));
        assert_eq!("不認定".parse(), Ok(CertificationDecision::NotCertified));
        assert!("保留".parse::<CertificationDecision>().is_err());
    }
}
