//! 自動計算: the template's formulas (sums, means, counts) computed from the sheet's items, in
//! template order so a formula may use an earlier one. A total the source already carried is
//! compared with the computed one and replaced, with a warning when they differ.

use kakehashi_sdk::{Finding, Formula, FormulaOp, Item, ItemValue, Sheet, Template};

fn describe(formula: &Formula) -> String {
    let op = match formula.op {
        FormulaOp::Sum => "sum",
        FormulaOp::Mean => "mean",
        FormulaOp::Count => "count",
        FormulaOp::Min => "min",
        FormulaOp::Max => "max",
    };
    format!("{op}({})", formula.of.join(", "))
}

/// An item as the checks leave a value they computed.
fn computed(value: ItemValue, formula: String) -> Item {
    Item {
        computed_by: Some(formula),
        ..Item::read(value, None)
    }
}

/// The formula's value, or the inputs it lacks.
fn evaluate(formula: &Formula, sheet: &Sheet) -> Result<Option<ItemValue>, Vec<String>> {
    let mut values = Vec::with_capacity(formula.of.len());
    let mut missing = Vec::new();
    for code in &formula.of {
        match sheet.items.get(code).map(|i| &i.value) {
            Some(v) if formula.op == FormulaOp::Count || v.as_f64().is_some() => values.push(v),
            _ => missing.push(code.clone()),
        }
    }
    if !missing.is_empty() && (!formula.allow_partial || values.is_empty()) {
        return Err(missing);
    }
    let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    let all_integers = values.iter().all(|v| matches!(v, ItemValue::Integer(_)));
    let number = |x: f64| {
        if all_integers && x.fract() == 0.0 {
            ItemValue::Integer(x as i64)
        } else {
            ItemValue::Decimal(x)
        }
    };
    Ok(Some(match formula.op {
        FormulaOp::Sum => number(numbers.iter().sum()),
        FormulaOp::Min => number(numbers.iter().copied().fold(f64::INFINITY, f64::min)),
        FormulaOp::Max => number(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        FormulaOp::Mean => {
            let mean = numbers.iter().sum::<f64>() / numbers.len() as f64;
            let scale = 10f64.powi(i32::from(formula.decimals.unwrap_or(1)));
            ItemValue::Decimal((mean * scale).round() / scale)
        }
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
                    .insert(code.to_owned(), computed(value, describe(formula)));
            }
            Ok(None) => {}
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
