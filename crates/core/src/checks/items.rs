//! Disease items against the disease's template: each value read as the template types it,
//! within range, one of the allowed values; required items present; codes the template does
//! not know reported. A disease without a detailed template keeps its items as given.

use kakehashi_sdk::{Finding, ItemDef, ItemType, ItemValue, Sheet, Template, parse};

/// Reads an item's value as its declared type. Values that are already typed pass through.
fn coerce(def: &ItemDef, value: &ItemValue) -> Result<ItemValue, String> {
    let text = match value {
        ItemValue::Text(t) => parse::to_halfwidth(t.trim()),
        other => other.to_string(),
    };
    match def.item_type {
        ItemType::Integer => text
            .parse::<i64>()
            .map(ItemValue::Integer)
            .map_err(|_| format!("`{text}` is not a whole number")),
        ItemType::Decimal => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(ItemValue::Decimal)
            .ok_or_else(|| format!("`{text}` is not a number")),
        ItemType::Boolean => parse::parse_bool(&text).map(ItemValue::Boolean),
        ItemType::Date => parse::parse_date(&text).map(|d| ItemValue::Text(d.to_string())),
        ItemType::Text | ItemType::Code => Ok(ItemValue::Text(text)),
    }
}

fn check_value(def: &ItemDef, value: &ItemValue, findings: &mut Vec<Finding>) {
    let code = def.code.as_str();
    if let Some(v) = value.as_f64() {
        let below = def.min.is_some_and(|min| v < min);
        let above = def.max.is_some_and(|max| v > max);
        if below || above {
            let range = format!(
                "{}–{}",
                def.min.map_or("".into(), |m| m.to_string()),
                def.max.map_or("".into(), |m| m.to_string())
            );
            findings.push(Finding::error(
                "item.out_of_range",
                Some(code),
                format!("{code} ({}) = {v} is outside {range}", def.label),
                format!("{}（{code}）の値 {v} が範囲 {range} の外です", def.label),
            ));
            return;
        }
    }
    if !def.allowed.is_empty()
        && !def
            .allowed
            .iter()
            .any(|a| kakehashi_sdk::CompareOp::Eq.holds(&a.value, value))
    {
        let choices: Vec<String> = def
            .allowed
            .iter()
            .map(|a| format!("{} ({})", a.value, a.label))
            .collect();
        findings.push(Finding::error(
            "item.not_allowed",
            Some(code),
            format!(
                "{code} ({}) = {value} is not one of: {}",
                def.label,
                choices.join(", ")
            ),
            format!(
                "{}（{code}）の値 {value} は選択肢にありません: {}",
                def.label,
                choices.join("、")
            ),
        ));
    }
}

/// `notified` is the 告示病名 of the sheet's number, when it is on the list: the name findings
/// use, whatever name the source wrote.
pub(super) fn check(
    sheet: &mut Sheet,
    template: Option<&Template>,
    notified: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let Some(template) = template else {
        // Only for a notified disease: an unknown number already has its own error.
        if let (Some(number), Some(name)) = (sheet.disease.number, notified) {
            let key = kakehashi_sdk::DiseaseKey {
                kind: sheet.kind,
                group: sheet.disease.group,
                number,
            };
            findings.push(Finding::warning(
                "template.missing",
                None,
                format!(
                    "no detailed template exists yet for {key} {name}: the header was checked; its {} disease items are kept as given, unchecked",
                    sheet.items.len()
                ),
                format!(
                    "{key} {name} の疾病別テンプレートはまだありません。基本情報のみ確認し、疾病別項目（{} 件）は確認せずそのまま保持します",
                    sheet.items.len()
                ),
            ));
        }
        return;
    };
    let formula_codes: Vec<&str> = template.formulas.iter().map(|f| f.code.as_str()).collect();
    for (code, item) in sheet.items.iter_mut() {
        if let Some(def) = template.item(code) {
            match coerce(def, &item.value) {
                Ok(value) => {
                    check_value(def, &value, findings);
                    item.keep_as_written(&value);
                    item.value = value;
                }
                Err(reason) => findings.push(Finding::error(
                    "item.type",
                    Some(code),
                    format!(
                        "{code} ({}): {reason}, expected {}",
                        def.label,
                        format!("{:?}", def.item_type).to_lowercase()
                    ),
                    format!("{}（{code}）の値を読めません: {reason}", def.label),
                )),
            }
        } else if !formula_codes.contains(&code.as_str()) {
            findings.push(Finding::warning(
                "item.unknown",
                Some(code),
                format!(
                    "the template for {} has no item `{code}`; it is kept but not checked",
                    template.name
                ),
                format!(
                    "{}のテンプレートに項目 `{code}` はありません。保持しますが確認していません",
                    template.name
                ),
            ));
        }
    }
    for def in template.items.iter().filter(|d| d.required) {
        if !sheet.items.contains_key(&def.code) {
            findings.push(Finding::error(
                "item.required",
                Some(&def.code),
                format!(
                    "{} ({}) is required for {}",
                    def.code, def.label, template.name
                ),
                format!("{}（{}）は必須項目です", def.label, def.code),
            ));
        }
    }
    if let Some(category) = &sheet.clinical.diagnostic_category
        && !template.diagnostic_categories.is_empty()
        && !template.diagnostic_categories.contains(category)
    {
        findings.push(Finding::warning(
            "header.diagnostic_category",
            Some("clinical.diagnostic_category"),
            format!(
                "`{category}` is not a diagnostic category of {} ({})",
                template.name,
                template.diagnostic_categories.join(", ")
            ),
            format!(
                "「{category}」は{}の診断カテゴリーにありません（{}）",
                template.name,
                template.diagnostic_categories.join("、")
            ),
        ));
    }
}
