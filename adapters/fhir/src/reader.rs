//! What every mapping step shares: the document, the maps, where a node is (its JSON path and
//! line, for findings and provenance), and small readers of FHIR data types (codings, names,
//! references) over the document as written.

use kakehashi_sdk::{
    DiseaseRegistry, FieldType, Finding, HeaderField, Severity, Sheet, SourceLocation, TemplateSet,
};

use crate::document::Document;
use crate::json::{Lines, Node};
use crate::maps::Maps;

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

/// A decimal literal's value: sign, significant digits and the power of ten of the last
/// one (`1.50`, `15e-1` and `0.15E1` are the same); `None` for what is not a plain decimal.
fn decimal_value(text: &str) -> Option<(bool, String, i64)> {
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_end_matches('0');
    let power = exponent - fraction.len() as i64 + (digits.len() - significant.len()) as i64;
    let significant = significant.trim_start_matches('0');
    if significant.is_empty() {
        return Some((false, String::new(), 0));
    }
    Some((negative, significant.to_owned(), power))
}

/// The number a decimal literal is held as, when that is not the literal's value.
fn inexact(text: &str) -> Option<f64> {
    let written = decimal_value(text)?;
    let held = text.trim().parse::<f64>().ok().filter(|v| v.is_finite())?;
    (decimal_value(&format!("{held:e}")) != Some(written)).then_some(held)
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
    /// warning that says to what.
    pub fn apply(
        &self,
        sheet: &mut Sheet,
        findings: &mut Vec<Finding>,
        field: HeaderField,
        text: &str,
        location: SourceLocation,
    ) {
        if field.field_type() == FieldType::Decimal
            && let Some(held) = inexact(text)
        {
            findings.push(
                Finding::warning(
                    "fhir.inexact_number",
                    Some(field.path()),
                    format!("{text} cannot be held exactly as a number; it is stored as {held}"),
                    format!("{text} は数値として正確に保持できないため {held} として保存します"),
                )
                .at(Some(location.clone())),
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_a_binary_number_cannot_hold_are_told_apart() {
        for exact in [
            "132.5",
            "1.50",
            "0.1",
            "15e-1",
            "-0",
            "0.000",
            "92.14480588800343",
        ] {
            assert_eq!(inexact(exact), None, "{exact}");
        }
        assert_eq!(inexact("132.123456789012345678"), Some(132.12345678901235));
        assert_eq!(inexact("1e-400"), Some(0.0));
        assert_eq!(inexact("abc"), None);
    }
}
