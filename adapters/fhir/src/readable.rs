//! What fhir-sdk could read, with the values as written. The document is parsed once, as
//! written ([`crate::json`]), and the typed model ([`crate::model`]) reads that tree; the model
//! silently drops what it cannot read (a malformed `value[x]`, an unknown element) and rounds
//! decimals to `f64`. Walking the tree beside the model's re-serialisation ([`crate::kept`])
//! keeps exactly the elements the model kept — with their literal text — and lists every
//! element it dropped, with its JSON path, so nothing is lost without a finding.
//!
//! The model reads one resource at a time: a Bundle without its entries, each entry without
//! its resource, and each resource alone. Read whole, a Bundle of tens of megabytes stood in
//! memory as the typed model many times its size (issue 19: peak memory at most 4× the
//! input); in parts, the model never holds more than the largest resource.

use std::borrow::Cow;

use crate::json::{Node, Value};
use crate::kept;
use crate::locate::{Reads, locate};
use crate::model;
use crate::tree::{Skip, Tree};

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

/// Prunes the document (`root`) to what the model kept, in place, and lists the elements it
/// dropped in document order; or the model's refusal, located.
pub fn keep_readable(root: &mut Node<'_>) -> Result<Vec<Loss>, Refusal> {
    let mut losses = Vec::new();
    let mut path = String::from("$");
    check(root, &mut path, &mut losses)?;
    // Resources are read one after another and each entry before its resource; document
    // order is offset order.
    losses.sort_by_key(|loss| loss.offset);
    Ok(losses)
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
fn without<'a>(node: &Node<'a>, skip: Skip) -> Node<'a> {
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

/// Reads one resource through the model and keeps of it what the model kept. A Bundle is
/// read in parts: itself without its entries, then each entry without its resource, then the
/// resource (a Bundle inside one in the same way), so that the model never holds more than
/// one resource and the memory it takes is given back after each. The tree is pruned in
/// place: nothing is moved or copied.
fn check(node: &mut Node<'_>, path: &mut String, losses: &mut Vec<Loss>) -> Result<(), Refusal> {
    let kind = node.str("resourceType").unwrap_or_default();
    let kind: Cow<'static, str> = match model::READ.iter().find(|read| **read == kind) {
        Some(read) => Cow::Borrowed(read),
        None if model::is_resource_type(kind) => return check_contained(node, path, losses),
        // Not a resource type: the model refuses it, by its name.
        None => Cow::Owned(kind.to_owned()),
    };
    if kind != "Bundle" || !node.members().iter().any(|(k, v)| is_entries(k, v)) {
        return model::keep(&kind, node, None, path, losses)
            .map_err(|e| refusal(node, e, path, &resource_reads));
    }
    model::keep("Bundle", node, Some(is_entries), path, losses).map_err(|e| {
        let shell = without(node, is_entries);
        refusal(&shell, e, path, &resource_reads)
    })?;
    each_element(node, "entry", path, losses, check_entry)
}

/// Calls `check` on each element of the array member `key` of `node` (an object), with the
/// element's path.
fn each_element(
    node: &mut Node<'_>,
    key: &str,
    path: &mut String,
    losses: &mut Vec<Loss>,
    check: impl Fn(&mut Node<'_>, &mut String, &mut Vec<Loss>) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    let Value::Object(members) = &mut node.value else {
        return Ok(());
    };
    for (name, member) in members.iter_mut() {
        let Value::Array(items) = &mut member.value else {
            continue;
        };
        if name != key {
            continue;
        }
        for (i, element) in items.iter_mut().enumerate() {
            let len = path.len();
            path.push('.');
            path.push_str(key);
            kept::push_index(path, i);
            check(element, path, losses)?;
            path.truncate(len);
        }
    }
    Ok(())
}

/// Whether the model reads `node` as the resource its `resourceType` names.
fn resource_reads(node: &Node<'_>) -> Result<(), model::ModelError> {
    model::reads(
        node.str("resourceType").unwrap_or_default(),
        Tree::new(node),
    )
}

/// Reads a Bundle entry through the model without its resource, keeps what the model kept,
/// then checks the resource.
fn check_entry(
    entry: &mut Node<'_>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), Refusal> {
    model::keep_entry(entry, Some(is_resource), path, losses).map_err(|e| {
        let alone = without(entry, is_resource);
        refusal(&alone, e, path, &|n| model::entry_reads(Tree::new(n)))
    })?;
    let Value::Object(members) = &mut entry.value else {
        return Ok(());
    };
    for (key, resource) in members.iter_mut() {
        if is_resource(key, resource) {
            let len = path.len();
            path.push_str(".resource");
            check(resource, path, losses)?;
            path.truncate(len);
        }
    }
    Ok(())
}

/// A resource of a type the mapping does not read is not read through the model (see
/// [`model::READ`]); the resources contained in it may be read (a contained Practitioner is a
/// document's doctor), and are checked on their own.
fn check_contained(
    node: &mut Node<'_>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), Refusal> {
    each_element(
        node,
        "contained",
        path,
        losses,
        |resource, path, losses| match resource.str("resourceType") {
            Some(_) => check(resource, path, losses),
            None => Ok(()),
        },
    )
}

/// The model's refusal located in `node` (at `path`) by reading parts of it with `reads`.
fn refusal(node: &Node<'_>, e: model::ModelError, path: &str, reads: &Reads<'_>) -> Refusal {
    let (within, at) = locate(node, &e.reason, reads);
    Refusal {
        path: format!("{path}{}", &within[1..]),
        offset: at.offset,
        reason: e.reason,
    }
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
        // fhir-sdk reads it "fine", without the value.
        assert!(model::reads("Observation", Tree::new(&json::parse(text).unwrap())).is_ok());
        let mut kept = json::parse(text).unwrap();
        let losses = keep_readable(&mut kept).unwrap();
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
        let losses = keep_readable(&mut kept).unwrap();
        assert_eq!(losses[0].path, "$.name[0].text");
        assert!(losses[0].reason.as_deref().unwrap().contains("U+0000"));
        assert_eq!(kept.array("name")[0].str("text"), None);
        assert_eq!(kept.str("gender"), Some("male"));
    }
}
