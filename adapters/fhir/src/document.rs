//! The resources of a document and the references between them. A document is one resource
//! or a Bundle of any type (collection, document, transaction, batch, …), possibly nesting
//! Bundles and `contained` resources; references resolve by `fullUrl` (`urn:uuid:…` or an
//! absolute URL), by `Type/id` (relative, or an absolute URL ending in it), and `#id` to a
//! resource contained in the referring one.

use crate::json::Node;

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

/// Every resource of a document, in document order.
#[derive(Debug)]
pub struct Document<'d, 'a> {
    pub resources: Vec<Resource<'d, 'a>>,
}

impl<'d, 'a> Document<'d, 'a> {
    pub fn new(root: &'d Node<'a>) -> Self {
        let mut doc = Self {
            resources: Vec::new(),
        };
        doc.visit(root, "$".to_owned(), None, None);
        doc
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
        for (i, contained) in node.array("contained").iter().enumerate() {
            self.visit(
                contained,
                format!("{path}.contained[{i}]"),
                None,
                Some(index),
            );
        }
        if kind == "Bundle" {
            for (i, entry) in node.array("entry").iter().enumerate() {
                if let Some(resource) = entry.get("resource") {
                    self.visit(
                        resource,
                        format!("{path}.entry[{i}].resource"),
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
        kind: &'s str,
    ) -> impl Iterator<Item = (usize, &'s Resource<'d, 'a>)> + 's {
        self.resources
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.kind == kind)
    }

    /// The resource a `reference` string in resource `from` points to.
    pub fn resolve(&self, from: usize, reference: &str) -> Option<usize> {
        if let Some(local) = reference.strip_prefix('#') {
            // Contained in the referring resource, or in the one containing it.
            let owner = self.resources.get(from)?.container.unwrap_or(from);
            return self
                .resources
                .iter()
                .position(|r| r.container == Some(owner) && r.id == Some(local));
        }
        if let Some(i) = self
            .resources
            .iter()
            .position(|r| r.full_url == Some(reference))
        {
            return Some(i);
        }
        let reference = reference.split("/_history/").next().unwrap_or(reference);
        let mut parts = reference.rsplit('/');
        let id = parts.next()?;
        let kind = parts.next()?;
        let relative = format!("{kind}/{id}");
        self.resources.iter().position(|r| {
            r.container.is_none()
                && ((r.kind == kind && r.id == Some(id))
                    || r.full_url
                        .is_some_and(|u| u.ends_with(&format!("/{relative}"))))
        })
    }

    /// The resource a Reference element (`{"reference": …}`) of resource `from` points to.
    pub fn follow(&self, from: usize, reference: Option<&Node<'_>>) -> Option<usize> {
        self.resolve(from, reference?.str("reference")?)
    }
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
