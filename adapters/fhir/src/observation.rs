//! Observation → disease items and header fields, through `mappings/fhir/observations.toml`:
//! lab results (JLAC10, JLAC11, 特定健診 item codes, LOINC), vital signs and body measurements, and scores coded in the
//! gateway's own item code system. Values are taken as written: a decimal keeps its digits
//! (`1.50`), a comparator stays with its number (`<0.5`), and a value in another unit than
//! the item's is reported, not converted.

use kakehashi_sdk::{Finding, HeaderField, Item, ItemValue, Sheet, SourceLocation};

use crate::json::{Node, Value};
use crate::reader::{Reader, codings};

/// One observed value, as written, and where it was.
#[derive(Debug, Clone)]
pub struct Observed<'n> {
    pub text: String,
    /// Whether `text` is a JSON number's literal.
    pub number: bool,
    pub unit: Option<&'n str>,
    pub location: SourceLocation,
}

/// Where an observation's value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An entry of the observation map.
    Entry(usize),
    /// An item of the gateway's own code system.
    Item(String),
}

/// An observation (or component) with a target, ready to be placed on a sheet.
#[derive(Debug, Clone)]
pub struct Measurement<'n> {
    pub target: Target,
    pub value: Observed<'n>,
    /// effective[x] as written, for ordering newest first.
    pub effective: Option<&'n str>,
}

impl Reader<'_, '_, '_> {
    /// The value[x] of an Observation or component, as written.
    pub fn observed<'n>(&self, node: &'n Node<'_>, path: &str) -> Option<Observed<'n>> {
        let (element, value) = node
            .members()
            .iter()
            .find(|(k, _)| k.starts_with("value") && k.len() > 5)?;
        let location = self.at(value, format!("{path}.{element}"));
        let (text, number, unit) = match (element.as_ref(), &value.value) {
            ("valueQuantity", _) => {
                let literal = match &value.get("value")?.value {
                    Value::Number(n) => *n,
                    _ => return None,
                };
                let comparator = value.str("comparator").unwrap_or_default();
                let unit = value.str("code").or_else(|| value.str("unit"));
                (
                    format!("{comparator}{literal}"),
                    comparator.is_empty(),
                    unit,
                )
            }
            (_, Value::Number(n)) => ((*n).to_owned(), true, None),
            (_, Value::String(s)) => (s.to_string(), false, None),
            (_, Value::Bool(b)) => (b.to_string(), false, None),
            ("valueCodeableConcept", _) => {
                let coding = codings(Some(value));
                let text = coding
                    .first()
                    .map(|c| c.code)
                    .or_else(|| value.str("text"))?;
                (text.to_owned(), false, None)
            }
            _ => return None,
        };
        Some(Observed {
            text,
            number,
            unit,
            location,
        })
    }

    /// Where a CodeableConcept's codings send a value, if anywhere.
    fn target(&self, code: Option<&Node<'_>>) -> Option<Target> {
        let map = &self.maps.observations;
        let all = codings(code);
        all.iter()
            .find(|c| c.system == map.item_system)
            .map(|c| Target::Item(c.code.to_owned()))
            .or_else(|| {
                all.iter()
                    .find_map(|c| map.entry(c.system, c.code))
                    .map(Target::Entry)
            })
    }

    /// An Observation's measurements (itself and its components), and the codes that went
    /// nowhere (`system|code`, display).
    pub fn measurements<'s>(
        &'s self,
        index: usize,
    ) -> (Vec<Measurement<'s>>, Vec<(String, Option<&'s str>)>) {
        let resource = &self.doc.resources[index];
        let (node, path) = (resource.node, &resource.path);
        let effective = node
            .str("effectiveDateTime")
            .or_else(|| node.get("effectivePeriod").and_then(|p| p.str("start")))
            .or_else(|| node.str("effectiveInstant"))
            .or_else(|| node.str("issued"));
        let mut found = Vec::new();
        let mut unmapped = Vec::new();
        let components = node
            .array("component")
            .iter()
            .enumerate()
            .map(|(i, c)| (c, format!("{path}.component[{i}]")));
        for (part, part_path) in std::iter::once((node, path.clone())).chain(components) {
            let Some(value) = self.observed(part, &part_path) else {
                continue;
            };
            match self.target(part.get("code")) {
                Some(target) => found.push(Measurement {
                    target,
                    value,
                    effective,
                }),
                None => {
                    let coding = codings(part.get("code"));
                    let (code, display) = coding
                        .first()
                        .map(|c| (format!("{}|{}", c.system, c.code), c.display))
                        .unwrap_or_else(|| ("(no code)".into(), None));
                    unmapped.push((code, display));
                }
            }
        }
        (found, unmapped)
    }

    /// Places measurements on a sheet: each map entry's items newest first, header fields from
    /// the newest; what the sheet's disease does not ask for becomes an info finding.
    pub fn place(
        &self,
        mut measurements: Vec<Measurement<'_>>,
        sheet: &mut Sheet,
        findings: &mut Vec<Finding>,
    ) {
        measurements.sort_by(|a, b| b.effective.cmp(&a.effective));
        let template = sheet.disease.number.and_then(|number| {
            self.templates.get(&kakehashi_sdk::DiseaseKey {
                kind: sheet.kind,
                group: sheet.disease.group,
                number,
            })
        });
        let has_item = |code: &str| {
            template.is_some_and(|t| {
                t.item(code).is_some() || t.formulas.iter().any(|f| f.code == code)
            })
        };
        let mut used = vec![0usize; self.maps.observations.observations.len()];
        for m in measurements {
            let (label, slot) = match &m.target {
                Target::Item(code) => (code.clone(), Some(Slot::Item(code.clone()))),
                Target::Entry(e) => {
                    let entry = &self.maps.observations.observations[*e];
                    if let Some(unit) = entry.unit.as_deref()
                        && let Some(given) = m.value.unit
                        && given != unit
                    {
                        findings.push(
                            Finding::warning(
                                "fhir.unit",
                                None,
                                format!("{} is in `{given}`, the sheet asks for `{unit}`; it was not used", entry.label),
                                format!("{} の単位「{given}」は調査票の「{unit}」と異なるため使っていません", entry.label),
                            )
                            .at(Some(m.value.location.clone())),
                        );
                        continue;
                    }
                    let slot = match entry.field {
                        Some(field) => (used[*e] == 0).then_some(Slot::Field(field)),
                        None => entry.items.get(used[*e]).cloned().map(Slot::Item),
                    };
                    used[*e] += 1;
                    (entry.label.clone(), slot)
                }
            };
            match slot {
                Some(Slot::Item(code)) if has_item(&code) => {
                    // The literal as written; the checks type it and keep it exact.
                    let item = Item::read(ItemValue::Text(m.value.text), Some(m.value.location));
                    sheet.items.insert(code, item);
                }
                Some(Slot::Field(field))
                    if !field.path().starts_with("child.") || sheet.child.is_some() =>
                {
                    self.apply(
                        sheet,
                        findings,
                        field,
                        &m.value.text,
                        m.value.location.clone(),
                    );
                    if m.value.number && !round_trips(&m.value.text) {
                        findings.push(
                            Finding::warning(
                                "fhir.precision",
                                Some(field.path()),
                                format!(
                                    "{} `{}` has more digits than the sheet's number keeps",
                                    field.path(),
                                    m.value.text
                                ),
                                format!(
                                    "{} の値「{}」は調査票の数値の桁数を超えています",
                                    field.path(),
                                    m.value.text
                                ),
                            )
                            .at(Some(m.value.location)),
                        );
                    }
                }
                _ => findings.push(self.info(
                    "fhir.not_on_sheet",
                    format!("{label} is not an item of this sheet's form; it was not used"),
                    format!("{label} はこの調査票の項目ではないため使っていません"),
                    m.value.location,
                )),
            }
        }
    }
}

/// Where one measurement lands.
enum Slot {
    Item(String),
    Field(HeaderField),
}

/// Whether a decimal literal survives a trip through `f64` (trailing zeros aside).
fn round_trips(literal: &str) -> bool {
    let Ok(value) = literal.parse::<f64>() else {
        return false;
    };
    let trimmed = if literal.contains('.') && !literal.contains(['e', 'E']) {
        literal.trim_end_matches('0').trim_end_matches('.')
    } else {
        literal
    };
    value.to_string() == trimmed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_that_f64_cannot_hold_are_noticed() {
        assert!(round_trips("132.50"));
        assert!(round_trips("65"));
        assert!(!round_trips("0.12345678901234567890"));
    }
}
