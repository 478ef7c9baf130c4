//! Every mapping is checked before it is used: parsed strictly by its adapter (unknown keys and
//! wrong types refused, with TOML's line and column), then each target is checked here —
//! an item code no template defines, a constant value (`map`) its header field cannot read,
//! and two sources for one target are refused. The gateway checks every mapping when it loads
//! them, and `kakehashi mapping check FILE` checks one before it is deployed, so a misspelt
//! item code is one error at start-up rather than a finding on every row.

use std::collections::{BTreeSet, HashMap};

use kakehashi_sdk::{Adapter, MappingTarget, Provenance, Sheet, SheetKind};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::registry::AdapterRegistry;

/// Mapping folders that hold reference data rather than an adapter's mappings.
const REFERENCE_CATEGORIES: &[&str] = &["reference"];

/// One problem of a mapping file, in English and Japanese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingProblem {
    /// `mapping.invalid`, `mapping.unknown_item`, `mapping.bad_value`,
    /// `mapping.duplicate_target`, `mapping.unknown_category`.
    pub code: String,
    pub message: String,
    pub message_ja: String,
}

impl std::fmt::Display for MappingProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A checked mapping file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingReport {
    pub category: String,
    pub name: String,
    /// Where it came from (`mappings/csv/hospital-a.toml`, or a configured folder's path).
    pub origin: String,
    /// How many sources (columns, elements, zones …) it maps.
    pub sources: usize,
    pub problems: Vec<MappingProblem>,
}

/// Every item code a template defines or computes.
fn known_items(catalog: &Catalog) -> BTreeSet<&str> {
    catalog
        .templates
        .iter()
        .flat_map(|t| {
            t.items
                .iter()
                .map(|i| i.code.as_str())
                .chain(t.formulas.iter().map(|f| f.code.as_str()))
        })
        .collect()
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn closest<'a>(code: &str, known: &BTreeSet<&'a str>) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(code, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

/// Checks one mapping file's text with the adapter that reads its category.
pub fn check_mapping(
    adapter: &dyn Adapter,
    catalog: &Catalog,
    name: &str,
    text: &str,
) -> (usize, Vec<MappingProblem>) {
    let sources = match adapter.mapping_sources(name, text) {
        None => return (0, Vec::new()),
        Some(Err(e)) => {
            return (
                0,
                vec![MappingProblem {
                    code: e.code.to_owned(),
                    message: e.message,
                    message_ja: e.message_ja,
                }],
            );
        }
        Some(Ok(sources)) => sources,
    };
    let known = known_items(catalog);
    let mut problems = Vec::new();
    let mut first_source: HashMap<&MappingTarget, &str> = HashMap::new();
    for s in &sources {
        match &s.target {
            MappingTarget::Item(code) if !known.contains(code.as_str()) => {
                let hint = closest(code, &known)
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                let hint_ja = closest(code, &known)
                    .map(|k| format!("（`{k}` の誤りではありませんか）"))
                    .unwrap_or_default();
                problems.push(MappingProblem {
                    code: "mapping.unknown_item".into(),
                    message: format!(
                        "{}: no disease template has an item `{code}`{hint}",
                        s.source
                    ),
                    message_ja: format!(
                        "{}: 項目コード `{code}` はどの疾病別テンプレートにもありません{hint_ja}",
                        s.source
                    ),
                });
            }
            MappingTarget::Field(field) => {
                for value in &s.values {
                    let mut scratch = Sheet::new(SheetKind::Nanbyo, Provenance::default());
                    if let Err(reason) = field.apply(&mut scratch, value) {
                        problems.push(MappingProblem {
                            code: "mapping.bad_value".into(),
                            message: format!(
                                "{}: the mapped value `{value}` cannot be read as {}: {reason}",
                                s.source,
                                field.path()
                            ),
                            message_ja: format!(
                                "{}: 変換後の値 `{value}` は {} として読めません: {reason}",
                                s.source,
                                field.path()
                            ),
                        });
                    }
                }
            }
            _ => {}
        }
        if s.shared {
            continue;
        }
        if let Some(first) = first_source.insert(&s.target, &s.source) {
            problems.push(MappingProblem {
                code: "mapping.duplicate_target".into(),
                message: format!(
                    "{} and {first} both go to {}; which one wins would depend on the data",
                    s.source, s.target
                ),
                message_ja: format!(
                    "{} と {first} の両方が {} に入ります。どちらを採るか決められません",
                    s.source, s.target
                ),
            });
        }
    }
    (sources.len(), problems)
}

/// Checks every mapping of the catalog with its adapter; a folder no adapter reads is a
/// problem too (a misspelt `cvs/` would otherwise be ignored).
pub fn check_catalog(registry: &AdapterRegistry, catalog: &Catalog) -> Vec<MappingReport> {
    let mut reports = Vec::new();
    let categories: BTreeSet<&str> = catalog.mappings.categories().collect();
    for category in categories {
        if REFERENCE_CATEGORIES.contains(&category) {
            continue;
        }
        let adapter = registry
            .iter()
            .find(|r| r.adapter.mapping_category() == category);
        for name in catalog.mappings.names(category) {
            let Some((origin, text)) = catalog.mappings.get(category, name) else {
                continue;
            };
            let (sources, problems) = match adapter {
                Some(r) => check_mapping(r.adapter.as_ref(), catalog, name, text),
                None => (
                    0,
                    vec![MappingProblem {
                        code: "mapping.unknown_category".into(),
                        message: format!(
                            "no adapter reads mappings in `{category}/` (adapters: {})",
                            registry
                                .iter()
                                .map(|r| r.adapter.mapping_category())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        message_ja: format!(
                            "`{category}/` のマッピングを読むアダプターはありません"
                        ),
                    }],
                ),
            };
            reports.push(MappingReport {
                category: category.to_owned(),
                name: name.to_owned(),
                origin: origin.to_owned(),
                sources,
                problems,
            });
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use kakehashi_sdk::{
        AdapterError, Converted, HeaderField, Input, MappedSource, MappingContext, RecordKind,
    };

    use super::*;

    /// Lists the sources it is given, as a line per source: `source -> field|item target [= value]`.
    struct Lines;

    impl Adapter for Lines {
        fn name(&self) -> &'static str {
            "lines"
        }
        fn produces(&self) -> RecordKind {
            RecordKind::Sheet
        }
        fn sniff(&self, _: &Input<'_>) -> bool {
            false
        }
        fn convert(
            &self,
            _: &Input<'_>,
            _: &MappingContext<'_>,
        ) -> Result<Vec<Converted>, AdapterError> {
            Ok(Vec::new())
        }
        fn mapping_sources(
            &self,
            _: &str,
            text: &str,
        ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
            Some(
                text.lines()
                    .map(|line| {
                        let (source, rest) = line.split_once(" -> ").unwrap();
                        let (target, value) = rest.split_once(" = ").unwrap_or((rest, ""));
                        let (kind, name) = target.split_once(' ').unwrap();
                        let target = if kind == "field" {
                            let field: HeaderField =
                                serde_json::from_value(serde_json::json!(name)).unwrap();
                            MappingTarget::Field(field)
                        } else {
                            MappingTarget::Item(name.to_owned())
                        };
                        Ok(MappedSource::new(source, target)
                            .with_values((!value.is_empty()).then(|| value.to_owned())))
                    })
                    .collect(),
            )
        }
    }

    fn catalog() -> Catalog {
        Catalog::load(None).unwrap()
    }

    #[test]
    fn a_clean_mapping_has_no_problems() {
        let text =
            "A -> item alsfrs_r.speech\nB -> field patient.sex = 男\nC -> field patient.name";
        assert_eq!(check_mapping(&Lines, &catalog(), "t", text), (3, vec![]));
    }

    #[test]
    fn a_misspelt_item_a_value_its_field_cannot_read_and_a_second_source_are_each_one_problem() {
        let text = "A -> item alsfrs_r.speach\nB -> field patient.sex = M?\nC -> field patient.name\nD -> field patient.name";
        let (sources, problems) = check_mapping(&Lines, &catalog(), "t", text);
        assert_eq!(sources, 4);
        let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "mapping.unknown_item",
                "mapping.bad_value",
                "mapping.duplicate_target"
            ]
        );
        assert!(
            problems[0]
                .message
                .contains("did you mean `alsfrs_r.speech`?"),
            "{}",
            problems[0]
        );
        assert!(problems[1].message.contains("`M?`"), "{}", problems[1]);
        assert_eq!(
            problems[2].message,
            "D and C both go to field `patient.name`; which one wins would depend on the data"
        );
    }
}
