//! 自己負担上限額（月額）: the monthly co-payment cap follows from the programme (難病 / 小慢), the
//! 階層区分 and the special status. The amounts are data (`mappings/reference/copayment.toml`,
//! with its sources), so a change of the law is a reviewed edit of one file, not of code.

use std::collections::BTreeMap;

use kakehashi_sdk::{IncomeTier, MappingFiles, SheetKind, SpecialStatus};
use serde::Deserialize;

use crate::tier::TierThresholds;

/// Where the tables live among the mapping files.
pub const CATEGORY: &str = "reference";
pub const NAME: &str = "copayment";

/// One row of a table: the cap in yen for each column. A column the programme does not have is
/// absent (難病 has no 重症 column).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    /// 一般
    pub general: u32,
    /// 高額かつ長期
    pub high_cost_long_term: u32,
    /// 人工呼吸器等装着者
    pub ventilator: u32,
    /// 重症 (小慢 only)
    #[serde(default)]
    pub severe: Option<u32>,
}

/// One programme's table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The table's title, for people.
    pub title: String,
    /// The caps by 階層区分; every tier must be present.
    pub caps: BTreeMap<IncomeTier, Caps>,
}

/// Both programmes' tables, and the thresholds that divide the tiers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopaymentTables {
    /// 指定難病
    pub nanbyo: Table,
    /// 小児慢性特定疾病
    pub shoman: Table,
    /// Where one 階層区分 ends and the next begins (both programmes).
    pub tiers: TierThresholds,
}

/// Why a cap cannot be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopaymentError {
    #[error("the {kind} co-payment table has no row for {tier}")]
    MissingTier {
        kind: &'static str,
        tier: &'static str,
    },
    #[error("the special status {status} does not exist for {kind}")]
    StatusNotInProgramme {
        kind: &'static str,
        status: &'static str,
    },
    #[error("co-payment tables: {0}")]
    Load(String),
}

impl CopaymentError {
    /// Stable code for findings and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingTier { .. } => "copayment.missing_tier",
            Self::StatusNotInProgramme { .. } => "copayment.status_not_in_programme",
            Self::Load(_) => "copayment.invalid_table",
        }
    }

    /// The same in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::MissingTier { kind, tier } => {
                format!("{kind} の自己負担上限額表に階層区分 {tier} の行がありません")
            }
            Self::StatusNotInProgramme { kind, status } => {
                format!("{kind} には特例区分「{status}」がありません")
            }
            Self::Load(e) => format!("自己負担上限額表を読めません: {e}"),
        }
    }
}

impl CopaymentTables {
    /// Reads the tables from TOML, refusing a table that lacks a tier or a 小慢 table without
    /// its 重症 column.
    pub fn parse(text: &str) -> Result<Self, CopaymentError> {
        let tables: Self = toml::from_str(text).map_err(|e| CopaymentError::Load(e.to_string()))?;
        tables.validate()?;
        Ok(tables)
    }

    /// The tables among the gateway's mapping files (`reference/copayment`).
    pub fn from_mappings(mappings: &MappingFiles) -> Result<Self, CopaymentError> {
        let tables: Self = mappings
            .load(CATEGORY, NAME)
            .map_err(|e| CopaymentError::Load(e.message))?;
        tables.validate()?;
        Ok(tables)
    }

    fn validate(&self) -> Result<(), CopaymentError> {
        if self.tiers.general_income_1_levy_below >= self.tiers.general_income_2_levy_below {
            return Err(CopaymentError::Load(
                "tiers: general_income_1_levy_below must be below general_income_2_levy_below"
                    .to_owned(),
            ));
        }
        for kind in [SheetKind::Nanbyo, SheetKind::Shoman] {
            let table = self.table(kind);
            for tier in IncomeTier::ALL {
                let caps = table.caps.get(&tier).ok_or(CopaymentError::MissingTier {
                    kind: kind.as_str(),
                    tier: tier.as_str(),
                })?;
                if (kind == SheetKind::Shoman) != caps.severe.is_some() {
                    return Err(CopaymentError::Load(format!(
                        "{}.caps.{}: `severe` is the 小慢 table's column, and only its",
                        kind.as_str(),
                        tier.as_str()
                    )));
                }
            }
        }
        Ok(())
    }

    fn table(&self, kind: SheetKind) -> &Table {
        match kind {
            SheetKind::Nanbyo => &self.nanbyo,
            SheetKind::Shoman => &self.shoman,
        }
    }

    /// 自己負担上限額（月額）in yen for a programme, tier and special status (none = 一般).
    pub fn monthly_cap(
        &self,
        kind: SheetKind,
        tier: IncomeTier,
        status: Option<SpecialStatus>,
    ) -> Result<u32, CopaymentError> {
        let caps = self
            .table(kind)
            .caps
            .get(&tier)
            .ok_or(CopaymentError::MissingTier {
                kind: kind.as_str(),
                tier: tier.as_str(),
            })?;
        match status {
            None => Ok(caps.general),
            Some(SpecialStatus::HighCostLongTerm) => Ok(caps.high_cost_long_term),
            Some(SpecialStatus::Ventilator) => Ok(caps.ventilator),
            Some(SpecialStatus::Severe) => {
                caps.severe.ok_or(CopaymentError::StatusNotInProgramme {
                    kind: kind.as_str(),
                    status: SpecialStatus::Severe.as_str(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncomeTier::*;
    use SpecialStatus::*;

    fn published() -> CopaymentTables {
        CopaymentTables::parse(include_str!("../../../mappings/reference/copayment.toml")).unwrap()
    }

    /// Every cell of the MHLW 指定難病 table: 一般, 高額かつ長期, 人工呼吸器等装着者.
    #[test]
    fn every_nanbyo_cell() {
        let t = published();
        let expected = [
            (PublicAssistance, [0, 0, 0]),
            (LowIncome1, [2_500, 2_500, 1_000]),
            (LowIncome2, [5_000, 5_000, 1_000]),
            (GeneralIncome1, [10_000, 5_000, 1_000]),
            (GeneralIncome2, [20_000, 10_000, 1_000]),
            (UpperIncome, [30_000, 20_000, 1_000]),
        ];
        for (tier, [general, long, vent]) in expected {
            let cap = |s| t.monthly_cap(SheetKind::Nanbyo, tier, s).unwrap();
            assert_eq!(cap(None), general, "{tier:?} 一般");
            assert_eq!(cap(Some(HighCostLongTerm)), long, "{tier:?} 高額かつ長期");
            assert_eq!(cap(Some(Ventilator)), vent, "{tier:?} 人工呼吸器");
            assert_eq!(
                t.monthly_cap(SheetKind::Nanbyo, tier, Some(Severe)),
                Err(CopaymentError::StatusNotInProgramme {
                    kind: "nanbyo",
                    status: "severe"
                })
            );
        }
    }

    /// Every cell of the 小児慢性特定疾病 table: 一般, 重症 (= 高額かつ長期), 人工呼吸器等装着者.
    #[test]
    fn every_shoman_cell() {
        let t = published();
        let expected = [
            (PublicAssistance, [0, 0, 0]),
            (LowIncome1, [1_250, 1_250, 500]),
            (LowIncome2, [2_500, 2_500, 500]),
            (GeneralIncome1, [5_000, 2_500, 500]),
            (GeneralIncome2, [10_000, 5_000, 500]),
            (UpperIncome, [15_000, 10_000, 500]),
        ];
        for (tier, [general, severe, vent]) in expected {
            let cap = |s| t.monthly_cap(SheetKind::Shoman, tier, s).unwrap();
            assert_eq!(cap(None), general, "{tier:?} 一般");
            assert_eq!(cap(Some(Severe)), severe, "{tier:?} 重症");
            assert_eq!(cap(Some(HighCostLongTerm)), severe, "{tier:?} 高額かつ長期");
            assert_eq!(cap(Some(Ventilator)), vent, "{tier:?} 人工呼吸器");
        }
    }

    #[test]
    fn a_table_missing_a_tier_or_misplacing_severe_is_refused() {
        let text = include_str!("../../../mappings/reference/copayment.toml");
        let without = text.replace("upper_income = { general = 30000", "#");
        assert!(matches!(
            CopaymentTables::parse(&without),
            Err(CopaymentError::Load(_) | CopaymentError::MissingTier { .. })
        ));
        let severe_in_nanbyo = text.replace(
            "low_income_1 = { general = 2500,",
            "low_income_1 = { severe = 1, general = 2500,",
        );
        assert!(matches!(
            CopaymentTables::parse(&severe_in_nanbyo),
            Err(CopaymentError::Load(_))
        ));
        let tiers_reversed = text.replace(
            "general_income_2_levy_below = 251000",
            "general_income_2_levy_below = 71000",
        );
        assert!(matches!(
            CopaymentTables::parse(&tiers_reversed),
            Err(CopaymentError::Load(_))
        ));
        assert!(matches!(
            CopaymentTables::parse("nanbyo = 1"),
            Err(CopaymentError::Load(_))
        ));
    }
}
