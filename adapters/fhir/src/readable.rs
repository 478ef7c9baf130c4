//! What fhir-sdk could read, with the values as written. The document is read twice: as
//! written ([`crate::json`]) and through the typed model ([`crate::model`]), which silently
//! drops what it cannot read (a malformed `value[x]`, an unknown element) and rounds decimals
//! to `f64`. Walking both side by side keeps exactly the elements the model kept — with their
//! literal text — and lists every element it dropped, with its JSON path, so nothing is lost
//! without a finding.
//!
//! The model reads one resource at a time: a Bundle's entries' resources are taken out and
//! read each from its own bytes, then the Bundle without them. Read whole, a Bundle of tens of
//! megabytes stood in memory as serde's buffered copy and as the typed model at once, many
//! times its size (issue 19: peak memory at most 4× the input); one resource at a time, the
//! model's memory is that of the largest resource.

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

/// Reads one resource through the model and prunes it; a Bundle's entries one by one.
fn check(
    node: &mut Node<'_>,
    document: &[u8],
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), Refusal> {
    let bundle = node.str("resourceType") == Some("Bundle");
    let resources = if bundle {
        take_resources(node)
    } else {
        Vec::new()
    };
    let read = if bundle {
        model::round_trip(node.to_json().as_bytes())
    } else {
        model::round_trip(node.text_in(document))
    };
    let shape = read.map_err(|e| {
        let (within, at) = locate(node, &e.reason);
        Refusal {
            path: format!("{path}{}", &within[1..]),
            offset: at.offset,
            reason: e.reason,
        }
    })?;
    prune(node, &shape, path, losses);
    drop(shape);
    for (entry, position, key, mut resource) in resources {
        let len = path.len();
        write!(path, ".entry[{entry}].resource").ok();
        check(&mut resource, document, path, losses)?;
        match entry_members(node, entry) {
            Some(members) => members.insert(position.min(members.len()), (key, resource)),
            // The model dropped the entry itself (and it was listed): so is its resource.
            None => lost(&resource, "resource", path, losses),
        }
        path.truncate(len);
    }
    Ok(())
}

/// One resource taken out of a Bundle's entry: the entry's index, the member's position in it,
/// its key and the resource.
type Taken<'a> = (usize, usize, Cow<'a, str>, Node<'a>);

/// Takes every entry's `resource` out of a Bundle, where it is an object with a
/// `resourceType` (anything else stays for the model to refuse in place).
fn take_resources<'a>(bundle: &mut Node<'a>) -> Vec<Taken<'a>> {
    let Value::Object(members) = &mut bundle.value else {
        return Vec::new();
    };
    let Some((_, Node { value: Value::Array(entries), .. })) =
        members.iter_mut().find(|(k, _)| k == "entry")
    else {
        return Vec::new();
    };
    let mut taken = Vec::new();
    for (i, entry) in entries.iter_mut().enumerate() {
        if let Value::Object(members) = &mut entry.value
            && let Some(position) = members
                .iter()
                .position(|(k, v)| k == "resource" && v.str("resourceType").is_some())
        {
            let (key, resource) = members.remove(position);
            taken.push((i, position, key, resource));
        }
    }
    taken
}

/// The members of a Bundle's entry `index`, to put its resource back.
fn entry_members<'n, 'a>(
    bundle: &'n mut Node<'a>,
    index: usize,
) -> Option<&'n mut Vec<(Cow<'a, str>, Node<'a>)>> {
    let Value::Object(members) = &mut bundle.value else {
        return None;
    };
    let (_, entries) = members.iter_mut().find(|(k, _)| k == "entry")?;
    let Value::Array(entries) = &mut entries.value else {
        return None;
    };
    match &mut entries.get_mut(index)?.value {
        Value::Object(members) => Some(members),
        _ => None,
    }
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

/// Keeps of `node` what the model kept, listing the rest.
fn prune(node: &mut Node<'_>, model: &Shape, path: &mut String, losses: &mut Vec<Loss>) {
    let offset = node.offset;
    match (&mut node.value, model) {
        (Value::Object(members), Shape::Object(kept)) => {
            let mut cursor = 0;
            members.retain_mut(|(key, value)| {
                let len = path.len();
                path.push('.');
                path.push_str(key);
                let keep = match member(kept, key, &mut cursor) {
                    Some(shape) => {
                        prune(value, shape, path, losses);
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
                    Some(shape) => prune(item, shape, path, losses),
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
        assert!(model::round_trip(text).unwrap().get("valueQuantity").is_none());
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
