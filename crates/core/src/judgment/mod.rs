//! Machine judgment (機械判定 / 一次判定): does the sheet meet the disease's diagnostic criteria
//! (診断のカテゴリー) and severity threshold (重症度分類), or — for 指定難病 — the 軽症高額 rule?
//! The municipality reads 該当 / 非該当 / 要確認 with the reasons item by item before its review
//! board (seed 003 ⑥). The rules are data in the templates; this is a pure function of (sheet,
//! catalog, application date), so the API and the CLI give the same answer.
//!
//! Missing data never makes 非該当: an item that is missing or unreadable leaves its condition
//! unknown, and an unknown that could change the outcome gives 要確認 with the items named.

mod evaluate;
mod mild_high_cost;

use chrono::NaiveDate;
use kakehashi_sdk::{DiseaseKey, ItemValue, Sheet, TemplateSet, YearMonth};
use schemars::JsonSchema;
use serde::Serialize;

pub use mild_high_cost::{MildHighCostJudgment, MildHighCostRule, MildHighCostRules, WindowFloor};

/// 該当 / 非該当 / 要確認.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 該当
    Eligible,
    /// 非該当
    NotEligible,
    /// 要確認 (a person must look: data is missing or no rule exists)
    NeedsReview,
}

impl Outcome {
    pub fn ja(self) -> &'static str {
        match self {
            Outcome::Eligible => "該当",
            Outcome::NotEligible => "非該当",
            Outcome::NeedsReview => "要確認",
        }
    }
}

impl From<Truth> for Outcome {
    fn from(t: Truth) -> Self {
        match t {
            Truth::Met => Outcome::Eligible,
            Truth::NotMet => Outcome::NotEligible,
            Truth::Unknown => Outcome::NeedsReview,
        }
    }
}

impl From<Outcome> for Truth {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Eligible => Truth::Met,
            Outcome::NotEligible => Truth::NotMet,
            Outcome::NeedsReview => Truth::Unknown,
        }
    }
}

/// Whether a condition holds: met, not met, or unknown (its item is missing or unreadable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    Met,
    NotMet,
    Unknown,
}

impl From<bool> for Truth {
    fn from(b: bool) -> Self {
        if b { Truth::Met } else { Truth::NotMet }
    }
}

impl Truth {
    /// At least `n` of `parts` are met; not met when even the unknown ones could not make `n`.
    fn at_least(n: usize, parts: &[Truth]) -> Truth {
        let met = parts.iter().filter(|t| **t == Truth::Met).count();
        let unknown = parts.iter().filter(|t| **t == Truth::Unknown).count();
        if met >= n {
            Truth::Met
        } else if met + unknown < n {
            Truth::NotMet
        } else {
            Truth::Unknown
        }
    }

    fn all(parts: &[Truth]) -> Truth {
        Self::at_least(parts.len(), parts)
    }

    fn any(parts: &[Truth]) -> Truth {
        Self::at_least(1, parts)
    }
}

/// One tested item of a rule, as the judgment reports it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Reason {
    /// The rule's id.
    pub rule: String,
    /// The item code or header-field path tested.
    pub item: String,
    /// The item's label on the form, for template items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_label: Option<String>,
    /// The value on the sheet; absent when the item is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<ItemValue>,
    /// The value is there but not of the item's type (the checks reported it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
    /// What the rule expects (`>= 3`, `in [Definite]`, `present`).
    pub expected: String,
    pub status: Truth,
    /// What the condition checks, in Japanese and English.
    pub reason: String,
    pub reason_en: String,
}

/// One rule (qualifying outcome) of a section.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RuleJudgment {
    pub id: String,
    pub label: String,
    pub label_en: String,
    pub status: Truth,
    /// Every tested item, in the rule's order.
    pub reasons: Vec<Reason>,
}

/// The judgment of the diagnostic category or of the severity.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SectionJudgment {
    pub outcome: Outcome,
    /// 該当 / 非該当 / 要確認
    pub outcome_ja: &'static str,
    /// The rule that is met, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_rule: Option<String>,
    pub rules: Vec<RuleJudgment>,
    /// Items whose absence (or unreadable value) keeps the outcome open.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_items: Vec<String>,
    /// Why the section was not judged, when there is no rule for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

/// A note in English and Japanese.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Note {
    pub message: String,
    pub message_ja: String,
}

impl SectionJudgment {
    /// 要確認: the machine has no rule for this part of this disease.
    fn without_rules(message: String, message_ja: String) -> Self {
        Self {
            outcome: Outcome::NeedsReview,
            outcome_ja: Outcome::NeedsReview.ja(),
            met_rule: None,
            rules: Vec::new(),
            unknown_items: Vec::new(),
            note: Some(Note {
                message,
                message_ja,
            }),
        }
    }
}

/// The machine judgment (一次判定) of one sheet.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Judgment {
    /// 一次判定: the category is met and the severity (or 軽症高額) is met.
    pub outcome: Outcome,
    /// 該当 / 非該当 / 要確認
    pub outcome_ja: &'static str,
    /// The disease judged (`nanbyo 6`, `shoman 7-1`), when the sheet names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disease: Option<String>,
    /// The application date the 軽症高額 window ends at (today when not given).
    pub application_date: NaiveDate,
    /// 診断のカテゴリー against the 診断基準.
    pub category: SectionJudgment,
    /// 重症度分類 against the subsidy threshold.
    pub severity: SectionJudgment,
    /// 軽症高額: judged when the severity is not met and the programme has the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mild_high_cost: Option<MildHighCostJudgment>,
}

/// Judges a (checked) sheet against its disease's template rules and the programme's 軽症高額
/// rule, as of `application_date` ([`Catalog::judge`](crate::catalog::Catalog::judge) passes
/// the catalog's).
pub fn judge(
    sheet: &Sheet,
    templates: &TemplateSet,
    mild_high_cost: &MildHighCostRules,
    application_date: NaiveDate,
) -> Judgment {
    let key = sheet.disease.number.map(|number| DiseaseKey {
        kind: sheet.kind,
        group: sheet.disease.group,
        number,
    });
    let template = key.as_ref().and_then(|k| templates.get(k));
    let (category, severity) = match template {
        Some(template) => {
            let view = evaluate::SheetView::new(sheet, template);
            let section = |rules: &[kakehashi_sdk::Rule], what: &str, what_ja: &str| {
                if rules.is_empty() {
                    SectionJudgment::without_rules(
                        format!(
                            "the template for {} has no machine rule for the {what}; the review board judges it",
                            template.name
                        ),
                        format!(
                            "{}のテンプレートには{what_ja}の機械判定規則がありません。審査会で判定してください",
                            template.name
                        ),
                    )
                } else {
                    evaluate::section(&view, rules)
                }
            };
            (
                section(
                    &template.judgment.category,
                    "diagnostic category",
                    "診断のカテゴリー",
                ),
                section(&template.judgment.severity, "severity", "重症度分類"),
            )
        }
        None => {
            let disease = key.map_or_else(|| "the sheet's disease".to_owned(), |k| k.to_string());
            let no_template = || {
                SectionJudgment::without_rules(
                    format!("no disease template for {disease}: nothing to judge by machine"),
                    format!("{disease} の疾病別テンプレートがないため機械判定できません"),
                )
            };
            (no_template(), no_template())
        }
    };
    let mild_high_cost = (severity.outcome != Outcome::Eligible)
        .then(|| mild_high_cost.for_kind(sheet.kind))
        .flatten()
        .map(|rule| mild_high_cost::judge(rule, sheet, YearMonth::of(application_date)));
    let subsidised = match &mild_high_cost {
        Some(m) => Truth::any(&[severity.outcome.into(), m.outcome.into()]),
        None => severity.outcome.into(),
    };
    let outcome = Outcome::from(Truth::all(&[category.outcome.into(), subsidised]));
    Judgment {
        outcome,
        outcome_ja: outcome.ja(),
        disease: key.map(|k| k.to_string()),
        application_date,
        category,
        severity,
        mild_high_cost,
    }
}

#[cfg(test)]
mod tests;
