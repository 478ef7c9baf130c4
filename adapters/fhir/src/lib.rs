//! The FHIR adapter: hospitals whose EHR speaks FHIR (JP Core, the 電子カルテ情報共有サービス's
//! JP-CLINS documents) send JSON — a Bundle of any type or a single resource — and get
//! canonical sheets; sheets and disease templates go back out as FHIR.
//!
//! **In.** JP_Patient (kanji and kana names by the ISO 21090 representation extension, birth
//! date, sex, address), JP_Coverage (保険者番号, 記号, 番号, 枝番; 公費 numbers), Condition (to
//! the 指定難病 / 小慢 number through `mappings/fhir/conditions.toml`: MEDIS 病名交換用コード,
//! the notified name, ICD-10), Observation (JLAC10, JP-CLINS's JLAC11 system, the 特定健診
//! item codes, LOINC and the gateway's item codes → items and header fields through
//! `mappings/fhir/observations.toml`), Practitioner,
//! PractitionerRole and Organization (doctor, 指定医番号, 医療機関コード), MedicationRequest and
//! Procedure (治療歴), and QuestionnaireResponse (answers to a template's Questionnaire).
//! References resolve inside the document (`urn:uuid:`, relative, absolute, contained).
//!
//! **No silent loss.** fhir-sdk's typed model is the strict structural check of every resource
//! the mapping reads, but it drops a malformed `value[x]` without an error and rounds decimals
//! to `f64`. So the bytes are read as written ([`json`]), the model reads that tree ([`tree`],
//! not the bytes a second time), the model's own re-serialisation is compared with it
//! ([`readable`]), every element it dropped becomes an error finding with its JSON path and
//! the reason, and values are taken from the text as written (`1.50` stays `1.50`, kept in
//! [`kakehashi_sdk::Item::as_written`]). Resources of types the mapping never reads (Claim,
//! ExplanationOfBenefit, Encounter …; see [`model::READ`]) are not read through the model:
//! nothing of theirs reaches a sheet — they are listed as `fhir.unmapped_resource` — so the
//! model could drop nothing of use, and a flaw only inside one of them no longer refuses the
//! document. Their `resourceType` must still name an R4B resource.
//!
//! **R4 read with the R4B model.** fhir-sdk 0.16 has no R4 model, so R4 (4.0.1) documents are
//! read with its R4B (4.3) model (`features = ["r4b"]`). What differs and matters here:
//! R4B renamed nothing these resources use, but it is the *union* of what R4B allows, so a
//! few R4-invalid documents pass (R4B-only elements such as `Observation.subject` pointing to
//! more resource types, or the R4B-only resources `SubscriptionStatus`,
//! `AdministrableProductDefinition` …), and R4 elements R4B removed would be dropped — and so
//! reported by the comparison above. `Resource` in R4B has no `MedicinalProduct*` family of
//! R4. Every example in `../shared/testdata/fhir/` that is valid R4 reads (see
//! `conformance/fhir/`).
//!
//! **Compile cost.** fhir-sdk's serde code takes minutes to build in release; it is
//! instantiated only in [`model`], and the rest of the workspace sees plain functions.
#![forbid(unsafe_code)]

mod adapter;
mod bundle;
mod condition;
mod document;
mod institution;
mod json;
mod kept;
mod locate;
mod maps;
mod model;
mod observation;
mod patient;
mod questionnaire;
mod readable;
mod reader;
mod response;
mod sheets;
mod treatment;
mod tree;

pub use adapter::FhirAdapter;
pub use bundle::{OutError, sheet_bundle};
pub use questionnaire::{Form, canonical, canonical_of, form_questionnaire, questionnaire};
