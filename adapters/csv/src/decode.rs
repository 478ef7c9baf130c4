//! Turning the bytes of an export into text. Japanese EHRs write UTF-8 (often with a BOM) or
//! Shift_JIS — in practice Windows CP932, which encoding_rs's `SHIFT_JIS` is. Decoding is strict:
//! a byte that does not decode is an error naming its line, never a silent U+FFFD.
//!
//! A file is checked whole and then split into fields where it lies, each field decoded as it
//! is read ([`Fields`]), so its text is never held whole beside its bytes: a 60,000-row CP932
//! export would otherwise need its size again (and half more) as UTF-8. Shift_JIS can be split
//! before it is decoded because its trail bytes (0x40–0x7E, 0x80–0xFC) are never a quote, a line
//! break or a delimiter below 0x40 (`,`, tab, `;`); for a delimiter among them (`|`) the file is
//! decoded whole first.

use std::borrow::Cow;

use encoding_rs::{SHIFT_JIS, UTF_8};
use kakehashi_sdk::{AdapterError, SourceLocation, check_strict, decode_strict};

use crate::mapping::Encoding;

/// The charset a `Content-Type` declares, if any.
pub fn declared_charset(content_type: Option<&str>) -> Option<Encoding> {
    let params = content_type?.split(';').skip(1);
    for param in params {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            let label = value.trim().trim_matches('"');
            return match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(e) if e == UTF_8 => Some(Encoding::Utf8),
                Some(e) if e == SHIFT_JIS => Some(Encoding::ShiftJis),
                _ => None,
            };
        }
    }
    None
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

/// UTF-8 is read where it lies: a UTF-8 export costs no copy of its text.
fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, AdapterError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(body).map(Cow::Borrowed).map_err(|e| {
        let line = line_of(body, e.valid_up_to());
        AdapterError::unsupported(
            "csv.encoding",
            format!("line {line} is not valid UTF-8 (byte {} of the file); is the file Shift_JIS? Declare `encoding = \"shift_jis\"` in the mapping or send `charset=shift_jis`", e.valid_up_to() + 1),
            format!("{line} 行目が UTF-8 として読めません。Shift_JIS のファイルであれば、マッピングに encoding = \"shift_jis\" を指定するか charset=shift_jis を付けて送信してください"),
        )
        .at(SourceLocation::line(line))
    })
}

fn not_shift_jis(line: u64) -> AdapterError {
    AdapterError::unsupported(
        "csv.encoding",
        format!("line {line} is not valid Shift_JIS (CP932); is the file UTF-8?"),
        format!(
            "{line} 行目が Shift_JIS (CP932) として読めません。UTF-8 のファイルではありませんか"
        ),
    )
    .at(SourceLocation::line(line))
}

fn shift_jis(bytes: &[u8]) -> Result<Cow<'_, str>, AdapterError> {
    decode_strict(SHIFT_JIS, bytes)
        .map(Cow::Owned)
        .map_err(not_shift_jis)
}

/// A checked file's bytes, split into fields by the csv reader and decoded one field at a time.
pub struct Fields<'b> {
    bytes: Cow<'b, [u8]>,
    shift_jis: bool,
}

impl<'b> Fields<'b> {
    /// `bytes` in `encoding` (a UTF-8 BOM dropped), checked, ready to split on `delimiter`.
    pub fn of(bytes: &'b [u8], encoding: Encoding, delimiter: u8) -> Result<Self, AdapterError> {
        let utf8_fields = |text: Cow<'b, str>| Self {
            bytes: match text {
                Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                Cow::Owned(text) => Cow::Owned(text.into_bytes()),
            },
            shift_jis: false,
        };
        let shift_jis_fields = || {
            if delimiter < 0x40 {
                check_strict(SHIFT_JIS, bytes).map_err(not_shift_jis)?;
                Ok(Self {
                    bytes: Cow::Borrowed(bytes),
                    shift_jis: true,
                })
            } else {
                shift_jis(bytes).map(utf8_fields)
            }
        };
        match encoding {
            Encoding::Utf8 => utf8(bytes).map(utf8_fields),
            Encoding::ShiftJis => shift_jis_fields(),
            Encoding::Auto => match utf8(bytes) {
                Ok(text) => Ok(utf8_fields(text)),
                Err(utf8_error) => shift_jis_fields().map_err(|_| utf8_error),
            },
        }
    }

    /// The bytes to split.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A field's text: borrowed where it is ASCII or UTF-8. The file was checked whole and
    /// fields end at ASCII bytes, so nothing is replaced here.
    pub fn text<'f>(&self, field: &'f [u8]) -> Cow<'f, str> {
        if self.shift_jis {
            SHIFT_JIS.decode_without_bom_handling(field).0
        } else {
            String::from_utf8_lossy(field)
        }
    }
}

/// Decodes the input as the request or the mapping declares; `auto` takes UTF-8 when the bytes
/// are valid UTF-8 and Shift_JIS otherwise.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<Cow<'_, str>, AdapterError> {
    match encoding {
        Encoding::Utf8 => utf8(bytes),
        Encoding::ShiftJis => shift_jis(bytes),
        Encoding::Auto => {
            utf8(bytes).or_else(|utf8_error| shift_jis(bytes).map_err(|_| utf8_error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_bom_and_cp932() {
        assert_eq!(
            decode("\u{feff}氏名,髙橋".as_bytes(), Encoding::Auto).unwrap(),
            "氏名,髙橋"
        );
        let (sjis, _, _) = SHIFT_JIS.encode("氏名,髙橋 ①㈱");
        assert_eq!(decode(&sjis, Encoding::Auto).unwrap(), "氏名,髙橋 ①㈱");
        assert_eq!(decode(&sjis, Encoding::ShiftJis).unwrap(), "氏名,髙橋 ①㈱");
    }

    #[test]
    fn wrong_encoding_names_the_line() {
        let (sjis, _, _) = SHIFT_JIS.encode("a,b\nc,d\n山田,e\n");
        let err = decode(&sjis, Encoding::Utf8).unwrap_err();
        assert_eq!(err.code, "csv.encoding");
        assert_eq!(err.location.unwrap().line, Some(3));
        let err = decode(b"a,b\n\xff\xff,c\n", Encoding::ShiftJis).unwrap_err();
        assert_eq!(err.location.unwrap().line, Some(2));
    }

    /// CP932 split on a comma is read where it lies; on `|`, whose byte is a trail byte of
    /// many characters (ポ is 0x83 0x7C), it is decoded whole first.
    #[test]
    fn shift_jis_is_split_where_it_lies_unless_the_delimiter_is_a_trail_byte() {
        let (sjis, _, _) = SHIFT_JIS.encode("表,髙橋\n");
        let fields = Fields::of(&sjis, Encoding::Auto, b',').unwrap();
        assert!(matches!(fields.bytes, Cow::Borrowed(_)));
        let cells: Vec<_> = fields.bytes().split(|b| *b == b',').collect();
        assert_eq!(fields.text(cells[0]), "表");
        let (sjis, _, _) = SHIFT_JIS.encode("ポ|髙橋\n");
        assert_eq!(sjis.iter().filter(|b| **b == b'|').count(), 2);
        let fields = Fields::of(&sjis, Encoding::ShiftJis, b'|').unwrap();
        let cells: Vec<_> = fields.bytes().split(|b| *b == b'|').collect();
        assert_eq!(
            (fields.text(cells[0]), fields.text(cells[1])),
            ("ポ".into(), "髙橋\n".into())
        );
        let utf8 = Fields::of("\u{feff}a,b".as_bytes(), Encoding::Auto, b',').unwrap();
        assert_eq!(utf8.bytes(), b"a,b");
        let err = Fields::of(b"a,b\n\xff\xff,c\n", Encoding::ShiftJis, b',').err();
        assert_eq!(err.unwrap().location.unwrap().line, Some(2));
    }

    #[test]
    fn reads_charset_parameters() {
        assert_eq!(
            declared_charset(Some("text/csv; charset=Shift_JIS")),
            Some(Encoding::ShiftJis)
        );
        assert_eq!(
            declared_charset(Some("text/csv;charset=\"utf-8\"")),
            Some(Encoding::Utf8)
        );
        assert_eq!(
            declared_charset(Some("text/csv; charset=windows-31j")),
            Some(Encoding::ShiftJis)
        );
        assert_eq!(declared_charset(Some("text/csv")), None);
    }
}
