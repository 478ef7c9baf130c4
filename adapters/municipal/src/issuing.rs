//! The 受給者証 issuing file: what the back office needs to print recipient certificates, in the
//! same layout a decision file is read with, so one layout file describes the exchange both
//! ways. Patient fields come from the sheet's header.

use kakehashi_sdk::{Certification, Patient};

use crate::export::{ExportError, encode_cp932};
use crate::layout::{CsvFormat, FieldSpec, FixedFormat, Format, Layout, LineEnd, Pad};
use crate::value::{self, Source};

/// One certificate to issue: the decision and the patient it is about.
#[derive(Debug, Clone, Copy)]
pub struct IssuingRow<'a> {
    pub certification: &'a Certification,
    /// The sheet's (or application's) 基本情報.
    pub patient: &'a Patient,
}

/// Writes the issuing file for `rows` in `layout`: CSV (with the layout's header and encoding)
/// or fixed-length CP932 records.
pub fn write_issuing_file(
    layout: &Layout,
    rows: &[IssuingRow<'_>],
) -> Result<Vec<u8>, ExportError> {
    let mut texts = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let source = Source {
            certification: row.certification,
            patient: row.patient,
        };
        let mut cells = Vec::with_capacity(layout.fields.len());
        for spec in &layout.fields {
            let text = value::write(spec, &source).map_err(|p| {
                ExportError::new(p.code, i, Some(spec.field.path()), p.message, p.message_ja)
            })?;
            cells.push(text);
        }
        texts.push(cells);
    }
    match &layout.format {
        Format::Csv(csv) => write_csv(layout, csv, &texts),
        Format::Fixed(fixed) => write_fixed(layout, fixed, &texts),
    }
}

fn unmappable(record: usize, spec: &FieldSpec, c: char) -> ExportError {
    ExportError::new(
        "municipal.unmappable",
        record,
        Some(spec.field.path()),
        format!(
            "`{c}` (U+{:04X}) in `{}` has no Shift_JIS (CP932) code; write it with a character CP932 has",
            c as u32,
            spec.label()
        ),
        format!(
            "`{}` の文字 `{c}`（U+{:04X}）は Shift_JIS (CP932) で表せません",
            spec.label(),
            c as u32
        ),
    )
}

/// Places fields at their `index` when the layout gives one, else in layout order.
fn csv_line(layout: &Layout, cells: Vec<String>) -> Vec<String> {
    let width = layout
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| f.index.map_or(i + 1, |ix| ix as usize))
        .max()
        .unwrap_or(0);
    let mut line = vec![String::new(); width];
    for (i, (spec, cell)) in layout.fields.iter().zip(cells).enumerate() {
        line[spec.index.map_or(i, |ix| ix as usize - 1)] = cell;
    }
    line
}

fn write_csv(
    layout: &Layout,
    format: &CsvFormat,
    rows: &[Vec<String>],
) -> Result<Vec<u8>, ExportError> {
    let terminator = match format.line_end {
        LineEnd::Lf => csv::Terminator::Any(b'\n'),
        LineEnd::Crlf | LineEnd::None => csv::Terminator::CRLF,
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(Vec::new());
    let csv_error = |e: csv::Error| {
        ExportError::new(
            "municipal.write",
            0,
            None,
            e.to_string(),
            format!("CSV を書けません: {e}"),
        )
    };
    if format.header {
        let names = layout.fields.iter().map(|f| f.label().to_owned()).collect();
        writer
            .write_record(csv_line(layout, names))
            .map_err(csv_error)?;
    }
    let cp932 = format.encoding == kakehashi_adapter_csv::mapping::Encoding::ShiftJis;
    for (i, row) in rows.iter().enumerate() {
        if cp932 {
            for (spec, cell) in layout.fields.iter().zip(row) {
                encode_cp932(cell).map_err(|c| unmappable(i, spec, c))?;
            }
        }
        writer
            .write_record(csv_line(layout, row.clone()))
            .map_err(csv_error)?;
    }
    let utf8 = writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))?;
    if !cp932 {
        return Ok(utf8);
    }
    let text = String::from_utf8(utf8)
        .map_err(|e| ExportError::new("municipal.write", 0, None, e.to_string(), e.to_string()))?;
    encode_cp932(&text).map_err(|c| {
        ExportError::new(
            "municipal.unmappable",
            0,
            None,
            format!("`{c}` has no Shift_JIS (CP932) code"),
            format!("`{c}` は Shift_JIS (CP932) で表せません"),
        )
    })
}

fn write_fixed(
    layout: &Layout,
    format: &FixedFormat,
    rows: &[Vec<String>],
) -> Result<Vec<u8>, ExportError> {
    let length = format.record_length as usize;
    let line_end = format.line_end.bytes();
    let mut out = Vec::with_capacity(rows.len() * (length + line_end.len()));
    for (i, row) in rows.iter().enumerate() {
        let mut record = vec![b' '; length];
        for (spec, text) in layout.fields.iter().zip(row) {
            let bytes = encode_cp932(text).map_err(|c| unmappable(i, spec, c))?;
            let range = spec.range();
            let width = range.len();
            if bytes.len() > width {
                return Err(ExportError::new(
                    "municipal.too_long",
                    i,
                    Some(spec.field.path()),
                    format!(
                        "`{}` takes {} bytes in CP932; the field has {width} (full-width characters take 2)",
                        spec.label(),
                        bytes.len()
                    ),
                    format!(
                        "`{}` は CP932 で {} バイトあり、項目の {width} バイトに収まりません（全角は 2 バイト）",
                        spec.label(),
                        bytes.len()
                    ),
                ));
            }
            let field = &mut record[range];
            match spec.pad {
                Pad::Space => field[..bytes.len()].copy_from_slice(&bytes),
                Pad::Zero if !bytes.is_empty() => {
                    let fill = width - bytes.len();
                    field[..fill].fill(b'0');
                    field[fill..].copy_from_slice(&bytes);
                }
                Pad::Zero => {}
            }
        }
        out.extend_from_slice(&record);
        out.extend_from_slice(line_end);
    }
    Ok(out)
}
