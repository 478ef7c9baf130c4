//! The contract every Kakehashi adapter builds on.
//!
//! Inputs of any shape (hospital CSV, FHIR, Mynaportal downloads, scans, municipal files) are
//! converted by an [`Adapter`] into [`Record`]s of one canonical model: the clinical survey
//! [`Sheet`] (臨床調査個人票 for 指定難病, 医療意見書 for 小慢), the subsidy [`Application`]
//! (from Mynaportal downloads), and — in a later version — the municipal [`Certification`]. Disease-specific content lives in
//! per-disease [`Template`]s, which are data (TOML), not code, so that clinicians can review them.
//!
//! This crate is pure: no network, no clock, no storage. It is what a third-party integrator
//! depends on to write an adapter.
#![forbid(unsafe_code)]

mod adapter;
mod application;
mod certification;
mod decode;
mod disease;
mod field;
mod finding;
mod judgment;
mod mapping;
pub mod parse;
mod provenance;
mod record;
mod sheet;
mod template;
mod value;

pub use adapter::{
    Adapter, AdapterError, AdapterErrorKind, Converted, Document, EmbeddedFile, Input,
    MappingContext, MappingFiles, OcrReading, STREAMED_TEXT_EXPANSION, TEXT_EXPANSION,
    parse_mapping, streamed_text_bound,
};
pub use application::{
    Applicant, Application, ApplicationStatus, Attachment, AttachmentRole, Household,
    HouseholdMember, Income, IntakeDetails, IntakeProcedure, MemberIncome, Retrieved,
    SelfInformation,
};
pub use certification::{Certification, CertificationDecision, IncomeTier, SpecialStatus};
pub use decode::{check_strict, decode_strict};
pub use disease::{DiseaseEntry, DiseaseKey, DiseaseRegistry, RegistryError};
pub use field::{FieldDescription, FieldSection, FieldType, HeaderField};
pub use finding::{Finding, Severity};
pub use judgment::{
    All, Any, AtLeast, Case, Condition, Expectation, Expected, JudgmentRules, Rule, Section, Test,
};
pub use mapping::{MappedSource, MappingTarget};
pub use provenance::{Provenance, SourceLocation};
pub use record::{Record, RecordKind};
pub use sheet::{
    Administrative, ApplicationType, CareSetting, ChildDetails, Clinical, CurrentAssessment,
    Disease, Institution, Insurance, Item, LivingConditions, LongTermCare, MonthlyMedicalCost,
    Patient, SCHEMA_VERSION, SeverityGrade, Sheet, SheetKind, Treatment, TreatmentKind,
};
pub use template::{
    AllowedValue, CompareOp, Formula, FormulaCondition, FormulaOp, ItemDef, ItemType, Template,
    TemplateError, TemplateSet,
};
pub use value::{ItemValue, Presence, Sex, YearMonth};
