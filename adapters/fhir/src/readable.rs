//! What fhir-sdk could read, with the values as written. The document is read twice: as
//! written ([`crate::json`]) and through the typed model ([`crate::model`]), which silently
//! drops what it cannot read (a malformed `value[x]`, an unknown element) and rounds decimals
//! to `f64`. Walking both side by side keeps exactly the elements the model kept — with their
//! literal text — and lists every element it dropped, with its JSON path, so nothing is lost
//! without a finding.

use std::fmt::Write;

use crate::json::{Node, Value};
use crate::model;
use crate::shape::Shape;

/// An element of the document the typed model did not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// JSON path, `$.entry[2].resource.valueQuantity`.
    pub path: String,
    /// Byte offset of the element's value.
    pub offset: usize,
    /// Why, when the element's data type says (`invalid type: string "abc", expected f64`).
    pub reason: Option<String>,
}

/// The raw tree pruned to what the model re-serialised, and the elements it dropped.
pub fn keep_readable<'a>(raw: Node<'a>, model: &Shape) -> (Node<'a>, Vec<Loss>) {
    let mut losses = Vec::new();
    let mut path = String::from("$");
    let kept = prune(raw, model, &mut path, &mut losses);
    (kept, losses)
}

fn lost(node: &Node<'_>, element: &str, path: &str, losses: &mut Vec<Loss>) {
    if node.is_empty() {
        return;
    }
    losses.push(Loss {
        path: path.to_owned(),
        offset: node.offset,
        reason: model::choice_error(element, node.to_json().as_bytes()),
    });
}

fn prune<'a>(node: Node<'a>, model: &Shape, path: &mut String, losses: &mut Vec<Loss>) -> Node<'a> {
    let offset = node.offset;
    let value = match (node.value, model) {
        (Value::Object(members), Shape::Object(_)) => {
            let mut out = Vec::with_capacity(members.len());
            for (key, value) in members {
                let len = path.len();
                path.push('.');
                path.push_str(&key);
                match model.get(key.as_ref()) {
                    Some(m) => out.push((key, prune(value, m, path, losses))),
                    None => lost(&value, &key, path, losses),
                }
                path.truncate(len);
            }
            Value::Object(out)
        }
        (Value::Array(items), Shape::Array(kept)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                write!(path, "[{i}]").ok();
                match kept.get(i) {
                    Some(m) => out.push(prune(item, m, path, losses)),
                    None => lost(&item, "", path, losses),
                }
                path.truncate(len);
            }
            Value::Array(out)
        }
        // Text with a control character (U+0000–U+001F other than tab, CR and LF) is not a
        // FHIR string; a name or number carrying one is refused, not stored.
        (Value::String(text), _) if text.chars().any(forbidden_control) => {
            let c = text
                .chars()
                .find(|c| forbidden_control(*c))
                .unwrap_or_default();
            losses.push(Loss {
                path: path.clone(),
                offset,
                reason: Some(format!(
                    "the text contains the control character U+{:04X}, which FHIR strings may not hold",
                    u32::from(c)
                )),
            });
            Value::Null
        }
        // A leaf the model kept: the literal as written is the value.
        (value, _) => value,
    };
    Node { value, offset }
}

/// A C0 control character FHIR strings may not contain (all but tab, CR and LF).
fn forbidden_control(c: char) -> bool {
    c < ' ' && !matches!(c, '\t' | '\r' | '\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn a_malformed_value_is_listed_with_its_reason_and_decimals_keep_their_digits() {
        let text = br#"{"resourceType":"Observation","status":"final","code":{"text":"x"},
            "valueQuantity":{"value":"abc","unit":"%"},
            "component":[{"code":{"text":"y"},"valueQuantity":{"value":1.50}}],
            "unknownElement":true}"#;
        let model = model::round_trip(text).unwrap();
        // fhir-sdk reads it "fine": the value is gone.
        assert!(model.get("valueQuantity").is_none());
        let (kept, losses) = keep_readable(json::parse(text).unwrap(), &model);
        let paths: Vec<_> = losses.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(paths, ["$.valueQuantity", "$.unknownElement"]);
        let reason = losses[0].reason.as_deref().unwrap();
        assert!(reason.contains("invalid type: string \"abc\""), "{reason}");
        assert_eq!(losses[1].reason, None);
        assert!(kept.get("valueQuantity").is_none());
        let component = &kept.array("component")[0];
        let value = component
            .get("valueQuantity")
            .unwrap()
            .get("value")
            .unwrap();
        assert_eq!(value.value, Value::Number("1.50"));
    }

    #[test]
    fn text_with_a_control_character_is_refused_with_its_place() {
        let named =
            r#"{"resourceType":"Patient","name":[{"text":"山田\u0000太郎"}],"gender":"male"}"#
                .as_bytes();
        let model = model::round_trip(named).unwrap();
        let (kept, losses) = keep_readable(json::parse(named).unwrap(), &model);
        assert_eq!(losses[0].path, "$.name[0].text");
        assert!(losses[0].reason.as_deref().unwrap().contains("U+0000"));
        assert_eq!(kept.array("name")[0].str("text"), None);
        assert_eq!(kept.str("gender"), Some("male"));
    }
}
