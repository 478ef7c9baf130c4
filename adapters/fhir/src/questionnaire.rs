//! A disease template as a FHIR Questionnaire, so that EHR form tools can render the sheet:
//! a header group (the canonical header fields, linked by path) and the disease's items
//! (linked by item code, typed, with units, ranges, choices and required-ness). The
//! template's formulas (自動計算) are read-only items marked with the SDC
//! `calculatedExpression` extension (FHIRPath) and the gateway's own `calculated` extension.

use kakehashi_sdk::{
    DiseaseKey, FieldType, Formula, FormulaOp, HeaderField, ItemDef, ItemType, ItemValue,
    SheetKind, Template,
};
use serde_json::{Value, json};

/// Base of the gateway's canonical URLs.
pub const BASE: &str = "https://example.invalid/kakehashi/fhir";
const SDC_CALCULATED: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression";

/// `nanbyo-049`, `shoman-07-001`: the template's name, as its file is named.
pub fn slug(key: &DiseaseKey) -> String {
    match key.group {
        Some(g) => format!("{}-{g:02}-{:03}", key.kind.as_str(), key.number),
        None => format!("{}-{:03}", key.kind.as_str(), key.number),
    }
}

/// The canonical URL of a disease's Questionnaire.
pub fn canonical(key: &DiseaseKey) -> String {
    format!("{BASE}/Questionnaire/{}", slug(key))
}

/// The disease a Questionnaire canonical URL names.
pub fn key_of(url: &str) -> Option<DiseaseKey> {
    let slug = url.strip_prefix(BASE)?.strip_prefix("/Questionnaire/")?;
    let mut parts = slug.split('-');
    let kind: SheetKind = parts.next()?.parse().ok()?;
    let numbers: Vec<u16> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match (kind, numbers.as_slice()) {
        (SheetKind::Nanbyo, [n]) => Some(DiseaseKey {
            kind,
            group: None,
            number: *n,
        }),
        (SheetKind::Shoman, [g, n]) => Some(DiseaseKey {
            kind,
            group: Some(u8::try_from(*g).ok()?),
            number: *n,
        }),
        _ => None,
    }
}

/// 基本情報 and 医療機関 questions: the header fields a form asks (not the disease, which the
/// Questionnaire itself names, and not the municipality's own fields), in the form's order.
pub fn header_fields(kind: SheetKind) -> impl Iterator<Item = HeaderField> {
    HeaderField::ALL.iter().copied().filter(move |f| {
        let path = f.path();
        !matches!(
            f,
            HeaderField::Kind
                | HeaderField::DiseaseGroup
                | HeaderField::DiseaseNumber
                | HeaderField::DiseaseName
                | HeaderField::DiseaseCode
                | HeaderField::DiseaseMajorClass
                | HeaderField::DiseaseMinorClass
                | HeaderField::PayerNumber
                | HeaderField::RecipientNumber
                | HeaderField::Certification
                | HeaderField::MonthlyMedicalCosts
        ) && (kind == SheetKind::Shoman || !path.starts_with("child."))
    })
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

/// The 医療意見書's fixed choices, as codings of the gateway's code systems.
fn header_choices(field: HeaderField) -> Option<Vec<Value>> {
    let (system, options): (&str, &[(&str, &str)]) = match field {
        HeaderField::CurrentAssessment => (
            "current-assessment",
            &[
                ("cured", "治癒"),
                ("remission", "寛解"),
                ("improved", "改善"),
                ("unchanged", "不変"),
                ("relapsed", "再発"),
                ("worsened", "悪化"),
                ("died", "死亡"),
                ("undeterminable", "判定不能"),
            ],
        ),
        _ => return None,
    };
    let system = format!("{BASE}/CodeSystem/{system}");
    Some(
        options
            .iter()
            .map(|(code, display)| coding(&system, code, display))
            .collect(),
    )
}

fn header_item(field: HeaderField) -> Value {
    let path = field.path();
    let (kind, options) = match field.field_type() {
        _ if field == HeaderField::CriteriaMet => ("boolean", None),
        _ if header_choices(field).is_some() => ("choice", header_choices(field)),
        FieldType::Integer => ("integer", None),
        FieldType::Decimal => ("decimal", None),
        FieldType::Date => ("date", None),
        FieldType::Sex => (
            "choice",
            Some(vec![
                coding("http://hl7.org/fhir/administrative-gender", "male", "男"),
                coding("http://hl7.org/fhir/administrative-gender", "female", "女"),
            ]),
        ),
        FieldType::Presence => {
            let system = format!("{BASE}/CodeSystem/presence");
            (
                "choice",
                Some(vec![
                    coding(&system, "present", "あり"),
                    coding(&system, "absent", "なし"),
                    coding(&system, "unknown", "不明"),
                ]),
            )
        }
        _ => ("string", None),
    };
    let mut item = json!({ "linkId": path, "text": path, "type": kind });
    if let Some(options) = options {
        item["answerOption"] = options
            .into_iter()
            .map(|c| json!({ "valueCoding": c }))
            .collect();
    }
    item
}

fn bound(url: &str, value: f64, decimal: bool) -> Value {
    if decimal {
        json!({ "url": url, "valueDecimal": value })
    } else {
        json!({ "url": url, "valueInteger": value as i64 })
    }
}

fn template_item(def: &ItemDef) -> Value {
    let kind = match (def.item_type, def.allowed.is_empty()) {
        (_, false) | (ItemType::Code, _) => "choice",
        (ItemType::Integer, true) => "integer",
        (ItemType::Decimal, true) => "decimal",
        (ItemType::Boolean, true) => "boolean",
        (ItemType::Date, true) => "date",
        (ItemType::Text, true) => "string",
    };
    let mut item =
        json!({ "linkId": def.code, "text": def.label, "type": kind, "required": def.required });
    let system = format!("{BASE}/CodeSystem/item-answer");
    if !def.allowed.is_empty() {
        item["answerOption"] = def
            .allowed
            .iter()
            .map(|a| json!({ "valueCoding": coding(&system, &a.value.to_string(), &a.label) }))
            .collect();
    }
    let decimal = def.item_type == ItemType::Decimal;
    let mut extensions = Vec::new();
    if let Some(min) = def.min {
        extensions.push(bound(
            "http://hl7.org/fhir/StructureDefinition/minValue",
            min,
            decimal,
        ));
    }
    if let Some(max) = def.max {
        extensions.push(bound(
            "http://hl7.org/fhir/StructureDefinition/maxValue",
            max,
            decimal,
        ));
    }
    if let Some(unit) = &def.unit {
        extensions.push(json!({
            "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
            "valueCoding": { "system": "http://unitsofmeasure.org", "code": unit, "display": unit }
        }));
    }
    if !extensions.is_empty() {
        item["extension"] = Value::Array(extensions);
    }
    if let Some(note) = &def.note {
        item["item"] =
            json!([{ "linkId": format!("{}.note", def.code), "text": note, "type": "display" }]);
    }
    item
}

/// FHIRPath of a formula over the answers of its inputs (`template` says which are yes/no,
/// counted as 1 and 0 in weighted sums).
fn expression(formula: &Formula, template: &Template) -> String {
    let inputs: Vec<String> = formula.of.iter().map(|c| format!("'{c}'")).collect();
    let values = format!(
        "%resource.repeat(item).where(linkId in ({})).answer.value",
        inputs.join(" | ")
    );
    let answer = |code: &str| {
        let value = format!("%resource.repeat(item).where(linkId = '{code}').answer.value");
        match template.item(code).map(|d| d.item_type) {
            Some(ItemType::Boolean) => format!("iif({value}, 1, 0)"),
            _ => value,
        }
    };
    let rounded = |e: String| match formula.decimals {
        Some(d) => format!("{e}.round({d})"),
        None => e,
    };
    match formula.op {
        FormulaOp::Sum if formula.weights.is_empty() && formula.constant.is_none() => {
            format!("{values}.sum()")
        }
        FormulaOp::Sum => {
            let mut terms: Vec<String> = formula
                .of
                .iter()
                .enumerate()
                .map(|(i, code)| {
                    let weight = formula.weights.get(i).copied().unwrap_or(1.0);
                    format!("({} * {weight})", answer(code))
                })
                .collect();
            if let Some(c) = formula.constant {
                terms.push(c.to_string());
            }
            terms.join(" + ")
        }
        FormulaOp::Ratio => rounded(format!(
            "({} / {})",
            answer(&formula.of[0]),
            answer(formula.of.get(1).map_or("", String::as_str))
        )),
        FormulaOp::Mean => rounded(format!("{values}.avg()")),
        FormulaOp::Min => format!("{values}.min()"),
        FormulaOp::Max => format!("{values}.max()"),
        FormulaOp::Count => {
            let (op, value) = formula
                .condition
                .as_ref()
                .map(|c| (serde_json::to_value(c.op).ok(), c.value.clone()))
                .unwrap_or((None, ItemValue::Boolean(true)));
            let op = op.as_ref().and_then(Value::as_str).unwrap_or("==");
            let op = if op == "==" { "=" } else { op };
            let value = match value {
                ItemValue::Text(t) => format!("'{t}'"),
                other => other.to_string(),
            };
            format!("{values}.where($this {op} {value}).count()")
        }
    }
}

fn formula_item(formula: &Formula, template: &Template) -> Value {
    json!({
        "linkId": formula.code,
        "text": formula.label,
        "type": if formula.op == FormulaOp::Count { "integer" } else { "decimal" },
        "readOnly": true,
        "extension": [
            {
                "url": SDC_CALCULATED,
                "valueExpression": { "language": "text/fhirpath", "expression": expression(formula, template) }
            },
            {
                "url": format!("{BASE}/StructureDefinition/calculated"),
                "valueString": formula.describe()
            }
        ]
    })
}

/// The template as a Questionnaire resource.
pub fn questionnaire(template: &Template) -> Value {
    let key = template.key();
    let slug = slug(&key);
    let mut items: Vec<Value> = template.items.iter().map(template_item).collect();
    items.extend(template.formulas.iter().map(|f| formula_item(f, template)));
    json!({
        "resourceType": "Questionnaire",
        "id": slug,
        "url": canonical(&key),
        "version": template.form_version,
        "name": slug.replace('-', "_"),
        "title": template.name,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [coding(&format!("{BASE}/CodeSystem/disease"), &slug, &template.name)],
        "item": [
            {
                "linkId": "header",
                "text": "基本情報・医療機関",
                "type": "group",
                "item": header_fields(key.kind).map(header_item).collect::<Vec<_>>()
            },
            { "linkId": "items", "text": "疾病別項目", "type": "group", "item": items }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_urls_name_the_disease_both_ways() {
        for key in [
            DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number: 49,
            },
            DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(7),
                number: 1,
            },
        ] {
            assert_eq!(key_of(&canonical(&key)), Some(key));
        }
        assert_eq!(
            slug(&DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(7),
                number: 1
            }),
            "shoman-07-001"
        );
        assert_eq!(
            key_of("http://other.example/Questionnaire/nanbyo-049"),
            None
        );
        assert_eq!(key_of(&format!("{BASE}/Questionnaire/nanbyo-x")), None);
    }
}
