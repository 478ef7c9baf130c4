//! The adapter contract. An adapter turns one input document into canonical records. It is
//! pure — no network, no clock, no store — so the gateway can run it anywhere in the pipeline,
//! retry it, and test it on bytes alone.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::{
    DiseaseRegistry, Finding, MappedSource, Record, RecordKind, SourceLocation, TemplateSet,
};

/// One input document as received.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub bytes: &'a [u8],
    /// The declared media type, if the sender gave one (`text/csv; charset=shift_jis`).
    pub content_type: Option<&'a str>,
    /// Lower-case hex SHA-256 of `bytes`, computed once by the caller.
    pub sha256: &'a str,
}

impl Input<'_> {
    /// The declared media type without parameters, lower-case (`text/csv`).
    pub fn media_type(&self) -> Option<String> {
        self.content_type
            .and_then(|c| c.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
    }
}

/// What an adapter may consult: the disease list, the templates, and the mapping files.
#[derive(Debug, Clone, Copy)]
pub struct MappingContext<'a> {
    pub diseases: &'a DiseaseRegistry,
    pub templates: &'a TemplateSet,
    pub mappings: &'a MappingFiles,
    /// The mapping the caller asked for, by name.
    pub mapping: Option<&'a str>,
}

/// Mapping files by category (`csv`, `fhir`, `scan`, …) and name, as text. The gateway fills
/// it from the built-in `mappings/` folder and from a configured folder of its own.
#[derive(Debug, Clone, Default)]
pub struct MappingFiles {
    files: BTreeMap<(String, String), (String, String)>,
}

impl MappingFiles {
    /// Adds or replaces a mapping file; `origin` names it in errors (usually its path).
    pub fn insert(&mut self, category: &str, name: &str, origin: &str, text: String) {
        self.files.insert(
            (category.to_owned(), name.to_owned()),
            (origin.to_owned(), text),
        );
    }

    /// Names of the mappings in a category.
    pub fn names<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .keys()
            .filter(move |(c, _)| c == category)
            .map(|(_, n)| n.as_str())
    }

    /// The categories that have mappings.
    pub fn categories(&self) -> impl Iterator<Item = &str> {
        let mut seen: Vec<&str> = self.files.keys().map(|(c, _)| c.as_str()).collect();
        seen.dedup();
        seen.into_iter()
    }

    /// A mapping file's origin (its path) and text.
    pub fn get(&self, category: &str, name: &str) -> Option<(&str, &str)> {
        self.files
            .get(&(category.to_owned(), name.to_owned()))
            .map(|(origin, text)| (origin.as_str(), text.as_str()))
    }

    /// Parses a mapping file as TOML into the adapter's own mapping type.
    pub fn load<T: DeserializeOwned>(&self, category: &str, name: &str) -> Result<T, AdapterError> {
        let (origin, text) = self
            .files
            .get(&(category.to_owned(), name.to_owned()))
            .ok_or_else(|| {
                AdapterError::mapping(
                    "mapping.unknown",
                    format!("no {category} mapping named `{name}`"),
                    format!("{category} のマッピング `{name}` はありません"),
                )
            })?;
        parse_mapping(origin, text)
    }
}

/// Parses a mapping file's text as TOML into an adapter's mapping type; `origin` names the file
/// in the error, which carries TOML's line and column.
pub fn parse_mapping<T: DeserializeOwned>(origin: &str, text: &str) -> Result<T, AdapterError> {
    toml::from_str(text).map_err(|e| {
        AdapterError::mapping(
            "mapping.invalid",
            format!("mapping {origin}: {e}"),
            format!("マッピング {origin} を読めません: {e}"),
        )
    })
}

/// A record with what the adapter found while reading it (values it could not read, …).
#[derive(Debug, Clone)]
pub struct Converted {
    pub record: Record,
    pub findings: Vec<Finding>,
    /// Values recognised from an image (OCR), each with the cut-out it was read from, so the
    /// gateway can put the doubtful ones before a person. Empty for text formats.
    pub readings: Vec<OcrReading>,
}

/// A value read by OCR from one box of a scanned form.
#[derive(Debug, Clone, PartialEq)]
pub struct OcrReading {
    /// The header field path (`patient.date_of_birth`) or item code the box fills.
    pub target: String,
    /// The box's printed label (生年月日).
    pub label: String,
    /// The text as recognised; `None` when the box was blank.
    pub text: Option<String>,
    /// Recognition confidence, 0–1 (the least sure character's, for written boxes).
    pub confidence: f32,
    /// Why a person must check it, as stable codes (`ocr.low_confidence`, `ocr.reads_disagree`,
    /// `scan.variant_kanji`, …); empty only when the independent evidence agrees.
    pub review: Vec<String>,
    /// Where the box is (page, and the label as element).
    pub location: SourceLocation,
    /// The box as scanned and straightened, as a PNG. Personal data.
    pub image_png: Vec<u8>,
}

impl OcrReading {
    /// Whether the adapter wants a person to check the value.
    pub fn needs_review(&self) -> bool {
        !self.review.is_empty()
    }
}

/// What kind of failure an adapter error is; the API maps it to a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdapterErrorKind {
    /// The input is not in a format or encoding the adapter reads (HTTP 415).
    Unsupported,
    /// The input is in the right format but broken (HTTP 422).
    Malformed,
    /// The request named a mapping that does not exist or does not load (HTTP 400).
    Mapping,
}

/// Why a whole document could not be converted. Value-level problems are not errors but
/// findings on the record, so one bad cell does not reject a file of a thousand sheets.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct AdapterError {
    pub kind: AdapterErrorKind,
    /// Stable code, e.g. `csv.truncated_row`.
    pub code: &'static str,
    pub message: String,
    pub message_ja: String,
    /// Where in the document, boxed to keep the error small on the happy path.
    pub location: Option<Box<SourceLocation>>,
}

impl AdapterError {
    pub fn new(
        kind: AdapterErrorKind,
        code: &'static str,
        message: String,
        message_ja: String,
    ) -> Self {
        Self {
            kind,
            code,
            message,
            message_ja,
            location: None,
        }
    }

    pub fn malformed(code: &'static str, message: String, message_ja: String) -> Self {
        Self::new(AdapterErrorKind::Malformed, code, message, message_ja)
    }

    pub fn unsupported(code: &'static str, message: String, message_ja: String) -> Self {
        Self::new(AdapterErrorKind::Unsupported, code, message, message_ja)
    }

    pub fn mapping(code: &'static str, message: String, message_ja: String) -> Self {
        Self::new(AdapterErrorKind::Mapping, code, message, message_ja)
    }

    pub fn at(mut self, location: SourceLocation) -> Self {
        self.location = Some(Box::new(location));
        self
    }
}

/// A file carried inside an input (an attachment in an archive), which the gateway stores
/// content-addressed beside the records that refer to it by SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddedFile {
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
    pub media_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A whole input document, read: its records and any files it carries.
#[derive(Debug, Clone)]
pub struct Document {
    /// The mapping it was read with: the one asked for, or the one the adapter chose.
    pub mapping: Option<String>,
    pub records: Vec<Converted>,
    pub files: Vec<EmbeddedFile>,
}

/// How many times its size a text document takes once read into records, findings and
/// provenance, with room to spare: measured at 48 for a 13 MB CSV export of 26,437 rows and 28
/// for 9 MB of JSON lines (peak resident memory of `kakehashi convert` above its idle level).
pub const TEXT_EXPANSION: u64 = 64;

/// How many times its size a text document takes when it is read a record at a time and each
/// record is handed over, not kept ([`Adapter::read_each`] of an adapter that streams): the
/// bytes, their decoded text and the record in hand. Measured, peak resident memory above
/// idle: 2.9 for a 32 MiB CP932 export submitted to the gateway (its journaling included), 2.1
/// for `kakehashi convert` of a 25 MB one.
pub const STREAMED_TEXT_EXPANSION: u64 = 4;

/// [`Adapter::streamed_memory_bound`] of a text adapter that streams: [`STREAMED_TEXT_EXPANSION`]
/// times the input.
pub fn streamed_text_bound(input: &Input<'_>) -> u64 {
    (input.bytes.len() as u64).saturating_mul(STREAMED_TEXT_EXPANSION)
}

/// A converter from one input format to canonical records.
pub trait Adapter: Send + Sync {
    /// Short, stable name (`csv`, `fhir`), used in `?adapter=` and in provenance.
    fn name(&self) -> &'static str;

    /// The kind of every record it produces. The gateway's registry checks it against the
    /// intake the adapter is registered for, and a record of another kind rejects the input.
    fn produces(&self) -> RecordKind;

    /// The folder of `mappings/` its mapping files live in; by default its name.
    fn mapping_category(&self) -> &'static str {
        self.name()
    }

    /// Whether this adapter is likely to read the input: a cheap look at the media type and
    /// the first bytes, used when the sender does not name an adapter.
    fn sniff(&self, input: &Input<'_>) -> bool;

    /// Converts the whole document. Either every record, each with its findings, or an error
    /// that says where and why the document cannot be read.
    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError>;

    /// Parses one of its mapping files (`name` in [`mapping_category`](Adapter::mapping_category))
    /// strictly — unknown keys and wrong types refused — and lists where each source goes, so
    /// the gateway can check every mapping when it loads and `kakehashi mapping check` can
    /// check one before it is deployed. `None`: the adapter takes no mapping files.
    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        let _ = (name, text);
        None
    }

    /// The most memory reading `input` may take, in bytes: what the gateway reserves from its
    /// decoding budget (解析メモリ予算) before reading it. An adapter whose input expands
    /// (archives, images) computes it from its own limits and holds to it; the default is for
    /// text formats read into records, [`TEXT_EXPANSION`] times the input.
    fn memory_bound(&self, input: &Input<'_>) -> u64 {
        (input.bytes.len() as u64).saturating_mul(TEXT_EXPANSION)
    }

    /// The most memory reading `input` with [`read_each`](Adapter::read_each) may take when
    /// every record is handed over and not kept: what the gateway reserves for a submission,
    /// whose sheets it stores a chunk at a time. The default is
    /// [`memory_bound`](Adapter::memory_bound), right for an adapter whose `read_each` reads the
    /// whole document first; one that streams says less ([`streamed_text_bound`]).
    fn streamed_memory_bound(&self, input: &Input<'_>) -> u64 {
        self.memory_bound(input)
    }

    /// Reads the whole document: the records, the mapping used and the files it carries. The
    /// default is [`convert`](Adapter::convert) with the mapping asked for and no files; an
    /// adapter of archives with attachments, or one that chooses its mapping, says more.
    fn read_document(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Document, AdapterError> {
        Ok(Document {
            mapping: context.mapping.map(str::to_owned),
            records: self.convert(input, context)?,
            files: Vec::new(),
        })
    }

    /// Reads the document as [`read_document`](Adapter::read_document) does, but hands each
    /// record to `each` as soon as it is made instead of collecting them, so that a caller who
    /// writes each away holds one record at a time; the document returned has no records. A
    /// document is refused before its first record is handed over, so a caller never holds
    /// part of a document it must discard. The default reads the whole document first; an
    /// adapter of rows (CSV) streams.
    fn read_each(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
        each: &mut dyn FnMut(Converted),
    ) -> Result<Document, AdapterError> {
        let mut document = self.read_document(input, context)?;
        std::mem::take(&mut document.records)
            .into_iter()
            .for_each(each);
        Ok(document)
    }
}
