//! A canonical sheet back out as FHIR: a collection Bundle of the Patient (kanji and kana
//! names with their ISO 21090 representation, sex, date of birth, address) and a
//! QuestionnaireResponse answering the disease's Questionnaire (header fields by path, items
//! by code). Decimals go out exactly as the source wrote them.

use kakehashi_sdk::{DiseaseKey, ItemValue, Sex, Sheet};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::questionnaire::{self, BASE};
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
    Integer(i64),
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

/// A header field's value as an answer, read from the sheet's JSON.
fn header_answer(field: kakehashi_sdk::HeaderField, sheet: &Sheet, json: &Value) -> Option<Answer> {
    use kakehashi_sdk::FieldType;
    if let Some(listed) = field.listed_text(sheet) {
        return Some(Answer::String(listed));
    }
    let value = json.pointer(&format!("/{}", field.path().replace('.', "/")))?;
    Some(match (field.field_type(), value) {
        (FieldType::Sex, Value::String(s)) => Answer::Coding(json!({
            "system": "http://hl7.org/fhir/administrative-gender", "code": s
        })),
        (FieldType::Presence, Value::String(s)) => Answer::Coding(json!({
            "system": format!("{BASE}/CodeSystem/presence"), "code": s
        })),
        (FieldType::Date, Value::String(s)) => Answer::Date(s.clone()),
        (_, Value::String(s)) if field == kakehashi_sdk::HeaderField::CurrentAssessment => {
            Answer::Coding(json!({
                "system": format!("{BASE}/CodeSystem/current-assessment"), "code": s
            }))
        }
        (_, Value::String(s)) => Answer::String(s.clone()),
        (_, Value::Bool(b)) => Answer::Boolean(*b),
        (_, Value::Number(n)) => match n.as_i64() {
            Some(i) => Answer::Integer(i),
            None => Answer::Decimal(RawValue::from_string(n.to_string()).ok()?),
        },
        _ => return None,
    })
}

fn item_answer(item: &kakehashi_sdk::Item) -> Result<Answer, serde_json::Error> {
    Ok(match &item.value {
        ItemValue::Integer(i) => Answer::Integer(*i),
        ItemValue::Decimal(d) => {
            let literal = item.as_written.clone().unwrap_or_else(|| d.to_string());
            Answer::Decimal(RawValue::from_string(literal)?)
        }
        ItemValue::Boolean(b) => Answer::Boolean(*b),
        ItemValue::Text(t) => Answer::String(t.clone()),
    })
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

#[derive(Serialize)]
struct Response<'s> {
    #[serde(rename = "resourceType")]
    resource_type: &'static str,
    id: &'s str,
    #[serde(skip_serializing_if = "Option::is_none")]
    questionnaire: Option<String>,
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

/// The sheet as a FHIR Bundle (JSON text): Patient and QuestionnaireResponse. `id` is the
/// stored sheet's UUID, `status` the QuestionnaireResponse status (`in-progress` for a draft,
/// `completed` once confirmed).
pub fn sheet_bundle(sheet: &Sheet, id: &str, status: &str) -> Result<String, OutError> {
    let json = serde_json::to_value(sheet)?;
    // The same sheet always names the same Patient entry.
    let namespace = uuid::Uuid::parse_str(id).unwrap_or(uuid::Uuid::NAMESPACE_URL);
    let patient_url = format!("urn:uuid:{}", uuid::Uuid::new_v5(&namespace, b"Patient"));
    let header: Vec<ResponseItem> = questionnaire::header_fields(sheet.kind)
        .filter_map(|f| header_answer(f, sheet, &json).map(|a| answered(f.path(), a)))
        .collect();
    let mut items = Vec::with_capacity(sheet.items.len());
    for (code, item) in &sheet.items {
        items.push(answered(code, item_answer(item)?));
    }
    let response = Response {
        resource_type: "QuestionnaireResponse",
        id,
        questionnaire: sheet.disease.number.map(|number| {
            questionnaire::canonical(&DiseaseKey {
                kind: sheet.kind,
                group: sheet.disease.group,
                number,
            })
        }),
        status,
        subject: json!({ "reference": patient_url }),
        authored: sheet.institution.date_written.map(|d| d.to_string()),
        item: vec![
            ResponseItem {
                link_id: "header".into(),
                answer: Vec::new(),
                item: header,
            },
            ResponseItem {
                link_id: "items".into(),
                answer: Vec::new(),
                item: items,
            },
        ],
    };
    let bundle = Bundle {
        resource_type: "Bundle",
        kind: "collection",
        entry: vec![
            Entry {
                full_url: patient_url,
                resource: serde_json::value::to_raw_value(&patient(sheet))?,
            },
            Entry {
                full_url: format!("urn:uuid:{id}"),
                resource: serde_json::value::to_raw_value(&response)?,
            },
        ],
    };
    Ok(serde_json::to_string(&bundle)?)
}
