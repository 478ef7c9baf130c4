//! A canonical sheet back out as FHIR: a collection Bundle of the Patient (kanji and kana
//! names with their ISO 21090 representation, sex, date of birth, address), a
//! QuestionnaireResponse answering the sheet's form — the disease's Questionnaire, or the
//! programme's common one when the sheet names no disease — and the treatments as
//! MedicationRequest and Procedure. Every header field and item is answered with the type its
//! Questionnaire item declares (a choice as a Coding of the item's answer options, a decimal
//! exactly as the source wrote it), so that form tools accept the response and the gateway
//! reads back the same sheet.

use kakehashi_sdk::{
    FieldType, HeaderField, Item, ItemDef, ItemValue, Sex, Sheet, Template, Treatment,
    TreatmentKind,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::json;
use crate::questionnaire::{self, Form};
use crate::reader::NAME_REPRESENTATION;

/// Why a sheet could not be written as FHIR (a number that is not JSON).
#[derive(Debug, thiserror::Error)]
#[error("the sheet cannot be written as FHIR: {0}")]
pub struct OutError(#[from] serde_json::Error);

#[derive(Serialize)]
enum Answer {
    #[serde(rename = "valueDecimal")]
    Decimal(Box<RawValue>),
    #[serde(rename = "valueInteger")]
    Integer(Box<RawValue>),
    #[serde(rename = "valueBoolean")]
    Boolean(bool),
    #[serde(rename = "valueString")]
    String(String),
    #[serde(rename = "valueDate")]
    Date(String),
    #[serde(rename = "valueCoding")]
    Coding(Value),
}

#[derive(Serialize)]
struct ResponseItem {
    #[serde(rename = "linkId")]
    link_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    answer: Vec<Answer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    item: Vec<ResponseItem>,
}

fn answered(link_id: &str, answer: Answer) -> ResponseItem {
    ResponseItem {
        link_id: link_id.to_owned(),
        answer: vec![answer],
        item: Vec::new(),
    }
}

fn group(link_id: &str, item: Vec<ResponseItem>) -> Option<ResponseItem> {
    (!item.is_empty()).then(|| ResponseItem {
        link_id: link_id.to_owned(),
        answer: Vec::new(),
        item,
    })
}

/// `text` as a JSON number literal exactly as written, when it is one (`007` and `1,5` are
/// not, and go out as strings rather than changed).
fn number_literal(text: &str) -> Option<Box<RawValue>> {
    match json::parse(text.as_bytes()).ok()?.value {
        json::Value::Number(_) => RawValue::from_string(text.to_owned()).ok(),
        _ => None,
    }
}

/// An answer of Questionnaire item type `kind` for a value written as `text`; a value that is
/// not of that type goes out as a string, as written.
fn typed(kind: &str, text: String, system: Option<String>, display: Option<&str>) -> Answer {
    let as_written = |text: String| Answer::String(text);
    match kind {
        "integer" if text.parse::<i64>().is_ok() => {
            number_literal(&text).map_or_else(|| as_written(text), Answer::Integer)
        }
        "decimal" => {
            number_literal(&text).map_or_else(|| as_written(text.clone()), Answer::Decimal)
        }
        "boolean" => match text.as_str() {
            "true" => Answer::Boolean(true),
            "false" => Answer::Boolean(false),
            _ => as_written(text),
        },
        "date" => Answer::Date(text),
        "choice" => {
            let mut coding = json!({ "code": text });
            if let Some(system) = system {
                coding["system"] = json!(system);
            }
            if let Some(display) = display {
                coding["display"] = json!(display);
            }
            Answer::Coding(coding)
        }
        _ => as_written(text),
    }
}

/// A header field's value as text the field reads back, from the sheet's JSON. Drugs and
/// procedures go out as resources of their own (with their codes and dates), so their list
/// fields are not answered; 補充療法 and 食事療法 are lists of names.
fn header_text(field: HeaderField, sheet: &Sheet, json: &Value) -> Option<String> {
    match field.treatment_kind() {
        Some(TreatmentKind::Medication | TreatmentKind::Procedure) => return None,
        Some(_) => return field.listed_text(sheet),
        None => {}
    }
    let value = json.pointer(&format!("/{}", field.path().replace('.', "/")))?;
    match (field.field_type(), value) {
        (FieldType::MonthlyAmounts, Value::Array(costs)) if !costs.is_empty() => Some(
            costs
                .iter()
                .filter_map(|c| Some(format!("{}:{}", c["month"].as_str()?, c["total_yen"])))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Number(n)) => Some(n.to_string()),
        (_, Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// A template item's value as the text it was read from.
fn item_text(item: &Item) -> String {
    match (&item.value, &item.as_written) {
        (_, Some(written)) => written.clone(),
        (ItemValue::Text(t), None) => t.clone(),
        (value, None) => value.to_string(),
    }
}

fn item_answer(code: &str, item: &Item, template: Option<&Template>) -> Answer {
    let text = item_text(item);
    let def: Option<&ItemDef> = template.and_then(|t| t.items.iter().find(|d| d.code == code));
    if let Some(def) = def {
        let kind = questionnaire::item_type(def);
        let display = def
            .allowed
            .iter()
            .find(|a| a.value.to_string() == text)
            .map(|a| a.label.as_str());
        return typed(
            kind,
            text,
            (kind == "choice").then(questionnaire::item_answer_system),
            display,
        );
    }
    if let Some(formula) = template.and_then(|t| t.formulas.iter().find(|f| f.code == code)) {
        return typed(questionnaire::formula_type(formula), text, None, None);
    }
    // A free item (no template, or not on it): by its own value.
    match &item.value {
        ItemValue::Integer(_) => typed("integer", text, None, None),
        ItemValue::Decimal(_) => typed("decimal", text, None, None),
        ItemValue::Boolean(_) => typed("boolean", text, None, None),
        ItemValue::Text(_) => Answer::String(text),
    }
}

fn patient(sheet: &Sheet) -> Value {
    let p = &sheet.patient;
    let name = |text: &str, representation: &str| {
        let mut parts = text.split([' ', '\u{3000}']).filter(|s| !s.is_empty());
        let family = parts.next().unwrap_or_default();
        let given: Vec<&str> = parts.collect();
        json!({
            "extension": [{ "url": NAME_REPRESENTATION, "valueCode": representation }],
            "use": "official",
            "text": text,
            "family": family,
            "given": given
        })
    };
    let mut resource = json!({ "resourceType": "Patient" });
    let names: Vec<Value> = [(&p.name, "IDE"), (&p.name_kana, "SYL")]
        .into_iter()
        .filter_map(|(n, r)| n.as_deref().map(|n| name(n, r)))
        .collect();
    if !names.is_empty() {
        resource["name"] = Value::Array(names);
    }
    if let Some(sex) = p.sex {
        resource["gender"] = json!(match sex {
            Sex::Male => "male",
            Sex::Female => "female",
        });
    }
    if let Some(date) = p.date_of_birth {
        resource["birthDate"] = json!(date.to_string());
    }
    if p.postal_code.is_some() || p.address.is_some() {
        let mut address = json!({ "use": "home" });
        if let Some(code) = &p.postal_code {
            address["postalCode"] = json!(code);
        }
        if let Some(text) = &p.address {
            address["text"] = json!(text);
        }
        resource["address"] = json!([address]);
    }
    resource
}

/// A drug or procedure as a MedicationRequest or Procedure about the patient (other kinds go
/// out as header answers). A treatment without a status (one a source gave none for) goes out
/// `unknown`, the status FHIR requires.
fn treatment(t: &Treatment, patient_url: &str) -> Option<Value> {
    let mut concept = json!({ "text": t.name });
    if let Some((system, code)) = t.code.as_deref().and_then(|c| c.split_once('|')) {
        concept["coding"] = json!([{ "system": system, "code": code }]);
    }
    let status = t.status.as_deref().unwrap_or("unknown");
    let subject = json!({ "reference": patient_url });
    let mut resource = match t.kind {
        TreatmentKind::Medication => json!({
            "resourceType": "MedicationRequest", "status": status, "intent": "order",
            "medicationCodeableConcept": concept, "subject": subject
        }),
        TreatmentKind::Procedure => json!({
            "resourceType": "Procedure", "status": status, "code": concept, "subject": subject
        }),
        TreatmentKind::Replacement | TreatmentKind::Diet => return None,
    };
    match (t.kind, &t.date) {
        (TreatmentKind::Medication, Some(date)) => resource["authoredOn"] = json!(date),
        (TreatmentKind::Procedure, Some(date)) => resource["performedDateTime"] = json!(date),
        _ => {}
    }
    if let Some(detail) = &t.detail {
        resource["dosageInstruction"] = json!([{ "text": detail }]);
    }
    Some(resource)
}

#[derive(Serialize)]
struct Response<'s> {
    #[serde(rename = "resourceType")]
    resource_type: &'static str,
    id: &'s str,
    questionnaire: String,
    status: &'s str,
    subject: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    authored: Option<String>,
    item: Vec<ResponseItem>,
}

#[derive(Serialize)]
struct Entry {
    #[serde(rename = "fullUrl")]
    full_url: String,
    resource: Box<RawValue>,
}

#[derive(Serialize)]
struct Bundle {
    #[serde(rename = "resourceType")]
    resource_type: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    entry: Vec<Entry>,
}

/// The sheet as a FHIR Bundle (JSON text). `template` is its disease's template, when there
/// is one; `id` is the stored sheet's UUID, `status` the QuestionnaireResponse status
/// (`in-progress` for a draft, `completed` once confirmed); `base` the gateway's FHIR base
/// (`{public_url}/fhir`), under which the response names the Questionnaire it answers.
pub fn sheet_bundle(
    sheet: &Sheet,
    template: Option<&Template>,
    id: &str,
    status: &str,
    base: &str,
) -> Result<String, OutError> {
    let json = serde_json::to_value(sheet)?;
    // The same sheet always names the same entries.
    let namespace = uuid::Uuid::parse_str(id).unwrap_or(uuid::Uuid::NAMESPACE_URL);
    let entry_url = |name: &str| {
        format!(
            "urn:uuid:{}",
            uuid::Uuid::new_v5(&namespace, name.as_bytes())
        )
    };
    let patient_url = entry_url("Patient");
    // A disease without a template is answered on the common form, with the disease named.
    let form = match template {
        Some(t) => Form::Disease(t.key()),
        None => Form::Common(sheet.kind),
    };
    let (asked, administrative): (Vec<HeaderField>, Vec<HeaderField>) =
        questionnaire::header_fields(form).partition(|f| !questionnaire::administrative(*f));
    let header_answers = |fields: Vec<HeaderField>| -> Vec<ResponseItem> {
        fields
            .into_iter()
            .filter_map(|f| {
                let text = header_text(f, sheet, &json)?;
                let kind = questionnaire::header_type(f);
                Some(answered(
                    f.path(),
                    typed(kind, text, questionnaire::header_system(f), None),
                ))
            })
            .collect()
    };
    let items: Vec<ResponseItem> = sheet
        .items
        .iter()
        .map(|(code, item)| answered(code, item_answer(code, item, template)))
        .collect();
    let response = Response {
        resource_type: "QuestionnaireResponse",
        id,
        questionnaire: format!(
            "{}|{}",
            questionnaire::canonical_of(form, base),
            questionnaire::version(template)
        ),
        status,
        subject: json!({ "reference": patient_url }),
        authored: sheet.institution.date_written.map(|d| d.to_string()),
        item: [
            group("header", header_answers(asked)),
            group("administrative", header_answers(administrative)),
            group("items", items),
        ]
        .into_iter()
        .flatten()
        .collect(),
    };
    let mut entry = vec![
        Entry {
            full_url: patient_url.clone(),
            resource: serde_json::value::to_raw_value(&patient(sheet))?,
        },
        Entry {
            full_url: format!("urn:uuid:{id}"),
            resource: serde_json::value::to_raw_value(&response)?,
        },
    ];
    for (n, t) in sheet.clinical.treatments.iter().enumerate() {
        if let Some(resource) = treatment(t, &patient_url) {
            entry.push(Entry {
                full_url: entry_url(&format!("treatment-{n}")),
                resource: serde_json::value::to_raw_value(&resource)?,
            });
        }
    }
    let bundle = Bundle {
        resource_type: "Bundle",
        kind: "collection",
        entry,
    };
    Ok(serde_json::to_string(&bundle)?)
}
