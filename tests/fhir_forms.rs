//! The Questionnaires EHR form tools get are ones they can use. For every disease template, a
//! QuestionnaireResponse filled in as its Questionnaire prescribes — every item answered with
//! its declared type, a choice with one of its answer options — reads into the gateway, and
//! every `calculatedExpression` evaluated by fhirpath.js (HL7's reference JavaScript
//! implementation, from npm, installed by `scripts/setup.sh` in `tests/fhirpath/`) gives
//! what the gateway's own checks compute. The expressions use normative FHIRPath only.

use std::collections::BTreeMap;
use std::path::Path;

use kakehashi::catalog::Catalog;
use kakehashi::pipeline::{self, content_hash};
use kakehashi::store::Completion;
use kakehashi_adapter_fhir::FhirAdapter;
use kakehashi_sdk::{Input, ItemValue, Sheet, Template};
use serde_json::{Value, json};

/// Functions of FHIRPath's normative release (N2) the expressions may use.
const NORMATIVE: [&str; 7] = [
    "repeat",
    "where",
    "exists",
    "iif",
    "combine",
    "count",
    "toDecimal",
];

/// An answer for a Questionnaire item, as a form filled by a person would give it; the `n`th
/// item gets the `n`th option or value, so that the inputs of a formula differ.
fn answer(item: &Value, n: usize) -> Option<Value> {
    let bound = |url: &str| {
        item["extension"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["url"] == url)
            .and_then(|e| e.get("valueInteger").or(e.get("valueDecimal")))
            .and_then(Value::as_f64)
    };
    let min = bound("http://hl7.org/fhir/StructureDefinition/minValue").unwrap_or(0.0);
    let max = bound("http://hl7.org/fhir/StructureDefinition/maxValue").unwrap_or(min + 10.0);
    let within = min + ((n % 5) as f64 / 4.0) * (max - min);
    Some(match item["type"].as_str()? {
        "choice" => {
            let options = item["answerOption"].as_array()?;
            json!({ "valueCoding": options[n % options.len()]["valueCoding"] })
        }
        "integer" => json!({ "valueInteger": within.floor() as i64 }),
        "decimal" => json!({ "valueDecimal": (within * 10.0).round() / 10.0 }),
        "boolean" => json!({ "valueBoolean": n.is_multiple_of(2) }),
        "date" => json!({ "valueDate": "2024-04-01" }),
        "string" => json!({ "valueString": "テスト" }),
        _ => return None,
    })
}

/// The response to the template's items (the header is not needed for the totals).
fn fill(questionnaire: &Value) -> Vec<Value> {
    let items = questionnaire["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["linkId"] == "items")
        .and_then(|g| g["item"].as_array())
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .enumerate()
        .filter(|(_, i)| i["readOnly"] != true)
        .filter_map(|(n, i)| Some(json!({ "linkId": i["linkId"], "answer": [answer(i, n)?] })))
        .collect()
}

fn expressions(questionnaire: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = questionnaire["item"].as_array().unwrap().iter().collect();
    while let Some(item) = stack.pop() {
        stack.extend(item["item"].as_array().into_iter().flatten());
        for e in item["extension"].as_array().into_iter().flatten() {
            if let Some(expression) = e["valueExpression"]["expression"].as_str() {
                out.push((
                    item["linkId"].as_str().unwrap().to_owned(),
                    expression.to_owned(),
                ));
            }
        }
    }
    out
}

/// The sheet the gateway makes of the response, its formulas computed by the checks.
fn checked(catalog: &Catalog, template: &Template, response: &Value) -> Sheet {
    let bundle = json!({
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            { "fullUrl": "urn:uuid:5b1f3a5e-0000-4000-8000-000000000001",
              "resource": { "resourceType": "Patient", "birthDate": "2015-04-01", "gender": "female" } },
            { "fullUrl": "urn:uuid:5b1f3a5e-0000-4000-8000-000000000002", "resource": response }
        ]
    });
    let bytes = serde_json::to_vec(&bundle).unwrap();
    let sha = content_hash(&bytes);
    let input = Input {
        bytes: &bytes,
        content_type: Some("application/fhir+json"),
        sha256: &sha,
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    match pipeline::convert(&FhirAdapter, catalog, &input, None, "forms", today) {
        Completion::Accepted(mut sheets) => sheets.remove(0).sheet,
        Completion::Rejected(r) => panic!("{}: {r:?}", template.name),
    }
}

fn number(value: &ItemValue) -> Option<f64> {
    value.as_f64()
}

#[test]
fn calculated_expressions_give_in_fhirpath_js_what_the_gateway_computes() {
    let node_modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhirpath/node_modules");
    assert!(
        node_modules.join("fhirpath").exists(),
        "fhirpath.js is not installed: run scripts/setup.sh (npm ci in tests/fhirpath)"
    );
    let catalog = Catalog::load(None).unwrap();
    let mut cases = Vec::new();
    let mut expected: Vec<BTreeMap<String, Option<f64>>> = Vec::new();
    let mut names = Vec::new();
    for template in catalog.templates.iter() {
        let questionnaire =
            kakehashi_adapter_fhir::questionnaire(template, "https://127.0.0.1:8443/fhir");
        let formulas = expressions(&questionnaire);
        if formulas.is_empty() {
            continue;
        }
        for (_, expression) in &formulas {
            for call in expression.split('(').filter_map(|s| s.rsplit('.').next()) {
                let name = call.trim_start_matches(|c: char| !c.is_alphanumeric());
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) {
                    assert!(
                        NORMATIVE.contains(&name) || name == "iif",
                        "{}: `{name}` is not normative FHIRPath: {expression}",
                        template.name
                    );
                }
            }
        }
        let response = json!({
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": format!("{}|{}", questionnaire["url"].as_str().unwrap(), questionnaire["version"].as_str().unwrap()),
            "subject": { "reference": "urn:uuid:5b1f3a5e-0000-4000-8000-000000000001" },
            "item": [{ "linkId": "items", "item": fill(&questionnaire) }]
        });
        let sheet = checked(&catalog, template, &response);
        expected.push(
            formulas
                .iter()
                .map(|(link, _)| {
                    (
                        link.clone(),
                        sheet.items.get(link).and_then(|i| number(&i.value)),
                    )
                })
                .collect(),
        );
        let expressions: Vec<Value> = formulas
            .iter()
            .map(|(link, e)| json!({ "linkId": link, "expression": e }))
            .collect();
        cases.push(json!({ "response": response, "expressions": expressions }));
        names.push(template.name.clone());
    }
    assert!(!cases.is_empty(), "no template has a formula");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cases.json");
    std::fs::write(&file, serde_json::to_vec(&cases).unwrap()).unwrap();
    let output = std::process::Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhirpath/evaluate.js"))
        .arg(&file)
        .output()
        .expect("node (Node.js) runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Vec<Value>> = serde_json::from_slice(&output.stdout).unwrap();
    let mut compared = 0;
    for ((name, want), got) in names.iter().zip(&expected).zip(&results) {
        for result in got {
            let link = result["linkId"].as_str().unwrap();
            assert!(
                result.get("error").is_none(),
                "{name} {link}: fhirpath.js refused the expression: {}",
                result["error"]
            );
            let value = result["value"].as_array().unwrap();
            let got = value.first().and_then(Value::as_f64);
            let want = want[link];
            assert!(
                match (got, want) {
                    (Some(g), Some(w)) => (g - w).abs() < 1e-9,
                    (None, None) => true,
                    _ => false,
                },
                "{name} {link}: fhirpath.js gives {value:?}, the gateway {want:?}"
            );
            compared += 1;
        }
    }
    eprintln!(
        "{compared} calculated items in {} templates agree",
        cases.len()
    );
}
