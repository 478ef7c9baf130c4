//! A subsidy application (申請), e.g. downloaded from Mynaportal's 申請管理: who applies, for
//! which patient and disease, which registered sheet it refers to (by access key), the files
//! attached to it, and where the municipality is in processing it. The patient and disease reuse
//! the sheet's types, so an application and its sheet compare field by field.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    ApplicationType, Disease, Finding, HeaderField, Insurance, Patient, Provenance, Sheet,
    SheetKind, SourceLocation, parse,
};

/// 処理状況: where the application is in Mynaportal's 申請管理.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// 提出済: submitted by the applicant, not yet taken up.
    Submitted,
    /// 処理中: the municipality is processing it.
    Processing,
    /// 要再申請: returned to the applicant to apply again.
    ResubmissionRequired,
    /// 完了: processing finished.
    Completed,
    /// 却下: refused.
    Rejected,
    /// 取消受付: the applicant's withdrawal was accepted.
    WithdrawalAccepted,
}

impl ApplicationStatus {
    /// Every status, in the order an application usually passes through them.
    pub const ALL: [ApplicationStatus; 6] = [
        ApplicationStatus::Submitted,
        ApplicationStatus::Processing,
        ApplicationStatus::ResubmissionRequired,
        ApplicationStatus::Completed,
        ApplicationStatus::Rejected,
        ApplicationStatus::WithdrawalAccepted,
    ];

    /// The stable code (`processing`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::Processing => "processing",
            ApplicationStatus::ResubmissionRequired => "resubmission_required",
            ApplicationStatus::Completed => "completed",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::WithdrawalAccepted => "withdrawal_accepted",
        }
    }

    /// The label Mynaportal shows (`処理中`).
    pub fn label_ja(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "提出済",
            ApplicationStatus::Processing => "処理中",
            ApplicationStatus::ResubmissionRequired => "要再申請",
            ApplicationStatus::Completed => "完了",
            ApplicationStatus::Rejected => "却下",
            ApplicationStatus::WithdrawalAccepted => "取消受付",
        }
    }

    /// Whether nothing follows this status: 完了, 却下 and 取消受付 close the application.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ApplicationStatus::Completed
                | ApplicationStatus::Rejected
                | ApplicationStatus::WithdrawalAccepted
        )
    }

    /// 状態遷移: whether an application in this status may move to `next`. Staying is always
    /// allowed (it changes nothing). Open applications may move forward to any open or final
    /// status, except back to 提出済, which only the applicant's submission sets; a returned
    /// application (要再申請) goes back to 処理中 when the applicant applies again; final
    /// statuses are final.
    pub fn may_become(self, next: ApplicationStatus) -> bool {
        self == next || (!self.is_final() && next != ApplicationStatus::Submitted)
    }
}

impl std::str::FromStr for ApplicationStatus {
    type Err = String;

    /// Reads the code (`processing`) or Mynaportal's label (`処理中`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s || status.label_ja() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a status (提出済, 処理中, 要再申請, 完了, 却下, 取消受付)")
            })
    }
}

/// 申請者: who submits the application — the patient, or a guardian for a child.
/// Personal data: encrypted at rest, never logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// 氏名 (name, kanji)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 氏名（カナ） (name in katakana)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// 続柄 (relationship to the patient, e.g. 本人, 母)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// 電話番号 (phone)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// メールアドレス (e-mail address)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// 郵便番号 (postal code)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// 住所 (address)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Applicant {
    /// The applicant as every channel stores it: kana in full-width katakana, phone and postal
    /// code in half-width characters.
    pub fn normalized(self) -> Self {
        Self {
            name_kana: self.name_kana.map(|k| parse::normalize_kana(&k)),
            phone: self.phone.map(|p| parse::to_halfwidth(&p)),
            postal_code: self.postal_code.map(|p| parse::to_halfwidth(&p)),
            ..self
        }
    }
}

/// What an attached file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentRole {
    /// The paper clinical survey sheet (臨床調査個人票 / 医療意見書), for a scan adapter to read.
    PaperSheet,
    /// Any other document (保険証の写し, 住民票, photos …).
    Other,
}

/// 添付ファイル: a file attached to the application. The bytes are stored content-addressed
/// by `sha256`; this is what describes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// ファイル名 (the file name the applicant uploaded)
    pub file_name: String,
    /// 書類名 (the document type the application form gives it), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// Media type, from the file's first bytes or else its extension (`application/pdf`).
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the bytes.
    pub sha256: String,
    pub role: AttachmentRole,
}

impl Attachment {
    /// The media type a file's first bytes say it is (PDF, JPEG, PNG, GIF, TIFF), if they say
    /// one: what a file named `.pdf` really is.
    pub fn sniffed_media_type(bytes: &[u8]) -> Option<&'static str> {
        const MAGIC: &[(&[u8], &str)] = &[
            (b"%PDF-", "application/pdf"),
            (b"\xFF\xD8\xFF", "image/jpeg"),
            (b"\x89PNG\r\n\x1A\n", "image/png"),
            (b"GIF8", "image/gif"),
            (b"II*\0", "image/tiff"),
            (b"MM\0*", "image/tiff"),
        ];
        MAGIC
            .iter()
            .find(|(magic, _)| bytes.starts_with(magic))
            .map(|(_, media)| *media)
    }

    /// The media type of an attached file: from its first bytes when they say
    /// ([`Self::sniffed_media_type`]), else from its name's extension.
    pub fn media_type_of(file_name: &str, bytes: &[u8]) -> &'static str {
        if let Some(media) = Self::sniffed_media_type(bytes) {
            return media;
        }
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("pdf") => "application/pdf",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            Some("heic") => "image/heic",
            Some("xml") => "application/xml",
            Some("txt") => "text/plain",
            _ => "application/octet-stream",
        }
    }
}

/// 申請: what a patient (or guardian) submits to the municipality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub schema_version: String,
    pub kind: SheetKind,
    /// 受付番号 (Mynaportal receipt number, 15 digits)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_number: Option<String>,
    /// 手続名 (the procedure applied for, as the form names it)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// 新規 / 更新
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<ApplicationType>,
    /// 申請日 (date applied)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_on: Option<NaiveDate>,
    /// 処理状況 as the source states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplicationStatus>,
    /// 申請者
    #[serde(default)]
    pub applicant: Applicant,
    /// 対象者: the patient the subsidy is for.
    #[serde(default)]
    pub patient: Patient,
    /// The disease applied for.
    #[serde(default)]
    pub disease: Disease,
    /// アクセスキー of the sheet the application refers to, when the doctor registered it
    /// online. Personal data (it opens the sheet): sealed at rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// 添付ファイル
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// What an application sent by an app (the intake API) carries beyond a Mynaportal form:
    /// 新規 / 更新 / 変更, the current 受給者番号, the research consent and the self-information
    /// (自己情報) the app retrieved. Absent for Mynaportal downloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<IntakeDetails>,
    pub provenance: Provenance,
}

/// 申請区分 of an application sent by an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeProcedure {
    /// 新規: a first application.
    New,
    /// 更新: the yearly renewal of a current certification.
    Renewal,
    /// 変更: a change to a current certification (address, insurance, household, income …).
    Change,
}

impl IntakeProcedure {
    /// 新規 and 更新 are also the application type a sheet states; 変更 has none.
    pub fn application_type(self) -> Option<ApplicationType> {
        match self {
            IntakeProcedure::New => Some(ApplicationType::New),
            IntakeProcedure::Renewal => Some(ApplicationType::Renewal),
            IntakeProcedure::Change => None,
        }
    }

    /// The Japanese name (新規).
    pub fn label_ja(self) -> &'static str {
        match self {
            IntakeProcedure::New => "新規",
            IntakeProcedure::Renewal => "更新",
            IntakeProcedure::Change => "変更",
        }
    }
}

/// What an app sends beyond the patient, the applicant and the disease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeDetails {
    /// 申請区分: 新規 / 更新 / 変更
    pub procedure: IntakeProcedure,
    /// 受給者番号 of the current certification (更新 and 変更). Personal data: sealed at rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_number: Option<String>,
    /// 研究利用への同意: the patient's answer in the app, when it asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub research_consent: Option<bool>,
    /// 自己情報: what the app retrieved through マイナポータル's 自己情報取得 API, as retrieved.
    #[serde(default, skip_serializing_if = "SelfInformation::is_empty")]
    pub self_information: SelfInformation,
}

/// 自己情報: the patient's information retrieved from マイナポータル (or another source the app
/// names), each part with where and when it was retrieved. Personal data: sealed at rest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfInformation {
    /// 医療保険情報 (the insurance the patient is covered by)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance: Option<Retrieved<Insurance>>,
    /// 世帯情報 (the household that shares the insurance: the 支給認定基準世帯員)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<Retrieved<Household>>,
    /// 地方税関係情報 (income and municipal tax, which the 階層区分 is decided from)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income: Option<Retrieved<Income>>,
}

impl SelfInformation {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// A part of the self-information with its source and retrieval time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retrieved<T> {
    /// Where it came from, e.g. `mynaportal:self_information_api`, or `applicant` when the
    /// applicant typed it.
    #[schemars(length(min = 1, max = 200))]
    pub source: String,
    /// When it was retrieved (RFC 3339 with offset).
    pub retrieved_at: chrono::DateTime<chrono::FixedOffset>,
    /// What was retrieved.
    pub data: T,
}

/// 世帯情報: the members of the patient's household for the subsidy (支給認定基準世帯員).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Household {
    #[serde(default)]
    pub members: Vec<HouseholdMember>,
    /// 生活保護受給世帯: the household receives public assistance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_assistance: Option<bool>,
}

/// One member of the household.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdMember {
    /// 続柄 (relationship to the patient: 本人, 父, 母 …)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// 氏名
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 生年月日
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
}

/// 地方税関係情報: per household member, the year's income and municipal tax.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// 年度 (the tax year the figures are of)
    #[schemars(range(min = 2000, max = 2100))]
    pub fiscal_year: u16,
    #[serde(default)]
    pub members: Vec<MemberIncome>,
}

/// One member's income and municipal tax.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIncome {
    /// 続柄 (relationship to the patient)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship: Option<String>,
    /// 市町村民税非課税: not liable to municipal tax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipal_tax_exempt: Option<bool>,
    /// 市町村民税所得割額 (yen)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_levy: Option<u64>,
    /// 合計所得金額 (yen)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_income: Option<u64>,
    /// 公的年金等収入額 (yen): public pensions, which the 低所得 tiers count
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pension_income: Option<u64>,
}

impl Application {
    /// An empty application of `kind`, ready to be filled.
    pub fn new(kind: SheetKind, provenance: Provenance) -> Self {
        Self {
            schema_version: crate::SCHEMA_VERSION.to_owned(),
            kind,
            receipt_number: None,
            procedure: None,
            application_type: None,
            applied_on: None,
            status: None,
            applicant: Applicant::default(),
            patient: Patient::default(),
            disease: Disease::default(),
            access_key: None,
            attachments: Vec::new(),
            intake: None,
            provenance,
        }
    }

    /// Reads header fields (the programme, 新規／更新, the disease and the patient) from their
    /// text as a sheet reads them ([`HeaderField::apply_from`]: 和暦 dates, half-width kana,
    /// codes) — the one way every channel fills an application — and returns a finding for
    /// each text that cannot be read, at its location. Fields of other sections are read
    /// into nothing.
    pub fn read_header_fields<'t>(
        &mut self,
        fields: impl IntoIterator<Item = (HeaderField, &'t str, SourceLocation)>,
    ) -> Vec<Finding> {
        let mut sheet = Sheet::new(self.kind, Provenance::default());
        sheet.application_type = self.application_type;
        sheet.patient = std::mem::take(&mut self.patient);
        sheet.disease = std::mem::take(&mut self.disease);
        let findings = fields
            .into_iter()
            .filter_map(|(field, text, location)| field.apply_from(&mut sheet, text, location))
            .collect();
        self.provenance.fields.append(&mut sheet.provenance.fields);
        self.kind = sheet.kind;
        self.application_type = sheet.application_type;
        self.patient = sheet.patient;
        self.disease = sheet.disease;
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_codes_and_labels_and_final_ones_stay() {
        for status in ApplicationStatus::ALL {
            assert_eq!(status.as_str().parse::<ApplicationStatus>(), Ok(status));
            assert_eq!(status.label_ja().parse::<ApplicationStatus>(), Ok(status));
            assert!(status.may_become(status));
        }
        use ApplicationStatus::*;
        assert!(Submitted.may_become(Processing));
        assert!(Processing.may_become(ResubmissionRequired));
        assert!(ResubmissionRequired.may_become(Processing));
        assert!(Processing.may_become(WithdrawalAccepted));
        assert!(!Processing.may_become(Submitted));
        assert!(!Completed.may_become(Processing));
        assert!(!Rejected.may_become(Completed));
        assert!("受付中".parse::<ApplicationStatus>().is_err());
    }

    #[test]
    fn a_files_first_bytes_say_what_it_is_before_its_name_does() {
        let png = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR";
        assert_eq!(Attachment::sniffed_media_type(png), Some("image/png"));
        assert_eq!(Attachment::media_type_of("scan.pdf", png), "image/png");
        // An executable says nothing: only its name calls it a PDF.
        assert_eq!(Attachment::sniffed_media_type(b"MZ\x90\0"), None);
        assert_eq!(
            Attachment::media_type_of("A.PDF", b"MZ\x90\0"),
            "application/pdf"
        );
        assert_eq!(Attachment::sniffed_media_type(b""), None);
        assert_eq!(
            Attachment::media_type_of("x", b""),
            "application/octet-stream"
        );
    }
}
