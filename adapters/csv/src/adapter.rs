//! Rows to sheets.

use kakehashi_sdk::{
    Adapter, AdapterError, Converted, Document, Finding, HeaderField, Input, Item, ItemValue,
    MappedSource, MappingContext, MappingFiles, Provenance, Record, RecordKind, Sheet,
    SourceLocation, parse, parse_mapping,
};

use crate::decode::{Fields, declared_charset, decode};
use crate::mapping::{ColumnRef, CsvMapping};

/// Mapping category of CSV layouts in `mappings/`.
const CATEGORY: &str = "csv";

/// The CSV adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct CsvAdapter;

/// Where a mapped value goes.
enum Target<'m> {
    Field(HeaderField),
    Item(&'m str),
}

/// A column mapping resolved against the file's header: 0-based index and header text.
struct Resolved<'m> {
    index: usize,
    name: Option<String>,
    target: Target<'m>,
    map: &'m std::collections::BTreeMap<String, String>,
}

fn resolve(
    column: &ColumnRef,
    headers: Option<&csv::StringRecord>,
    width: usize,
) -> Result<(usize, Option<String>), AdapterError> {
    let missing = |what: String| {
        AdapterError::malformed(
            "csv.missing_column",
            format!("the mapping expects column {what}, which line 1 does not have"),
            format!("マッピングが指定する列 {what} が 1 行目にありません"),
        )
        .at(SourceLocation::line(1))
    };
    match (&column.column, column.index) {
        (Some(name), None) => {
            let headers = headers.ok_or_else(|| {
                AdapterError::mapping(
                    "mapping.invalid",
                    format!(
                        "column `{name}` is named but the mapping says the file has no header line"
                    ),
                    format!(
                        "列 `{name}` を名前で指定していますが、マッピングではヘッダー行がありません"
                    ),
                )
            })?;
            let index = headers
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| missing(format!("`{name}`")))?;
            Ok((index, Some(name.clone())))
        }
        (None, Some(index)) if index >= 1 => {
            let i = index as usize - 1;
            if i >= width {
                return Err(missing(format!("#{index}")));
            }
            Ok((
                i,
                headers.and_then(|h| h.get(i)).map(|h| h.trim().to_owned()),
            ))
        }
        _ => Err(AdapterError::mapping(
            "mapping.invalid",
            "every column needs either `column` (a header name) or `index` (1-based)".into(),
            "各列には column（ヘッダー名）か index（1 始まりの位置）のどちらか一方が必要です"
                .into(),
        )),
    }
}

impl CsvAdapter {
    /// Picks the mapping: the one asked for, or else the only one whose named columns all
    /// appear in the file's first line.
    fn choose_mapping(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<(String, CsvMapping), AdapterError> {
        if let Some(name) = context.mapping {
            return Ok((name.to_owned(), context.mappings.load(CATEGORY, name)?));
        }
        // The header line alone: the whole file is decoded once, when it is read.
        let header = input
            .bytes
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default();
        let text = decode(
            header,
            declared_charset(input.content_type).unwrap_or_default(),
        )?;
        let first_line = text.trim_end_matches('\r');
        let candidates = matching_mappings(context.mappings, first_line);
        match candidates.as_slice() {
            [(name, mapping)] => Ok((name.clone(), mapping.clone())),
            _ => {
                let names: Vec<_> = context.mappings.names(CATEGORY).collect();
                Err(AdapterError::mapping(
                    "csv.mapping_required",
                    format!(
                        "say which column layout the file has with ?mapping=NAME; {} mappings match its header (known: {})",
                        candidates.len(),
                        names.join(", ")
                    ),
                    format!(
                        "列の並びを ?mapping=名前 で指定してください（登録済み: {}）",
                        names.join(", ")
                    ),
                ))
            }
        }
    }

    /// Converts a file with a given mapping, handing each record to
    /// `each` as it is made. Two passes over the bytes: the first checks every row's shape and
    /// holds none, so a file refused (a row cut off at line 60,000) is refused before any record
    /// is handed over; the second converts. The text is decoded a field at a time
    /// ([`Fields`]), so memory stays that of the bytes and one row, whatever the file's length.
    pub fn read_bytes(
        &self,
        input: &Input<'_>,
        mapping_name: &str,
        mapping: &CsvMapping,
        each: &mut dyn FnMut(Converted),
    ) -> Result<(), AdapterError> {
        let sha256 = input.sha256;
        let encoding = declared_charset(input.content_type).unwrap_or(mapping.encoding);
        let delimiter = u8::try_from(mapping.delimiter).map_err(|_| {
            AdapterError::mapping(
                "mapping.invalid",
                format!("mapping `{mapping_name}`: the delimiter must be one ASCII character"),
                format!("マッピング `{mapping_name}` の区切り文字は ASCII 1 文字にしてください"),
            )
        })?;
        let fields = Fields::of(input.bytes, encoding, delimiter)?;
        let shape = Shape::of(&fields, delimiter, mapping.header)?;
        if shape.rows == 0 {
            return Err(AdapterError::malformed(
                "csv.empty",
                "the file has no data rows".into(),
                "データ行がありません".into(),
            ));
        }
        let (headers, width) = (shape.headers.as_ref(), shape.width);

        let mut columns = Vec::with_capacity(mapping.columns.len());
        for c in &mapping.columns {
            let target = match (&c.field, &c.item) {
                (Some(f), None) => Target::Field(*f),
                (None, Some(i)) => Target::Item(i.as_str()),
                _ => {
                    return Err(AdapterError::mapping(
                        "mapping.invalid",
                        format!(
                            "mapping `{mapping_name}`: every column needs exactly one of `field` and `item`"
                        ),
                        format!(
                            "マッピング `{mapping_name}`: 各列には field か item のどちらか一方が必要です"
                        ),
                    ));
                }
            };
            let (index, name) = resolve(&c.source, headers, width)?;
            columns.push(Resolved {
                index,
                name,
                target,
                map: &c.map,
            });
        }
        for name in &mapping.absent {
            let mapped = mapping.columns.iter().any(|c| {
                c.item.as_deref() == Some(name.as_str())
                    || c.field.is_some_and(|f| f.path() == name)
            });
            if name.trim().is_empty() || mapped {
                return Err(AdapterError::mapping(
                    "mapping.invalid",
                    format!(
                        "mapping `{mapping_name}`: `absent` lists `{name}`, which is {}",
                        if mapped {
                            "mapped to a column"
                        } else {
                            "empty"
                        }
                    ),
                    format!(
                        "マッピング `{mapping_name}`: absent の「{name}」は{}",
                        if mapped {
                            "列に対応づけられています"
                        } else {
                            "空です"
                        }
                    ),
                ));
            }
        }
        let mut pairs = Vec::with_capacity(mapping.item_pairs.len());
        for p in &mapping.item_pairs {
            pairs.push((
                resolve(&p.code, headers, width)?,
                resolve(&p.value, headers, width)?,
            ));
        }

        if let Some(misfit) = shape.misfit {
            return Err(misfit.error(width));
        }

        let mut reader = rows_of(fields.bytes(), delimiter);
        let mut row = csv::ByteRecord::new();
        if mapping.header {
            reader.read_byte_record(&mut row).map_err(read_error)?;
        }
        let mut lines = LineCounter::new(fields.bytes());
        let mut record_index = 0;
        while reader.read_byte_record(&mut row).map_err(read_error)? {
            if is_blank(&row, &fields) {
                continue;
            }
            let line = lines.line_at(
                row.position()
                    .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX)),
            );
            let provenance = Provenance {
                adapter: CATEGORY.to_owned(),
                mapping: Some(mapping_name.to_owned()),
                source_sha256: sha256.to_owned(),
                record_index: u32::try_from(record_index).unwrap_or(u32::MAX),
                record_location: SourceLocation::line(line),
                absent: mapping.absent.iter().cloned().collect(),
                ..Provenance::default()
            };
            let mut sheet = Sheet::new(mapping.kind, provenance);
            let mut findings = Vec::new();
            let cell = |index: usize, name: &Option<String>| {
                SourceLocation::cell(line, index as u32 + 1, name.as_deref())
            };
            for c in &columns {
                let raw = fields.text(row.get(c.index).unwrap_or_default());
                let raw = raw.trim();
                let text = c.map.get(raw).map_or(raw, String::as_str);
                if text.is_empty() {
                    continue;
                }
                let location = cell(c.index, &c.name);
                match c.target {
                    Target::Field(field) => {
                        findings.extend(field.inexact_number(CATEGORY, text, &location));
                        findings.extend(field.apply_from(&mut sheet, text, location));
                    }
                    Target::Item(code) => {
                        sheet.items.insert(
                            code.to_owned(),
                            Item::read(ItemValue::Text(parse::to_halfwidth(text)), Some(location)),
                        );
                    }
                }
            }
            for ((code_index, code_name), (value_index, value_name)) in &pairs {
                let code = fields.text(row.get(*code_index).unwrap_or_default());
                let value = fields.text(row.get(*value_index).unwrap_or_default());
                let (code, value) = (code.trim(), value.trim());
                if code.is_empty() && value.is_empty() {
                    continue;
                }
                if code.is_empty() {
                    findings.push(
                        Finding::error(
                            "item.code_missing",
                            None,
                            format!("a value `{value}` has no item code beside it"),
                            format!("値 `{value}` に項目コードがありません"),
                        )
                        .at(Some(cell(*code_index, code_name))),
                    );
                    continue;
                }
                sheet.items.insert(
                    parse::to_halfwidth(code),
                    Item::read(
                        ItemValue::Text(parse::to_halfwidth(value)),
                        Some(cell(*value_index, value_name)),
                    ),
                );
            }
            each(Converted {
                record: Record::Sheet(Box::new(sheet)),
                findings,
                readings: Vec::new(),
            });
            record_index += 1;
        }
        Ok(())
    }
}

/// A CSV reader of `bytes`' rows, quoted fields and ragged rows allowed (the first pass says
/// which rows do not fit).
fn rows_of(bytes: &[u8], delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
}

/// A row with nothing but blanks, skipped.
fn is_blank(row: &csv::ByteRecord, fields: &Fields<'_>) -> bool {
    row.iter()
        .all(|f| f.iter().all(u8::is_ascii_whitespace) || fields.text(f).trim().is_empty())
}

fn read_error(e: csv::Error) -> AdapterError {
    let line = e.position().map_or(0, |p| p.line());
    AdapterError::malformed(
        "csv.malformed",
        format!("line {line}: {e}"),
        format!("{line} 行目が CSV として読めません: {e}"),
    )
    .at(SourceLocation::line(line))
}

/// What the first pass over a file learns, holding no data row: the header, the width every
/// row must have (the header's, else the first row's), how many data rows there are, and the
/// first of another width.
struct Shape {
    headers: Option<csv::StringRecord>,
    width: usize,
    rows: usize,
    misfit: Option<Misfit>,
}

/// A data row whose field count is not the file's width.
struct Misfit {
    line: u64,
    fields: usize,
}

impl Shape {
    fn of(fields: &Fields<'_>, delimiter: u8, header: bool) -> Result<Self, AdapterError> {
        let mut reader = rows_of(fields.bytes(), delimiter);
        let mut row = csv::ByteRecord::new();
        let headers = if header && reader.read_byte_record(&mut row).map_err(read_error)? {
            Some(row.iter().map(|f| fields.text(f)).collect())
        } else {
            None
        };
        let mut width = headers.as_ref().map(csv::StringRecord::len);
        let mut misfit = None;
        let mut rows = 0;
        let mut lines = LineCounter::new(fields.bytes());
        while reader.read_byte_record(&mut row).map_err(read_error)? {
            if is_blank(&row, fields) {
                continue;
            }
            rows += 1;
            let expected = *width.get_or_insert(row.len());
            if row.len() != expected && misfit.is_none() {
                let offset = row
                    .position()
                    .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
                misfit = Some(Misfit {
                    line: lines.line_at(offset),
                    fields: row.len(),
                });
            }
        }
        Ok(Self {
            headers,
            width: width.unwrap_or(0),
            rows,
            misfit,
        })
    }
}

impl Misfit {
    fn error(&self, width: usize) -> AdapterError {
        let (line, fields) = (self.line, self.fields);
        let (code, what, what_ja) = if fields < width {
            ("csv.truncated_row", "too few", "不足")
        } else {
            ("csv.extra_fields", "too many", "過剰")
        };
        AdapterError::malformed(
            code,
            format!("line {line} has {fields} fields where the header has {width} ({what}); is the row cut off or a quote unbalanced?"),
            format!("{line} 行目の項目数が {fields} で、ヘッダーの {width} と合いません（{what_ja}）。行が途中で切れているか、引用符が閉じていません"),
        )
        .at(SourceLocation::line(line))
    }
}

/// Physical line numbers from byte offsets. The csv crate's own line count is one short for a
/// record that follows a CRLF (its position sits between the `\r` and the `\n`), so lines are
/// counted here: a record starts after any line breaks at its offset.
pub struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    pub fn new(text: &'t [u8]) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first non-line-break byte at or after `offset`; offsets only grow.
    pub fn line_at(&mut self, offset: usize) -> u64 {
        let mut end = offset.min(self.text.len());
        while matches!(self.text.get(end), Some(b'\r' | b'\n')) {
            end += 1;
        }
        if end > self.offset {
            self.line += self.text[self.offset..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = end;
        }
        self.line
    }
}

/// Mappings whose named columns all appear in the header line, split by each mapping's own
/// delimiter.
fn matching_mappings(mappings: &MappingFiles, first_line: &str) -> Vec<(String, CsvMapping)> {
    let first_line = first_line.trim_start_matches('\u{feff}');
    mappings
        .names(CATEGORY)
        .filter_map(|name| {
            let mapping: CsvMapping = mappings.load(CATEGORY, name).ok()?;
            let headers: Vec<&str> = first_line
                .split(mapping.delimiter)
                .map(|h| h.trim().trim_matches('"'))
                .collect();
            let mut named = mapping
                .columns
                .iter()
                .filter_map(|c| c.source.column.as_deref())
                .peekable();
            named.peek()?;
            named
                .all(|n| headers.contains(&n))
                .then(|| (name.to_owned(), mapping))
        })
        .collect()
}

impl Adapter for CsvAdapter {
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
        Some(parse_mapping::<CsvMapping>(name, text).and_then(|mapping| mapping.sources(name)))
    }

    fn sniff(&self, input: &Input<'_>) -> bool {
        match input.media_type().as_deref() {
            Some("text/csv" | "application/csv" | "text/comma-separated-values") => true,
            Some(_) => false,
            None => {
                // Text with commas and no NUL bytes (wide Japanese header lines run past 1 KiB).
                let head = &input.bytes[..input.bytes.len().min(8192)];
                !head.contains(&0) && head.contains(&b',')
            }
        }
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

    fn read_each(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
        each: &mut dyn FnMut(Converted),
    ) -> Result<Document, AdapterError> {
        let (name, mapping) = self.choose_mapping(input, context)?;
        self.read_bytes(input, &name, &mapping, each)?;
        Ok(Document {
            mapping: context.mapping.map(str::to_owned),
            records: Vec::new(),
            files: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::Severity;

    fn input<'a>(text: &'a str, sha256: &'a str) -> Input<'a> {
        Input {
            bytes: text.as_bytes(),
            content_type: None,
            sha256,
        }
    }

    /// UTF-8 `text` converted with `mapping`, every record at once.
    fn convert_text(
        text: &str,
        name: &str,
        mapping: &CsvMapping,
        sha256: &str,
    ) -> Result<Vec<Converted>, AdapterError> {
        let mut out = Vec::new();
        CsvAdapter.read_bytes(&input(text, sha256), name, mapping, &mut |c| out.push(c))?;
        Ok(out)
    }

    #[test]
    fn header_decimals_a_number_cannot_hold_exactly_are_a_located_warning() {
        let mapping: CsvMapping = toml::from_str(
            "description = \"t\"\nkind = \"shoman\"\n[[columns]]\ncolumn = \"身長\"\nfield = \"child.height_cm\"\n[[columns]]\ncolumn = \"体重\"\nfield = \"child.weight_kg\"\n",
        )
        .unwrap();
        let text = "身長,体重\n132.5,28.40\n132.123456789012345678,1e-400\n";
        let out = convert_text(text, "t", &mapping, "00").unwrap();
        assert!(out[0].findings.is_empty(), "{:?}", out[0].findings);
        let found: Vec<_> = out[1]
            .findings
            .iter()
            .map(|f| {
                let at = f.location.as_ref().unwrap();
                (
                    f.severity,
                    f.code.as_str(),
                    f.item.as_deref(),
                    at.line,
                    at.column,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    Severity::Warning,
                    "csv.inexact_number",
                    Some("child.height_cm"),
                    Some(3),
                    Some(1)
                ),
                (
                    Severity::Warning,
                    "csv.inexact_number",
                    Some("child.weight_kg"),
                    Some(3),
                    Some(2)
                ),
            ]
        );
        let Record::Sheet(sheet) = &out[1].record else {
            panic!("not a sheet");
        };
        let child = sheet.child.as_ref().unwrap();
        assert_eq!(
            (child.height_cm, child.weight_kg),
            (Some(132.12345678901235), Some(0.0))
        );
    }

    #[test]
    fn lines_are_physical_with_crlf_lf_and_quoted_newlines() {
        let mapping: CsvMapping = toml::from_str(
            "description = \"t\"\n[[columns]]\ncolumn = \"告示番号\"\nfield = \"disease.number\"\n[[columns]]\ncolumn = \"住所\"\nfield = \"patient.address\"\n",
        )
        .unwrap();
        for text in [
            "告示番号,住所\r\n2,東京\r\nx,\"大阪\r\n北区\"\r\n6,京都\r\n",
            "告示番号,住所\n2,東京\nx,\"大阪\n北区\"\n6,京都\n",
        ] {
            let out = convert_text(text, "t", &mapping, "00").unwrap();
            let lines: Vec<_> = out
                .iter()
                .map(|c| match &c.record {
                    Record::Sheet(s) => s.provenance.record_location.line.unwrap(),
                    _ => 0,
                })
                .collect();
            assert_eq!(lines, vec![2, 3, 5], "{text:?}");
            let bad = &out[1].findings[0];
            assert_eq!(bad.code, "field.unreadable");
            let at = bad.location.as_ref().unwrap();
            assert_eq!(
                (at.line, at.column, at.column_name.as_deref()),
                (Some(3), Some(1), Some("告示番号"))
            );
        }
    }

    #[test]
    fn what_an_export_lacks_is_declared_once_and_may_not_be_a_mapped_column() {
        let layout = "description = \"t\"\nabsent = [\"mg_adl.talking\", \"clinical.onset\"]\n[[columns]]\ncolumn = \"告示番号\"\nfield = \"disease.number\"\n";
        let mapping: CsvMapping = toml::from_str(layout).unwrap();
        let out = convert_text("告示番号\n11\n", "t", &mapping, "00").unwrap();
        let Record::Sheet(sheet) = &out[0].record else {
            panic!()
        };
        assert_eq!(
            sheet.provenance.absent.iter().collect::<Vec<_>>(),
            ["clinical.onset", "mg_adl.talking"]
        );
        let contradictory: CsvMapping =
            toml::from_str(&layout.replace("clinical.onset", "disease.number")).unwrap();
        let err = convert_text("告示番号\n11\n", "t", &contradictory, "00").unwrap_err();
        assert_eq!(err.code, "mapping.invalid");
        assert!(
            err.message.contains("`disease.number`, which is mapped"),
            "{}",
            err.message
        );
    }

    #[test]
    fn truncated_rows_and_missing_columns_are_located() {
        let mapping: CsvMapping = toml::from_str(
            "description = \"t\"\n[[columns]]\ncolumn = \"告示番号\"\nfield = \"disease.number\"\n[[columns]]\nindex = 2\nitem = \"x\"\n",
        )
        .unwrap();
        let err = convert_text("告示番号,b\r\n2,3\r\n4\r\n", "t", &mapping, "00").unwrap_err();
        assert_eq!(
            (err.code, err.location.unwrap().line),
            ("csv.truncated_row", Some(3))
        );
        let err = convert_text("番号,b\n2,3\n", "t", &mapping, "00").unwrap_err();
        assert_eq!(err.code, "csv.missing_column");
        assert!(err.message.contains("`告示番号`"), "{}", err.message);
        let err = convert_text("告示番号,b\n", "t", &mapping, "00").unwrap_err();
        assert_eq!(err.code, "csv.empty");
    }

    /// The first pass finds a row cut off at the end before the second hands over any record,
    /// so a streaming caller never holds part of a file it must refuse.
    #[test]
    fn a_file_refused_at_its_last_row_hands_over_no_record() {
        let mapping: CsvMapping = toml::from_str(
            "description = \"t\"\n[[columns]]\ncolumn = \"告示番号\"\nfield = \"disease.number\"\n",
        )
        .unwrap();
        let mut handed = 0;
        let err = CsvAdapter
            .read_bytes(
                &input("告示番号,b\n2,3\n\n5,6\n7\n", "00"),
                "t",
                &mapping,
                &mut |_| handed += 1,
            )
            .unwrap_err();
        assert_eq!(
            (err.code, err.location.unwrap().line, handed),
            ("csv.truncated_row", Some(5), 0)
        );
        // The same rows whole: each handed over in order, the blank line skipped.
        let mut lines = Vec::new();
        CsvAdapter
            .read_bytes(
                &input("告示番号,b\n2,3\n\n5,6\n7,8\n", "00"),
                "t",
                &mapping,
                &mut |c| {
                    if let Record::Sheet(sheet) = c.record {
                        let p = sheet.provenance;
                        lines.push((p.record_index, p.record_location.line));
                    }
                },
            )
            .unwrap();
        assert_eq!(lines, [(0, Some(2)), (1, Some(4)), (2, Some(5))]);
    }

    /// A CP932 export is split where it lies and decoded field by field: kanji whose trail
    /// byte is `\` (表, ソ, 能) read whole, a row of full-width spaces is blank, and lines count
    /// as in the file.
    #[test]
    fn cp932_is_read_field_by_field() {
        let mapping: CsvMapping = toml::from_str(
            "description = \"t\"\n[[columns]]\ncolumn = \"氏名\"\nfield = \"patient.name\"\n[[columns]]\ncolumn = \"告示番号\"\nfield = \"disease.number\"\n",
        )
        .unwrap();
        let (bytes, _, _) = encoding_rs::SHIFT_JIS
            .encode("氏名,告示番号\r\n能登 表ソ,11\r\n\u{3000},\u{3000}\r\n\"髙橋,一\",2\r\n");
        let input = Input {
            bytes: &bytes,
            content_type: Some("text/csv; charset=Shift_JIS"),
            sha256: "00",
        };
        let mut read = Vec::new();
        CsvAdapter
            .read_bytes(&input, "t", &mapping, &mut |c| {
                if let Record::Sheet(sheet) = c.record {
                    read.push((
                        sheet.patient.name.clone().unwrap_or_default(),
                        sheet.disease.number,
                        sheet.provenance.record_location.line,
                    ));
                }
            })
            .unwrap();
        assert_eq!(read.len(), 2, "{read:?}");
        assert!(read[0].0.contains("表ソ"), "{read:?}");
        assert_eq!((read[0].1, read[0].2), (Some(11), Some(2)));
        assert!(read[1].0.contains("髙橋,一"), "{read:?}");
        assert_eq!((read[1].1, read[1].2), (Some(2), Some(4)));
    }
}
