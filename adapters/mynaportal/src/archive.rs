//! Reading a download archive (ZIP) without trusting it. A download comes from outside the
//! gateway, so every entry name is checked before it is used (no `..`, absolute paths,
//! backslashes, drive letters, links or duplicates), and every entry is inflated through a byte
//! limit: the sizes the archive declares are never believed, a ratio of inflated to compressed
//! bytes beyond the limit is a zip bomb, and the whole download has a ceiling that inflating
//! stops at. [`memory_bound`] says beforehand, from the central directory alone, the most
//! these limits let a download hold, so the gateway can reserve it from its decoding budget.

use std::collections::HashSet;
use std::io::{Cursor, Read};

use kakehashi_sdk::{AdapterError, SourceLocation};
use zip::ZipArchive;
use zip::result::ZipError;

/// How much a download may hold. Mynaportal accepts at most 10 MB per application (the form
/// data and its attachments together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries in the archive, directories included.
    pub max_entries: usize,
    /// Inflated bytes of one entry.
    pub max_entry_bytes: u64,
    /// Inflated bytes of one application: its XML and every file attached to it.
    pub max_application_bytes: u64,
    /// Inflated bytes of the whole archive: inflating stops there.
    pub max_total_bytes: u64,
    /// XML elements of the whole archive, every application form together.
    pub max_elements: u64,
    /// Inflated bytes per compressed byte beyond which an entry is a zip bomb …
    pub max_ratio: u64,
    /// … once it is larger than this (small text compresses well and harms nobody).
    pub ratio_floor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            max_entries: 4096,
            max_entry_bytes: 10 * MIB,
            max_application_bytes: 10 * MIB,
            // Attachments (PDF, JPEG) barely compress, so a download inflates to little more
            // than the 32 MiB a request body may have.
            max_total_bytes: 64 * MIB,
            // A form has a few hundred elements.
            max_elements: 200_000,
            max_ratio: 100,
            ratio_floor_bytes: MIB,
        }
    }
}

/// One file of the archive, inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's name, checked: relative, `/`-separated, no `.` or `..` parts.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Where an entry is, for errors.
pub fn at_entry(name: &str) -> SourceLocation {
    SourceLocation {
        entry: Some(name.to_owned()),
        ..SourceLocation::default()
    }
}

fn broken(name: Option<&str>, e: &dyn std::fmt::Display) -> AdapterError {
    let (what, what_ja) = match name {
        Some(n) => (format!("entry `{n}`"), format!("エントリ `{n}`")),
        None => ("the archive".to_owned(), "アーカイブ".to_owned()),
    };
    let error = AdapterError::malformed(
        "mynaportal.archive",
        format!(
            "{what} cannot be read as ZIP ({e}); is the download truncated or damaged? Download it again"
        ),
        format!(
            "{what_ja}を ZIP として読めません（{e}）。ダウンロードが途中で切れているか壊れています。再度ダウンロードしてください"
        ),
    );
    match name {
        Some(n) => error.at(at_entry(n)),
        None => error,
    }
}

fn traversal(name: &str, reason: &str, reason_ja: &str) -> AdapterError {
    AdapterError::malformed(
        "mynaportal.path_traversal",
        format!("entry `{name}` is refused: {reason}; a download names its files by relative paths only"),
        format!("エントリ `{name}` は受け付けられません（{reason_ja}）。ダウンロードのファイル名は相対パスのみです"),
    )
    .at(at_entry(name))
}

/// Decodes an entry name: UTF-8, or else CP932 (what Windows tools write without the UTF-8
/// flag).
fn decode_name(raw: &[u8]) -> Result<String, AdapterError> {
    if let Ok(name) = std::str::from_utf8(raw) {
        return Ok(name.to_owned());
    }
    encoding_rs::SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(raw)
        .map(|n| n.into_owned())
        .ok_or_else(|| {
            let shown = String::from_utf8_lossy(raw).into_owned();
            AdapterError::malformed(
                "mynaportal.entry_name",
                format!("entry name `{shown}` is neither UTF-8 nor Shift_JIS"),
                format!("エントリ名 `{shown}` は UTF-8 でも Shift_JIS でもありません"),
            )
            .at(at_entry(&shown))
        })
}

/// Refuses names that could leave the folder the archive is read into.
pub fn check_name(name: &str) -> Result<(), AdapterError> {
    if name.is_empty() {
        return Err(traversal(name, "the name is empty", "名前が空です"));
    }
    if name.contains('\\') {
        return Err(traversal(
            name,
            "it contains a backslash",
            "バックスラッシュを含みます",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(traversal(
            name,
            "it contains a control character",
            "制御文字を含みます",
        ));
    }
    if name.starts_with('/') {
        return Err(traversal(name, "it is an absolute path", "絶対パスです"));
    }
    let mut chars = name.chars();
    if let (Some(letter), Some(':')) = (chars.next(), chars.next())
        && letter.is_ascii_alphabetic()
    {
        return Err(traversal(
            name,
            "it starts with a drive letter",
            "ドライブ名で始まります",
        ));
    }
    let body = name.strip_suffix('/').unwrap_or(name);
    if body
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(traversal(
            name,
            "it has an empty, `.` or `..` part",
            "空・`.`・`..` の部分を含みます",
        ));
    }
    Ok(())
}

/// Inflates one entry within the limits; `inflated_so_far` is the archive's running total.
/// Reading stops at the first byte beyond any limit — the size the archive declares for the
/// entry, the ratio guard, the archive's total — so a download never holds more than
/// [`memory_bound`] said.
fn inflate(
    file: &mut zip::read::ZipFile<'_, Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
    inflated_so_far: u64,
) -> Result<Vec<u8>, AdapterError> {
    let too_large = |what: &str, what_ja: &str, limit: u64| {
        AdapterError::malformed(
            "mynaportal.too_large",
            format!("entry `{name}` makes {what} larger than the limit of {limit} bytes"),
            format!("エントリ `{name}` で{what_ja}が上限 {limit} バイトを超えます"),
        )
        .at(at_entry(name))
    };
    let declared = file.size();
    if declared > limits.max_entry_bytes {
        return Err(too_large("the file", "ファイル", limits.max_entry_bytes));
    }
    let by_ratio = limits.by_ratio(file.compressed_size());
    let remaining = limits.max_total_bytes.saturating_sub(inflated_so_far);
    // Beyond its declared size the zip reader itself refuses the entry.
    let cap = declared.min(by_ratio).min(remaining);
    let mut bytes = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| broken(Some(name), &e))?;
    if bytes.len() as u64 <= cap {
        return Ok(bytes);
    }
    Err(if cap == remaining {
        too_large("the download", "ダウンロード全体", limits.max_total_bytes)
    } else {
        AdapterError::malformed(
            "mynaportal.bomb",
            format!(
                "entry `{name}` inflates to more than {} times its compressed size of {} bytes: a zip bomb, refused",
                limits.max_ratio,
                file.compressed_size()
            ),
            format!(
                "エントリ `{name}` は圧縮サイズ {} バイトの {} 倍を超えて展開されます（zip 爆弾）。受け付けません",
                file.compressed_size(),
                limits.max_ratio
            ),
        )
        .at(at_entry(name))
    })
}

impl Limits {
    /// The most an entry of `compressed` bytes may inflate to by the ratio guard.
    fn by_ratio(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(self.max_ratio)
            .max(self.ratio_floor_bytes)
    }
}

/// Bytes one parsed XML element may take: its node, its name and its slot in its parent.
const ELEMENT_BYTES: u64 = 256;
/// The fewest bytes of XML an element takes (`<a/>`).
const ELEMENT_MIN_TEXT: u64 = 4;

/// The most memory reading the download `bytes` within `limits` may take, from its central
/// directory alone: every entry inflated to the size it declares (inflating stops there and
/// at the ratio guard; the whole never beyond the archive's cap), the largest entry once more
/// (the growth of its buffer when it overruns), and for the XML entries their text, their
/// element trees and the largest one decoded once more. An archive whose directory cannot be
/// read takes nothing beyond its bytes: reading it fails at once.
pub fn memory_bound(bytes: &[u8], limits: &Limits) -> u64 {
    let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
        return 0;
    };
    let (mut inflated, mut largest, mut xml, mut largest_xml) = (0u64, 0u64, 0u64, 0u64);
    for index in 0..archive.len().min(limits.max_entries) {
        let Ok(file) = archive.by_index_raw(index) else {
            break;
        };
        let most = file
            .size()
            .min(limits.max_entry_bytes)
            .min(limits.by_ratio(file.compressed_size()));
        inflated = inflated.saturating_add(most);
        largest = largest.max(most);
        if file.name_raw().to_ascii_lowercase().ends_with(b".xml") {
            xml = xml.saturating_add(most);
            largest_xml = largest_xml.max(most);
        }
    }
    let cap = limits.max_total_bytes;
    let (inflated, largest, xml) = (inflated.min(cap), largest.min(cap), xml.min(cap));
    let elements = (xml / ELEMENT_MIN_TEXT).min(limits.max_elements);
    inflated + largest + xml + largest_xml + elements * ELEMENT_BYTES
}

/// The files of a download archive (directories left out), in archive order.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Entry>, AdapterError> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| broken(None, &e))?;
    if archive.len() > limits.max_entries {
        return Err(AdapterError::malformed(
            "mynaportal.too_many_entries",
            format!(
                "the archive has {} entries; at most {} are read",
                archive.len(),
                limits.max_entries
            ),
            format!(
                "アーカイブのエントリ数 {} が上限 {} を超えています",
                archive.len(),
                limits.max_entries
            ),
        ));
    }
    let duplicate = |name: &str| {
        AdapterError::malformed(
            "mynaportal.duplicate_entry",
            format!("the archive holds `{name}` more than once (names compared ignoring case)"),
            format!("アーカイブに `{name}` が複数あります（大文字小文字を区別せず比較）"),
        )
        .at(at_entry(name))
    };
    if archive.has_duplicate_names() {
        return Err(duplicate("?"));
    }
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(|e| match e {
            ZipError::UnsupportedArchive(reason) => AdapterError::unsupported(
                "mynaportal.unsupported_entry",
                format!("entry #{} cannot be read: {reason}; only stored and deflated, unencrypted entries are read", index + 1),
                format!("{} 番目のエントリを読めません（{reason}）。暗号化されていない無圧縮・Deflate のエントリのみ読めます", index + 1),
            ),
            other => broken(None, &other),
        })?;
        let name = decode_name(file.name_raw())?;
        check_name(&name)?;
        if file.is_symlink() {
            return Err(traversal(
                &name,
                "it is a symbolic link",
                "シンボリックリンクです",
            ));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(duplicate(&name));
        }
        if file.is_dir() {
            continue;
        }
        let bytes = inflate(&mut file, &name, limits, total)?;
        total += bytes.len() as u64;
        entries.push(Entry { name, bytes });
    }
    Ok(entries)
}
