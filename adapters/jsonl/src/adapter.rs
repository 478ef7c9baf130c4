//! Lines to sheets.

use std::collections::HashMap;

use kakehashi_sdk::{
    Adapter, AdapterError, Converted, Document, FieldType, Finding, Input, Item, MappedSource,
    MappingContext, MappingTarget, Provenance, Record, RecordKind, Sheet, SourceLocation, parse,
    parse_mapping,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::mapping::JsonlMapping;

/// The adapter's name and its mappings' folder.
const NAME: &str = "jsonl";

/// The JSON Lines adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonlAdapter;

fn mapping_error(name: &str, reason: String) -> AdapterError {
    AdapterError::mapping(
        "mapping.invalid",
        format!("mapping `{name}`: {reason}"),
        format!("マッピング `{name}` が正しくありません: {reason}"),
    )
}

/// A mapping ready to read with: its name, and each value's target.
struct Layout {
    name: String,
    mapping: JsonlMapping,
    targets: Vec<MappingTarget>,
}

/// The mapping asked for, or the only one there is.
fn choose(context: &MappingContext<'_>) -> Result<Layout, AdapterError> {
    let name = match context.mapping {
        Some(name) => name.to_owned(),
        None => {
            let names: Vec<&str> = context.mappings.names(NAME).collect();
            match names.as_slice() {
                [only] => (*only).to_owned(),
                _ => {
                    return Err(AdapterError::mapping(
                        "jsonl.mapping_required",
                        format!(
                            "say which layout the export has with ?mapping=NAME (known: {})",
                            names.join(", ")
                        ),
                        format!(
                            "レイアウトを ?mapping=名前 で指定してください（登録済み: {}）",
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let mapping: JsonlMapping = context.mappings.load(NAME, &name)?;
    let targets = mapping
        .values
        .iter()
        .map(|v| v.target().map_err(|r| mapping_error(&name, r)))
        .collect::<Result<_, _>>()?;
    Ok(Layout {
        name,
        mapping,
        targets,
    })
}

/// A scalar as text: strings as they are, numbers as written, booleans as `true`/`false`.
/// `None` for null; an error for arrays and objects.
fn scalar(value: &Value) -> Result<Option<String>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) => Err("an array"),
        Value::Object(_) => Err("an object"),
    }
}

/// The number at `pointer` (RFC 6901) in the JSON text `line` as written
/// (`132.123456789012345678`), which its parsed value holds only rounded to a binary number.
fn number_literal(line: &str, pointer: &str) -> Option<String> {
    let mut raw: &RawValue = serde_json::from_str(line).ok()?;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        raw = if raw.get().trim_start().starts_with('[') {
            let elements: Vec<&RawValue> = serde_json::from_str(raw.get()).ok()?;
            *elements.get(token.parse::<usize>().ok()?)?
        } else {
            let members: HashMap<String, &RawValue> = serde_json::from_str(raw.get()).ok()?;
            *members.get(&token)?
        };
    }
    Some(raw.get().to_owned())
}

impl JsonlAdapter {
    /// One line's object (parsed from `json`, the line as written) to a sheet and its findings.
    fn sheet(
        &self,
        json: &str,
        object: &Value,
        layout: &Layout,
        provenance: Provenance,
        line: u64,
    ) -> Converted {
        let mut sheet = Sheet::new(layout.mapping.kind, provenance);
        let mut findings = Vec::new();
        for (value, target) in layout.mapping.values.iter().zip(&layout.targets) {
            let location = SourceLocation {
                line: Some(line),
                element: Some(value.pointer.clone()),
                ..SourceLocation::default()
            };
            let Some(found) = object.pointer(&value.pointer) else {
                continue;
            };
            let text = match scalar(found) {
                Ok(Some(text)) if !text.is_empty() => text,
                Ok(_) => continue,
                Err(what) => {
                    findings.push(
                        Finding::error(
                            "jsonl.not_a_value",
                            None,
                            format!("{} is {what}, not a single value", value.pointer),
                            format!("{} が単一の値ではありません", value.pointer),
                        )
                        .at(Some(location)),
                    );
                    continue;
                }
            };
            // A decimal field's number as written, so that digits a binary number cannot hold
            // are a finding, not lost unsaid (the parsed value has rounded them already).
            let text = match target {
                MappingTarget::Field(field)
                    if found.is_number() && field.field_type() == FieldType::Decimal =>
                {
                    number_literal(json, &value.pointer).unwrap_or(text)
                }
                _ => text,
            };
            let text = value.map.get(&text).cloned().unwrap_or(text);
            match target {
                MappingTarget::Field(field) => {
                    findings.extend(field.inexact_number(NAME, &text, &location));
                    findings.extend(field.apply_from(&mut sheet, &text, location));
                }
                MappingTarget::Item(code) => {
                    // A number's literal as written (the checks type it and keep it exact): the
                    // parsed value of a decimal has rounded its digits beyond 17 already.
                    let text = if found.is_f64() {
                        number_literal(json, &value.pointer).unwrap_or(text)
                    } else if found.is_number() {
                        text
                    } else {
                        parse::to_halfwidth(&text)
                    };
                    let item = Item::read(kakehashi_sdk::ItemValue::Text(text), Some(location));
                    sheet.items.insert(code.clone(), item);
                }
                MappingTarget::Other(_) => {}
            }
        }
        Converted {
            record: Record::Sheet(Box::new(sheet)),
            findings,
            readings: Vec::new(),
        }
    }
}

impl Adapter for JsonlAdapter {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> RecordKind {
        RecordKind::Sheet
    }

    /// JSON Lines has no magic bytes, and its first line is JSON as a FHIR resource is: only a
    /// declared JSON Lines media type selects it.
    fn sniff(&self, input: &Input<'_>) -> bool {
        matches!(
            input.media_type().as_deref(),
            Some("application/jsonl" | "application/x-ndjson" | "application/x-jsonlines")
        )
    }

    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        Some(
            parse_mapping::<JsonlMapping>(name, text)
                .and_then(|m| m.sources().map_err(|r| mapping_error(name, r))),
        )
    }

    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError> {
        let mut out = Vec::new();
        self.read_each(input, context, &mut |c| out.push(c))?;
        Ok(out)
    }

    /// Records are converted a row at a time and handed over ([`read_each`](Self::read_each)).
    fn streamed_memory_bound(&self, input: &Input<'_>) -> u64 {
        kakehashi_sdk::streamed_text_bound(input)
    }

    /// Two passes: the first checks that every line is a JSON object (parsing it into nothing),
    /// so that an export refused at its last line is refused before any record is handed over;
    /// the second converts a line at a time.
    fn read_each(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
        each: &mut dyn FnMut(Converted),
    ) -> Result<Document, AdapterError> {
        let layout = choose(context)?;
        let bytes = input
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(input.bytes);
        let mut records = 0;
        for (line, raw) in numbered_lines(bytes) {
            if let Some(text) = non_blank(line, raw)? {
                serde_json::from_str::<serde::de::IgnoredAny>(text)
                    .map_err(|e| malformed(line, &e))?;
                if !text.trim_start().starts_with('{') {
                    return Err(not_an_object(line));
                }
                records += 1;
            }
        }
        if records == 0 {
            return Err(AdapterError::malformed(
                "jsonl.empty",
                "the export has no lines".into(),
                "データ行がありません".into(),
            ));
        }
        let mut record_index = 0;
        for (line, raw) in numbered_lines(bytes) {
            let Some(text) = non_blank(line, raw)? else {
                continue;
            };
            let object: Value = serde_json::from_str(text).map_err(|e| malformed(line, &e))?;
            let provenance = Provenance {
                adapter: NAME.to_owned(),
                mapping: Some(layout.name.clone()),
                source_sha256: input.sha256.to_owned(),
                record_index,
                record_location: SourceLocation::line(line),
                ..Provenance::default()
            };
            each(self.sheet(text, &object, &layout, provenance, line));
            record_index = record_index.saturating_add(1);
        }
        Ok(Document {
            mapping: context.mapping.map(str::to_owned),
            records: Vec::new(),
            files: Vec::new(),
        })
    }
}

/// The export's lines with their 1-based numbers.
fn numbered_lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    (1..).zip(bytes.split(|b| *b == b'\n'))
}

/// Line `line` as text, or None when it is blank.
fn non_blank(line: u64, raw: &[u8]) -> Result<Option<&str>, AdapterError> {
    let text = std::str::from_utf8(raw).map_err(|e| {
        AdapterError::unsupported(
            "jsonl.not_utf8",
            format!(
                "line {line}: byte {} is not UTF-8 (JSON Lines is UTF-8)",
                e.valid_up_to() + 1
            ),
            format!(
                "{line} 行目の {} バイト目が UTF-8 ではありません（JSON Lines は UTF-8 です）",
                e.valid_up_to() + 1
            ),
        )
        .at(SourceLocation::line(line))
    })?;
    Ok((!text.trim().is_empty()).then_some(text))
}

fn malformed(line: u64, e: &serde_json::Error) -> AdapterError {
    AdapterError::malformed(
        "jsonl.malformed",
        format!("line {line}, column {}: {e}", e.column()),
        format!(
            "{line} 行目 {} 桁目が JSON として読めません: {e}",
            e.column()
        ),
    )
    .at(SourceLocation {
        column: u32::try_from(e.column()).ok(),
        ..SourceLocation::line(line)
    })
}

fn not_an_object(line: u64) -> AdapterError {
    AdapterError::malformed(
        "jsonl.not_an_object",
        format!("line {line} is not a JSON object: every line is one sheet"),
        format!("{line} 行目が JSON オブジェクトではありません（1 行が 1 件の調査票です）"),
    )
    .at(SourceLocation::line(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::{DiseaseRegistry, MappingFiles, Severity, TemplateSet};

    /// `bytes` converted with the mapping `layout` (TOML), as mapping `t`.
    fn convert(layout: &str, bytes: &[u8]) -> Vec<Converted> {
        let mut mappings = MappingFiles::default();
        mappings.insert(NAME, "t", "t.toml", layout.into());
        let (diseases, templates) = (DiseaseRegistry::default(), TemplateSet::default());
        let context = MappingContext {
            diseases: &diseases,
            templates: &templates,
            mappings: &mappings,
            mapping: Some("t"),
        };
        let input = Input {
            bytes,
            content_type: Some("application/x-ndjson"),
            sha256: "0",
        };
        JsonlAdapter.convert(&input, &context).unwrap()
    }

    #[test]
    fn header_decimals_a_number_cannot_hold_exactly_are_a_located_warning() {
        // As a string, and as a number (which the parsed line holds rounded already).
        let out = convert(
            "description = \"t\"\nkind = \"shoman\"\n[[values]]\npointer = \"/child/height\"\nfield = \"child.height_cm\"\n",
            b"{\"child\": {\"height\": \"132.50\"}}\n{\"child\": {\"height\": \"132.123456789012345678\"}}\n{\"child\": {\"height\": 132.50}}\n{\"a\": [0], \"child\": {\"height\": 132.123456789012345678}}\n",
        );
        for exact in [&out[0], &out[2]] {
            assert!(exact.findings.is_empty(), "{:?}", exact.findings);
        }
        for (inexact, line) in [(&out[1], 2), (&out[3], 4)] {
            let [warning] = inexact.findings.as_slice() else {
                panic!("line {line}: {:?}", inexact.findings);
            };
            let at = warning.location.as_ref().unwrap();
            assert_eq!(
                (
                    warning.severity,
                    warning.code.as_str(),
                    at.line,
                    at.element.as_deref()
                ),
                (
                    Severity::Warning,
                    "jsonl.inexact_number",
                    Some(line),
                    Some("/child/height")
                )
            );
        }
    }

    #[test]
    fn a_numbers_literal_is_found_by_its_pointer() {
        let line = r#"{"a": {"b/c": [1, 2.50000000000000000001]}, "d~": 1e-400, "e": "x"}"#;
        assert_eq!(
            number_literal(line, "/a/b~1c/1").as_deref(),
            Some("2.50000000000000000001")
        );
        assert_eq!(number_literal(line, "/d~0").as_deref(), Some("1e-400"));
        assert_eq!(number_literal(line, "/a/b~1c/2"), None);
        assert_eq!(number_literal(line, "/missing"), None);
    }

    /// An item's number is handed to the checks as written: its long decimal digits and an
    /// integer beyond 64 bits are not rounded on the way (the checks say what a value cannot
    /// hold).
    #[test]
    fn item_numbers_keep_their_literal() {
        let out = convert(
            "description = \"t\"\nkind = \"nanbyo\"\n[[values]]\npointer = \"/lab/bnp\"\nitem = \"bnp\"\n",
            b"{\"lab\": {\"bnp\": 92.14480588800343123}}\n{\"lab\": {\"bnp\": 18446744073709551616}}\n{\"lab\": {\"bnp\": 12}}\n{\"lab\": {\"bnp\": 1.50}}\n",
        );
        let texts: Vec<String> = out
            .iter()
            .map(|c| {
                let Record::Sheet(sheet) = &c.record else {
                    panic!("not a sheet")
                };
                match &sheet.items["bnp"].value {
                    kakehashi_sdk::ItemValue::Text(text) => text.clone(),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        assert_eq!(
            texts,
            ["92.14480588800343123", "18446744073709551616", "12", "1.50"]
        );
    }
}
