//! Why an export could not be written: the record (0-based, in the order given), the field, a
//! stable code and both messages. Exports never write a value they cannot represent.

/// An export that could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {record}{}: {message}", field.as_deref().map(|f| format!(", field {f}")).unwrap_or_default())]
pub struct ExportError {
    /// Stable code, e.g. `municipal.too_long`.
    pub code: &'static str,
    /// 0-based index of the record among those given.
    pub record: usize,
    /// The field, by canonical name, when one is at fault.
    pub field: Option<String>,
    pub message: String,
    pub message_ja: String,
}

impl ExportError {
    pub fn new(
        code: &'static str,
        record: usize,
        field: Option<&str>,
        message: String,
        message_ja: String,
    ) -> Self {
        Self {
            code,
            record,
            field: field.map(str::to_owned),
            message,
            message_ja,
        }
    }
}

/// Text in CP932, or the first character CP932 cannot hold (encoding_rs would otherwise write
/// it as `&#NNNN;` without a word).
pub fn encode_cp932(text: &str) -> Result<Vec<u8>, char> {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    if !unmappable {
        return Ok(bytes.into_owned());
    }
    let bad = text
        .chars()
        .find(|c| encoding_rs::SHIFT_JIS.encode(&c.to_string()).2)
        .unwrap_or('\u{FFFD}');
    Err(bad)
}
