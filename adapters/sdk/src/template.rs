//! Disease templates: for each notified disease, the items its sheet asks for (criteria,
//! severity scales, research items), the formulas the gateway computes (自動計算), and the
//! rules machine judgment evaluates (see [`crate::JudgmentRules`]). Templates are TOML files in
//! `mappings/diseases/`, one per disease, meant to be read and reviewed by clinicians.
//!
//! ```toml
//! kind = "nanbyo"
//! number = 14
//! name = "慢性炎症性脱髄性多発神経炎／多巣性運動ニューロパチー"
//! form_version = "2024-04"
//! sources = ["臨床調査個人票 014"]
//!
//! [[items]]
//! code = "barthel.feeding"
//! label = "食事"
//! type = "integer"
//! allowed = [{ value = 0, label = "全介助" }, { value = 5, label = "部分介助" }, { value = 10, label = "自立" }]
//! required = true
//!
//! [[formulas]]
//! code = "barthel.total"
//! label = "Barthel Index 合計"
//! op = "sum"
//! of = ["barthel.feeding"]
//!
//! [[judgment.severity]]
//! id = "barthel_85"
//! label = "Barthel Index 85点以下"
//! label_en = "Barthel Index 85 or less"
//! when = { item = "barthel.total", op = "<=", value = 85, reason = "Barthel Index 85点以下", reason_en = "Barthel Index 85 or less" }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::judgment::Names;
use crate::{DiseaseKey, DiseaseRegistry, ItemValue, JudgmentRules, SheetKind};

/// The type of an item's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    Integer,
    Decimal,
    Boolean,
    Text,
    Date,
    /// One of `allowed`, written as text.
    Code,
}

impl ItemType {
    /// Whether a value is of this type (a decimal item holds whole numbers too; dates are
    /// text).
    pub fn holds(self, value: &ItemValue) -> bool {
        match self {
            ItemType::Integer => matches!(value, ItemValue::Integer(_)),
            ItemType::Decimal => value.as_f64().is_some(),
            ItemType::Boolean => matches!(value, ItemValue::Boolean(_)),
            ItemType::Text | ItemType::Code | ItemType::Date => {
                matches!(value, ItemValue::Text(_))
            }
        }
    }
}

/// One permitted value with its label on the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedValue {
    pub value: ItemValue,
    /// The label printed on the form, in Japanese.
    pub label: String,
}

/// One disease-specific item of the sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    /// Stable code, `scale.item` style (`alsfrs_r.speech`); the key in `Sheet::items`.
    pub code: String,
    /// The item's label on the form, in Japanese.
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    /// Unit (UCUM-like: `mg/dL`, `%`, `kg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// A sheet without this item gets an error.
    #[serde(default)]
    pub required: bool,
    /// Inclusive lower bound for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The only values permitted, when the form offers a fixed choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<AllowedValue>,
    /// Guidance for the doctor, as the form prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A comparison, as used by count formulas and judgment rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CompareOp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
}

impl CompareOp {
    /// The operator as written in a template.
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Ge => ">=",
            CompareOp::Gt => ">",
        }
    }

    /// Whether the operator orders numbers (rather than testing equality).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    /// Whether `lhs op rhs` holds: numerically when both are numbers (booleans count as 1/0),
    /// otherwise as equality of text.
    pub fn holds(self, lhs: &ItemValue, rhs: &ItemValue) -> bool {
        let num = |v: &ItemValue| match v {
            ItemValue::Boolean(b) => Some(f64::from(u8::from(*b))),
            other => other.as_f64(),
        };
        match (num(lhs), num(rhs)) {
            (Some(a), Some(b)) => match self {
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Ge => a >= b,
                CompareOp::Gt => a > b,
            },
            _ => match self {
                CompareOp::Eq => lhs.to_string() == rhs.to_string(),
                CompareOp::Ne => lhs.to_string() != rhs.to_string(),
                _ => false,
            },
        }
    }
}

/// A condition on one value (`>= 2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormulaCondition {
    pub op: CompareOp,
    pub value: ItemValue,
}

/// What a formula computes. Yes/no inputs count as 1 and 0 in the numeric operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormulaOp {
    /// The sum, each input times its `weights` entry when given, plus `constant`.
    Sum,
    Mean,
    /// How many of the inputs meet `condition`.
    Count,
    Min,
    Max,
    /// The first input divided by the second (体重 / 標準体重), rounded to `decimals`.
    Ratio,
}

impl FormulaOp {
    pub fn as_str(self) -> &'static str {
        match self {
            FormulaOp::Sum => "sum",
            FormulaOp::Mean => "mean",
            FormulaOp::Count => "count",
            FormulaOp::Min => "min",
            FormulaOp::Max => "max",
            FormulaOp::Ratio => "ratio",
        }
    }
}

/// An auto-calculated item (自動計算), e.g. a scale total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Formula {
    /// The computed item's code.
    pub code: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    pub op: FormulaOp,
    /// Codes of the input items (or of earlier formulas).
    pub of: Vec<String>,
    /// For `count`: which inputs count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<FormulaCondition>,
    /// For `sum`: the factor of each input, in the order of `of` (a weighted score such as
    /// CDAI: 過去1週間の下痢の回数 × 2, 腹痛 × 5, …). Without it every factor is 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<f64>,
    /// For `sum`: a number added to the (weighted) sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Decimal places to round a mean or a ratio to (one when not given), or a sum (not
    /// rounded when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimals: Option<u8>,
    /// Compute even when some inputs are missing (otherwise the result is left out, with a
    /// warning).
    #[serde(default)]
    pub allow_partial: bool,
}

impl Formula {
    /// The formula as one line (`sum(2×a, b) + 100`), as a computed value records it.
    pub fn describe(&self) -> String {
        let inputs: Vec<String> = if self.weights.is_empty() {
            self.of.clone()
        } else {
            self.of
                .iter()
                .zip(&self.weights)
                .map(|(code, w)| format!("{w}×{code}"))
                .collect()
        };
        let mut text = format!("{}({})", self.op.as_str(), inputs.join(", "));
        if let Some(c) = self.constant {
            text.push_str(&format!(" + {c}"));
        }
        text
    }

    /// Checks the formula's shape against the codes defined before it (`known`, with whether
    /// each holds a number or a yes/no value).
    fn validate(&self, numeric: &BTreeMap<&str, bool>) -> Result<(), String> {
        let code = &self.code;
        if self.of.is_empty() {
            return Err(format!("formula `{code}` has no inputs"));
        }
        for input in &self.of {
            match numeric.get(input.as_str()) {
                None => return Err(format!("formula `{code}` uses unknown item `{input}`")),
                Some(false) if self.op != FormulaOp::Count => {
                    return Err(format!(
                        "formula `{code}`: `{input}` is neither a number nor yes/no, which {} cannot use",
                        self.op.as_str()
                    ));
                }
                Some(_) => {}
            }
        }
        if (self.op == FormulaOp::Count) != self.condition.is_some() {
            return Err(format!(
                "formula `{code}`: `condition` goes with op count, and only with it"
            ));
        }
        if self.op != FormulaOp::Sum && (!self.weights.is_empty() || self.constant.is_some()) {
            return Err(format!(
                "formula `{code}`: `weights` and `constant` go with op sum, and only with it"
            ));
        }
        if !self.weights.is_empty() && self.weights.len() != self.of.len() {
            return Err(format!(
                "formula `{code}`: {} weights for {} inputs",
                self.weights.len(),
                self.of.len()
            ));
        }
        if self
            .weights
            .iter()
            .chain(&self.constant)
            .any(|w| !w.is_finite())
        {
            return Err(format!("formula `{code}`: weights must be finite numbers"));
        }
        if self.op == FormulaOp::Ratio && (self.of.len() != 2 || self.allow_partial) {
            return Err(format!(
                "formula `{code}`: ratio needs exactly two inputs (numerator, denominator), both present"
            ));
        }
        Ok(())
    }
}

/// A disease template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub kind: SheetKind,
    /// 疾患群, for 小慢.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u8>,
    /// 告示番号
    pub number: u16,
    /// 告示病名, as in the notified list.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Which edition of the form the template follows (e.g. `2024-04`).
    pub form_version: String,
    /// Where the items and scales come from (form, guideline, scale publication).
    pub sources: Vec<String>,
    /// 診断のカテゴリー the form offers (e.g. Definite, Probable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostic_categories: Vec<String>,
    #[serde(default)]
    pub items: Vec<ItemDef>,
    #[serde(default)]
    pub formulas: Vec<Formula>,
    /// 機械判定: the rules for the diagnostic category and the severity threshold.
    #[serde(default, skip_serializing_if = "JudgmentRules::is_empty")]
    pub judgment: JudgmentRules,
}

/// Why a template could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
    #[error("{file}: a template for {key} is already loaded from {other}")]
    Duplicate {
        file: String,
        key: DiseaseKey,
        other: String,
    },
}

impl Template {
    pub fn key(&self) -> DiseaseKey {
        DiseaseKey {
            kind: self.kind,
            group: self.group,
            number: self.number,
        }
    }

    pub fn item(&self, code: &str) -> Option<&ItemDef> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Checks the template's internal consistency: unique codes, formulas and judgment rules
    /// that name existing items of the right type, sane bounds and allowed values, a 疾患群
    /// exactly for 小慢.
    pub fn validate(&self) -> Result<(), String> {
        if (self.kind == SheetKind::Shoman) != self.group.is_some() {
            return Err(
                "a 小慢 template needs `group` (疾患群); a 難病 template must not have one".into(),
            );
        }
        let mut known = BTreeSet::new();
        for item in &self.items {
            if !known.insert(item.code.as_str()) {
                return Err(format!("item `{}` is defined twice", item.code));
            }
            if let (Some(min), Some(max)) = (item.min, item.max)
                && min > max
            {
                return Err(format!("item `{}`: min {min} > max {max}", item.code));
            }
            if item.item_type == ItemType::Code && item.allowed.is_empty() {
                return Err(format!("item `{}`: type code needs `allowed`", item.code));
            }
            for allowed in &item.allowed {
                if !item.item_type.holds(&allowed.value) {
                    return Err(format!(
                        "item `{}`: allowed value {} does not fit type {:?}",
                        item.code, allowed.value, item.item_type
                    ));
                }
            }
        }
        // What a formula may use: items and earlier formulas, and whether each is numeric
        // (numbers and yes/no values) as the numeric operations need.
        let mut numeric: BTreeMap<&str, bool> = self
            .items
            .iter()
            .map(|i| {
                let is_numeric = matches!(
                    i.item_type,
                    ItemType::Integer | ItemType::Decimal | ItemType::Boolean
                );
                (i.code.as_str(), is_numeric)
            })
            .collect();
        for formula in &self.formulas {
            formula.validate(&numeric)?;
            if numeric.insert(formula.code.as_str(), true).is_some() {
                return Err(format!("formula `{}` reuses an item code", formula.code));
            }
        }
        self.judgment.validate(&Names {
            items: &self.items,
            formulas: self.formulas.iter().map(|f| f.code.as_str()).collect(),
        })
    }
}

/// All loaded templates, by disease.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    templates: BTreeMap<DiseaseKey, (String, Template)>,
}

impl TemplateSet {
    /// Parses and validates one template file. `file` names it in errors. When a registry is
    /// given, the disease must be on the notified list under the same name.
    pub fn add(
        &mut self,
        file: &str,
        text: &str,
        registry: Option<&DiseaseRegistry>,
    ) -> Result<(), TemplateError> {
        let template: Template = toml::from_str(text).map_err(|e| TemplateError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        let invalid = |reason: String| TemplateError::Invalid {
            file: file.to_owned(),
            reason,
        };
        template.validate().map_err(invalid)?;
        let key = template.key();
        if let Some(registry) = registry {
            let entry = registry
                .get(&key)
                .ok_or_else(|| invalid(format!("{key} is not a notified disease")))?;
            if entry.name.trim() != template.name.trim() {
                return Err(invalid(format!(
                    "{key} is notified as 「{}」, not 「{}」",
                    entry.name, template.name
                )));
            }
        }
        if let Some((other, _)) = self.templates.get(&key) {
            return Err(TemplateError::Duplicate {
                file: file.to_owned(),
                key,
                other: other.clone(),
            });
        }
        self.templates.insert(key, (file.to_owned(), template));
        Ok(())
    }

    pub fn get(&self, key: &DiseaseKey) -> Option<&Template> {
        self.templates.get(key).map(|(_, t)| t)
    }

    /// The template of the disease a sheet names (kind, 疾患群 and 告示番号), if there is one.
    pub fn for_sheet(&self, sheet: &crate::Sheet) -> Option<&Template> {
        let number = sheet.disease.number?;
        self.get(&DiseaseKey {
            kind: sheet.kind,
            group: sheet.disease.group,
            number,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.values().map(|(_, t)| t)
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
kind = "nanbyo"
number = 14
name = "テスト病"
form_version = "2024-04"
sources = ["test"]

[[items]]
code = "a"
label = "A"
type = "integer"
min = 0
max = 10

[[items]]
code = "b"
label = "B"
type = "integer"

[[formulas]]
code = "total"
label = "合計"
op = "sum"
of = ["a", "b"]

[[judgment.severity]]
id = "total_5"
label = "合計 5 以下"
label_en = "Total 5 or less"
when = { item = "total", op = "<=", value = 5, reason = "合計 5 以下", reason_en = "Total 5 or less" }
"#;

    #[test]
    fn loads_and_refuses_inconsistent_templates() {
        let mut set = TemplateSet::default();
        set.add("mini.toml", MINI, None).unwrap();
        assert_eq!(set.len(), 1);

        let err = set.add("mini2.toml", MINI, None).unwrap_err();
        assert!(
            err.to_string().contains("already loaded from mini.toml"),
            "{err}"
        );

        let bad = MINI.replace("of = [\"a\", \"b\"]", "of = [\"a\", \"zzz\"]");
        let err = TemplateSet::default()
            .add("bad.toml", &bad, None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad.toml: formula `total` uses unknown item `zzz`"
        );

        let unknown_field = MINI.replace("form_version", "form_verison");
        let err = TemplateSet::default()
            .add("typo.toml", &unknown_field, None)
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `form_verison`"),
            "{err}"
        );
    }

    #[test]
    fn weighted_sums_ratios_and_worked_examples_are_checked_at_load() {
        let load = |extra: &str| {
            TemplateSet::default()
                .add("w.toml", &format!("{MINI}\n{extra}"), None)
                .map_err(|e| e.to_string())
        };
        let formula = |body: &str| format!("[[formulas]]\ncode = \"f\"\nlabel = \"F\"\n{body}\n");
        load(&formula(
            "op = \"sum\"\nof = [\"a\", \"b\"]\nweights = [2, -6]\nconstant = 100",
        ))
        .unwrap();
        load(&formula(
            "op = \"ratio\"\nof = [\"a\", \"b\"]\ndecimals = 2",
        ))
        .unwrap();
        for (body, why) in [
            (
                "op = \"sum\"\nof = [\"a\", \"b\"]\nweights = [2]",
                "1 weights for 2 inputs",
            ),
            (
                "op = \"mean\"\nof = [\"a\", \"b\"]\nweights = [2, 3]",
                "go with op sum",
            ),
            ("op = \"ratio\"\nof = [\"a\"]", "exactly two inputs"),
            (
                "op = \"sum\"\nof = [\"a\", \"label\"]",
                "unknown item `label`",
            ),
        ] {
            let err = load(&formula(body)).unwrap_err();
            assert!(err.contains(why), "{body}: {err}");
        }
        let text_item = "[[items]]\ncode = \"t\"\nlabel = \"T\"\ntype = \"text\"\n";
        let err = load(&format!(
            "{text_item}{}",
            formula("op = \"sum\"\nof = [\"a\", \"t\"]")
        ))
        .unwrap_err();
        assert!(err.contains("neither a number nor yes/no"), "{err}");

        let case = |section: &str, rule: &str, given: &str| {
            format!(
                "[[judgment.cases]]\nsection = \"{section}\"\nrule = \"{rule}\"\nexpect = \"met\"\ngiven = {{ {given} }}\n"
            )
        };
        load(&case(
            "severity",
            "total_5",
            "\"a\" = 1, \"clinical.diagnostic_category\" = \"Definite\"",
        ))
        .unwrap();
        for (c, why) in [
            (case("category", "total_5", ""), "no such rule"),
            (case("severity", "total_6", ""), "no such rule"),
            (
                case("severity", "total_5", "\"zz\" = 1"),
                "unknown item `zz`",
            ),
        ] {
            let err = load(&c).unwrap_err();
            assert!(
                err.contains("judgment.cases[0]") && err.contains(why),
                "{err}"
            );
        }
    }

    #[test]
    fn compare_ops() {
        let v = |i| ItemValue::Integer(i);
        assert!(CompareOp::Le.holds(&v(85), &v(85)));
        assert!(!CompareOp::Lt.holds(&v(85), &v(85)));
        assert!(CompareOp::Ge.holds(&ItemValue::Decimal(4.5), &ItemValue::Decimal(4.5)));
        assert!(CompareOp::Eq.holds(&ItemValue::Boolean(true), &v(1)));
        assert!(CompareOp::Eq.holds(
            &ItemValue::Text("Definite".into()),
            &ItemValue::Text("Definite".into())
        ));
        assert!(!CompareOp::Gt.holds(&ItemValue::Text("x".into()), &v(1)));
    }
}
