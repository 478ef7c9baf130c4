//! The resources of a document and the references between them. A document is one resource
//! or a Bundle of any type (collection, document, transaction, batch, …), possibly nesting
//! Bundles and `contained` resources; references resolve by `fullUrl` (`urn:uuid:…` or an
//! absolute URL), by `Type/id` (relative, or an absolute URL ending in it), and `#id` to a
//! resource contained in the referring one.
//!
//! References are resolved through maps built once per document (by `fullUrl`, by `Type/id`,
//! by contained id), so a Bundle of thousands of resources that reference one another is read
//! in linear time. The maps hash with foldhash (seeded per process, so ids chosen to collide
//! cannot be prepared in advance): SipHash took a tenth of building them for a small document.

use foldhash::{HashMap, HashMapExt};

use crate::json::Node;
use crate::kept;

/// One resource of the document.
#[derive(Debug)]
pub struct Resource<'d, 'a> {
    pub node: &'d Node<'a>,
    /// `resourceType`
    pub kind: &'d str,
    pub id: Option<&'d str>,
    /// The Bundle entry's `fullUrl`, for entries.
    pub full_url: Option<&'d str>,
    /// JSON path of the resource, `$.entry[3].resource`.
    pub path: String,
    /// The resource this one is contained in, by index.
    pub container: Option<usize>,
}

/// Every resource of a document, in document order, and the maps references resolve through.
#[derive(Debug)]
pub struct Document<'d, 'a> {
    pub resources: Vec<Resource<'d, 'a>>,
    /// Resources by `resourceType`, in document order.
    by_kind: HashMap<&'d str, Vec<usize>>,
    /// The first resource with each `fullUrl`.
    by_full_url: HashMap<&'d str, usize>,
    /// The first top-level resource with each `Type/id`, by its id or by the end of its
    /// `fullUrl`.
    by_type_id: HashMap<(&'d str, &'d str), usize>,
    /// Contained resources by (container, id).
    contained: HashMap<(usize, &'d str), usize>,
}

impl<'d, 'a> Document<'d, 'a> {
    pub fn new(root: &'d Node<'a>) -> Self {
        let mut doc = Self {
            resources: Vec::new(),
            by_kind: HashMap::new(),
            by_full_url: HashMap::new(),
            by_type_id: HashMap::new(),
            contained: HashMap::new(),
        };
        doc.visit(root, "$".to_owned(), None, None);
        doc.index();
        doc
    }

    /// Builds the maps; where several resources qualify, the first in document order wins.
    fn index(&mut self) {
        for (i, r) in self.resources.iter().enumerate() {
            self.by_kind.entry(r.kind).or_default().push(i);
            if let Some(url) = r.full_url {
                self.by_full_url.entry(url).or_insert(i);
            }
            match (r.container, r.id) {
                (Some(owner), Some(id)) => {
                    self.contained.entry((owner, id)).or_insert(i);
                }
                (None, id) => {
                    let from_url = r.full_url.and_then(type_and_id);
                    for key in id.map(|id| (r.kind, id)).into_iter().chain(from_url) {
                        self.by_type_id.entry(key).or_insert(i);
                    }
                }
                (Some(_), None) => {}
            }
        }
    }

    fn visit(
        &mut self,
        node: &'d Node<'a>,
        path: String,
        full_url: Option<&'d str>,
        container: Option<usize>,
    ) {
        let Some(kind) = node.str("resourceType") else {
            return;
        };
        let index = self.resources.len();
        self.resources.push(Resource {
            node,
            kind,
            id: node.str("id"),
            full_url,
            path: path.clone(),
            container,
        });
        let element_path = |element: &str, i: usize, after: &str| {
            let mut p = String::with_capacity(path.len() + element.len() + after.len() + 8);
            p.push_str(&path);
            p.push_str(element);
            kept::push_index(&mut p, i);
            p.push_str(after);
            p
        };
        for (i, contained) in node.array("contained").iter().enumerate() {
            self.visit(
                contained,
                element_path(".contained", i, ""),
                None,
                Some(index),
            );
        }
        if kind == "Bundle" {
            for (i, entry) in node.array("entry").iter().enumerate() {
                if let Some(resource) = entry.get("resource") {
                    self.visit(
                        resource,
                        element_path(".entry", i, ".resource"),
                        entry.str("fullUrl"),
                        None,
                    );
                }
            }
        }
    }

    /// The resources of a type.
    pub fn of_kind<'s>(
        &'s self,
        kind: &str,
    ) -> impl Iterator<Item = (usize, &'s Resource<'d, 'a>)> + 's {
        self.by_kind
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| (i, &self.resources[i]))
    }

    /// Every resource type of the document with its resources, in document order (the types
    /// in no particular order).
    pub fn kinds(&self) -> impl Iterator<Item = (&'d str, &[usize])> + '_ {
        self.by_kind
            .iter()
            .map(|(kind, of_kind)| (*kind, of_kind.as_slice()))
    }

    /// The resource a `reference` string in resource `from` points to.
    pub fn resolve(&self, from: usize, reference: &str) -> Option<usize> {
        if let Some(local) = reference.strip_prefix('#') {
            // Contained in the referring resource, or in the one containing it.
            let owner = self.resources.get(from)?.container.unwrap_or(from);
            return self.contained.get(&(owner, local)).copied();
        }
        if let Some(&i) = self.by_full_url.get(reference) {
            return Some(i);
        }
        let reference = reference.split("/_history/").next().unwrap_or(reference);
        self.by_type_id.get(&type_and_id(reference)?).copied()
    }

    /// The resource a Reference element (`{"reference": …}`) of resource `from` points to.
    pub fn follow(&self, from: usize, reference: Option<&Node<'_>>) -> Option<usize> {
        self.resolve(from, reference?.str("reference")?)
    }
}

/// The last two segments of a reference or URL: `…/Patient/a` → (`Patient`, `a`).
fn type_and_id(reference: &str) -> Option<(&str, &str)> {
    let mut parts = reference.rsplit('/');
    let id = parts.next()?;
    let kind = parts.next()?;
    Some((kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn references_resolve_by_full_url_relative_absolute_and_contained() {
        let text = br##"{"resourceType":"Bundle","type":"collection","entry":[
            {"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"a"}},
            {"fullUrl":"http://h.example/fhir/Practitioner/d1","resource":{"resourceType":"Practitioner","id":"d1"}},
            {"resource":{"resourceType":"Condition","id":"c","subject":{"reference":"Patient/a"},
              "contained":[{"resourceType":"Encounter","id":"e"}]}},
            {"resource":{"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{"resourceType":"Organization","id":"o"}}]}}]}"##;
        let root = json::parse(text).unwrap();
        let doc = Document::new(&root);
        let kinds: Vec<_> = doc.resources.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                "Bundle",
                "Patient",
                "Practitioner",
                "Condition",
                "Encounter",
                "Bundle",
                "Organization"
            ]
        );
        assert_eq!(doc.resources[4].path, "$.entry[2].resource.contained[0]");
        assert_eq!(doc.resolve(3, "urn:uuid:p1"), Some(1));
        assert_eq!(doc.resolve(3, "Patient/a"), Some(1));
        assert_eq!(doc.resolve(3, "Practitioner/d1"), Some(2));
        assert_eq!(
            doc.resolve(3, "http://other.example/Patient/a/_history/2"),
            Some(1)
        );
        assert_eq!(doc.resolve(3, "#e"), Some(4));
        assert_eq!(doc.resolve(1, "#e"), None);
        assert_eq!(doc.resolve(3, "Organization/o"), Some(6));
        assert_eq!(doc.resolve(3, "Patient/zz"), None);
    }
}
