//! Machine-judgment rules (機械判定 / 一次判定) as data: the `[judgment]` section of a disease
//! template. The municipality reads the machine's 該当 / 非該当 / 要確認 for the 診断基準 and the
//! 重症度分類 before its review board, so the rules must be what the notification says and
//! reviewable by a clinician: a rule is one eligible outcome (`Definite`, `Hoehn-Yahr 3度以上
//! かつ生活機能障害度 2度以上`) whose conditions combine with `all`, `any` or `at_least N of`;
//! each condition tests one item and carries the words the judgment reports back.
//!
//! ```toml
//! [[judgment.severity]]
//! id = "hoehn_yahr_and_daily_function"
//! label = "Hoehn-Yahr 3度以上かつ生活機能障害度 2度以上"
//! label_en = "Hoehn and Yahr stage 3 or more and disability degree 2 or more"
//! when = { all = [
//!   { item = "pd.hoehn_yahr", op = ">=", value = 3, reason = "Hoehn-Yahr 3度以上", reason_en = "Hoehn and Yahr stage 3 or more" },
//!   { item = "pd.daily_function", op = ">=", value = 2, reason = "生活機能障害度 2度以上", reason_en = "Disability degree 2 or more" },
//! ] }
//! ```

use serde::{Deserialize, Serialize};

use crate::{CompareOp, FieldType, HeaderField, ItemDef, ItemType, ItemValue};

/// The `[judgment]` section: how the machine judges a sheet of this disease.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgmentRules {
    /// 診断のカテゴリー: the outcomes of the 診断基準 that qualify (e.g. Definite). 該当 when one
    /// holds. None: the machine does not judge the criteria and says so (要確認).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<Rule>,
    /// 重症度分類: the ways the severity threshold for subsidy is met. 該当 when one holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Rule>,
    /// 判定例: worked examples of the rules at their boundaries, which the test suite runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Case>,
}

/// The section a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// 診断のカテゴリー
    Category,
    /// 重症度分類
    Severity,
}

/// Whether a rule holds on a case's sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    Met,
    NotMet,
    /// An item the rule needs is missing or unreadable.
    Unknown,
}

/// A worked example of one rule (判定例): what a sheet holds and whether the rule is met. The
/// boundary is written next to the rule it tests, so a reviewer reads the threshold and its
/// proof together.
///
/// ```toml
/// [[judgment.cases]]
/// section = "severity"
/// rule = "ioibd_2"
/// expect = "met"
/// given = { "ioibd.abdominal_pain" = true, "ioibd.fever" = true }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub section: Section,
    /// The rule's id within its section.
    pub rule: String,
    /// Items by code and header fields by path, with their values; everything else is empty.
    /// Header values are read as the field's text (`"Definite"`, `"2019-04"`); item values as
    /// given, so a text for a number item makes it unreadable.
    #[serde(default)]
    pub given: std::collections::BTreeMap<String, ItemValue>,
    pub expect: Expected,
    /// What the case shows, for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl JudgmentRules {
    /// The rules of a section.
    pub fn section(&self, section: Section) -> &[Rule] {
        match section {
            Section::Category => &self.category,
            Section::Severity => &self.severity,
        }
    }
}

/// One qualifying outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id within its section (`definite`), reported with the result.
    pub id: String,
    /// The outcome as the notification words it, in Japanese.
    pub label: String,
    /// The outcome in English.
    pub label_en: String,
    /// When the outcome holds.
    pub when: Condition,
}

/// A condition: a test of one item, or a combination of conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Condition {
    Test(Test),
    All(All),
    Any(Any),
    AtLeast(AtLeast),
}

/// Every condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct All {
    pub all: Vec<Condition>,
}

/// At least one condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Any {
    pub any: Vec<Condition>,
}

/// At least `at_least` of the conditions hold (「…のうち2つ以上」).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtLeast {
    pub at_least: usize,
    pub of: Vec<Condition>,
}

/// A test of one item: a comparison (`op` with `value`), membership (`in`), or whether it is
/// filled in (`present`). Exactly one of the three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Test {
    /// A template item or formula code (`pd.hoehn_yahr`), or a header-field path
    /// (`clinical.diagnostic_category`).
    pub item: String,
    /// The comparison, with `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<CompareOp>,
    /// The value compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ItemValue>,
    /// The values the item may have.
    #[serde(default, rename = "in", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<ItemValue>,
    /// `true`: the item must be filled in; `false`: it must be empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// What the test checks, in Japanese, as the criteria word it.
    pub reason: String,
    /// What the test checks, in English.
    pub reason_en: String,
}

/// What a test expects, once its shape is known to be valid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expectation<'a> {
    Compare(CompareOp, &'a ItemValue),
    OneOf(&'a [ItemValue]),
    Present(bool),
}

impl std::fmt::Display for Expectation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expectation::Compare(op, value) => write!(f, "{} {value}", op.symbol()),
            Expectation::OneOf(values) => {
                let values: Vec<String> = values.iter().map(ToString::to_string).collect();
                write!(f, "in [{}]", values.join(", "))
            }
            Expectation::Present(true) => f.write_str("present"),
            Expectation::Present(false) => f.write_str("absent"),
        }
    }
}

impl Test {
    /// What the test expects; an error when it mixes or lacks `op`/`value`, `in`, `present`.
    pub fn expectation(&self) -> Result<Expectation<'_>, String> {
        match (self.op, &self.value, self.one_of.as_slice(), self.present) {
            (Some(op), Some(value), [], None) => Ok(Expectation::Compare(op, value)),
            (None, None, values, None) if !values.is_empty() => Ok(Expectation::OneOf(values)),
            (None, None, [], Some(present)) => Ok(Expectation::Present(present)),
            _ => Err(format!(
                "the test of `{}` needs exactly one of `op` with `value`, `in`, or `present`",
                self.item
            )),
        }
    }
}

/// The kind of value a rule compares: what the template or the header declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Boolean,
    Text,
}

fn kind_of_value(value: &ItemValue) -> Kind {
    match value {
        ItemValue::Integer(_) | ItemValue::Decimal(_) => Kind::Number,
        ItemValue::Boolean(_) => Kind::Boolean,
        ItemValue::Text(_) => Kind::Text,
    }
}

/// What a rule may name: template items, formula codes (always numbers) and header fields.
pub(crate) struct Names<'a> {
    pub items: &'a [ItemDef],
    pub formulas: Vec<&'a str>,
}

impl Names<'_> {
    /// The kind of the named value, and the item definition when it is a template item.
    fn resolve(&self, name: &str) -> Option<(Kind, Option<&ItemDef>)> {
        if let Some(def) = self.items.iter().find(|d| d.code == name) {
            let kind = match def.item_type {
                ItemType::Integer | ItemType::Decimal => Kind::Number,
                ItemType::Boolean => Kind::Boolean,
                ItemType::Text | ItemType::Code | ItemType::Date => Kind::Text,
            };
            return Some((kind, Some(def)));
        }
        if self.formulas.contains(&name) {
            return Some((Kind::Number, None));
        }
        let field = HeaderField::from_path(name)?;
        let kind = match field.field_type() {
            FieldType::Integer | FieldType::Decimal => Kind::Number,
            _ => Kind::Text,
        };
        Some((kind, None))
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Number => "a number",
        Kind::Boolean => "a yes/no value",
        Kind::Text => "text",
    }
}

fn validate_test(test: &Test, names: &Names<'_>) -> Result<(), String> {
    let expectation = test.expectation()?;
    let (kind, def) = names.resolve(&test.item).ok_or_else(|| {
        format!(
            "unknown item `{}` (neither an item, a formula nor a header field)",
            test.item
        )
    })?;
    let values: &[ItemValue] = match expectation {
        Expectation::Compare(op, value) => {
            if op.is_ordering() && kind != Kind::Number {
                return Err(format!(
                    "`{}` is {}, which `{}` cannot order",
                    test.item,
                    kind_name(kind),
                    op.symbol()
                ));
            }
            std::slice::from_ref(value)
        }
        Expectation::OneOf(values) => values,
        Expectation::Present(_) => &[],
    };
    for value in values {
        if kind_of_value(value) != kind {
            return Err(format!(
                "`{}` is {}, but is compared with {value} ({})",
                test.item,
                kind_name(kind),
                kind_name(kind_of_value(value))
            ));
        }
        let equality = matches!(
            expectation,
            Expectation::OneOf(_) | Expectation::Compare(CompareOp::Eq | CompareOp::Ne, _)
        );
        if let Some(def) = def
            && equality
            && !def.allowed.is_empty()
            && !def
                .allowed
                .iter()
                .any(|a| CompareOp::Eq.holds(&a.value, value))
        {
            return Err(format!(
                "`{}` never has the value {value}: it is not one of its allowed values",
                test.item
            ));
        }
    }
    Ok(())
}

fn validate_condition(condition: &Condition, names: &Names<'_>) -> Result<(), String> {
    let parts = match condition {
        Condition::Test(test) => return validate_test(test, names),
        Condition::All(All { all }) => all,
        Condition::Any(Any { any }) => any,
        Condition::AtLeast(AtLeast { at_least, of }) => {
            if *at_least == 0 || *at_least > of.len() {
                return Err(format!(
                    "`at_least = {at_least}` needs 1 to {} conditions in `of`",
                    of.len()
                ));
            }
            of
        }
    };
    if parts.is_empty() {
        return Err("a combination without conditions".into());
    }
    parts.iter().try_for_each(|c| validate_condition(c, names))
}

impl JudgmentRules {
    pub fn is_empty(&self) -> bool {
        self.category.is_empty() && self.severity.is_empty() && self.cases.is_empty()
    }

    /// Checks every rule against what the template defines: known items, values of the
    /// item's type (and among its allowed values), well-formed combinations, unique ids.
    pub(crate) fn validate(&self, names: &Names<'_>) -> Result<(), String> {
        for (section, rules) in [("category", &self.category), ("severity", &self.severity)] {
            let mut ids = std::collections::BTreeSet::new();
            for rule in rules {
                if !ids.insert(rule.id.as_str()) {
                    return Err(format!(
                        "judgment.{section}: rule `{}` is defined twice",
                        rule.id
                    ));
                }
                validate_condition(&rule.when, names)
                    .map_err(|e| format!("judgment.{section} rule `{}`: {e}", rule.id))?;
            }
        }
        for (n, case) in self.cases.iter().enumerate() {
            let at = |e: String| {
                format!(
                    "judgment.cases[{n}] ({:?} `{}`): {e}",
                    case.section, case.rule
                )
            };
            if !self.section(case.section).iter().any(|r| r.id == case.rule) {
                return Err(at("no such rule".into()));
            }
            for name in case.given.keys() {
                names
                    .resolve(name)
                    .ok_or_else(|| at(format!("unknown item `{name}`")))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::TemplateSet;

    const HEAD: &str = r#"
kind = "nanbyo"
number = 6
name = "テスト病"
form_version = "test"
sources = ["test"]

[[items]]
code = "stage"
label = "病期"
type = "integer"
allowed = [{ value = 1, label = "1" }, { value = 2, label = "2" }, { value = 3, label = "3" }]

[[items]]
code = "note"
label = "所見"
type = "text"

[[items]]
code = "sign"
label = "徴候"
type = "boolean"

[[formulas]]
code = "signs"
label = "徴候の数"
op = "count"
of = ["sign"]
condition = { op = "==", value = true }
"#;

    fn load(rules: &str) -> Result<(), String> {
        TemplateSet::default()
            .add("t.toml", &format!("{HEAD}\n{rules}"), None)
            .map_err(|e| e.to_string())
    }

    fn rule(when: &str) -> String {
        format!(
            "[[judgment.severity]]\nid = \"r\"\nlabel = \"R\"\nlabel_en = \"R\"\nwhen = {when}\n"
        )
    }

    const R: &str = r#"reason = "x", reason_en = "x""#;

    #[test]
    fn nested_rules_load() {
        let when = format!(
            "{{ all = [\n  {{ item = \"stage\", op = \">=\", value = 2, {R} }},\n  {{ any = [\n    {{ item = \"clinical.diagnostic_category\", in = [\"Definite\", \"Probable\"], {R} }},\n    {{ at_least = 1, of = [{{ item = \"sign\", present = true, {R} }}, {{ item = \"signs\", op = \">\", value = 0, {R} }}] }},\n  ] }},\n] }}"
        );
        load(&rule(&when)).unwrap();
    }

    #[test]
    fn bad_rules_are_refused_naming_file_rule_and_reason() {
        for (when, why) in [
            (
                format!("{{ item = \"stge\", op = \">=\", value = 2, {R} }}"),
                "unknown item `stge`",
            ),
            (
                format!("{{ item = \"note\", op = \">=\", value = 2, {R} }}"),
                "`note` is text, which `>=` cannot order",
            ),
            (
                format!("{{ item = \"note\", op = \"==\", value = 2, {R} }}"),
                "`note` is text, but is compared with 2 (a number)",
            ),
            (
                format!("{{ item = \"sign\", op = \"==\", value = \"あり\", {R} }}"),
                "`sign` is a yes/no value, but is compared with あり (text)",
            ),
            (
                format!("{{ item = \"stage\", op = \"==\", value = 4, {R} }}"),
                "`stage` never has the value 4",
            ),
            (
                format!("{{ item = \"clinical.living.mobility\", in = [\"1\"], {R} }}"),
                "`clinical.living.mobility` is a number, but is compared with 1 (text)",
            ),
            (
                format!("{{ item = \"stage\", op = \">=\", value = 2, present = true, {R} }}"),
                "needs exactly one of `op` with `value`, `in`, or `present`",
            ),
            (
                format!("{{ at_least = 3, of = [{{ item = \"sign\", present = true, {R} }}] }}"),
                "`at_least = 3` needs 1 to 1 conditions",
            ),
            (
                "{ all = [] }".to_owned(),
                "a combination without conditions",
            ),
        ] {
            let err = load(&rule(&when)).unwrap_err();
            assert!(
                err.starts_with("t.toml: judgment.severity rule `r`: ") && err.contains(why),
                "{when}: {err}"
            );
        }
        let ok = format!("{{ item = \"sign\", present = true, {R} }}");
        let err = load(&format!("{}{}", rule(&ok), rule(&ok))).unwrap_err();
        assert_eq!(err, "t.toml: judgment.severity: rule `r` is defined twice");
        let err = load(&rule("{ item = \"sign\", present = true }")).unwrap_err();
        assert!(err.starts_with("t.toml: ") && err.contains("line"), "{err}");
    }
}
