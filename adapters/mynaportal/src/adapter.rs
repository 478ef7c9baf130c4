//! A download to applications: each XML entry whose root is the mapping's root is one
//! application; the files it lists are its attachments, found beside it in the archive.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kakehashi_sdk::{
    Adapter, AdapterError, Application, ApplicationStatus, Attachment, AttachmentRole, Converted,
    Document, EmbeddedFile, Finding, Input, MappedSource, MappingContext, Provenance, Record,
    RecordKind, SourceLocation, parse, parse_mapping,
};
use sha2::{Digest, Sha256};

use crate::archive::{self, Entry, Limits, at_entry, check_name};
use crate::mapping::{MynaportalMapping, choose_mapping};
use crate::xml::{self, Element, located};

/// Mapping category of Mynaportal downloads in `mappings/`.
pub const CATEGORY: &str = "mynaportal";

/// The Mynaportal adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct MynaportalAdapter {
    pub limits: Limits,
}

/// A download, read: its applications in archive order, and the files they came from and
/// carry (the XML and the attachments), by SHA-256, so the gateway can store them
/// content-addressed.
#[derive(Debug, Clone)]
pub struct Download {
    pub mapping: String,
    pub applications: Vec<Converted>,
    pub files: BTreeMap<String, Entry>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn missing(entry: &str, path: &str, line: u64) -> AdapterError {
    AdapterError::malformed(
        "mynaportal.missing_element",
        format!("entry `{entry}` has no <{path}>, which the mapping requires"),
        format!("エントリ `{entry}` にマッピングが必要とする <{path}> がありません"),
    )
    .at(located(entry, line, Some(path.to_owned())))
}

/// The first element at `path` (from the root) that has text.
fn text_at<'e>(root: &'e Element, path: &str) -> Option<&'e Element> {
    root.select(path).into_iter().find(|e| !e.text.is_empty())
}

/// A date, or the date part of a date and time (`2024-10-10T09:15:00`, `2024/10/10 9:15`).
fn date_of(text: &str) -> Result<chrono::NaiveDate, String> {
    parse::parse_date(text).or_else(|reason| {
        text.split(['T', ' ', '　'])
            .next()
            .filter(|d| *d != text)
            .map_or(Err(reason), parse::parse_date)
    })
}

/// Reads one application.
struct Reading<'a> {
    entry: &'a Entry,
    root: &'a Element,
    mapping: &'a MynaportalMapping,
    mapping_name: &'a str,
    files: &'a HashMap<&'a str, &'a Entry>,
    limits: &'a Limits,
}

impl Reading<'_> {
    fn at(&self, element: &Element, path: &str) -> SourceLocation {
        located(&self.entry.name, element.line, Some(path.to_owned()))
    }

    fn receipt_number(&self, provenance: &mut Provenance) -> Result<String, AdapterError> {
        let path = &self.mapping.application.receipt_number;
        let element = text_at(self.root, path)
            .ok_or_else(|| missing(&self.entry.name, path, self.root.line))?;
        let number = parse::to_halfwidth(&element.text);
        if number.len() != 15 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AdapterError::malformed(
                "mynaportal.bad_receipt_number",
                format!(
                    "entry `{}` line {}: the 受付番号 `{}` is not 15 digits",
                    self.entry.name, element.line, element.text
                ),
                format!(
                    "エントリ `{}` の {} 行目: 受付番号 `{}` が 15 桁の数字ではありません",
                    self.entry.name, element.line, element.text
                ),
            )
            .at(self.at(element, path)));
        }
        provenance
            .fields
            .insert("receipt_number".into(), self.at(element, path));
        Ok(number)
    }

    fn status(&self) -> Result<Option<ApplicationStatus>, AdapterError> {
        let Some(path) = &self.mapping.application.status else {
            return Ok(None);
        };
        let Some(element) = text_at(self.root, path) else {
            return Ok(None);
        };
        element.text.parse().map(Some).map_err(|reason: String| {
            AdapterError::malformed(
                "mynaportal.bad_status",
                format!(
                    "entry `{}` line {}: {reason}",
                    self.entry.name, element.line
                ),
                format!(
                    "エントリ `{}` の {} 行目: 処理状況 `{}` は提出済・処理中・要再申請・完了・却下・取消受付のいずれでもありません",
                    self.entry.name, element.line, element.text
                ),
            )
            .at(self.at(element, path))
        })
    }

    /// Text of an optional mapped element, recorded in the provenance under `field`.
    fn optional(
        &self,
        path: Option<&String>,
        field: &str,
        provenance: &mut Provenance,
    ) -> Option<String> {
        let path = path?;
        let element = text_at(self.root, path)?;
        provenance
            .fields
            .insert(field.to_owned(), self.at(element, path));
        Some(element.text.clone())
    }

    fn attachments(&self, used: &mut BTreeSet<String>) -> Result<Vec<Attachment>, AdapterError> {
        let Some(paths) = &self.mapping.attachments else {
            return Ok(Vec::new());
        };
        let folder = self
            .entry
            .name
            .rsplit_once('/')
            .map_or(String::new(), |(dir, _)| format!("{dir}/"));
        let name_path = format!("{}/{}", paths.element, paths.file_name);
        let mut attachments = Vec::new();
        let mut total = self.entry.bytes.len() as u64;
        for described in self.root.select(&paths.element) {
            let name_element = described
                .text_below(&paths.file_name)
                .ok_or_else(|| missing(&self.entry.name, &name_path, described.line))?;
            let file_name = name_element.text.clone();
            check_name(&file_name)?;
            let entry_name = format!("{folder}{file_name}");
            let file = self.files.get(entry_name.as_str()).ok_or_else(|| {
                AdapterError::malformed(
                    "mynaportal.missing_attachment",
                    format!(
                        "entry `{}` line {} lists the attachment `{file_name}`, but the archive has no `{entry_name}`",
                        self.entry.name, name_element.line
                    ),
                    format!(
                        "エントリ `{}` の {} 行目の添付ファイル `{file_name}` がアーカイブにありません（`{entry_name}`）",
                        self.entry.name, name_element.line
                    ),
                )
                .at(self.at(name_element, &name_path))
            })?;
            total += file.bytes.len() as u64;
            if total > self.limits.max_application_bytes {
                return Err(AdapterError::malformed(
                    "mynaportal.too_large",
                    format!(
                        "the application in `{}` with its attachments is larger than the limit of {} bytes per application",
                        self.entry.name, self.limits.max_application_bytes
                    ),
                    format!(
                        "`{}` の申請は添付ファイルを含めて 1 申請あたりの上限 {} バイトを超えています",
                        self.entry.name, self.limits.max_application_bytes
                    ),
                )
                .at(at_entry(&entry_name)));
            }
            used.insert(entry_name);
            let document_type = paths
                .document_type
                .as_deref()
                .and_then(|p| described.text_below(p))
                .map(|e| e.text.clone());
            let role = match &document_type {
                Some(t) if paths.paper_sheet_types.contains(t) => AttachmentRole::PaperSheet,
                _ => AttachmentRole::Other,
            };
            attachments.push(Attachment {
                media_type: Attachment::media_type_of(&file_name, &file.bytes).to_owned(),
                file_name,
                document_type,
                size: file.bytes.len() as u64,
                sha256: sha256_hex(&file.bytes),
                role,
            });
        }
        Ok(attachments)
    }

    fn read(
        &self,
        record_index: usize,
        used: &mut BTreeSet<String>,
    ) -> Result<Converted, AdapterError> {
        let mapping = self.mapping;
        let mut provenance = Provenance {
            adapter: CATEGORY.to_owned(),
            mapping: Some(self.mapping_name.to_owned()),
            source_sha256: sha256_hex(&self.entry.bytes),
            record_index: u32::try_from(record_index).unwrap_or(u32::MAX),
            record_location: located(&self.entry.name, self.root.line, Some(mapping.root.clone())),
            fields: BTreeMap::new(),
            confidence: Default::default(),
            ..Provenance::default()
        };
        let receipt_number = self.receipt_number(&mut provenance)?;
        let status = self.status()?;
        let mut findings = Vec::new();

        // Header fields are read as a sheet reads them, then moved over.
        let mut header = Application::new(mapping.kind, Provenance::default());
        let fields: Vec<_> = mapping
            .header
            .iter()
            .flat_map(|h| {
                self.root
                    .select(&h.element)
                    .into_iter()
                    .take(1)
                    .map(|element| (h.field, element, &h.element))
            })
            .collect();
        findings.extend(
            header.read_header_fields(fields.iter().map(|(field, element, path)| {
                (*field, element.text.as_str(), self.at(element, path))
            })),
        );
        provenance.fields.append(&mut header.provenance.fields);

        let paths = &mapping.application;
        let applied_on = self
            .optional(paths.applied_on.as_ref(), "applied_on", &mut provenance)
            .and_then(|text| match date_of(&text) {
                Ok(date) => Some(date),
                Err(reason) => {
                    findings.push(
                        Finding::error(
                            "field.unreadable",
                            Some("applied_on"),
                            format!("applied_on: {reason}"),
                            format!("申請日を読めません: {reason}"),
                        )
                        .at(provenance.fields.remove("applied_on")),
                    );
                    None
                }
            });
        let procedure = self.optional(paths.procedure.as_ref(), "procedure", &mut provenance);
        let access_key = self
            .optional(paths.access_key.as_ref(), "access_key", &mut provenance)
            .map(|k| parse::to_halfwidth(&k).to_ascii_uppercase());
        let a = &mapping.applicant;
        let mut read = |path: &Option<String>, field: &str| {
            self.optional(
                path.as_ref(),
                &format!("applicant.{field}"),
                &mut provenance,
            )
        };
        let applicant = kakehashi_sdk::Applicant {
            name: read(&a.name, "name"),
            name_kana: read(&a.name_kana, "name_kana"),
            relationship: read(&a.relationship, "relationship"),
            phone: read(&a.phone, "phone"),
            email: read(&a.email, "email"),
            postal_code: read(&a.postal_code, "postal_code"),
            address: read(&a.address, "address"),
        }
        .normalized();
        let attachments = self.attachments(used)?;

        let mut application = Application::new(header.kind, provenance);
        application.receipt_number = Some(receipt_number);
        application.procedure = procedure;
        application.application_type = header.application_type;
        application.applied_on = applied_on;
        application.status = status;
        application.applicant = applicant;
        application.patient = header.patient;
        application.disease = header.disease;
        application.access_key = access_key;
        application.attachments = attachments;
        Ok(Converted {
            record: Record::Application(Box::new(application)),
            findings,
            readings: Vec::new(),
        })
    }
}

impl MynaportalAdapter {
    /// Reads a whole download: every application, or the first error, located.
    pub fn read_download(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Download, AdapterError> {
        let (mapping_name, mapping) = choose_mapping(context.mappings, context.mapping)?;
        let entries = archive::read(input.bytes, &self.limits)?;
        let by_name: HashMap<&str, &Entry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
        let mut forms = Vec::new();
        let mut elements = self.limits.max_elements;
        for entry in &entries {
            if !entry.name.to_ascii_lowercase().ends_with(".xml") {
                continue;
            }
            let text = xml::decode(&entry.name, &entry.bytes)?;
            let root = xml::parse(&entry.name, &text, &mut elements)?;
            if root.name == mapping.root {
                forms.push((entry, root));
            }
        }
        if forms.is_empty() {
            return Err(AdapterError::malformed(
                "mynaportal.empty",
                format!(
                    "the archive has no application: no XML entry whose root element is <{}> (mapping `{mapping_name}`)",
                    mapping.root
                ),
                format!(
                    "アーカイブに申請がありません（ルート要素が <{}> の XML がありません。マッピング `{mapping_name}`）",
                    mapping.root
                ),
            ));
        }
        let mut used = BTreeSet::new();
        let mut receipts: HashMap<String, &str> = HashMap::new();
        let mut applications = Vec::with_capacity(forms.len());
        for (index, (entry, root)) in forms.iter().enumerate() {
            used.insert(entry.name.clone());
            let converted = Reading {
                entry,
                root,
                mapping: &mapping,
                mapping_name: &mapping_name,
                files: &by_name,
                limits: &self.limits,
            }
            .read(index, &mut used)?;
            if let Record::Application(a) = &converted.record {
                let number = a.receipt_number.clone().unwrap_or_default();
                if let Some(first) = receipts.insert(number.clone(), &entry.name) {
                    return Err(AdapterError::malformed(
                        "mynaportal.duplicate_receipt_number",
                        format!(
                            "entries `{first}` and `{}` both carry 受付番号 {number}",
                            entry.name
                        ),
                        format!(
                            "エントリ `{first}` と `{}` の受付番号 {number} が重複しています",
                            entry.name
                        ),
                    )
                    .at(a
                        .provenance
                        .fields
                        .get("receipt_number")
                        .cloned()
                        .unwrap_or_else(|| at_entry(&entry.name))));
                }
            }
            applications.push(converted);
        }
        if let Some(orphan) = entries.iter().find(|e| !used.contains(&e.name)) {
            return Err(AdapterError::malformed(
                "mynaportal.orphan_entry",
                format!(
                    "entry `{}` belongs to no application: no application lists it as an attachment; does mapping `{mapping_name}` describe this download?",
                    orphan.name
                ),
                format!(
                    "エントリ `{}` はどの申請の添付ファイルにもなっていません。マッピング `{mapping_name}` はこのダウンロードの様式に合っていますか",
                    orphan.name
                ),
            )
            .at(at_entry(&orphan.name)));
        }
        let files = entries
            .into_iter()
            .map(|e| (sha256_hex(&e.bytes), e))
            .collect();
        Ok(Download {
            mapping: mapping_name,
            applications,
            files,
        })
    }
}

impl Adapter for MynaportalAdapter {
    fn name(&self) -> &'static str {
        CATEGORY
    }

    fn produces(&self) -> RecordKind {
        RecordKind::Application
    }

    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        Some(parse_mapping(name, text).and_then(|mapping| crate::mapping::sources(name, &mapping)))
    }

    fn memory_bound(&self, input: &Input<'_>) -> u64 {
        archive::memory_bound(input.bytes, &self.limits)
    }

    fn sniff(&self, input: &Input<'_>) -> bool {
        match input.media_type().as_deref() {
            Some("application/zip" | "application/x-zip-compressed") => true,
            Some(_) => false,
            None => input.bytes.starts_with(b"PK\x03\x04"),
        }
    }

    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError> {
        Ok(self.read_download(input, context)?.applications)
    }

    /// The applications, the mapping chosen, and every file of the download (the form's XML
    /// and its attachments) with the media type its application gives it.
    fn read_document(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Document, AdapterError> {
        let Download {
            mapping,
            applications,
            files,
        } = self.read_download(input, context)?;
        let mut media: HashMap<&str, &str> = HashMap::new();
        for converted in &applications {
            if let Record::Application(application) = &converted.record {
                media.insert(&application.provenance.source_sha256, "application/xml");
                for attachment in &application.attachments {
                    media.insert(&attachment.sha256, &attachment.media_type);
                }
            }
        }
        let files = files
            .into_iter()
            .map(|(sha256, entry)| EmbeddedFile {
                media_type: media.get(sha256.as_str()).map(|m| (*m).to_owned()),
                sha256,
                bytes: entry.bytes,
            })
            .collect();
        Ok(Document {
            mapping: Some(mapping),
            records: applications,
            files,
        })
    }
}
