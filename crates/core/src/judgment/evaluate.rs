//! Three-valued evaluation of a template's judgment rules against a sheet. A condition is met,
//! not met, or unknown (its item is missing or unreadable); combinations follow Kleene's logic,
//! so an unknown only matters where it could change the result.

use kakehashi_sdk::{
    All, Any, AtLeast, CompareOp, Condition, Expectation, ItemValue, Rule, Sheet, Template, Test,
};
use serde_json::Value;

use super::{Outcome, Reason, RuleJudgment, SectionJudgment, Truth};

/// What the sheet holds for a name a rule tests.
enum Observed {
    Missing,
    /// Present but not of the declared type (the checks reported it).
    Unreadable(ItemValue),
    Value(ItemValue),
}

/// The sheet as a rule reads it: items by code, header fields by path.
pub(super) struct SheetView<'a> {
    sheet: &'a Sheet,
    header: Value,
    template: &'a Template,
}

impl<'a> SheetView<'a> {
    pub(super) fn new(sheet: &'a Sheet, template: &'a Template) -> Self {
        Self {
            sheet,
            header: serde_json::to_value(sheet).unwrap_or(Value::Null),
            template,
        }
    }

    fn observe(&self, name: &str) -> Observed {
        if let Some(def) = self.template.item(name) {
            return match self.sheet.items.get(name) {
                None => Observed::Missing,
                Some(item) if def.item_type.holds(&item.value) => {
                    Observed::Value(item.value.clone())
                }
                Some(item) => Observed::Unreadable(item.value.clone()),
            };
        }
        if self.template.formulas.iter().any(|f| f.code == name) {
            return match self.sheet.items.get(name) {
                None => Observed::Missing,
                Some(item) if item.value.as_f64().is_some() => Observed::Value(item.value.clone()),
                Some(item) => Observed::Unreadable(item.value.clone()),
            };
        }
        let pointer = format!("/{}", name.replace('.', "/"));
        match self.header.pointer(&pointer) {
            None | Some(Value::Null) => Observed::Missing,
            Some(Value::String(s)) => Observed::Value(ItemValue::Text(s.clone())),
            Some(Value::Bool(b)) => Observed::Value(ItemValue::Boolean(*b)),
            Some(Value::Number(n)) => Observed::Value(match n.as_i64() {
                Some(i) => ItemValue::Integer(i),
                None => ItemValue::Decimal(n.as_f64().unwrap_or(f64::NAN)),
            }),
            Some(other) => Observed::Unreadable(ItemValue::Text(other.to_string())),
        }
    }

    fn label(&self, name: &str) -> Option<String> {
        self.template
            .item(name)
            .map(|d| d.label.clone())
            .or_else(|| {
                self.template
                    .formulas
                    .iter()
                    .find(|f| f.code == name)
                    .map(|f| f.label.clone())
            })
    }
}

fn test(view: &SheetView<'_>, rule: &str, t: &Test, reasons: &mut Vec<Reason>) -> Truth {
    // Validated when the catalog was loaded; a malformed test cannot be met.
    let Ok(expectation) = t.expectation() else {
        return Truth::NotMet;
    };
    let observed = view.observe(&t.item);
    let status = match (&observed, expectation) {
        (Observed::Missing, Expectation::Present(wanted)) => Truth::from(!wanted),
        (_, Expectation::Present(wanted)) => Truth::from(wanted),
        (Observed::Missing | Observed::Unreadable(_), _) => Truth::Unknown,
        (Observed::Value(v), Expectation::Compare(op, expected)) => {
            Truth::from(op.holds(v, expected))
        }
        (Observed::Value(v), Expectation::OneOf(values)) => {
            Truth::from(values.iter().any(|e| CompareOp::Eq.holds(v, e)))
        }
    };
    let (observed, unreadable) = match observed {
        Observed::Missing => (None, false),
        Observed::Unreadable(v) => (Some(v), true),
        Observed::Value(v) => (Some(v), false),
    };
    reasons.push(Reason {
        rule: rule.to_owned(),
        item: t.item.clone(),
        item_label: view.label(&t.item),
        observed,
        unreadable,
        expected: expectation.to_string(),
        status,
        reason: t.reason.clone(),
        reason_en: t.reason_en.clone(),
    });
    status
}

fn condition(view: &SheetView<'_>, rule: &str, c: &Condition, reasons: &mut Vec<Reason>) -> Truth {
    let (parts, needed) = match c {
        Condition::Test(t) => return test(view, rule, t, reasons),
        Condition::All(All { all }) => (all, all.len()),
        Condition::Any(Any { any }) => (any, 1),
        Condition::AtLeast(AtLeast { at_least, of }) => (of, *at_least),
    };
    let truths: Vec<Truth> = parts
        .iter()
        .map(|p| condition(view, rule, p, reasons))
        .collect();
    Truth::at_least(needed, &truths)
}

/// Judges one section (category or severity): 該当 when a rule is met, 非該当 when every rule
/// is not met, 要確認 otherwise, naming the items whose absence keeps it open.
pub(super) fn section(view: &SheetView<'_>, rules: &[Rule]) -> SectionJudgment {
    let rules: Vec<RuleJudgment> = rules
        .iter()
        .map(|rule| {
            let mut reasons = Vec::new();
            let status = condition(view, &rule.id, &rule.when, &mut reasons);
            RuleJudgment {
                id: rule.id.clone(),
                label: rule.label.clone(),
                label_en: rule.label_en.clone(),
                status,
                reasons,
            }
        })
        .collect();
    let statuses: Vec<Truth> = rules.iter().map(|r| r.status).collect();
    let outcome = Outcome::from(Truth::any(&statuses));
    let met_rule = rules
        .iter()
        .find(|r| r.status == Truth::Met)
        .map(|r| r.id.clone());
    let mut unknown_items: Vec<String> = Vec::new();
    if outcome == Outcome::NeedsReview {
        for reason in rules
            .iter()
            .filter(|r| r.status == Truth::Unknown)
            .flat_map(|r| &r.reasons)
            .filter(|r| r.status == Truth::Unknown)
        {
            if !unknown_items.contains(&reason.item) {
                unknown_items.push(reason.item.clone());
            }
        }
    }
    SectionJudgment {
        outcome,
        outcome_ja: outcome.ja(),
        met_rule,
        rules,
        unknown_items,
        note: None,
    }
}
