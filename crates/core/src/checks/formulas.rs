//! 自動計算: the template's formulas (weighted sums, means, counts, ratios) computed from the sheet's items, in
//! template order so a formula may use an earlier one. A total the source already carried is
//! compared with the computed one and replaced, with a warning when they differ. A formula whose
//! missing inputs the source does not carry at all (`Provenance::absent`) is left out quietly.

use kakehashi_sdk::{Finding, Formula, FormulaOp, Item, ItemValue, Sheet, Template};

/// An item as the checks leave a value they computed.
fn computed(value: ItemValue, formula: String) -> Item {
    Item {
        computed_by: Some(formula),
        ..Item::read(value, None)
    }
}

/// A value as a number for the numeric operations: yes/no counts as 1 or 0.
fn number_of(value: &ItemValue) -> Option<f64> {
    match value {
        ItemValue::Boolean(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

fn round_to(x: f64, decimals: Option<u8>) -> f64 {
    let scale = 10f64.powi(i32::from(decimals.unwrap_or(1)));
    (x * scale).round() / scale
}

/// The formula's value, or the inputs it lacks.
fn evaluate(formula: &Formula, sheet: &Sheet) -> Result<Option<ItemValue>, Vec<String>> {
    let mut values = Vec::with_capacity(formula.of.len());
    let mut weights = Vec::with_capacity(formula.of.len());
    let mut missing = Vec::new();
    for (i, code) in formula.of.iter().enumerate() {
        match sheet.items.get(code).map(|i| &i.value) {
            Some(v) if formula.op == FormulaOp::Count || number_of(v).is_some() => {
                values.push(v);
                weights.push(formula.weights.get(i).copied().unwrap_or(1.0));
            }
            _ => missing.push(code.clone()),
        }
    }
    if !missing.is_empty() && (!formula.allow_partial || values.is_empty()) {
        return Err(missing);
    }
    let numbers: Vec<f64> = values.iter().filter_map(|v| number_of(v)).collect();
    let whole = |x: f64| x.fract() == 0.0;
    let all_whole = values
        .iter()
        .all(|v| matches!(v, ItemValue::Integer(_) | ItemValue::Boolean(_)))
        && weights.iter().all(|w| whole(*w))
        && formula.constant.is_none_or(whole);
    let number = |x: f64| {
        if all_whole && whole(x) {
            ItemValue::Integer(x as i64)
        } else {
            ItemValue::Decimal(x)
        }
    };
    Ok(Some(match formula.op {
        FormulaOp::Sum => {
            let sum: f64 = numbers.iter().zip(&weights).map(|(x, w)| x * w).sum();
            let sum = sum + formula.constant.unwrap_or(0.0);
            number(match formula.decimals {
                Some(_) => round_to(sum, formula.decimals),
                None => sum,
            })
        }
        FormulaOp::Min => number(numbers.iter().copied().fold(f64::INFINITY, f64::min)),
        FormulaOp::Max => number(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        FormulaOp::Mean => {
            let mean = numbers.iter().sum::<f64>() / numbers.len() as f64;
            ItemValue::Decimal(round_to(mean, formula.decimals))
        }
        FormulaOp::Ratio => match numbers[..] {
            [_, 0.0] => return Ok(None),
            [numerator, denominator] => {
                ItemValue::Decimal(round_to(numerator / denominator, formula.decimals))
            }
            _ => return Ok(None),
        },
        FormulaOp::Count => {
            let Some(condition) = &formula.condition else {
                return Ok(None);
            };
            let n = values
                .iter()
                .filter(|v| condition.op.holds(v, &condition.value))
                .count();
            ItemValue::Integer(n as i64)
        }
    }))
}

pub(super) fn compute(sheet: &mut Sheet, template: &Template, findings: &mut Vec<Finding>) {
    // What the source cannot carry, and the formulas left out for lack of it.
    let mut absent = sheet.provenance.absent.clone();
    for formula in &template.formulas {
        let code = formula.code.as_str();
        match evaluate(formula, sheet) {
            Ok(Some(value)) => {
                if let Some(given) = sheet.items.get(code)
                    && !kakehashi_sdk::CompareOp::Eq.holds(&given.value, &value)
                {
                    findings.push(Finding::warning(
                        "formula.mismatch",
                        Some(code),
                        format!("{} ({code}) was given as {}, but the items add up to {value}; the computed value is used", formula.label, given.value),
                        format!("{}（{code}）の記入値 {} は計算値 {value} と異なります。計算値を採用します", formula.label, given.value),
                    ));
                }
                sheet
                    .items
                    .insert(code.to_owned(), computed(value, formula.describe()));
            }
            Ok(None) => {}
            // The source cannot carry these inputs (the mapping says so): nothing to report
            // on every record of it.
            Err(missing) if missing.iter().all(|m| absent.contains(m)) => {
                absent.insert(code.to_owned());
            }
            Err(missing) => findings.push(Finding::warning(
                "formula.incomplete",
                Some(code),
                format!(
                    "{} ({code}) cannot be computed: {} missing or not numeric",
                    formula.label,
                    missing.join(", ")
                ),
                format!(
                    "{}（{code}）を計算できません。未記入または数値でない項目: {}",
                    formula.label,
                    missing.join("、")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{Provenance, SheetKind, TemplateSet};

    use super::*;

    const TEMPLATE: &str = r#"
kind = "nanbyo"
number = 96
name = "t"
form_version = "t"
sources = ["t"]

[[items]]
code = "stools"
label = "下痢の回数"
type = "integer"

[[items]]
code = "mass"
label = "腹部腫瘤"
type = "boolean"

[[items]]
code = "weight"
label = "体重"
type = "decimal"

[[items]]
code = "standard_weight"
label = "標準体重"
type = "decimal"

[[formulas]]
code = "weight_ratio"
label = "体重比"
op = "ratio"
of = ["weight", "standard_weight"]
decimals = 3

[[formulas]]
code = "score"
label = "スコア"
op = "sum"
of = ["stools", "mass", "weight_ratio"]
weights = [2, 10, -100]
constant = 100
"#;

    fn computed(items: &[(&str, ItemValue)]) -> (Sheet, Vec<Finding>) {
        let mut set = TemplateSet::default();
        set.add("t.toml", TEMPLATE, None).unwrap();
        let template = set.iter().next().unwrap();
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        for (code, value) in items {
            sheet
                .items
                .insert((*code).to_owned(), Item::read(value.clone(), None));
        }
        let mut findings = Vec::new();
        compute(&mut sheet, template, &mut findings);
        (sheet, findings)
    }

    #[test]
    fn weighted_sums_count_yes_as_one_and_add_the_constant() {
        let (sheet, findings) = computed(&[
            ("stools", ItemValue::Integer(14)),
            ("mass", ItemValue::Boolean(true)),
            ("weight", ItemValue::Decimal(54.0)),
            ("standard_weight", ItemValue::Decimal(60.0)),
        ]);
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(sheet.items["weight_ratio"].value, ItemValue::Decimal(0.9));
        // 2·14 + 10·1 − 100·0.9 + 100 = 48
        assert_eq!(sheet.items["score"].value, ItemValue::Decimal(48.0));
        assert_eq!(
            sheet.items["score"].computed_by.as_deref(),
            Some("sum(2×stools, 10×mass, -100×weight_ratio) + 100")
        );
    }

    #[test]
    fn inputs_the_source_does_not_carry_are_not_reported_on_every_record() {
        let mut set = TemplateSet::default();
        set.add("t.toml", TEMPLATE, None).unwrap();
        let template = set.iter().next().unwrap();
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        sheet.provenance.absent = ["stools", "mass", "weight", "standard_weight"]
            .map(String::from)
            .into();
        let mut findings = Vec::new();
        compute(&mut sheet, template, &mut findings);
        // weight_ratio lacks absent inputs only, and score lacks them and weight_ratio.
        assert!(findings.is_empty(), "{findings:?}");
        // Without the declaration both are reported.
        sheet.provenance.absent.clear();
        let mut findings = Vec::new();
        compute(&mut sheet, template, &mut findings);
        let reported: Vec<_> = findings.iter().map(|f| f.item.as_deref()).collect();
        assert_eq!(reported, [Some("weight_ratio"), Some("score")]);
    }

    #[test]
    fn a_ratio_over_zero_is_left_out_and_missing_inputs_are_named() {
        let (sheet, findings) = computed(&[
            ("weight", ItemValue::Decimal(54.0)),
            ("standard_weight", ItemValue::Decimal(0.0)),
        ]);
        assert!(!sheet.items.contains_key("weight_ratio"));
        let incomplete: Vec<_> = findings.iter().map(|f| f.item.as_deref()).collect();
        assert_eq!(incomplete, [Some("score")]);
        assert!(findings[0].message.contains("stools, mass, weight_ratio"));
    }
}
