//! Splitting a decision file into records and fields: CSV through the csv crate, fixed-length
//! records by CP932 byte positions. Structural faults (undecodable bytes, a record of the wrong
//! length, a row with the wrong number of fields) reject the file with the line and, for
//! fixed-length files, the byte; a field whose bytes split a double-byte character is a finding
//! on its record.

use encoding_rs::SHIFT_JIS;
use kakehashi_adapter_csv::LineCounter;
use kakehashi_sdk::{AdapterError, Finding, SourceLocation};

use crate::layout::{CsvFormat, FieldSpec, FixedFormat, Layout, LineEnd};

/// One field's text as the file has it, trimmed of padding.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Index into the layout's fields.
    pub spec: usize,
    pub text: String,
    pub location: SourceLocation,
}

/// One record's fields.
#[derive(Debug, Clone)]
pub struct RawRecord {
    pub location: SourceLocation,
    pub cells: Vec<Cell>,
    pub findings: Vec<Finding>,
}

/// Padding back offices put around values: half-width and ideographic spaces.
fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\u{3000}', '\t'])
}

fn encoding_error(line: u64, byte: Option<u32>) -> AdapterError {
    let (at, at_ja) = match byte {
        Some(b) => (format!(", byte {b}"), format!(" {b} バイト目")),
        None => (String::new(), String::new()),
    };
    AdapterError::unsupported(
        "municipal.encoding",
        format!("line {line}{at} is not valid Shift_JIS (CP932)"),
        format!("{line} 行目{at_ja}が Shift_JIS (CP932) として読めません"),
    )
    .at(SourceLocation {
        line: Some(line),
        byte,
        ..SourceLocation::default()
    })
}

/// Reads a CSV decision file.
pub fn csv_records(
    bytes: &[u8],
    layout: &Layout,
    format: &CsvFormat,
) -> Result<Vec<RawRecord>, AdapterError> {
    let text = kakehashi_adapter_csv::decode(bytes, format.encoding).map_err(|e| {
        let line = e.location.as_ref().and_then(|l| l.line).unwrap_or(1);
        AdapterError {
            code: "municipal.encoding",
            ..e
        }
        .at(SourceLocation::line(line))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text.as_bytes());
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            AdapterError::malformed(
                "municipal.csv",
                format!("line {line}: {e}"),
                format!("{line} 行目が CSV として読めません: {e}"),
            )
            .at(SourceLocation::line(line))
        })?;
        let offset = row
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let line = lines.line_at(offset);
        if row.iter().all(|f| trim(f).is_empty()) {
            continue;
        }
        rows.push((line, row));
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = rows.into_iter();
    let header = if format.header { rows.next() } else { None };
    let width = header.as_ref().map(|(_, h)| h.len());
    let mut columns = Vec::with_capacity(layout.fields.len());
    for (i, spec) in layout.fields.iter().enumerate() {
        if spec.field.is_patient() {
            continue;
        }
        let index = match (&spec.column, spec.index, &header) {
            (Some(name), _, Some((_, h))) => h.iter().position(|c| trim(c) == name.as_str()),
            (None, Some(index), _) => Some(index as usize - 1),
            _ => None,
        };
        let Some(index) = index.filter(|ix| width.is_none_or(|w| *ix < w)) else {
            return Err(AdapterError::malformed(
                "municipal.missing_column",
                format!(
                    "the layout expects column `{}`, which the header line does not have",
                    spec.label()
                ),
                format!(
                    "レイアウトが指定する列 `{}` がヘッダー行にありません",
                    spec.label()
                ),
            )
            .at(SourceLocation::line(header.as_ref().map_or(1, |(l, _)| *l))));
        };
        columns.push((i, index, spec));
    }
    let mut out = Vec::new();
    let mut expected = width;
    for (line, row) in rows {
        let width = *expected.get_or_insert(row.len());
        if row.len() != width {
            return Err(AdapterError::malformed(
                "municipal.field_count",
                format!(
                    "line {line} has {} fields where the file has {width}; is a row cut off or a quote unbalanced?",
                    row.len()
                ),
                format!(
                    "{line} 行目の項目数 {} がほかの行の {width} と合いません。行が途中で切れているか、引用符が閉じていません",
                    row.len()
                ),
            )
            .at(SourceLocation::line(line)));
        }
        let mut cells = Vec::new();
        let mut findings = Vec::new();
        for (spec_index, column, spec) in &columns {
            let location = SourceLocation::cell(line, *column as u32 + 1, spec.column.as_deref());
            match row.get(*column) {
                Some(text) => cells.push(Cell {
                    spec: *spec_index,
                    text: trim(text).to_owned(),
                    location,
                }),
                None => findings.push(missing_cell(spec, location)),
            }
        }
        out.push(RawRecord {
            location: SourceLocation::line(line),
            cells,
            findings,
        });
    }
    Ok(out)
}

fn missing_cell(spec: &FieldSpec, location: SourceLocation) -> Finding {
    Finding::error(
        "municipal.missing_column",
        Some(spec.field.path()),
        format!("the row has no column for `{}`", spec.label()),
        format!("この行には `{}` の列がありません", spec.label()),
    )
    .at(Some(location))
}

/// Bytes a decoded character took in CP932: ASCII (and 0x80) and half-width katakana take one,
/// everything else two.
fn cp932_width(c: char) -> usize {
    if (c as u32) <= 0x80 || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
        1
    } else {
        2
    }
}

/// Decodes one record strictly, or says at which byte it fails.
fn decode_record(record: &[u8], line: u64) -> Result<String, AdapterError> {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(record.len())
        .unwrap_or(record.len() * 3);
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(record, &mut text, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(text),
        encoding_rs::DecoderResult::Malformed(bad, after) => {
            let offset = read - usize::from(after) - usize::from(bad);
            Err(encoding_error(line, u32::try_from(offset + 1).ok()))
        }
        encoding_rs::DecoderResult::OutputFull => Err(encoding_error(line, None)),
    }
}

/// Splits the file into records: by line ends, or every `record_length` bytes.
fn split_records<'b>(bytes: &'b [u8], format: &FixedFormat) -> Vec<(u64, &'b [u8])> {
    let length = format.record_length as usize;
    let mut records: Vec<(u64, &[u8])> = match format.line_end {
        LineEnd::None => bytes
            .chunks(length.max(1))
            .enumerate()
            .map(|(i, r)| (i as u64 + 1, r))
            .collect(),
        LineEnd::Crlf | LineEnd::Lf => bytes
            .split(|b| *b == b'\n')
            .enumerate()
            .map(|(i, r)| {
                let r = match format.line_end {
                    LineEnd::Crlf => r.strip_suffix(b"\r").unwrap_or(r),
                    _ => r,
                };
                (i as u64 + 1, r)
            })
            .filter(|(_, r)| !r.is_empty())
            .collect(),
    };
    // An old DOS end-of-file mark (0x1A) after the last record is not a record.
    if records.last().is_some_and(|(_, r)| *r == b"\x1a") {
        records.pop();
    }
    records
}

/// Reads a fixed-length decision file.
pub fn fixed_records(
    bytes: &[u8],
    layout: &Layout,
    format: &FixedFormat,
) -> Result<Vec<RawRecord>, AdapterError> {
    let length = format.record_length as usize;
    let mut out = Vec::new();
    for (line, record) in split_records(bytes, format) {
        if record.len() != length {
            let hint = if record.ends_with(b"\r") {
                " (it ends in CR: are the line ends CRLF where the layout says LF?)"
            } else {
                ""
            };
            return Err(AdapterError::malformed(
                "municipal.record_length",
                format!(
                    "line {line} is {} bytes long; the layout's records are {length} bytes{hint}",
                    record.len()
                ),
                format!(
                    "{line} 行目の長さが {} バイトで、レイアウトのレコード長 {length} バイトと合いません",
                    record.len()
                ),
            )
            .at(SourceLocation::line(line)));
        }
        let text = decode_record(record, line)?;
        // Byte offset of every character start, and the end.
        let mut starts = Vec::with_capacity(text.len() + 1);
        let mut byte = 0;
        for (char_offset, c) in text.char_indices() {
            starts.push((byte, char_offset));
            byte += cp932_width(c);
        }
        starts.push((byte, text.len()));
        let char_at = |b: usize| {
            starts
                .binary_search_by_key(&b, |(byte, _)| *byte)
                .ok()
                .map(|i| starts[i].1)
        };
        let mut cells = Vec::new();
        let mut findings = Vec::new();
        for (i, spec) in layout.fields.iter().enumerate() {
            if spec.field.is_patient() {
                continue;
            }
            let range = spec.range();
            let location = SourceLocation {
                line: Some(line),
                byte: u32::try_from(range.start + 1).ok(),
                column_name: Some(spec.label().to_owned()),
                ..SourceLocation::default()
            };
            match (char_at(range.start), char_at(range.end)) {
                (Some(from), Some(to)) => cells.push(Cell {
                    spec: i,
                    text: trim(&text[from..to]).to_owned(),
                    location,
                }),
                _ => findings.push(
                    Finding::error(
                        "municipal.field_boundary",
                        Some(spec.field.path()),
                        format!(
                            "a double-byte character crosses the edge of `{}` (bytes {}–{}): is the record shifted?",
                            spec.label(),
                            range.start + 1,
                            range.end
                        ),
                        format!(
                            "`{}`（{}〜{} バイト）の境界で全角文字が分断されています。レコードがずれていませんか",
                            spec.label(),
                            range.start + 1,
                            range.end
                        ),
                    )
                    .at(Some(location)),
                ),
            }
        }
        out.push(RawRecord {
            location: SourceLocation::line(line),
            cells,
            findings,
        });
    }
    Ok(out)
}
