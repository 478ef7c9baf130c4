//! Application XML: bytes to text, and text to a small element tree the mapping's paths are
//! looked up in. Mynaportal's forms are written in UTF-8 or, from older back-office tools,
//! Shift_JIS; quick-xml does not switch encoding on the declaration, so the declared label is
//! read here and the whole entry decoded strictly (a byte that does not decode is an error
//! naming its line, never a silent U+FFFD). Every element keeps its line, so errors and
//! provenance point into the entry.

use encoding_rs::{Encoding, UTF_8};
use kakehashi_sdk::{AdapterError, SourceLocation, decode_strict};
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// Deepest nesting read; application forms are a few levels deep.
const MAX_DEPTH: usize = 64;

/// An element: its local name, its text (trimmed), its line and its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub line: u64,
    pub children: Vec<Element>,
}

impl Element {
    /// Elements at `path` (`/`-separated local names, the first naming this element), in
    /// document order.
    pub fn select<'e>(&'e self, path: &str) -> Vec<&'e Element> {
        match path.split_once('/') {
            Some((first, rest)) if first == self.name => self.below(rest),
            None if path == self.name => vec![self],
            _ => Vec::new(),
        }
    }

    /// Descendants at `path` relative to this element, in document order.
    pub fn below<'e>(&'e self, path: &str) -> Vec<&'e Element> {
        let mut found = vec![self];
        for part in path.split('/').filter(|p| !p.is_empty()) {
            found = found
                .into_iter()
                .flat_map(|e| e.children.iter().filter(|c| c.name == part))
                .collect();
        }
        found
    }

    /// The first element at `path` relative to this one that has text.
    pub fn text_below<'e>(&'e self, path: &str) -> Option<&'e Element> {
        self.below(path).into_iter().find(|e| !e.text.is_empty())
    }
}

/// Where something is in an entry.
pub fn located(entry: &str, line: u64, element: Option<String>) -> SourceLocation {
    SourceLocation {
        entry: Some(entry.to_owned()),
        line: Some(line),
        element,
        ..SourceLocation::default()
    }
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
        + 1
}

fn encoding_error(entry: &str, line: u64, reason: String, reason_ja: String) -> AdapterError {
    AdapterError::unsupported(
        "mynaportal.encoding",
        format!("entry `{entry}` line {line}: {reason}"),
        format!("エントリ `{entry}` の {line} 行目: {reason_ja}"),
    )
    .at(located(entry, line, None))
}

/// The encoding label of the XML declaration, if the entry starts with one.
fn declared_label(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(256)];
    let head = head.strip_prefix(b"<?xml")?;
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// Decodes an entry as its XML declaration says (UTF-8 when it says nothing).
pub fn decode(entry: &str, bytes: &[u8]) -> Result<String, AdapterError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(encoding_error(
            entry,
            1,
            "UTF-16 is not read; save the form as UTF-8 or Shift_JIS".into(),
            "UTF-16 は読めません。UTF-8 か Shift_JIS で保存してください".into(),
        ));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let encoding = match declared_label(body) {
        None => UTF_8,
        Some(label) => Encoding::for_label(label.as_bytes())
            .filter(|e| e.is_ascii_compatible())
            .ok_or_else(|| {
                encoding_error(
                    entry,
                    1,
                    format!("the declared encoding `{label}` is not one this adapter reads"),
                    format!("宣言された文字コード `{label}` は読めません"),
                )
            })?,
    };
    decode_strict(encoding, body).map_err(|line| {
        encoding_error(
            entry,
            line,
            format!("the text is not valid {}", encoding.name()),
            format!("{} として読めない文字があります", encoding.name()),
        )
    })
}

fn path_of(stack: &[Element]) -> Option<String> {
    (!stack.is_empty()).then(|| {
        stack
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join("/")
    })
}

fn malformed(entry: &str, line: u64, path: Option<String>, reason: &str) -> AdapterError {
    let place = path
        .as_deref()
        .map(|p| format!(" in <{p}>"))
        .unwrap_or_default();
    AdapterError::malformed(
        "mynaportal.xml",
        format!("entry `{entry}` line {line}{place}: not well-formed XML: {reason}"),
        format!("エントリ `{entry}` の {line} 行目{place}: XML として正しくありません（{reason}）"),
    )
    .at(located(entry, line, path))
}

/// Closes the innermost open element into its parent, or returns it as the root.
fn close(stack: &mut [Element], mut element: Element) -> Option<Element> {
    element.text = element.text.trim().to_owned();
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            None
        }
        None => Some(element),
    }
}

/// Parses decoded XML into its root element. `elements` is what the download may still hold
/// (its trees stay in memory together); each element parsed takes one.
pub fn parse(entry: &str, text: &str, elements: &mut u64) -> Result<Element, AdapterError> {
    let bytes = text.as_bytes();
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            malformed(entry, line_of(bytes, at), path_of(&stack), &e.to_string())
        })?;
        let line = || {
            // The event starts after any whitespace the reader skipped.
            let skipped = bytes[start.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            line_of(bytes, start + skipped)
        };
        if let Event::Start(_) | Event::Empty(_) = event {
            if *elements == 0 {
                return Err(AdapterError::malformed(
                    "mynaportal.too_many_elements",
                    format!("entry `{entry}` line {}: the download has more XML elements than the limit allows; download fewer applications at a time", line()),
                    format!("エントリ `{entry}` の {} 行目: ダウンロードの XML 要素数が上限を超えます。一度にダウンロードする申請を減らしてください", line()),
                )
                .at(located(entry, line(), path_of(&stack))));
            }
            *elements -= 1;
        }
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(malformed(entry, line(), None, "a second root element"));
            }
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed(
                        entry,
                        line(),
                        path_of(&stack),
                        &format!("elements nested more than {MAX_DEPTH} deep"),
                    ));
                }
                stack.push(Element {
                    name: e.local_name().as_ref().to_owned(),
                    text: String::new(),
                    line: line(),
                    children: Vec::new(),
                });
            }
            Event::Empty(e) => {
                let element = Element {
                    name: e.local_name().as_ref().to_owned(),
                    text: String::new(),
                    line: line(),
                    children: Vec::new(),
                };
                root = close(&mut stack, element).or(root);
            }
            Event::End(_) => {
                if let Some(element) = stack.pop() {
                    root = close(&mut stack, element).or(root);
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(open) => open.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => {
                        return Err(malformed(
                            entry,
                            line(),
                            None,
                            "text outside the root element",
                        ));
                    }
                }
            }
            Event::CData(c) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => resolve_predefined_entity(&r.xml10_content()).map(str::to_owned),
                    Err(_) => None,
                };
                let Some(resolved) = resolved else {
                    return Err(malformed(
                        entry,
                        line(),
                        path_of(&stack),
                        &format!("unknown entity `&{};`", r.xml10_content()),
                    ));
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = path_of(&stack) {
        return Err(malformed(
            entry,
            line_of(bytes, bytes.len()),
            Some(open.clone()),
            &format!("the entry ends before <{open}> is closed; is it truncated?"),
        ));
    }
    root.ok_or_else(|| malformed(entry, 1, None, "no root element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_shift_jis_declarations_and_locates_elements() {
        let xml = "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\r\n<申請>\r\n  <氏名>髙橋 &amp; ①</氏名>\r\n  <空/>\r\n</申請>\r\n";
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(xml);
        assert!(!unmappable);
        let text = decode("a.xml", &sjis).unwrap();
        let root = parse("a.xml", &text, &mut 100).unwrap();
        let name = root.select("申請/氏名");
        assert_eq!(name.len(), 1);
        assert_eq!((name[0].text.as_str(), name[0].line), ("髙橋 & ①", 3));
        assert_eq!(root.select("申請/空")[0].line, 4);
        assert!(root.select("他/氏名").is_empty());
    }

    #[test]
    fn bad_bytes_and_broken_xml_name_the_line() {
        let err = decode(
            "a.xml",
            b"<?xml version='1.0' encoding='UTF-8'?>\n<a>\n\xff</a>",
        )
        .unwrap_err();
        assert_eq!(err.code, "mynaportal.encoding");
        assert_eq!(err.location.unwrap().line, Some(3));
        let err = parse("a.xml", "<a>\n<b>x</c>\n</a>", &mut 100).unwrap_err();
        assert_eq!(err.code, "mynaportal.xml");
        let at = err.location.unwrap();
        assert_eq!((at.line, at.element.as_deref()), (Some(2), Some("a/b")));
        let err = parse("a.xml", "<a>\n<b>x</b>\n", &mut 100).unwrap_err();
        assert!(err.message.contains("truncated"), "{}", err.message);
        let err = parse("a.xml", "<a>&foo;</a>", &mut 100).unwrap_err();
        assert!(err.message.contains("&foo;"), "{}", err.message);
        let deep = "<a>".repeat(100);
        assert_eq!(
            parse("a.xml", &deep, &mut 1000).unwrap_err().code,
            "mynaportal.xml"
        );
        let err = decode("a.xml", b"<?xml version='1.0' encoding='UTF-16'?><a/>").unwrap_err();
        assert_eq!(err.code, "mynaportal.encoding");
    }

    #[test]
    fn elements_beyond_the_download_s_allowance_are_refused() {
        let mut elements = 3;
        parse("a.xml", "<a><b/></a>", &mut elements).unwrap();
        assert_eq!(elements, 1);
        let err = parse("b.xml", "<a>\n<b/></a>", &mut elements).unwrap_err();
        assert_eq!(err.code, "mynaportal.too_many_elements");
        assert_eq!(err.location.unwrap().line, Some(2));
    }
}
