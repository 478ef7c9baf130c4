//! A disease template as a FHIR Questionnaire, so that EHR form tools can render the sheet:
//! a header group (the canonical header fields, linked by path) and the disease's items
//! (linked by item code, typed, with units, ranges, choices and required-ness). The
//! template's formulas (自動計算) are read-only items marked with the SDC
//! `calculatedExpression` extension (FHIRPath) and the gateway's own `calculated` extension.
//!
//! A Questionnaire's canonical URL is `{base}/Questionnaire/{slug}` on the gateway itself
//! (`base` is its FHIR base, `{public_url}/fhir`), where `GET` answers it; a response names it
//! with the form's version (`url|version`).

use kakehashi_sdk::{
    DiseaseKey, FieldType, Formula, FormulaOp, HeaderField, ItemDef, ItemType, ItemValue,
    SheetKind, Template,
};
use serde_json::{Value, json};

/// Namespace of the gateway's code systems and extensions: names, not addresses to resolve.
const NAMESPACE: &str = "https://example.invalid/kakehashi/fhir";
/// What comes between a FHIR base and a Questionnaire's slug in its canonical URL.
const QUESTIONNAIRE_PATH: &str = "/Questionnaire/";
const SDC_CALCULATED: &str =
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression";

/// What a Questionnaire is for: one disease's sheet, or the common part of a programme's sheet
/// (基本情報・医療機関 and free items), for a disease that has no template yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Disease(DiseaseKey),
    Common(SheetKind),
}

impl Form {
    /// The form of a sheet: its disease's, else its programme's common form.
    pub fn of(kind: SheetKind, group: Option<u8>, number: Option<u16>) -> Self {
        match number {
            Some(number) => Form::Disease(DiseaseKey {
                kind,
                group,
                number,
            }),
            None => Form::Common(kind),
        }
    }

    pub fn kind(self) -> SheetKind {
        match self {
            Form::Disease(key) => key.kind,
            Form::Common(kind) => kind,
        }
    }

    /// `nanbyo-049`, `shoman-07-001`, `nanbyo-common`: the form's name (a template's as its
    /// file is named), the last segment of its canonical URL.
    pub fn slug(self) -> String {
        match self {
            Form::Disease(key) => match key.group {
                Some(g) => format!("{}-{g:02}-{:03}", key.kind.as_str(), key.number),
                None => format!("{}-{:03}", key.kind.as_str(), key.number),
            },
            Form::Common(kind) => format!("{}-common", kind.as_str()),
        }
    }

    /// The form a slug names (`nanbyo-049`, also `nanbyo-49`; `shoman-07-001`;
    /// `shoman-common`).
    pub fn from_slug(slug: &str) -> Option<Self> {
        let mut parts = slug.split('-');
        let kind: SheetKind = parts.next()?.parse().ok()?;
        let rest: Vec<&str> = parts.collect();
        if rest == ["common"] {
            return Some(Form::Common(kind));
        }
        let numbers: Vec<u16> = rest.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
        let key = match (kind, numbers.as_slice()) {
            (SheetKind::Nanbyo, [n]) => DiseaseKey {
                kind,
                group: None,
                number: *n,
            },
            (SheetKind::Shoman, [g, n]) => DiseaseKey {
                kind,
                group: Some(u8::try_from(*g).ok()?),
                number: *n,
            },
            _ => return None,
        };
        Some(Form::Disease(key))
    }
}

/// The canonical URL of a disease's Questionnaire under the gateway's FHIR base `base`
/// (`https://gateway.example/fhir`).
pub fn canonical(key: &DiseaseKey, base: &str) -> String {
    canonical_of(Form::Disease(*key), base)
}

/// The canonical URL of a form's Questionnaire under the gateway's FHIR base `base`.
pub fn canonical_of(form: Form, base: &str) -> String {
    format!("{base}{QUESTIONNAIRE_PATH}{}", form.slug())
}

/// The form a Questionnaire canonical URL names, with the version after `|` when given: any
/// `…/fhir/Questionnaire/{slug}`, whichever gateway (or earlier release, whose URLs were
/// under `https://example.invalid/kakehashi/fhir`) wrote it.
pub fn form_of(url: &str) -> Option<(Form, Option<&str>)> {
    let (url, version) = match url.split_once('|') {
        Some((url, version)) => (url, Some(version)),
        None => (url, None),
    };
    let (_, slug) = url.rsplit_once(&format!("/fhir{QUESTIONNAIRE_PATH}"))?;
    Some((Form::from_slug(slug)?, version))
}

/// The header fields a form carries, in the form's order: 基本情報 and 医療機関 (asked), the
/// disease (its number only on the common form: a disease's form is that disease), and
/// 行政記載欄 — the municipality's own fields, read-only on the form but carried so that
/// nothing on a sheet is lost on the way out and back.
pub fn header_fields(form: Form) -> impl Iterator<Item = HeaderField> {
    HeaderField::ALL.iter().copied().filter(move |f| {
        let disease_number = matches!(f, HeaderField::DiseaseGroup | HeaderField::DiseaseNumber);
        *f != HeaderField::Kind
            && (!disease_number || matches!(form, Form::Common(_)))
            && (form.kind() == SheetKind::Shoman || !f.path().starts_with("child."))
    })
}

/// Whether a header field is the municipality's to fill (read-only on a hospital's form).
pub fn administrative(field: HeaderField) -> bool {
    field.path().starts_with("administrative.")
}

/// The Questionnaire item type of a header field.
pub fn header_type(field: HeaderField) -> &'static str {
    if field == HeaderField::CriteriaMet {
        return "boolean";
    }
    if header_options(field).is_some() {
        return "choice";
    }
    match field.field_type() {
        FieldType::Integer => "integer",
        FieldType::Decimal => "decimal",
        FieldType::Date | FieldType::YearMonth => "date",
        _ => "string",
    }
}

/// A coded header field's code system and answer options (code, Japanese display).
fn header_options(field: HeaderField) -> Option<(String, &'static [(&'static str, &'static str)])> {
    Some(match (field, field.field_type()) {
        (_, FieldType::Sex) => (
            "http://hl7.org/fhir/administrative-gender".into(),
            &[("male", "男"), ("female", "女")],
        ),
        (_, FieldType::Presence) => (
            format!("{NAMESPACE}/CodeSystem/presence"),
            &[("present", "あり"), ("absent", "なし"), ("unknown", "不明")],
        ),
        (HeaderField::CurrentAssessment, _) => (
            format!("{NAMESPACE}/CodeSystem/current-assessment"),
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
    })
}

/// The code system of a coded header field's answers.
pub fn header_system(field: HeaderField) -> Option<String> {
    header_options(field).map(|(system, _)| system)
}

/// The code system of a template item's answer options.
pub fn item_answer_system() -> String {
    format!("{NAMESPACE}/CodeSystem/item-answer")
}

/// The Questionnaire item type of a template item.
pub fn item_type(def: &ItemDef) -> &'static str {
    match (def.item_type, def.allowed.is_empty()) {
        (_, false) | (ItemType::Code, _) => "choice",
        (ItemType::Integer, true) => "integer",
        (ItemType::Decimal, true) => "decimal",
        (ItemType::Boolean, true) => "boolean",
        (ItemType::Date, true) => "date",
        (ItemType::Text, true) => "string",
    }
}

/// The Questionnaire item type of a formula's result.
pub fn formula_type(formula: &Formula) -> &'static str {
    if formula.op == FormulaOp::Count {
        "integer"
    } else {
        "decimal"
    }
}

fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({ "system": system, "code": code, "display": display })
}

fn header_item(field: HeaderField) -> Value {
    // The form's own words (the SDK's table of header fields); the path links the answer.
    let mut item =
        json!({ "linkId": field.path(), "text": field.label_ja(), "type": header_type(field) });
    if let Some((system, options)) = header_options(field) {
        item["answerOption"] = options
            .iter()
            .map(|(code, display)| json!({ "valueCoding": coding(&system, code, display) }))
            .collect();
    }
    if administrative(field) {
        item["readOnly"] = json!(true);
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
    let mut item = json!({
        "linkId": def.code, "text": def.label, "type": item_type(def), "required": def.required
    });
    let system = item_answer_system();
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

/// FHIRPath of one input's answer: its value, or, for a choice (a Coding), the value its code
/// stands for (`numeric` for arithmetic and comparison with numbers).
fn term(code: &str, template: &Template, numeric: bool) -> String {
    let answer = format!("%resource.repeat(item).where(linkId = '{code}').answer.value");
    let def = template.items.iter().find(|d| d.code == code);
    let choice = def.is_some_and(|d| item_type(d) == "choice");
    let yes_no = def.is_some_and(|d| d.item_type == ItemType::Boolean && d.allowed.is_empty());
    match (choice, yes_no, numeric) {
        (true, _, true) => format!("{answer}.code.toDecimal()"),
        (true, _, false) => format!("{answer}.code"),
        // A yes counts 1 and a no 0 in arithmetic, as the checks count them.
        (false, true, true) => format!("iif({answer}.exists(), iif({answer}, 1, 0))"),
        _ => answer,
    }
}

/// `e` rounded to `decimals` places (1 when unsaid), half away from zero as the checks round,
/// with `div` (normative) rather than `round()` (not).
fn rounded(e: &str, decimals: Option<u8>) -> String {
    let scale = 10u64.pow(u32::from(decimals.unwrap_or(1)));
    format!(
        "iif({e} >= 0, ((({e}) * {scale}) + 0.5) div 1, ((({e}) * {scale}) - 0.5) div 1) / {scale}"
    )
}

/// `a and b and …`, or `true` for none.
fn all_of(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.collect();
    if parts.is_empty() {
        "true".into()
    } else {
        parts.join(" and ")
    }
}

/// A FHIRPath literal of a comparison value.
fn literal(value: &ItemValue) -> String {
    match value {
        ItemValue::Text(t) => format!("'{}'", t.replace('\\', "\\\\").replace('\'', "\\'")),
        other => other.to_string(),
    }
}

/// FHIRPath of a formula over the answers of its inputs, as the gateway computes it
/// (`crates/core/src/checks/formulas.rs`), in normative FHIRPath only (no `sum()`, `avg()`,
/// `round()`, `aggregate()`): (weighted) sums as additions with their constant, means as a sum
/// divided by the count, ratios as a division, rounded half away from zero with `div`, minima
/// and maxima by comparison; a yes counts 1. Without `allow_partial` the result is empty
/// until every input is answered, as the gateway leaves the total out; min and max with
/// `allow_partial` have no expression (the `calculated` extension still says what they are).
fn expression(formula: &Formula, template: &Template) -> Option<String> {
    let numeric = formula.op != FormulaOp::Count
        || formula
            .condition
            .as_ref()
            .is_some_and(|c| matches!(c.value, ItemValue::Integer(_) | ItemValue::Decimal(_)));
    let terms: Vec<String> = formula
        .of
        .iter()
        .map(|code| term(code, template, numeric))
        .collect();
    let answered = all_of(terms.iter().map(|t| format!("{t}.exists()")));
    let guarded = |e: String| {
        if formula.allow_partial {
            e
        } else {
            format!("iif({answered}, {e})")
        }
    };
    let present = |t: &String| format!("iif({t}.exists(), {t}, 0)");
    let sum = |partial: bool, weighted: bool| {
        let mut parts: Vec<String> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let t = if partial { present(t) } else { t.clone() };
                match formula.weights.get(i) {
                    Some(w) if weighted => format!("({t} * {w})"),
                    _ => t,
                }
            })
            .collect();
        if let Some(c) = formula.constant.filter(|_| weighted) {
            parts.push(format!("({c})"));
        }
        format!("({})", parts.join(" + "))
    };
    let combined = terms
        .iter()
        .skip(1)
        .fold(format!("({})", terms.first()?), |acc, t| {
            format!("{acc}.combine({t})")
        });
    Some(match formula.op {
        FormulaOp::Sum => {
            let total = sum(formula.allow_partial, true);
            guarded(match formula.decimals {
                Some(_) => rounded(&total, formula.decimals),
                None => total,
            })
        }
        FormulaOp::Mean => {
            let count = if formula.allow_partial {
                format!("{combined}.count()")
            } else {
                terms.len().to_string()
            };
            let mean = format!("({} / {count})", sum(formula.allow_partial, false));
            guarded(rounded(&mean, formula.decimals))
        }
        FormulaOp::Ratio => {
            let [numerator, denominator] = terms.as_slice() else {
                return None;
            };
            // No ratio of a zero denominator, as the checks leave it out.
            guarded(format!(
                "iif({denominator} != 0, {})",
                rounded(&format!("({numerator} / {denominator})"), formula.decimals)
            ))
        }
        FormulaOp::Min | FormulaOp::Max if formula.allow_partial => return None,
        FormulaOp::Min | FormulaOp::Max => {
            let cmp = if formula.op == FormulaOp::Min {
                "<="
            } else {
                ">="
            };
            // The first input that is at least (at most) every other one.
            let mut chosen = terms.last()?.clone();
            for (i, t) in terms.iter().enumerate().rev().skip(1) {
                let beats = all_of(
                    terms
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, other)| format!("{t} {cmp} {other}")),
                );
                chosen = format!("iif({beats}, {t}, {chosen})");
            }
            guarded(chosen)
        }
        FormulaOp::Count => {
            let condition = formula.condition.as_ref()?;
            let op = serde_json::to_value(condition.op).ok();
            let op = op.as_ref().and_then(Value::as_str).unwrap_or("==");
            let op = if op == "==" { "=" } else { op };
            guarded(format!(
                "{combined}.where($this {op} {}).count()",
                literal(&condition.value)
            ))
        }
    })
}

fn formula_item(formula: &Formula, template: &Template) -> Value {
    let op = serde_json::to_value(formula.op).ok();
    let op = op.as_ref().and_then(Value::as_str).unwrap_or("sum");
    let mut extensions: Vec<Value> = expression(formula, template)
        .map(|expression| {
            json!({
                "url": SDC_CALCULATED,
                "valueExpression": { "language": "text/fhirpath", "expression": expression }
            })
        })
        .into_iter()
        .collect();
    extensions.push(json!({
        "url": format!("{NAMESPACE}/StructureDefinition/calculated"),
        "valueString": format!("{op}({})", formula.of.join(", "))
    }));
    json!({
        "linkId": formula.code,
        "text": formula.label,
        "type": formula_type(formula),
        "readOnly": true,
        "extension": extensions
    })
}

/// The form's title: the template's disease name, or the programme's common part.
fn title(form: Form, template: Option<&Template>) -> String {
    match (form, template) {
        (_, Some(t)) => t.name.clone(),
        (Form::Common(SheetKind::Nanbyo), None) | (Form::Disease(_), None) => {
            "臨床調査個人票（共通項目）".into()
        }
        (Form::Common(SheetKind::Shoman), None) => "医療意見書（共通項目）".into(),
    }
}

/// A form's version: the template's form version; the common forms follow the canonical
/// sheet's schema.
pub fn version(template: Option<&Template>) -> String {
    template.map_or_else(
        || kakehashi_sdk::SCHEMA_VERSION.to_owned(),
        |t| t.form_version.clone(),
    )
}

/// The template as a Questionnaire resource, its canonical URL under the FHIR base `base`.
pub fn questionnaire(template: &Template, base: &str) -> Value {
    form_questionnaire(Form::Disease(template.key()), Some(template), base)
}

/// A form as a Questionnaire resource: a disease's (with its template) or a programme's common
/// form (without), its canonical URL under the FHIR base `base`.
pub fn form_questionnaire(form: Form, template: Option<&Template>, base: &str) -> Value {
    let slug = form.slug();
    let title = title(form, template);
    let mut items: Vec<Value> = Vec::new();
    if let Some(template) = template {
        items.extend(template.items.iter().map(template_item));
        items.extend(template.formulas.iter().map(|f| formula_item(f, template)));
    }
    let (asked, administrative): (Vec<HeaderField>, Vec<HeaderField>) =
        header_fields(form).partition(|f| !administrative(*f));
    let mut groups = vec![json!({
        "linkId": "header",
        "text": "基本情報・医療機関",
        "type": "group",
        "item": asked.into_iter().map(header_item).collect::<Vec<_>>()
    })];
    groups.push(json!({
        "linkId": "administrative",
        "text": "行政記載欄",
        "type": "group",
        "readOnly": true,
        "item": administrative.into_iter().map(header_item).collect::<Vec<_>>()
    }));
    if !items.is_empty() {
        groups.push(
            json!({ "linkId": "items", "text": "疾病別項目", "type": "group", "item": items }),
        );
    }
    json!({
        "resourceType": "Questionnaire",
        "id": slug,
        "url": canonical_of(form, base),
        "version": version(template),
        "name": slug.replace('-', "_"),
        "title": title,
        "status": "active",
        "subjectType": ["Patient"],
        "code": [coding(&format!("{NAMESPACE}/CodeSystem/disease"), &slug, &title)],
        "item": groups
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://gateway.example:8443/fhir";

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
            assert_eq!(
                form_of(&canonical(&key, BASE)),
                Some((Form::Disease(key), None))
            );
            assert_eq!(
                Form::from_slug(&Form::Disease(key).slug()),
                Some(Form::Disease(key))
            );
        }
        let t1d = DiseaseKey {
            kind: SheetKind::Shoman,
            group: Some(7),
            number: 1,
        };
        assert_eq!(Form::Disease(t1d).slug(), "shoman-07-001");
        assert_eq!(
            canonical(&t1d, BASE),
            "https://gateway.example:8443/fhir/Questionnaire/shoman-07-001"
        );
        let common = canonical_of(Form::Common(SheetKind::Shoman), BASE);
        assert_eq!(
            form_of(&format!("{common}|1.0")),
            Some((Form::Common(SheetKind::Shoman), Some("1.0")))
        );
        assert_eq!(form_of(&format!("{BASE}/Questionnaire/nanbyo-x")), None);
        assert_eq!(form_of(&format!("{BASE}/Questionnaire/nanbyo-049/x")), None);
        assert_eq!(
            form_of("http://other.example/Questionnaire/nanbyo-049"),
            None
        );
    }

    #[test]
    fn any_gateways_and_the_earlier_placeholder_urls_still_name_their_form() {
        let als = Form::Disease(DiseaseKey {
            kind: SheetKind::Nanbyo,
            group: None,
            number: 2,
        });
        for url in [
            "https://example.invalid/kakehashi/fhir/Questionnaire/nanbyo-002",
            "https://example.invalid/kakehashi/fhir/Questionnaire/nanbyo-002|2024-04",
            "http://127.0.0.1:8443/fhir/Questionnaire/nanbyo-002",
            "https://other-gateway.example/prefecture/fhir/Questionnaire/nanbyo-2|x",
        ] {
            assert_eq!(form_of(url).map(|(form, _)| form), Some(als), "{url}");
        }
    }
}
