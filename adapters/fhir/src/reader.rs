//! What every mapping step shares: the document, the maps, where a node is (its JSON path and
//! line, for findings and provenance), and small readers of FHIR data types (codings, names,
//! references) over the document as written.

use kakehashi_sdk::{
    DiseaseRegistry, Finding, HeaderField, Severity, Sheet, SourceLocation, TemplateSet,
};

use crate::document::Document;
use crate::json::{Lines, Node};
use crate::maps::{CATEGORY, Maps};

/// The ISO 21090 name representation extension: `IDE` kanji, `SYL` kana, `ABC` alphabet.
pub const NAME_REPRESENTATION: &str =
    "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";

/// The document being converted and what the mapping consults.
pub struct Reader<'r, 'd, 'a> {
    pub doc: &'r Document<'d, 'a>,
    pub maps: &'r Maps,
    pub diseases: &'r DiseaseRegistry,
    pub templates: &'r TemplateSet,
    /// Where the document's lines start, for locations.
    pub lines: &'r Lines<'a>,
}

/// One coding: system, code, display.
#[derive(Debug, Clone, Copy)]
pub struct Coding<'n> {
    pub system: &'n str,
    pub code: &'n str,
    pub display: Option<&'n str>,
}

/// The codings of a CodeableConcept.
pub fn codings<'n>(concept: Option<&'n Node<'_>>) -> Vec<Coding<'n>> {
    concept
        .map(|c| c.array("coding"))
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            Some(Coding {
                system: c.str("system").unwrap_or_default(),
                code: c.str("code")?,
                display: c.str("display"),
            })
        })
        .collect()
}

/// A CodeableConcept in words: its text, else the first display.
pub fn concept_text<'n>(concept: Option<&'n Node<'_>>) -> Option<&'n str> {
    let concept = concept?;
    concept.str("text").or_else(|| {
        concept
            .array("coding")
            .iter()
            .find_map(|c| c.str("display"))
    })
}

/// A HumanName as one string: its text, else family and given names.
pub fn name_text(name: &Node<'_>) -> Option<String> {
    if let Some(text) = name.str("text").filter(|t| !t.trim().is_empty()) {
        return Some(text.trim().to_owned());
    }
    let parts: Vec<&str> = name
        .str("family")
        .into_iter()
        .chain(name.array("given").iter().filter_map(Node::as_str))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// A name's representation (`IDE`, `SYL`, `ABC`), from the ISO 21090 extension.
pub fn representation<'n>(name: &'n Node<'_>) -> Option<&'n str> {
    name.array("extension")
        .iter()
        .find(|e| e.str("url") == Some(NAME_REPRESENTATION))
        .and_then(|e| e.str("valueCode"))
}

/// One of a resource's names: its index in `name` and its text.
pub type NameAt = Option<(usize, String)>;

/// A person's name in kanji (IDE, else a name without representation) and in kana (SYL).
pub fn person_names(resource: &Node<'_>) -> (NameAt, NameAt) {
    let names = resource.array("name");
    let pick = |want: &dyn Fn(Option<&str>) -> bool| {
        names
            .iter()
            .enumerate()
            .filter(|(_, n)| want(representation(n)))
            .find_map(|(i, n)| name_text(n).map(|t| (i, t)))
    };
    let kanji = pick(&|r| r == Some("IDE")).or_else(|| pick(&|r| r.is_none() || r == Some("ABC")));
    let kana = pick(&|r| r == Some("SYL"));
    (kanji, kana)
}

/// The value of an identifier of one of `systems` among `identifiers`.
pub fn identifier<'n>(identifiers: &'n [Node<'_>], systems: &[String]) -> Option<(usize, &'n str)> {
    identifiers.iter().enumerate().find_map(|(i, id)| {
        let system = id.str("system")?;
        systems
            .iter()
            .any(|s| s == system)
            .then(|| id.str("value").map(|v| (i, v)))?
    })
}

/// The value of a `valueX` extension with `url` on a node.
pub fn extension<'n, 'a>(
    node: &'n Node<'a>,
    url: &str,
    value: &str,
) -> Option<(usize, &'n Node<'a>)> {
    node.array("extension")
        .iter()
        .enumerate()
        .find(|(_, e)| e.str("url") == Some(url))
        .and_then(|(i, e)| e.get(value).map(|v| (i, v)))
}

impl Reader<'_, '_, '_> {
    /// Where a node is: its JSON path and line.
    pub fn at(&self, node: &Node<'_>, path: String) -> SourceLocation {
        SourceLocation {
            line: Some(self.lines.line_of(node.offset)),
            element: Some(path),
            ..SourceLocation::default()
        }
    }

    /// Reads `text` into a header field, recording where it came from, or a finding saying why
    /// it could not be read. A decimal field holds a binary floating-point number: a value it
    /// cannot hold exactly (`132.123456789012345678`, `1e-400`) is stored rounded, with a
    /// `fhir.inexact_number` warning that says to what.
    pub fn apply(
        &self,
        sheet: &mut Sheet,
        findings: &mut Vec<Finding>,
        field: HeaderField,
        text: &str,
        location: SourceLocation,
    ) {
        findings.extend(field.inexact_number(CATEGORY, text, &location));
        findings.extend(field.apply_from(sheet, text, location));
    }

    /// An info finding about a resource or element the sheet does not use.
    pub fn info(
        &self,
        code: &str,
        message: String,
        message_ja: String,
        location: SourceLocation,
    ) -> Finding {
        Finding::new(Severity::Info, code, None, message, message_ja).at(Some(location))
    }
}
