//! Reading a download archive (ZIP) without trusting it. A download comes from outside the
//! gateway, so every entry name is checked before it is used (no `..`, absolute paths,
//! backslashes, drive letters, links or duplicates), and every entry is inflated through a byte
//! limit: the sizes the archive declares are never believed, a ratio of inflated to compressed
//! bytes beyond the limit is a zip bomb, and the whole download has a ceiling.

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
    /// Inflated bytes of the whole archive.
    pub max_total_bytes: u64,
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
            max_total_bytes: 256 * MIB,
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
    if file.size() > limits.max_entry_bytes {
        return Err(too_large("the file", "ファイル", limits.max_entry_bytes));
    }
    let by_ratio = file
        .compressed_size()
        .saturating_mul(limits.max_ratio)
        .max(limits.ratio_floor_bytes);
    let cap = limits.max_entry_bytes.min(by_ratio);
    let mut bytes = Vec::with_capacity(usize::try_from(file.size().min(cap)).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| broken(Some(name), &e))?;
    let inflated = bytes.len() as u64;
    if inflated > cap {
        return Err(if by_ratio < limits.max_entry_bytes {
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
        } else {
            too_large("the file", "ファイル", limits.max_entry_bytes)
        });
    }
    if inflated_so_far + inflated > limits.max_total_bytes {
        return Err(too_large(
            "the download",
            "ダウンロード全体",
            limits.max_total_bytes,
        ));
    }
    Ok(bytes)
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
