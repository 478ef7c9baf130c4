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
    let document = adapter
        .read_document(input, &context)
        .map_err(|e| Rejection::from(&e))?;
    let mut out = Conversion {
        mapping: document.mapping,
        sheets: Vec::new(),
        applications: Vec::new(),
        certifications: Vec::new(),
        files: document.files,
    };
    for (index, converted) in document.records.into_iter().enumerate() {
        let kind = converted.record.kind();
        if kind != adapter.produces() {
            return Err(Rejection::unexpected_record(
                adapter.name(),
                adapter.produces(),
                kind,
                index,
            ));
        }
        match converted.record {
            Record::Sheet(mut sheet) => {
                let mut findings = converted.findings;
                findings.extend(check_sheet(&mut sheet, &checks));
                let id = sheet_id(submission_id, index);
                out.sheets.push(CheckedSheet {
                    reviews: reviews_for(&id, converted.readings, &findings),
                    id,
                    sheet: *sheet,
                    findings,
                });
            }
            Record::Application(application) => out.applications.push(ReadRecord {
                record: *application,
                findings: converted.findings,
            }),
            Record::Certification(certification) => out.certifications.push(ReadRecord {
                record: *certification,
                findings: converted.findings,
            }),
        }
    }
    Ok(out)
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
