//! One input document to checked records: the adapter converts, the checks validate and
//! complete each sheet, doubtful OCR readings become review tasks. Pure — no store, no clock
//! ("today" is the caller's) — so the gateway, the CLI, the benches and an integrator's tests
//! run exactly the same code.

use chrono::NaiveDate;
use kakehashi_sdk::{
    Adapter, Application, Certification, EmbeddedFile, Finding, Input, MappingContext, Record,
    Sheet,
};
use uuid::Uuid;

use crate::catalog::Catalog;
use crate::checks::{CheckContext, check_sheet};
use crate::rejection::Rejection;
use crate::review::{NewReview, reviews_for};

/// Namespace of the gateway's deterministic ids (UUID v5): submissions, and the sheets and
/// review tasks derived from them when the parent id is not itself a UUID.
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6b616b65_6861_7368_6900_737562000001);

/// A checked sheet ready to store.
#[derive(Debug, Clone)]
pub struct CheckedSheet {
    pub id: String,
    pub sheet: Sheet,
    pub findings: Vec<Finding>,
    /// Values read by OCR that a person must check before the sheet can be registered;
    /// written with a new sheet only.
    pub reviews: Vec<NewReview>,
}

/// What the conversion of a submission came to.
#[derive(Debug, Clone)]
pub enum Completion {
    Accepted(Vec<CheckedSheet>),
    Rejected(Rejection),
}

/// Deterministic submission id: the same organisation sending the same bytes the same way
/// gets the same submission; another organisation sending them gets its own.
pub fn submission_id(organisation_id: &str, sha256: &str, adapter: &str, mapping: &str) -> String {
    Uuid::new_v5(
        &ID_NAMESPACE,
        format!("{organisation_id}\n{sha256}\n{adapter}\n{mapping}").as_bytes(),
    )
    .to_string()
}

/// Deterministic sheet id: the same record of the same submission always gets the same id.
pub fn sheet_id(submission_id: &str, index: usize) -> String {
    let namespace = Uuid::parse_str(submission_id).unwrap_or(ID_NAMESPACE);
    Uuid::new_v5(&namespace, index.to_string().as_bytes()).to_string()
}

/// A record other than a sheet, with what the adapter found while reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRecord<T> {
    pub record: T,
    pub findings: Vec<Finding>,
}

/// One document, read and checked: the records of the adapter's kind, the mapping it was read
/// with, and the files it carried.
#[derive(Debug, Clone)]
pub struct Conversion {
    /// The mapping used: the one asked for, or the one the adapter chose.
    pub mapping: Option<String>,
    pub sheets: Vec<CheckedSheet>,
    pub applications: Vec<ReadRecord<Application>>,
    pub certifications: Vec<ReadRecord<Certification>>,
    pub files: Vec<EmbeddedFile>,
}

/// One record read and checked (boxed, as the adapters' records are: the kinds differ in size).
#[derive(Debug, Clone)]
pub enum CheckedRecord {
    Sheet(Box<CheckedSheet>),
    Application(Box<ReadRecord<Application>>),
    Certification(Box<ReadRecord<Certification>>),
}

/// What a document came to besides its records: the mapping used (the one asked for, or the
/// one the adapter chose) and the files it carried.
#[derive(Debug, Clone)]
pub struct DocumentInfo {
    pub mapping: Option<String>,
    pub files: Vec<EmbeddedFile>,
}

/// Reads one document with `adapter` and checks what it produced: each sheet passes the
/// checks (and its doubtful OCR readings become review tasks); applications and
/// certifications keep the adapter's findings. A record of another kind than the adapter
/// declares rejects the document, so nothing is dropped unseen.
pub fn read_document(
    adapter: &dyn Adapter,
    catalog: &Catalog,
    input: &Input<'_>,
    mapping: Option<&str>,
    submission_id: &str,
    today: NaiveDate,
) -> Result<Conversion, Rejection> {
    let mut out = Conversion {
        mapping: None,
        sheets: Vec::new(),
        applications: Vec::new(),
        certifications: Vec::new(),
        files: Vec::new(),
    };
    let info = read_each(
        adapter,
        catalog,
        input,
        mapping,
        submission_id,
        today,
        &mut |record| match record {
            CheckedRecord::Sheet(s) => out.sheets.push(*s),
            CheckedRecord::Application(a) => out.applications.push(*a),
            CheckedRecord::Certification(c) => out.certifications.push(*c),
        },
    )?;
    out.mapping = info.mapping;
    out.files = info.files;
    Ok(out)
}

/// [`read_document`] a record at a time: each record is checked and handed to `each` as soon
/// as the adapter makes it, so a caller that writes each away holds one record, not the
/// document (an adapter of rows streams; others read the whole document first). A document
/// the adapter refuses is refused before any record is handed over; a record of another kind
/// than the adapter declares — the adapter's defect, not the input's — rejects the document
/// after the records before it.
pub fn read_each(
    adapter: &dyn Adapter,
    catalog: &Catalog,
    input: &Input<'_>,
    mapping: Option<&str>,
    submission_id: &str,
    today: NaiveDate,
    each: &mut dyn FnMut(CheckedRecord),
) -> Result<DocumentInfo, Rejection> {
    let context = MappingContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        mappings: &catalog.mappings,
        mapping,
    };
    let checks = CheckContext {
        diseases: &catalog.diseases,
        templates: &catalog.templates,
        today,
    };
    let mut index = 0;
    let mut unexpected = None;
    let document = adapter
        .read_each(input, &context, &mut |converted| {
            let kind = converted.record.kind();
            if unexpected.is_some() || kind != adapter.produces() {
                unexpected.get_or_insert((kind, index));
                return;
            }
            each(match converted.record {
                Record::Sheet(mut sheet) => {
                    let mut findings = converted.findings;
                    findings.extend(check_sheet(&mut sheet, &checks));
                    let id = sheet_id(submission_id, index);
                    CheckedRecord::Sheet(Box::new(CheckedSheet {
                        reviews: reviews_for(&id, converted.readings, &findings),
                        id,
                        sheet: *sheet,
                        findings,
                    }))
                }
                Record::Application(application) => {
                    CheckedRecord::Application(Box::new(ReadRecord {
                        record: *application,
                        findings: converted.findings,
                    }))
                }
                Record::Certification(certification) => {
                    CheckedRecord::Certification(Box::new(ReadRecord {
                        record: *certification,
                        findings: converted.findings,
                    }))
                }
            });
            index += 1;
        })
        .map_err(|e| Rejection::from(&e))?;
    if let Some((kind, index)) = unexpected {
        return Err(Rejection::unexpected_record(
            adapter.name(),
            adapter.produces(),
            kind,
            index,
        ));
    }
    Ok(DocumentInfo {
        mapping: document.mapping,
        files: document.files,
    })
}

/// Converts and checks one document of a sheet adapter, as a submission is stored.
pub fn convert(
    adapter: &dyn Adapter,
    catalog: &Catalog,
    input: &Input<'_>,
    mapping: Option<&str>,
    submission_id: &str,
    today: NaiveDate,
) -> Completion {
    match read_document(adapter, catalog, input, mapping, submission_id, today) {
        Ok(conversion) => Completion::Accepted(conversion.sheets),
        Err(rejection) => Completion::Rejected(rejection),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use kakehashi_sdk::{AdapterError, Converted, Provenance, RecordKind, SheetKind};

    use super::*;
    use crate::rejection::RejectionKind;

    /// Declares sheets; yields one sheet, then one application.
    struct Confused;

    impl Adapter for Confused {
        fn name(&self) -> &'static str {
            "confused"
        }
        fn produces(&self) -> RecordKind {
            RecordKind::Sheet
        }
        fn sniff(&self, _: &Input<'_>) -> bool {
            true
        }
        fn convert(
            &self,
            _: &Input<'_>,
            _: &MappingContext<'_>,
        ) -> Result<Vec<Converted>, AdapterError> {
            let converted = |record| Converted {
                record,
                findings: Vec::new(),
                readings: Vec::new(),
            };
            Ok(vec![
                converted(Record::Sheet(Box::new(Sheet::new(
                    SheetKind::Nanbyo,
                    Provenance::default(),
                )))),
                converted(Record::Application(Box::new(Application::new(
                    SheetKind::Nanbyo,
                    Provenance::default(),
                )))),
            ])
        }
    }

    fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::load(None).unwrap())
    }

    #[test]
    fn a_record_of_an_undeclared_kind_rejects_the_document_instead_of_vanishing() {
        let input = Input {
            bytes: b"x",
            content_type: None,
            sha256: "",
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let rejection = read_document(&Confused, catalog(), &input, None, "s", today).unwrap_err();
        assert_eq!(rejection.kind, RejectionKind::Internal);
        assert_eq!(rejection.code, "adapter.unexpected_record");
        assert!(
            rejection.message.contains("application record (record 2)")
                && rejection.message_ja.contains("申請のレコード（2 件目）"),
            "{rejection:?}"
        );
    }
}
