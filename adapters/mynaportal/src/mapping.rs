//! Mynaportal mapping files (`mappings/mynaportal/NAME.toml`). The layout of 申請管理's
//! downloads is not public and differs per form (ぴったりサービス lets each municipality design
//! its own), so which element holds what is data, not code:
//!
//! ```toml
//! description = "特定医療費（指定難病）支給認定申請, ぴったりサービス form"
//! kind = "nanbyo"
//! root = "申請データ"                     # root element of an application's XML
//!
//! [application]
//! receipt_number = "申請データ/受付情報/受付番号"   # 15 digits, required
//! status = "申請データ/受付情報/処理状況"
//! access_key = "申請データ/申請内容/アクセスキー"
//!
//! [applicant]
//! name = "申請データ/申請者/氏名"
//!
//! [[header]]                              # patient and disease, read as a sheet reads them
//! element = "申請データ/対象者/生年月日"
//! field = "patient.date_of_birth"
//!
//! [attachments]
//! element = "申請データ/添付書類/添付ファイル"   # one per attached file
//! file_name = "ファイル名"                 # relative to `element`, resolved beside the XML
//! document_type = "書類名"
//! paper_sheet_types = ["臨床調査個人票"]
//!
//! [status_export]                         # the bulk status update CSV
//! encoding = "cp932"
//! ```

use std::collections::BTreeMap;

use kakehashi_sdk::{
    AdapterError, ApplicationStatus, HeaderField, MappedSource, MappingFiles, MappingTarget,
    SheetKind,
};

use crate::adapter::CATEGORY;
use serde::Deserialize;

/// Element paths of the application's own fields (`/`-separated, from the root element).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPaths {
    /// 受付番号 (15 digits); an application without one is refused.
    pub receipt_number: String,
    /// 手続名
    #[serde(default)]
    pub procedure: Option<String>,
    /// 申請日 (a date, or a date and time)
    #[serde(default)]
    pub applied_on: Option<String>,
    /// 処理状況 (提出済, 処理中 …); absent means 提出済.
    #[serde(default)]
    pub status: Option<String>,
    /// アクセスキー of the sheet registered online.
    #[serde(default)]
    pub access_key: Option<String>,
}

/// Element paths of the applicant (申請者).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicantPaths {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub name_kana: Option<String>,
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// An element read into a header field of the sheet model: `application_type`, `patient.*`
/// or `disease.*`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderPath {
    /// Element path.
    pub element: String,
    /// Canonical field path (`patient.date_of_birth`).
    pub field: HeaderField,
}

/// Where the attached files are listed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentPaths {
    /// Path of the element that describes one attached file (repeated).
    pub element: String,
    /// Path, below `element`, of the file's name: the archive entry beside the XML.
    pub file_name: String,
    /// Path, below `element`, of the document type (書類名).
    #[serde(default)]
    pub document_type: Option<String>,
    /// Document types that are the paper clinical survey sheet, for a scan adapter to read.
    #[serde(default)]
    pub paper_sheet_types: Vec<String>,
}

/// Text encoding of the status export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportEncoding {
    /// Windows code page 932 (Shift_JIS), what municipal back-office uploads usually expect.
    #[default]
    #[serde(alias = "shift_jis")]
    Cp932,
    #[serde(rename = "utf-8")]
    Utf8,
}

/// The CSV for Mynaportal's bulk status update (一括状態更新). Its layout is not public; this
/// assumes one row per application with the 受付番号 and the status label, and lets a
/// municipality rename the columns, relabel the statuses and choose the encoding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusExport {
    #[serde(default)]
    pub encoding: ExportEncoding,
    /// Whether the first line names the columns.
    #[serde(default = "default_true")]
    pub header: bool,
    /// Header of the 受付番号 column.
    #[serde(default = "default_receipt_column")]
    pub receipt_number_column: String,
    /// Header of the status column.
    #[serde(default = "default_status_column")]
    pub status_column: String,
    /// Labels replacing Mynaportal's (`completed = "完了"`), by status code.
    #[serde(default)]
    pub labels: BTreeMap<ApplicationStatus, String>,
}

impl Default for StatusExport {
    fn default() -> Self {
        Self {
            encoding: ExportEncoding::default(),
            header: true,
            receipt_number_column: default_receipt_column(),
            status_column: default_status_column(),
            labels: BTreeMap::new(),
        }
    }
}

fn default_true() -> bool {
    true
}

fn default_receipt_column() -> String {
    "受付番号".to_owned()
}

fn default_status_column() -> String {
    "処理状況".to_owned()
}

/// A download layout.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MynaportalMapping {
    /// What form and download this is, for people.
    pub description: String,
    /// Sheet kind the applications are for.
    pub kind: SheetKind,
    /// Local name of the root element of an application's XML. XML entries with another root
    /// are attachments.
    pub root: String,
    pub application: ApplicationPaths,
    #[serde(default)]
    pub applicant: ApplicantPaths,
    #[serde(default)]
    pub header: Vec<HeaderPath>,
    #[serde(default)]
    pub attachments: Option<AttachmentPaths>,
    #[serde(default)]
    pub status_export: StatusExport,
}

/// Refuses header fields an application does not have (clinical items belong on the sheet).
fn check(name: &str, mapping: &MynaportalMapping) -> Result<(), AdapterError> {
    for header in &mapping.header {
        let path = header.field.path();
        let allowed = header.field == HeaderField::ApplicationType
            || path.starts_with("patient.")
            || path.starts_with("disease.");
        if !allowed {
            return Err(AdapterError::mapping(
                "mapping.invalid",
                format!(
                    "mynaportal mapping `{name}`: `{path}` is not a field of an application (application_type, patient.*, disease.*)"
                ),
                format!(
                    "マイナポータルのマッピング `{name}`: `{path}` は申請の項目ではありません（application_type, patient.*, disease.* のみ）"
                ),
            ));
        }
    }
    Ok(())
}

/// The mapping named, or the only one there is, loaded and checked.
pub fn choose_mapping(
    mappings: &MappingFiles,
    name: Option<&str>,
) -> Result<(String, MynaportalMapping), AdapterError> {
    let name = match name {
        Some(name) => name.to_owned(),
        None => {
            let names: Vec<&str> = mappings.names(CATEGORY).collect();
            match names.as_slice() {
                [only] => (*only).to_owned(),
                _ => {
                    return Err(AdapterError::mapping(
                        "mynaportal.mapping_required",
                        format!(
                            "say which form the download is with ?mapping=NAME (known: {})",
                            names.join(", ")
                        ),
                        format!(
                            "ダウンロードの様式を ?mapping=名前 で指定してください（登録済み: {}）",
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    let mapping: MynaportalMapping = mappings.load(CATEGORY, &name)?;
    check(&name, &mapping)?;
    Ok((name, mapping))
}

/// Where each element of a checked mapping goes: the header fields of the application's sheet
/// part, and the application's own fields.
pub fn sources(name: &str, mapping: &MynaportalMapping) -> Result<Vec<MappedSource>, AdapterError> {
    check(name, mapping)?;
    let element = |path: &str| format!("element `{path}`");
    let mut out: Vec<MappedSource> = mapping
        .header
        .iter()
        .map(|h| MappedSource::new(element(&h.element), MappingTarget::Field(h.field)))
        .collect();
    let a = &mapping.application;
    let fixed = [
        ("application.receipt_number", Some(&a.receipt_number)),
        ("application.procedure", a.procedure.as_ref()),
        ("application.applied_on", a.applied_on.as_ref()),
        ("application.status", a.status.as_ref()),
        ("application.access_key", a.access_key.as_ref()),
    ];
    for (target, path) in fixed {
        if let Some(path) = path {
            out.push(MappedSource::new(
                element(path),
                MappingTarget::Other(target.to_owned()),
            ));
        }
    }
    Ok(out)
}
