//! The FHIR adapter: bytes → JSON as written → fhir-sdk's typed reading, resource by resource →
//! what the model kept, with every dropped element a located finding → sheets.

use kakehashi_sdk::{
    Adapter, AdapterError, Converted, Finding, Input, MappedSource, MappingContext, RecordKind,
    SourceLocation,
};

use crate::document::Document;
use crate::json;
use crate::maps::{CATEGORY, Maps};
use crate::readable::{Refusal, keep_readable};
use crate::reader::Reader;

/// The FHIR adapter (`application/fhir+json`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FhirAdapter;

fn located(lines: &json::Lines<'_>, offset: u32, element: String) -> SourceLocation {
    SourceLocation {
        line: Some(lines.line_of(offset)),
        element: Some(element),
        ..SourceLocation::default()
    }
}

/// Converts a FHIR JSON document with the given maps.
pub fn convert_document(
    bytes: &[u8],
    sha256: &str,
    maps: &Maps,
    context: &MappingContext<'_>,
) -> Result<Vec<Converted>, AdapterError> {
    let mut kept = json::parse(bytes).map_err(|e| {
        AdapterError::malformed(
            "fhir.syntax",
            format!(
                "not JSON at line {}, column {}: {}",
                e.line, e.column, e.reason
            ),
            format!(
                "JSON として読めません（{} 行 {} 列）: {}",
                e.line, e.column, e.reason
            ),
        )
        .at(SourceLocation {
            line: Some(e.line),
            column: u32::try_from(e.column).ok(),
            ..SourceLocation::default()
        })
    })?;
    let lines = json::Lines::new(bytes);
    if kept.str("resourceType").is_none() {
        return Err(AdapterError::unsupported(
            "fhir.not_a_resource",
            "the document is JSON but not a FHIR resource (no `resourceType`)".into(),
            "JSON ですが FHIR リソースではありません（resourceType がありません）".into(),
        )
        .at(located(&lines, kept.offset, "$.resourceType".into())));
    }
    let losses = keep_readable(&mut kept).map_err(|refusal| {
        let Refusal {
            path,
            offset,
            reason,
        } = refusal;
        AdapterError::malformed(
            "fhir.invalid",
            format!("{path}: not valid FHIR R4: {reason}"),
            format!("{path} が FHIR R4 として正しくありません: {reason}"),
        )
        .at(located(&lines, offset, path))
    })?;
    let doc = Document::new(&kept);
    if doc.of_kind("Patient").next().is_none() {
        // A sheet is about a patient: without one there is nothing to store.
        return Err(AdapterError::malformed(
            "fhir.no_patient",
            format!(
                "the document has no Patient resource (it is a {}); a sheet needs the patient it is about — send the Patient in the same Bundle",
                kept.str("resourceType").unwrap_or("resource")
            ),
            format!(
                "文書に Patient リソースがありません（{}）。調査票には対象の患者が必要です。同じ Bundle に Patient を含めて送ってください",
                kept.str("resourceType").unwrap_or("リソース")
            ),
        )
        .at(located(&lines, kept.offset, "$".into())));
    }
    let reader = Reader {
        doc: &doc,
        maps,
        diseases: context.diseases,
        templates: context.templates,
        lines: &lines,
    };
    let mut sheets = reader.sheets(sha256);
    let lost: Vec<Finding> = losses
        .iter()
        .map(|loss| {
            let why = loss.reason.as_deref().unwrap_or(
                "an element the FHIR R4 model does not know, or a value of the wrong type",
            );
            Finding::error(
                "fhir.unreadable",
                None,
                format!(
                    "{}: could not be read ({why}); its value was not used",
                    loss.path
                ),
                format!("{} を読めないため使っていません（{why}）", loss.path),
            )
            .at(Some(located(&lines, loss.offset, loss.path.clone())))
        })
        .collect();
    for converted in &mut sheets {
        converted.findings.splice(0..0, lost.iter().cloned());
    }
    Ok(sheets)
}

impl Adapter for FhirAdapter {
    fn name(&self) -> &'static str {
        CATEGORY
    }

    fn produces(&self) -> RecordKind {
        RecordKind::Sheet
    }

    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        Some(crate::maps::sources(name, text))
    }

    fn sniff(&self, input: &Input<'_>) -> bool {
        match input.media_type().as_deref() {
            Some("application/fhir+json" | "application/json+fhir") => true,
            Some("application/json") | None => {
                let head = &input.bytes[..input.bytes.len().min(4096)];
                let text = String::from_utf8_lossy(head);
                text.trim_start_matches('\u{feff}')
                    .trim_start()
                    .starts_with('{')
                    && text.contains("\"resourceType\"")
            }
            Some(_) => false,
        }
    }

    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError> {
        if let Some(name) = context.mapping {
            return Err(AdapterError::mapping(
                "mapping.not_used",
                format!(
                    "the FHIR adapter reads the code maps in mappings/fhir/ and takes no mapping (`{name}` given)"
                ),
                format!(
                    "FHIR アダプターは mappings/fhir/ のコード表を使うため、マッピング（`{name}`）は指定できません"
                ),
            ));
        }
        let maps = Maps::cached(context.mappings)?;
        convert_document(input.bytes, input.sha256, &maps, context)
    }
}
