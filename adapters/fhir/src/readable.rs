//! What fhir-sdk could read, with the values as written. The document is read twice: as
//! written ([`crate::json`]) and through the typed model ([`crate::model`]), which silently
//! drops what it cannot read (a malformed `value[x]`, an unknown element) and rounds decimals
//! to `f64`. Walking both side by side keeps exactly the elements the model kept — with their
//! literal text — and lists every element it dropped, with its JSON path, so nothing is lost
//! without a finding.
//!
//! The model reads one resource at a time: a Bundle without its entries, its entries without
//! their resources a few at a time, and each resource from its own bytes. Read whole, a
//! Bundle of tens of megabytes stood in memory as serde's buffered copy and as the typed model
//! at once, many times its size (issue 19: peak memory at most 4× the input); in parts, the
//! model never holds more than the largest resource.

use std::borrow::Cow;
use std::fmt::Write;

use crate::json::{Node, Value};
use crate::locate::locate;
use crate::model;
use crate::shape::Shape;

/// An element of the document the typed model did not keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// JSON path, `$.entry[2].resource.valueQuantity`.
    pub path: String,
    /// Byte offset of the element's value.
    pub offset: u32,
    /// Why, when the element's data type says (`invalid type: string "abc", expected f64`).
    pub reason: Option<String>,
}

/// Why the typed model refused the document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// JSON path of the refused element, `$.entry[0].resource.identifier[0]`.
    pub path: String,
    /// Byte offset of its value.
    pub offset: u32,
    /// The model's reason, `invalid type: map, expected a sequence`.
    pub reason: String,
}

/// Prunes the document (`root`, read from `document`) to what the model kept, in place, and
/// lists the elements it dropped in document order; or the model's refusal, located.
pub fn keep_readable(root: &mut Node<'_>, document: &[u8]) -> Result<Vec<Loss>, Refusal> {
    let mut losses = Vec::new();
    let mut path = String::from("$");
    check(root, document, &mut path, &mut losses)?;
    // Resources are read one after another and the Bundle after its entries; document order
    // is offset order.
    losses.sort_by_key(|loss| loss.offset);
    Ok(losses)
}

/// Entries read through the model at a time, without their resources: few enough that the
/// model of a Bundle of thousands of entries is never held whole, enough that the wrapping
/// Bundle costs little.
const ENTRIES_READ_TOGETHER: usize = 64;

/// The model's reading of `node` (written as `json`), or its refusal located in `node`.
fn read(node: &Node<'_>, json: &[u8], path: &str) -> Result<Shape, Refusal> {
    model::round_trip(json).map_err(|e| refusal(node, e, path))
}

/// A Bundle's entries, when they are an array.
fn is_entries(key: &str, node: &Node<'_>) -> bool {
    key == "entry" && matches!(node.value, Value::Array(_))
}

/// An entry's resource, when it is one (anything else stays for the model to refuse in place).
fn is_resource(key: &str, node: &Node<'_>) -> bool {
    key == "resource" && node.str("resourceType").is_some()
}

/// A copy of an object without the members `skip` names, to locate a refusal in.
fn without<'a>(node: &Node<'a>, skip: &dyn Fn(&str, &Node<'_>) -> bool) -> Node<'a> {
    let value = match &node.value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(k, v)| !skip(k, v))
                .cloned()
                .collect(),
        ),
        other => other.clone(),
    };
    Node { value, ..*node }
}

/// Reads one resource through the model and prunes it. A Bundle is read in parts: itself
/// without its entries, the entries without their resources a few at a time, then each
/// resource alone (a Bundle inside one in the same way). The parts are written out or sliced
/// from the document, and the tree is pruned in place, so nothing is moved or copied and the
/// memory the model takes is given back whole after each part.
fn check(
    node: &mut Node<'_>,
    document: &[u8],
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), Refusal> {
    let bundle = node.str("resourceType") == Some("Bundle");
    if !bundle || !node.members().iter().any(|(k, v)| is_entries(k, v)) {
        let shape = if bundle {
            read(node, node.to_json().as_bytes(), path)?
        } else {
            read(node, node.text_in(document), path)?
        };
        prune(node, &shape, path, losses, &|_, _| false);
        return Ok(());
    }
    let shape = model::round_trip(node.to_json_without(&is_entries).as_bytes())
        .map_err(|e| refusal(&without(node, &is_entries), e, path))?;
    prune(node, &shape, path, losses, &is_entries);
    drop(shape);
    let Value::Object(members) = &mut node.value else {
        return Ok(());
    };
    for (key, entries) in members.iter_mut() {
        let (offset, Value::Array(items)) = (entries.offset, &mut entries.value) else {
            continue;
        };
        if key != "entry" {
            continue;
        }
        for (n, chunk) in items.chunks_mut(ENTRIES_READ_TOGETHER).enumerate() {
            check_entries(chunk, n * ENTRIES_READ_TOGETHER, offset, path, losses)?;
        }
        for (i, entry) in items.iter_mut().enumerate() {
            let Value::Object(members) = &mut entry.value else {
                continue;
            };
            for (key, resource) in members.iter_mut() {
                if is_resource(key, resource) {
                    let len = path.len();
                    write!(path, ".entry[{i}].resource").ok();
                    check(resource, document, path, losses)?;
                    path.truncate(len);
                }
            }
        }
    }
    Ok(())
}

/// The model's refusal located in `node` (at `path`).
fn refusal(node: &Node<'_>, e: model::ModelError, path: &str) -> Refusal {
    let (within, at) = locate(node, &e.reason);
    Refusal {
        path: format!("{path}{}", &within[1..]),
        offset: at.offset,
        reason: e.reason,
    }
}

/// Reads Bundle entries `first…` (without their resources) in a Bundle of their own and prunes
/// them; a refusal is located at the entry's place in the document's Bundle.
fn check_entries(
    chunk: &mut [Node<'_>],
    first: usize,
    offset: u32,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), Refusal> {
    let mut json = String::from(r#"{"resourceType":"Bundle","type":"collection","entry":["#);
    for (i, entry) in chunk.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&entry.to_json_without(&is_resource));
    }
    json.push_str("]}");
    let shape = model::round_trip(json.as_bytes()).map_err(|e| {
        let leaf = |text: &'static str| Node {
            value: Value::String(Cow::Borrowed(text)),
            offset,
            end: offset,
        };
        let entries = chunk.iter().map(|e| without(e, &is_resource)).collect();
        let wrapper = Node {
            value: Value::Object(vec![
                (Cow::Borrowed("resourceType"), leaf("Bundle")),
                (Cow::Borrowed("type"), leaf("collection")),
                (
                    Cow::Borrowed("entry"),
                    Node {
                        value: Value::Array(entries),
                        offset,
                        end: offset,
                    },
                ),
            ]),
            offset,
            end: offset,
        };
        let Refusal {
            path: within,
            offset,
            reason,
        } = refusal(&wrapper, e, "$");
        let place = within
            .strip_prefix("$.entry[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(i, rest)| Some((first + i.parse::<usize>().ok()?, rest)));
        Refusal {
            path: match place {
                Some((i, rest)) => format!("{path}.entry[{i}]{rest}"),
                None => format!("{path}.entry"),
            },
            offset,
            reason,
        }
    })?;
    let kept = match &shape {
        Shape::Object(members) => members
            .iter()
            .find(|(k, _)| k == "entry")
            .and_then(|(_, s)| match s {
                Shape::Array(items) => Some(items.as_slice()),
                _ => None,
            })
            .unwrap_or_default(),
        _ => &[],
    };
    for (j, entry) in chunk.iter_mut().enumerate() {
        let len = path.len();
        write!(path, ".entry[{}]", first + j).ok();
        match kept.get(j) {
            Some(shape) => prune(entry, shape, path, losses, &is_resource),
            None if entry.is_empty() => {}
            None => {
                // The model dropped the entry itself: listed, with its resource.
                lost(entry, "", path, losses);
                entry.value = Value::Null;
            }
        }
        path.truncate(len);
    }
    Ok(())
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

/// The model's member `key`, looked for from `cursor` on (the model writes members in the
/// order documents usually have them, so the search is mostly one step) and then from the
/// start.
fn member<'m>(
    members: &'m [(Cow<'static, str>, Shape)],
    key: &str,
    cursor: &mut usize,
) -> Option<&'m Shape> {
    let from = (*cursor).min(members.len());
    let (i, (_, shape)) = members[from..]
        .iter()
        .enumerate()
        .map(|(i, m)| (from + i, m))
        .chain(members[..from].iter().enumerate())
        .find(|(_, (k, _))| k == key)?;
    *cursor = i + 1;
    Some(shape)
}

/// Keeps of `node` what the model kept, listing the rest; its own members that `skip` names
/// (read on their own) are left as they are.
fn prune(
    node: &mut Node<'_>,
    model: &Shape,
    path: &mut String,
    losses: &mut Vec<Loss>,
    skip: &dyn Fn(&str, &Node<'_>) -> bool,
) {
    let all = |_: &str, _: &Node<'_>| false;
    let offset = node.offset;
    match (&mut node.value, model) {
        (Value::Object(members), Shape::Object(kept)) => {
            let mut cursor = 0;
            members.retain_mut(|(key, value)| {
                if skip(key, value) {
                    return true;
                }
                let len = path.len();
                path.push('.');
                path.push_str(key);
                let keep = match member(kept, key, &mut cursor) {
                    Some(shape) => {
                        prune(value, shape, path, losses, &all);
                        true
                    }
                    None => {
                        lost(value, key, path, losses);
                        false
                    }
                };
                path.truncate(len);
                keep
            });
        }
        (Value::Array(items), Shape::Array(kept)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                write!(path, "[{i}]").ok();
                match kept.get(i) {
                    Some(shape) => prune(item, shape, path, losses, &all),
                    None => lost(item, "", path, losses),
                }
                path.truncate(len);
            }
            items.truncate(kept.len());
        }
        // Text with a control character (U+0000–U+001F other than tab, CR and LF) is not a
        // FHIR string; a name or number carrying one is refused, not stored.
        (Value::String(text), _) => {
            if let Some(c) = text.chars().find(|c| forbidden_control(*c)) {
                losses.push(Loss {
                    path: path.clone(),
                    offset,
                    reason: Some(format!(
                        "the text contains the control character U+{:04X}, which FHIR strings may not hold",
                        u32::from(c)
                    )),
                });
                node.value = Value::Null;
            }
        }
        // A leaf the model kept: the literal as written is the value.
        _ => {}
    }
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
        // fhir-sdk reads it "fine": the value is gone.
        assert!(
            model::round_trip(text)
                .unwrap()
                .get("valueQuantity")
                .is_none()
        );
        let mut kept = json::parse(text).unwrap();
        let losses = keep_readable(&mut kept, text).unwrap();
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
        let mut kept = json::parse(named).unwrap();
        let losses = keep_readable(&mut kept, named).unwrap();
        assert_eq!(losses[0].path, "$.name[0].text");
        assert!(losses[0].reason.as_deref().unwrap().contains("U+0000"));
        assert_eq!(kept.array("name")[0].str("text"), None);
        assert_eq!(kept.str("gender"), Some("male"));
    }
}
