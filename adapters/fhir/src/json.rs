//! The document as written: a JSON tree that keeps every number's literal (`1.50` stays
//! `1.50`) and every value's byte offset. `serde_json::Value` keeps neither (numbers become
//! `f64` unless the workspace-wide `arbitrary_precision` feature is switched on), and the
//! adapter needs both: clinical values must not be rounded, and findings name their line.

use std::borrow::Cow;

/// Deepest nesting read, as serde_json's own limit, so both readers refuse the same documents.
const MAX_DEPTH: usize = 128;

/// One JSON value and where it starts: the byte offset as `u32` (a document is read whole,
/// far below 4 GiB; [`parse`] refuses more).
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub value: Value<'a>,
    /// Byte offset of the value's first character.
    pub offset: u32,
}

/// A JSON value; numbers as their literal text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// Why the bytes are not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {reason}")]
pub struct SyntaxError {
    pub line: u64,
    pub column: u64,
    pub reason: String,
}

impl<'a> Node<'a> {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match &self.value {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `key` as a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of the member `key` when it is an array, else none.
    pub fn array(&self, key: &str) -> &[Node<'a>] {
        match self.get(key).map(|n| &n.value) {
            Some(Value::Array(items)) => items,
            _ => &[],
        }
    }

    /// Members of an object (none for other values).
    pub fn members(&self) -> &[(Cow<'a, str>, Node<'a>)] {
        match &self.value {
            Value::Object(members) => members,
            _ => &[],
        }
    }
}

impl Node<'_> {
    /// Whether the value carries no data (null, `[]`, `{}`).
    pub fn is_empty(&self) -> bool {
        match &self.value {
            Value::Null => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(members) => members.is_empty(),
            _ => false,
        }
    }
}

/// Bytes per block of [`Lines`].
const LINE_BLOCK: usize = 512;

/// Which line a byte offset is on, counted once per block of the document: a location is then
/// a count within one block, not from the start of the document (which made the time to
/// convert a document grow with the square of its size). Counting is `bytecount`'s, a word
/// at a time, and the index holds one number per 512 bytes (under 1 % of the document), where
/// a list of every newline's offset cost a tenth of a Synthea bundle's conversion to build and
/// a tenth of its size; with 4 KiB blocks, counting within the block for each location of a
/// small document's findings cost more than counting the document.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    bytes: &'a [u8],
    /// Newlines before each block, and in all.
    before: Vec<u32>,
}

fn newlines(bytes: &[u8]) -> u32 {
    // Within u32: documents are below 4 GiB (`parse`).
    bytecount::count(bytes, b'\n') as u32
}

impl<'a> Lines<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut before = Vec::with_capacity(bytes.len() / LINE_BLOCK + 2);
        let mut count = 0;
        for block in bytes.chunks(LINE_BLOCK) {
            before.push(count);
            count += newlines(block);
        }
        before.push(count);
        Self { bytes, before }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> u64 {
        let offset = (offset as usize).min(self.bytes.len());
        let block = offset / LINE_BLOCK;
        let before = self.before.get(block).copied().unwrap_or_default();
        u64::from(before + newlines(&self.bytes[block * LINE_BLOCK..offset])) + 1
    }
}

/// Parses a whole document (RFC 8259; a leading byte-order mark is skipped).
pub fn parse(bytes: &[u8]) -> Result<Node<'_>, SyntaxError> {
    if u32::try_from(bytes.len()).is_err() {
        return Err(SyntaxError {
            line: 1,
            column: 1,
            reason: "the document is larger than 4 GiB".into(),
        });
    }
    // simdutf8 checks Japanese text several times faster than the standard library, which
    // says where the first bad byte is when there is one.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => std::str::from_utf8(bytes).map_err(|e| {
            let offset = e.valid_up_to();
            syntax(bytes, offset, "the document is not UTF-8".into())
        })?,
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut parser = Parser {
        text,
        bytes,
        pos: start,
        members: Vec::new(),
        items: Vec::new(),
    };
    parser.skip_ws();
    parser.value(0, None).map_err(|e| *e)?;
    let node = parser
        .items
        .pop()
        .expect("the document's value, pushed by `value`");
    parser.skip_ws();
    if parser.pos < bytes.len() {
        return Err(*parser.error("text after the end of the JSON value".into()));
    }
    Ok(node)
}

fn syntax(bytes: &[u8], offset: usize, reason: String) -> SyntaxError {
    let end = offset.min(bytes.len());
    let line_start = bytes[..end]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&bytes[line_start..end])
        .chars()
        .count() as u64
        + 1;
    SyntaxError {
        line: bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1,
        column,
        reason,
    }
}

/// Every byte of a word set to `byte`.
const fn repeated(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// Whether any byte of `word` is below `n` (at most 0x80), a word at a time: a byte below `n`
/// borrows into its high bit when `n` is subtracted, which bytes of 0x80 and above are masked
/// out of.
const fn any_below(word: u64, n: u8) -> bool {
    word.wrapping_sub(repeated(n)) & !word & repeated(0x80) != 0
}

/// The length of the plain text at the start of `bytes`: up to the first quote, backslash or
/// control character, or all of it. Strings are most of a FHIR document, so it is looked for
/// eight bytes at a time.
fn plain_run(bytes: &[u8]) -> usize {
    let special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    let mut at = 0;
    for chunk in bytes.chunks_exact(8) {
        let word = u64::from_ne_bytes(chunk.try_into().expect("eight bytes"));
        // A quote or backslash is a zero byte once the word is XORed with it.
        if any_below(word ^ repeated(b'"'), 1)
            || any_below(word ^ repeated(b'\\'), 1)
            || any_below(word, 0x20)
        {
            break;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| special(b))
        .unwrap_or(bytes.len() - at)
}

/// What the parser's steps return; the error boxed, as errors are rare and results many: a
/// result is then no larger than the node it holds.
type Parsed<T> = Result<T, Box<SyntaxError>>;

/// The members and elements of the objects and arrays being read are gathered on two stacks
/// shared by all levels and moved into a vector of exactly their number when the object or
/// array closes: no vector grows by doubling, so none holds spare capacity afterwards.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    members: Vec<(Cow<'a, str>, Node<'a>)>,
    items: Vec<Node<'a>>,
}

impl<'a> Parser<'a> {
    #[cold]
    #[inline(never)]
    fn error(&self, reason: String) -> Box<SyntaxError> {
        Box::new(syntax(self.bytes, self.pos, reason))
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Pretty-printed documents are about 40 % indentation, so eight spaces are stepped over
    /// at once (one comparison of a machine word).
    fn skip_ws(&mut self) {
        let bytes = self.bytes;
        let mut pos = self.pos;
        loop {
            if bytes.get(pos..pos + 8) == Some(b"        ") {
                pos += 8;
                continue;
            }
            match bytes.get(pos) {
                Some(b' ' | b'\t' | b'\n' | b'\r') => pos += 1,
                _ => break,
            }
        }
        self.pos = pos;
    }

    fn expect(&mut self, byte: u8) -> Parsed<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected `{}`", byte as char)))
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Parsed<Value<'a>> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value".into()))
        }
    }

    /// Reads a value and pushes it where its container gathers it: onto the members with
    /// `key` when it is an object's member, else onto the elements. Pushed here, not
    /// returned: a returned node was copied out of the callee's frame with loads that
    /// straddled its stores (a tenth of the parse in the profile, store-forwarding stalls).
    fn value(&mut self, depth: usize, key: Option<Cow<'a, str>>) -> Parsed<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let offset = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(_) => return Err(self.error("expected a JSON value".into())),
            None => return Err(self.error("the document ends where a value should be".into())),
        };
        // It fits: `parse` refuses documents of 4 GiB or more.
        let node = Node {
            value,
            offset: offset as u32,
        };
        match key {
            Some(key) => self.members.push((key, node)),
            None => self.items.push(node),
        }
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Parsed<Value<'a>> {
        self.pos += 1;
        let base = self.members.len();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Vec::new()));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name in double quotes".into()));
            }
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':')?;
            self.skip_ws();
            self.value(depth + 1, Some(key))?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(self.members.drain(base..).collect()));
                }
                _ => return Err(self.error("expected `,` or `}` after an object member".into())),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Parsed<Value<'a>> {
        self.pos += 1;
        let base = self.items.len();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(Vec::new()));
        }
        loop {
            self.skip_ws();
            self.value(depth + 1, None)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(self.items.drain(base..).collect()));
                }
                _ => return Err(self.error("expected `,` or `]` after an array element".into())),
            }
        }
    }

    fn number(&mut self) -> Parsed<&'a str> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos > from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(self.error("a number needs digits".into()));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error("a decimal point needs digits after it".into()));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("an exponent needs digits".into()));
            }
        }
        Ok(&self.text[start..self.pos])
    }

    fn hex4(&mut self) -> Parsed<u32> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("`\\u` needs four hex digits".into()))?;
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| self.error("bad `\\u` escape".into()))
    }

    fn string(&mut self) -> Parsed<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error("a string is not closed".into()));
            };
            match byte {
                b'"' => {
                    let end = self.pos;
                    self.pos += 1;
                    return Ok(match owned {
                        Some(s) => Cow::Owned(s),
                        None => Cow::Borrowed(&self.text[start..end]),
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(|| self.text[start..self.pos].to_owned());
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error("a lone surrogate in `\\u`".into()));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("a lone surrogate in `\\u`".into()));
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            let c = char::from_u32(code)
                                .ok_or_else(|| self.error("a lone surrogate in `\\u`".into()))?;
                            s.push(c);
                            continue;
                        }
                        _ => return Err(self.error("an unknown escape in a string".into())),
                    };
                    s.push(escaped);
                    self.pos += 1;
                }
                0x00..=0x1f => {
                    return Err(self.error("a control character inside a string".into()));
                }
                _ => {
                    // A run of plain text up to the next quote, escape or control character
                    // (all ASCII, so the run ends on a character boundary of the valid UTF-8).
                    let run = self.pos;
                    self.pos += plain_run(&self.bytes[run..]);
                    if let Some(s) = owned.as_mut() {
                        s.push_str(&self.text[run..self.pos]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one_and_a_newline_belongs_to_its_line() {
        let lines = Lines::new(b"ab\ncd\n\nef");
        let found: Vec<u64> = [0, 2, 3, 5, 6, 7, 8, 100]
            .iter()
            .map(|&o| lines.line_of(o))
            .collect();
        assert_eq!(found, [1, 1, 2, 2, 3, 4, 4, 4]);
        let long = "x\n".repeat(5000);
        let lines = Lines::new(long.as_bytes());
        for offset in [0, 4095, 4096, 4097, 8191, 8192, 9999, 10_000] {
            assert_eq!(lines.line_of(offset), offset as u64 / 2 + 1, "{offset}");
        }
        assert_eq!(Lines::new(b"").line_of(0), 1);
    }

    #[test]
    fn numbers_keep_their_literal_and_strings_unescape() {
        let text = "\u{feff}{\"a\": 1.50, \"b\": [-0, 2e-3], \"c\": \"x\\u00e9\\ud83d\\ude00\\n\", \"d\": \"山田\"}";
        let doc = parse(text.as_bytes()).unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Number("1.50"));
        let b: Vec<_> = doc.array("b").iter().map(|n| n.value.clone()).collect();
        assert_eq!(b, vec![Value::Number("-0"), Value::Number("2e-3")]);
        assert_eq!(doc.str("c"), Some("xé😀\n"));
        assert_eq!(doc.str("d"), Some("山田"));
        let at = doc.get("d").unwrap().offset as usize;
        assert!(text[at..].starts_with("\"山田\""), "{at}");
    }

    #[test]
    fn a_plain_run_ends_at_the_first_quote_backslash_or_control_character() {
        for (text, run) in [
            ("", 0),
            ("abc", 3),
            ("abcdefgh\"", 8),
            ("abcdefghi\"", 9),
            ("abcdefg\\h", 7),
            ("abcdefghijklmno\u{1f}p", 15),
            ("山田太郎さんの記録\"x", "山田太郎さんの記録".len()),
            (
                "\u{7f}\u{80}\u{ff}abcdefgh\u{0}",
                "\u{7f}\u{80}\u{ff}abcdefgh".len(),
            ),
        ] {
            assert_eq!(plain_run(text.as_bytes()), run, "{text:?}");
        }
        for at in 0..20 {
            let mut bytes = vec![b'x'; 20];
            bytes[at] = b'"';
            assert_eq!(plain_run(&bytes), at);
        }
    }

    #[test]
    fn bad_documents_are_located() {
        for (text, line, column) in [
            ("{\n  \"a\": 01\n}", 2, 9),
            ("{\n  \"a\": 1,\n}", 3, 1),
            ("[1, 2", 1, 6),
            ("{\"a\": \"\\ud800\"}", 1, 14),
            ("{\"a\": tru}", 1, 7),
            ("{} {}", 1, 4),
            ("{\"a\": 1.}", 1, 9),
        ] {
            let err = parse(text.as_bytes()).unwrap_err();
            assert_eq!((err.line, err.column), (line, column), "{text}: {err}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(deep.as_bytes()).unwrap_err().reason.contains("128"));
        assert!(parse(&[b'"', 0xff, b'"']).is_err());
        // Not UTF-8: located at the byte.
        let err = parse(b"{\"a\": \"x\xff\"}").unwrap_err();
        assert_eq!((err.line, err.column), (1, 9), "{err}");
        assert!(err.reason.contains("UTF-8"), "{err}");
        let err = parse(b"{\"a\": 1 \xff}").unwrap_err();
        assert_eq!((err.line, err.column), (1, 9), "{err}");
    }
}
