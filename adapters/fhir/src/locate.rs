//! Where in a document fhir-sdk's refusal lies. Its errors carry no path (resources are an
//! internally tagged enum, read from a buffer), so the element is found by asking the model
//! again: descend into the one child whose removal makes the error go away or change, until
//! no child does. Only failing documents pay for this, and the number of probes is bounded.

use crate::json::{Node, Value};
use crate::model::ModelError;

/// How a part of the document is read through the model: as the resource it is, or as a
/// Bundle entry.
pub type Reads<'r> = dyn Fn(&Node<'_>) -> Result<(), ModelError> + 'r;

/// Most re-reads spent on one document.
const MAX_PROBES: usize = 300;

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn child<'n, 'a>(node: &'n Node<'a>, step: &Step) -> Option<&'n Node<'a>> {
    match (&node.value, step) {
        (Value::Object(members), Step::Key(k)) => {
            members.iter().find(|(m, _)| m == k).map(|(_, v)| v)
        }
        (Value::Array(items), Step::Index(i)) => items.get(*i),
        _ => None,
    }
}

fn child_mut<'n, 'a>(node: &'n mut Node<'a>, step: &Step) -> Option<&'n mut Node<'a>> {
    match (&mut node.value, step) {
        (Value::Object(members), Step::Key(k)) => {
            members.iter_mut().find(|(m, _)| m == k).map(|(_, v)| v)
        }
        (Value::Array(items), Step::Index(i)) => items.get_mut(*i),
        _ => None,
    }
}

fn remove(node: &mut Node<'_>, step: &Step) {
    match (&mut node.value, step) {
        (Value::Object(members), Step::Key(k)) => members.retain(|(m, _)| m != k),
        (Value::Array(items), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        _ => {}
    }
}

fn steps_of(node: &Node<'_>) -> Vec<Step> {
    match &node.value {
        Value::Object(members) => members
            .iter()
            .filter(|(k, _)| k != "resourceType")
            .map(|(k, _)| Step::Key(k.to_string()))
            .collect(),
        Value::Array(items) => (0..items.len()).map(Step::Index).collect(),
        _ => Vec::new(),
    }
}

/// The JSON path of the element the model refuses (reading `root` with `reads`), and the node
/// there.
pub fn locate<'n, 'a>(
    root: &'n Node<'a>,
    reason: &str,
    reads: &Reads<'_>,
) -> (String, &'n Node<'a>) {
    let mut path: Vec<Step> = Vec::new();
    let mut probes = 0;
    'descend: while let Some(here) = path.iter().try_fold(root, |n, s| child(n, s)) {
        for step in steps_of(here) {
            if probes == MAX_PROBES {
                break 'descend;
            }
            probes += 1;
            let mut candidate = root.clone();
            if let Some(parent) = path.iter().try_fold(&mut candidate, |n, s| child_mut(n, s)) {
                remove(parent, &step);
            }
            // Without the culprit the document reads, or fails otherwise — but a required
            // element's absence is only a culprit when it is this one (a required element
            // whose value is refused: without it, the refusal is that it is missing).
            let culprit = match reads(&candidate) {
                Ok(()) => true,
                Err(e) => {
                    e.reason != reason
                        && (!e.reason.starts_with("missing field")
                            || matches!(&step, Step::Key(k) if e.reason == format!("missing field `{k}`")))
                }
            };
            if culprit {
                path.push(step);
                continue 'descend;
            }
        }
        break;
    }
    let mut text = String::from("$");
    let mut node = root;
    for step in &path {
        match step {
            Step::Key(k) => {
                text.push('.');
                text.push_str(k);
            }
            Step::Index(i) => text.push_str(&format!("[{i}]")),
        }
        node = child(node, step).unwrap_or(node);
    }
    (text, node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;
    use crate::model;
    use crate::tree::Tree;

    fn bundle(node: &Node<'_>) -> Result<(), ModelError> {
        model::reads("Bundle", Tree::new(node))
    }

    #[test]
    fn finds_an_object_written_where_an_array_belongs_inside_a_bundle() {
        let text = br#"{"resourceType":"Bundle","type":"collection","entry":[
            {"resource":{"resourceType":"Patient","id":"p","gender":"male"}},
            {"resource":{"resourceType":"Organization","id":"o","name":"x",
              "type":[{"coding":{"system":"s","code":"c"}}]}}]}"#;
        let root = json::parse(text).unwrap();
        let reason = bundle(&root).unwrap_err().reason;
        let (path, node) = locate(&root, &reason, &bundle);
        assert_eq!(path, "$.entry[1].resource.type[0].coding");
        assert!(matches!(node.value, Value::Object(_)));
    }

    #[test]
    fn finds_a_required_element_with_a_refused_value() {
        let text = br#"{"resourceType":"Bundle","type":5}"#;
        let root = json::parse(text).unwrap();
        let reason = bundle(&root).unwrap_err().reason;
        assert_eq!(locate(&root, &reason, &bundle).0, "$.type");
    }
}
