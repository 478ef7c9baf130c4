//! Canonical header fields addressed by path (`patient.date_of_birth`), so that mapping files
//! of every text-based adapter (CSV columns, scan zones, fixed-width municipal records) can name
//! a target, and one place turns text into the field's type.

use serde::{Deserialize, Serialize};

use crate::{
    ApplicationType, CareSetting, CertificationDecision, CurrentAssessment, Finding, LongTermCare,
    SeverityGrade, Sheet, SheetKind, SourceLocation, Treatment, TreatmentKind, parse,
};

/// How the text of a field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    /// Katakana (or hiragana) only.
    Kana,
    /// Digits only, kept as text because leading zeros matter.
    Digits,
    Integer,
    Decimal,
    Date,
    YearMonth,
    Sex,
    Presence,
    /// One of a fixed set of codes (kind, long-term care, severity …).
    Code,
    /// Amounts per month, `YYYY-MM:yen` entries separated by `;` (医療費総額 per month).
    MonthlyAmounts,
}

/// The part of the form a header field belongs to: the print's sections, in the form's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldSection {
    /// The form itself (its title says which programme).
    Form,
    Disease,
    Patient,
    /// 医療意見書 only.
    Child,
    Clinical,
    Institution,
    Administrative,
}

impl FieldSection {
    /// The section's heading on the form.
    pub fn title_ja(self) -> &'static str {
        match self {
            FieldSection::Form => "様式",
            FieldSection::Disease => "告示病名",
            FieldSection::Patient => "基本情報",
            FieldSection::Child => "医療意見書の基本情報",
            FieldSection::Clinical => "臨床所見",
            FieldSection::Institution => "医療機関",
            FieldSection::Administrative => "行政記載欄",
        }
    }

    pub fn title_en(self) -> &'static str {
        match self {
            FieldSection::Form => "Form",
            FieldSection::Disease => "Disease",
            FieldSection::Patient => "Patient",
            FieldSection::Child => "Child (医療意見書)",
            FieldSection::Clinical => "Clinical findings",
            FieldSection::Institution => "Medical institution",
            FieldSection::Administrative => "Administrative",
        }
    }
}

/// One row of the header-field table, as the API and the docs show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldDescription {
    /// The canonical path (`patient.date_of_birth`), as mappings name the field.
    pub path: &'static str,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub label_ja: &'static str,
    pub label_en: &'static str,
    /// Personal data: masked on the review board's print, never logged.
    pub personal: bool,
    pub section: FieldSection,
    /// The unit a number is printed with (`cm`, `週`); empty when none.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub unit: &'static str,
}

macro_rules! personal {
    (personal) => {
        true
    };
    (plain) => {
        false
    };
}

macro_rules! header_fields {
    ($( $variant:ident => $path:literal, $ty:ident, $section:ident, $personal:ident, $unit:literal, $ja:literal, $en:literal; )*) => {
        /// A header field of the canonical sheet, by its JSON path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum HeaderField {
            $( #[serde(rename = $path)] $variant, )*
        }

        impl HeaderField {
            /// Every field, in the order of the form.
            pub const ALL: &'static [HeaderField] = &[$( HeaderField::$variant, )*];

            /// The field's canonical path.
            pub fn path(self) -> &'static str {
                match self { $( HeaderField::$variant => $path, )* }
            }

            /// How the field's text is read.
            pub fn field_type(self) -> FieldType {
                match self { $( HeaderField::$variant => FieldType::$ty, )* }
            }

            /// The field's row of the table.
            pub fn describe(self) -> FieldDescription {
                match self {
                    $( HeaderField::$variant => FieldDescription {
                        path: $path,
                        field_type: FieldType::$ty,
                        label_ja: $ja,
                        label_en: $en,
                        personal: personal!($personal),
                        section: FieldSection::$section,
                        unit: $unit,
                    }, )*
                }
            }
        }
    };
}

// The one table of header fields: path, type, print section, personal or plain, unit,
// Japanese and English label. The SDK reads mappings by it, the print masks and lays out by
// it, the API serves it (`GET /v1/header-fields`) and docs/MAPPINGS.md lists it.
header_fields! {
    Kind => "kind", Code, Form, plain, "", "種別（指定難病／小児慢性特定疾病）", "Programme (nanbyo or shoman)";
    ApplicationType => "application_type", Code, Disease, plain, "", "新規／更新", "New application or renewal";
    DiseaseGroup => "disease.group", Integer, Disease, plain, "", "疾患群", "Disease group (小慢)";
    DiseaseNumber => "disease.number", Integer, Disease, plain, "", "告示番号", "Notified disease number";
    DiseaseName => "disease.name", Text, Disease, plain, "", "告示病名", "Notified disease name";
    DiseaseCode => "disease.code", Text, Disease, plain, "", "小慢疾病コード", "Shoman disease code";
    DiseaseMajorClass => "disease.major_class", Text, Disease, plain, "", "大分類", "Major disease class (小慢)";
    DiseaseMinorClass => "disease.minor_class", Text, Disease, plain, "", "細分類", "Minor disease class (小慢)";
    PatientName => "patient.name", Text, Patient, personal, "", "氏名", "Name";
    PatientNameKana => "patient.name_kana", Kana, Patient, personal, "", "氏名（カナ）", "Name in katakana";
    DateOfBirth => "patient.date_of_birth", Date, Patient, personal, "", "生年月日", "Date of birth";
    Sex => "patient.sex", Sex, Patient, plain, "", "性別", "Sex";
    PostalCode => "patient.postal_code", Text, Patient, personal, "", "郵便番号", "Postal code";
    Address => "patient.address", Text, Patient, personal, "", "住所", "Address";
    InsurerNumber => "patient.insurance.insurer_number", Digits, Patient, personal, "", "保険者番号", "Insurer number";
    InsuranceSymbol => "patient.insurance.symbol", Text, Patient, personal, "", "被保険者証等の記号", "Insurance card symbol";
    InsuranceNumber => "patient.insurance.number", Text, Patient, personal, "", "被保険者証等の番号", "Insurance card number";
    InsuranceBranch => "patient.insurance.branch", Digits, Patient, personal, "", "枝番", "Insurance card branch number";
    HospitalPatientId => "patient.hospital_patient_id", Text, Patient, personal, "", "患者ID（医療機関）", "Hospital patient id";
    Onset => "clinical.onset", YearMonth, Clinical, plain, "", "発症年月", "Onset (year and month)";
    Diagnosed => "clinical.diagnosed", YearMonth, Clinical, plain, "", "診断年月", "Diagnosed (year and month)";
    FamilyHistory => "clinical.family_history", Presence, Clinical, plain, "", "家族歴", "Family history";
    FamilyHistoryDetail => "clinical.family_history_detail", Text, Clinical, plain, "", "家族歴（続柄など）", "Family history detail (relation)";
    LongTermCare => "clinical.long_term_care", Code, Clinical, plain, "", "介護認定", "Long-term care level";
    Mobility => "clinical.living.mobility", Integer, Clinical, plain, "", "生活状況：移動の程度（5段階）", "Living conditions: mobility (1-5)";
    SelfCare => "clinical.living.self_care", Integer, Clinical, plain, "", "生活状況：身の回りの管理（5段階）", "Living conditions: self-care (1-5)";
    UsualActivities => "clinical.living.usual_activities", Integer, Clinical, plain, "", "生活状況：ふだんの活動（5段階）", "Living conditions: usual activities (1-5)";
    PainDiscomfort => "clinical.living.pain_discomfort", Integer, Clinical, plain, "", "生活状況：痛み／不快感（5段階）", "Living conditions: pain or discomfort (1-5)";
    AnxietyDepression => "clinical.living.anxiety_depression", Integer, Clinical, plain, "", "生活状況：不安／ふさぎ込み（5段階）", "Living conditions: anxiety or depression (1-5)";
    Ventilator => "clinical.ventilator", Presence, Clinical, plain, "", "人工呼吸器装着の有無", "Ventilator";
    DiagnosticCategory => "clinical.diagnostic_category", Text, Clinical, plain, "", "診断のカテゴリー", "Diagnostic category";
    OverallSeverity => "clinical.severity", Code, Clinical, plain, "", "重症度", "Severity";
    Remarks => "clinical.remarks", Text, Clinical, plain, "", "特記事項", "Remarks";
    Complications => "clinical.complications", Presence, Clinical, plain, "", "合併症の有無", "Complications";
    ComplicationsDetail => "clinical.complications_detail", Text, Clinical, plain, "", "合併症（内容）", "Complications (detail)";
    MedicationTherapy => "clinical.treatments.medication", Text, Clinical, plain, "", "薬物療法", "Medication therapy";
    ProcedureTherapy => "clinical.treatments.procedure", Text, Clinical, plain, "", "手術・処置", "Surgery or procedures";
    ReplacementTherapy => "clinical.treatments.replacement", Text, Clinical, plain, "", "補充療法", "Replacement therapy";
    DietTherapy => "clinical.treatments.diet", Text, Clinical, plain, "", "食事療法", "Diet therapy";
    TreatmentPlan => "clinical.treatment_plan", Text, Clinical, plain, "", "今後の治療方針", "Treatment plan";
    PrefectureOfBirth => "child.prefecture_of_birth", Text, Child, plain, "", "出生都道府県", "Prefecture of birth";
    BirthWeight => "child.birth_weight_g", Integer, Child, plain, "g", "出生時体重", "Birth weight";
    BirthWeeks => "child.birth_weeks", Integer, Child, plain, "週", "出生時週数", "Gestational weeks at birth";
    Height => "child.height_cm", Decimal, Child, plain, "cm", "身長", "Height";
    Weight => "child.weight_kg", Decimal, Child, plain, "kg", "体重", "Weight";
    MotherDateOfBirth => "child.mother_date_of_birth", Date, Child, personal, "", "母の生年月日", "Mother's date of birth";
    FirstVisitDate => "child.first_visit_date", Date, Child, plain, "", "初診日", "Date of the first visit";
    Schooling => "child.schooling", Text, Child, plain, "", "就学・就労状況", "Schooling or work";
    TreatmentMonths => "child.treatment_months", Integer, Child, plain, "か月", "今後の治療見込み期間", "Expected further treatment";
    CareSetting => "child.care_setting", Code, Child, plain, "", "入院／外来", "Inpatient or outpatient";
    CurrentAssessment => "child.current_assessment", Code, Child, plain, "", "現状評価", "Current assessment";
    CriteriaMet => "child.criteria_met", Code, Child, plain, "", "該当／非該当（医師の記載）", "Criteria met (the doctor's statement)";
    DesignatedDoctorNumber => "institution.designated_doctor_number", Text, Institution, plain, "", "指定医番号", "Designated doctor number";
    DoctorName => "institution.doctor_name", Text, Institution, plain, "", "医師の氏名", "Doctor's name";
    InstitutionCode => "institution.code", Digits, Institution, plain, "", "医療機関コード", "Medical institution code";
    InstitutionName => "institution.name", Text, Institution, plain, "", "医療機関名", "Medical institution name";
    Phone => "institution.phone", Text, Institution, personal, "", "電話番号", "Telephone number";
    DateWritten => "institution.date_written", Date, Institution, plain, "", "記載年月日", "Date written";
    PayerNumber => "administrative.payer_number", Digits, Administrative, personal, "", "公費負担者番号", "Public payer number";
    RecipientNumber => "administrative.recipient_number", Digits, Administrative, personal, "", "受給者番号", "Recipient number";
    Certification => "administrative.certification", Code, Administrative, plain, "", "認定／不認定", "Certification decision";
    ResearchConsent => "administrative.research_consent", Code, Administrative, plain, "", "研究利用への同意（調査票の記載）", "Research consent (as written on the sheet)";
    MonthlyMedicalCosts => "administrative.monthly_medical_costs", MonthlyAmounts, Administrative, plain, "", "医療費総額（月ごと）", "Total medical cost per month";
}

impl HeaderField {
    /// Personal data: masked on the review board's print.
    pub fn is_personal(self) -> bool {
        self.describe().personal
    }

    pub fn label_ja(self) -> &'static str {
        self.describe().label_ja
    }

    pub fn section(self) -> FieldSection {
        self.describe().section
    }

    /// The field with this canonical path.
    pub fn from_path(path: &str) -> Option<HeaderField> {
        Self::ALL.iter().copied().find(|f| f.path() == path)
    }

    /// Reads `text` found at `location` into the field, recording where it came from. Returns
    /// the located `field.unreadable` finding saying why when it cannot be read.
    pub fn apply_from(
        self,
        sheet: &mut Sheet,
        text: &str,
        location: SourceLocation,
    ) -> Option<Finding> {
        match self.apply(sheet, text) {
            Ok(()) => {
                sheet
                    .provenance
                    .fields
                    .insert(self.path().to_owned(), location);
                None
            }
            Err(reason) => {
                // The text as written stays with the sheet; the field counts as filled in.
                sheet
                    .provenance
                    .unreadable
                    .insert(self.path().to_owned(), text.trim().to_owned());
                sheet
                    .provenance
                    .fields
                    .insert(self.path().to_owned(), location.clone());
                Some(unreadable(self, &reason, location))
            }
        }
    }

    /// The `{adapter}.inexact_number` warning (`csv.inexact_number`, `fhir.inexact_number` …)
    /// when this is a decimal field (身長, 体重) and `text` a number its binary value cannot hold
    /// exactly (`132.123456789012345678`, `1e-400`): the field keeps the rounded value, and the
    /// finding, located at `location`, says to what. Every adapter that reads header fields
    /// from text asks this beside [`HeaderField::apply_from`].
    pub fn inexact_number(
        self,
        adapter: &str,
        text: &str,
        location: &SourceLocation,
    ) -> Option<Finding> {
        if self.field_type() != FieldType::Decimal {
            return None;
        }
        let held = parse::inexact_decimal(text)?;
        let text = text.trim();
        Some(
            Finding::warning(
                &format!("{adapter}.inexact_number"),
                Some(self.path()),
                format!("{text} cannot be held exactly as a number; it is stored as {held}"),
                format!("{text} は数値として正確に保持できないため {held} として保存します"),
            )
            .at(Some(location.clone())),
        )
    }
}

/// The one finding of a field whose text cannot be read.
fn unreadable(field: HeaderField, reason: &str, location: SourceLocation) -> Finding {
    let path = field.path();
    Finding::error(
        "field.unreadable",
        Some(path),
        format!("{path}: {reason}"),
        format!("{path} の値を読めません: {reason}"),
    )
    .at(Some(location))
}

fn child_of(sheet: &mut Sheet) -> &mut crate::ChildDetails {
    sheet.child.get_or_insert_with(Default::default)
}

fn code<T>(text: &str, table: &[(&[&str], T)], what: &str) -> Result<T, String>
where
    T: Copy,
{
    let t = parse::to_halfwidth(text.trim()).to_lowercase();
    table
        .iter()
        .find(|(names, _)| names.contains(&t.as_str()))
        .map(|(_, v)| *v)
        .ok_or_else(|| format!("`{text}` is not a known {what}"))
}

fn small<T: TryFrom<i64>>(text: &str) -> Result<T, String> {
    let n: i64 = parse::to_halfwidth(text.trim())
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    T::try_from(n).map_err(|_| format!("`{text}` is out of range"))
}

fn decimal(text: &str) -> Result<f64, String> {
    parse::to_halfwidth(text.trim())
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{text}` is not a number"))
}

/// `2026-04:45000; R8.5:33,330円` → one cost per month, in month order.
fn monthly_amounts(text: &str) -> Result<Vec<crate::MonthlyMedicalCost>, String> {
    let mut costs: Vec<crate::MonthlyMedicalCost> = Vec::new();
    let text = parse::to_halfwidth(text);
    for entry in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (month, amount) = entry
            .rsplit_once([':', '='])
            .ok_or_else(|| format!("`{entry}` is not `YYYY-MM:yen`"))?;
        let month = parse::parse_year_month(month.trim())?;
        let amount: String = amount
            .chars()
            .filter(|c| !matches!(c, ',' | '円' | '¥' | ' '))
            .collect();
        let total_yen = amount
            .parse()
            .map_err(|_| format!("`{entry}`: the amount is not a whole number of yen"))?;
        if costs.iter().any(|c| c.month == month) {
            return Err(format!("the month {month} is given twice"));
        }
        costs.push(crate::MonthlyMedicalCost { month, total_yen });
    }
    costs.sort_by_key(|c| c.month);
    Ok(costs)
}

/// A list of treatments of one kind, `;` or a line between entries: replaces the sheet's
/// treatments of that kind, so reading the same cell again gives the same sheet.
fn treatments(sheet: &mut Sheet, kind: TreatmentKind, text: &str) {
    sheet.clinical.treatments.retain(|t| t.kind != kind);
    sheet.clinical.treatments.extend(
        text.split([';', '；', '\n'])
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| Treatment {
                kind,
                name: name.to_owned(),
                ..Default::default()
            }),
    );
}

fn digits(text: &str) -> Result<String, String> {
    let t: String = parse::to_halfwidth(text.trim())
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .collect();
    if t.chars().all(|c| c.is_ascii_digit()) {
        Ok(t)
    } else {
        Err(format!("`{text}` is not digits"))
    }
}

impl HeaderField {
    /// The kind of treatment a `clinical.treatments.*` field lists.
    pub fn treatment_kind(self) -> Option<TreatmentKind> {
        match self {
            HeaderField::MedicationTherapy => Some(TreatmentKind::Medication),
            HeaderField::ProcedureTherapy => Some(TreatmentKind::Procedure),
            HeaderField::ReplacementTherapy => Some(TreatmentKind::Replacement),
            HeaderField::DietTherapy => Some(TreatmentKind::Diet),
            _ => None,
        }
    }

    /// The field's value on a sheet as text that [`HeaderField::apply`] reads back, for fields
    /// that are not a JSON value at their path (the treatment lists, `;`-separated).
    pub fn listed_text(self, sheet: &Sheet) -> Option<String> {
        let kind = self.treatment_kind()?;
        let names: Vec<&str> = sheet
            .clinical
            .treatments
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.name.as_str())
            .collect();
        (!names.is_empty()).then(|| names.join("; "))
    }

    /// Reads `text` as this field's type and stores it on the sheet. An empty text leaves the
    /// field unset. The error says why the text could not be read; the caller adds where.
    pub fn apply(self, sheet: &mut Sheet, text: &str) -> Result<(), String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let s = || Some(text.to_owned());
        match self {
            HeaderField::Kind => {
                sheet.kind = text.parse::<SheetKind>()?;
                if sheet.kind == SheetKind::Shoman {
                    child_of(sheet);
                }
            }
            HeaderField::ApplicationType => {
                sheet.application_type = Some(code(
                    text,
                    &[
                        (&["新規", "new", "1"], ApplicationType::New),
                        (&["更新", "renewal", "2"], ApplicationType::Renewal),
                    ],
                    "application type (新規/更新)",
                )?)
            }
            HeaderField::DiseaseGroup => sheet.disease.group = Some(small(text)?),
            HeaderField::DiseaseNumber => sheet.disease.number = Some(small(text)?),
            HeaderField::DiseaseName => sheet.disease.name = s(),
            HeaderField::DiseaseCode => {
                sheet.disease.code = Some(parse::to_halfwidth(text).replace('-', "_"))
            }
            HeaderField::DiseaseMajorClass => sheet.disease.major_class = s(),
            HeaderField::DiseaseMinorClass => sheet.disease.minor_class = s(),
            HeaderField::PatientName => sheet.patient.name = s(),
            HeaderField::PatientNameKana => {
                sheet.patient.name_kana = Some(parse::normalize_kana(text))
            }
            HeaderField::DateOfBirth => {
                sheet.patient.date_of_birth = Some(parse::parse_date(text)?)
            }
            HeaderField::Sex => sheet.patient.sex = Some(parse::parse_sex(text)?),
            HeaderField::PostalCode => sheet.patient.postal_code = Some(parse::to_halfwidth(text)),
            HeaderField::Address => sheet.patient.address = s(),
            HeaderField::InsurerNumber => {
                sheet.patient.insurance.insurer_number = Some(digits(text)?)
            }
            HeaderField::InsuranceSymbol => {
                sheet.patient.insurance.symbol = Some(parse::to_halfwidth(text))
            }
            HeaderField::InsuranceNumber => {
                sheet.patient.insurance.number = Some(parse::to_halfwidth(text))
            }
            HeaderField::InsuranceBranch => sheet.patient.insurance.branch = Some(digits(text)?),
            HeaderField::HospitalPatientId => {
                sheet.patient.hospital_patient_id = Some(parse::to_halfwidth(text))
            }
            HeaderField::Onset => sheet.clinical.onset = Some(parse::parse_year_month(text)?),
            HeaderField::Diagnosed => {
                sheet.clinical.diagnosed = Some(parse::parse_year_month(text)?)
            }
            HeaderField::FamilyHistory => {
                sheet.clinical.family_history = Some(parse::parse_presence(text)?)
            }
            HeaderField::FamilyHistoryDetail => sheet.clinical.family_history_detail = s(),
            HeaderField::LongTermCare => {
                sheet.clinical.long_term_care = Some(code(
                    text,
                    &[
                        (&["なし", "非該当", "none", "0"], LongTermCare::None),
                        (&["要支援1", "support1"], LongTermCare::Support1),
                        (&["要支援2", "support2"], LongTermCare::Support2),
                        (&["要介護1", "care1"], LongTermCare::Care1),
                        (&["要介護2", "care2"], LongTermCare::Care2),
                        (&["要介護3", "care3"], LongTermCare::Care3),
                        (&["要介護4", "care4"], LongTermCare::Care4),
                        (&["要介護5", "care5"], LongTermCare::Care5),
                    ],
                    "long-term-care level (要支援1–2, 要介護1–5, なし)",
                )?)
            }
            HeaderField::Mobility => sheet.clinical.living.mobility = Some(small(text)?),
            HeaderField::SelfCare => sheet.clinical.living.self_care = Some(small(text)?),
            HeaderField::UsualActivities => {
                sheet.clinical.living.usual_activities = Some(small(text)?)
            }
            HeaderField::PainDiscomfort => {
                sheet.clinical.living.pain_discomfort = Some(small(text)?)
            }
            HeaderField::AnxietyDepression => {
                sheet.clinical.living.anxiety_depression = Some(small(text)?)
            }
            HeaderField::Ventilator => {
                sheet.clinical.ventilator = Some(parse::parse_presence(text)?)
            }
            HeaderField::DiagnosticCategory => sheet.clinical.diagnostic_category = s(),
            HeaderField::OverallSeverity => {
                sheet.clinical.severity = Some(code(
                    text,
                    &[
                        (&["軽症", "mild", "1"], SeverityGrade::Mild),
                        (&["中等症", "moderate", "2"], SeverityGrade::Moderate),
                        (&["重症", "severe", "3"], SeverityGrade::Severe),
                    ],
                    "severity (軽症/中等症/重症)",
                )?)
            }
            HeaderField::Remarks => sheet.clinical.remarks = s(),
            HeaderField::Complications => {
                sheet.clinical.complications = Some(parse::parse_presence(text)?)
            }
            HeaderField::ComplicationsDetail => sheet.clinical.complications_detail = s(),
            HeaderField::MedicationTherapy => treatments(sheet, TreatmentKind::Medication, text),
            HeaderField::ProcedureTherapy => treatments(sheet, TreatmentKind::Procedure, text),
            HeaderField::ReplacementTherapy => treatments(sheet, TreatmentKind::Replacement, text),
            HeaderField::DietTherapy => treatments(sheet, TreatmentKind::Diet, text),
            HeaderField::TreatmentPlan => sheet.clinical.treatment_plan = s(),
            HeaderField::PrefectureOfBirth => child_of(sheet).prefecture_of_birth = s(),
            HeaderField::BirthWeight => child_of(sheet).birth_weight_g = Some(small(text)?),
            HeaderField::BirthWeeks => child_of(sheet).birth_weeks = Some(small(text)?),
            HeaderField::Height => child_of(sheet).height_cm = Some(decimal(text)?),
            HeaderField::Weight => child_of(sheet).weight_kg = Some(decimal(text)?),
            HeaderField::MotherDateOfBirth => {
                child_of(sheet).mother_date_of_birth = Some(parse::parse_date(text)?)
            }
            HeaderField::FirstVisitDate => {
                child_of(sheet).first_visit_date = Some(parse::parse_date(text)?)
            }
            HeaderField::Schooling => child_of(sheet).schooling = s(),
            HeaderField::TreatmentMonths => child_of(sheet).treatment_months = Some(small(text)?),
            HeaderField::CareSetting => {
                child_of(sheet).care_setting = Some(code(
                    text,
                    &[
                        (&["入院", "inpatient", "1"], CareSetting::Inpatient),
                        (
                            &["外来", "通院", "outpatient", "2"],
                            CareSetting::Outpatient,
                        ),
                        (&["入院・外来", "both", "3"], CareSetting::Both),
                    ],
                    "care setting (入院/外来)",
                )?)
            }
            HeaderField::CurrentAssessment => {
                child_of(sheet).current_assessment = Some(code(
                    text,
                    &[
                        (&["治癒", "cured", "1"], CurrentAssessment::Cured),
                        (&["寛解", "remission", "2"], CurrentAssessment::Remission),
                        (&["改善", "improved", "3"], CurrentAssessment::Improved),
                        (&["不変", "unchanged", "4"], CurrentAssessment::Unchanged),
                        (&["再発", "relapsed", "5"], CurrentAssessment::Relapsed),
                        (&["悪化", "worsened", "6"], CurrentAssessment::Worsened),
                        (&["死亡", "died", "7"], CurrentAssessment::Died),
                        (
                            &["判定不能", "undeterminable", "8"],
                            CurrentAssessment::Undeterminable,
                        ),
                    ],
                    "current assessment (治癒/寛解/改善/不変/再発/悪化/死亡/判定不能)",
                )?)
            }
            HeaderField::CriteriaMet => {
                child_of(sheet).criteria_met = Some(code(
                    text,
                    &[
                        (&["該当", "該当する", "yes", "true", "1"], true),
                        (&["非該当", "該当しない", "no", "false", "0", "2"], false),
                    ],
                    "statement (該当/非該当)",
                )?)
            }
            HeaderField::DesignatedDoctorNumber => {
                sheet.institution.designated_doctor_number = Some(parse::to_halfwidth(text))
            }
            HeaderField::DoctorName => sheet.institution.doctor_name = s(),
            HeaderField::InstitutionCode => sheet.institution.code = Some(digits(text)?),
            HeaderField::InstitutionName => sheet.institution.name = s(),
            HeaderField::Phone => sheet.institution.phone = Some(parse::to_halfwidth(text)),
            HeaderField::DateWritten => {
                sheet.institution.date_written = Some(parse::parse_date(text)?)
            }
            HeaderField::PayerNumber => sheet.administrative.payer_number = Some(digits(text)?),
            HeaderField::RecipientNumber => {
                sheet.administrative.recipient_number = Some(digits(text)?)
            }
            HeaderField::Certification => {
                sheet.administrative.certification = Some(code(
                    text,
                    &[
                        (
                            &["認定", "certified", "1"],
                            CertificationDecision::Certified,
                        ),
                        (
                            &["不認定", "not_certified", "2"],
                            CertificationDecision::NotCertified,
                        ),
                    ],
                    "decision (認定/不認定)",
                )?)
            }
            HeaderField::ResearchConsent => {
                sheet.administrative.research_consent = Some(code(
                    text,
                    &[
                        (
                            &[
                                "同意",
                                "同意する",
                                "同意あり",
                                "あり",
                                "有",
                                "yes",
                                "true",
                                "1",
                            ],
                            true,
                        ),
                        (
                            &[
                                "不同意",
                                "同意しない",
                                "同意なし",
                                "なし",
                                "無",
                                "no",
                                "false",
                                "0",
                                "2",
                            ],
                            false,
                        ),
                    ],
                    "consent answer (同意/不同意)",
                )?)
            }
            HeaderField::MonthlyMedicalCosts => {
                sheet.administrative.monthly_medical_costs = monthly_amounts(text)?
            }
        }
        // Read at last (a person corrected it): no longer kept as unreadable text.
        sheet.provenance.unreadable.remove(self.path());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provenance, Sex};

    #[test]
    fn every_path_round_trips_through_serde() {
        for f in HeaderField::ALL {
            let json = serde_json::to_string(f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.path()));
            let back: HeaderField = serde_json::from_str(&json).unwrap();
            assert_eq!(back, *f);
        }
    }

    #[test]
    fn decimals_held_inexactly_are_a_warning_of_the_adapter_located_where_read() {
        let at = SourceLocation::cell(4, 7, Some("身長"));
        let finding = HeaderField::Height
            .inexact_number("csv", " 132.123456789012345678 ", &at)
            .unwrap();
        assert_eq!(
            (
                finding.severity,
                finding.code.as_str(),
                finding.item.as_deref()
            ),
            (
                crate::Severity::Warning,
                "csv.inexact_number",
                Some("child.height_cm")
            )
        );
        assert_eq!(finding.location, Some(at.clone()));
        assert!(
            finding.message.contains("stored as 132.12345678901235")
                && finding.message_ja.contains("132.12345678901235"),
            "{finding:?}"
        );
        let zeroed = HeaderField::Weight.inexact_number("jsonl", "1e-400", &at);
        assert_eq!(zeroed.map(|f| f.code), Some("jsonl.inexact_number".into()));
        // Held exactly, not a number (field.unreadable's business), or not a decimal field.
        assert_eq!(
            HeaderField::Height.inexact_number("csv", "132.50", &at),
            None
        );
        assert_eq!(HeaderField::Height.inexact_number("csv", "abc", &at), None);
        assert_eq!(
            HeaderField::PostalCode.inexact_number("csv", "132.123456789012345678", &at),
            None
        );
    }

    #[test]
    fn apply_reads_typed_values_and_reports_bad_text() {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        HeaderField::DateOfBirth
            .apply(&mut sheet, "S55.3.14")
            .unwrap();
        HeaderField::Sex.apply(&mut sheet, "女").unwrap();
        HeaderField::RecipientNumber
            .apply(&mut sheet, "１２３４５６７")
            .unwrap();
        HeaderField::Kind.apply(&mut sheet, "小慢").unwrap();
        HeaderField::PatientNameKana
            .apply(&mut sheet, "ﾔﾏﾀﾞ ﾊﾅｺ")
            .unwrap();
        assert_eq!(sheet.patient.name_kana.as_deref(), Some("ヤマダ ハナコ"));
        HeaderField::Height.apply(&mut sheet, "132.5").unwrap();
        assert_eq!(
            sheet.patient.date_of_birth.unwrap().to_string(),
            "1980-03-14"
        );
        assert_eq!(sheet.patient.sex, Some(Sex::Female));
        assert_eq!(
            sheet.administrative.recipient_number.as_deref(),
            Some("1234567")
        );
        assert_eq!(sheet.kind, SheetKind::Shoman);
        assert_eq!(sheet.child.as_ref().unwrap().height_cm, Some(132.5));
        assert!(HeaderField::DiseaseNumber.apply(&mut sheet, "abc").is_err());
        assert!(HeaderField::Mobility.apply(&mut sheet, "300").is_err());
        HeaderField::PatientName.apply(&mut sheet, "  ").unwrap();
        assert_eq!(sheet.patient.name, None);
    }

    #[test]
    fn identifiers_are_half_width_and_the_form_s_new_items_read() {
        let mut sheet = Sheet::new(SheetKind::Shoman, Provenance::default());
        for (field, text) in [
            (HeaderField::InsuranceSymbol, "ＡＢ１２３"),
            (HeaderField::InsuranceNumber, "４５６"),
            (HeaderField::HospitalPatientId, "Ｐ－００１２３"),
            (HeaderField::CurrentAssessment, "寛解"),
            (HeaderField::CriteriaMet, "非該当"),
            (HeaderField::Complications, "あり"),
            (HeaderField::ComplicationsDetail, "甲状腺機能低下症"),
            (HeaderField::TreatmentPlan, "インスリン療法を継続"),
            (
                HeaderField::ReplacementTherapy,
                "成長ホルモン；レボチロキシン",
            ),
            (HeaderField::DietTherapy, "カーボカウント"),
        ] {
            field.apply(&mut sheet, text).unwrap();
        }
        assert_eq!(sheet.patient.insurance.symbol.as_deref(), Some("AB123"));
        assert_eq!(sheet.patient.insurance.number.as_deref(), Some("456"));
        assert_eq!(
            sheet.patient.hospital_patient_id.as_deref(),
            Some("P-00123")
        );
        let child = sheet.child.as_ref().unwrap();
        assert_eq!(
            (child.current_assessment, child.criteria_met),
            (Some(crate::CurrentAssessment::Remission), Some(false))
        );
        let kinds: Vec<(TreatmentKind, &str)> = sheet
            .clinical
            .treatments
            .iter()
            .map(|t| (t.kind, t.name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (TreatmentKind::Replacement, "成長ホルモン"),
                (TreatmentKind::Replacement, "レボチロキシン"),
                (TreatmentKind::Diet, "カーボカウント"),
            ]
        );
        // Reading the same cell again replaces, it does not append.
        HeaderField::DietTherapy
            .apply(&mut sheet, "低脂肪食")
            .unwrap();
        assert_eq!(sheet.clinical.treatments.len(), 3);
        assert!(
            HeaderField::CriteriaMet
                .apply(&mut sheet, "たぶん")
                .is_err()
        );
    }

    #[test]
    fn monthly_costs_read_as_months_with_yen() {
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        HeaderField::MonthlyMedicalCosts
            .apply(&mut sheet, "R8.5：３３，３３１円; 2026-04:45000")
            .unwrap();
        let got: Vec<(String, u64)> = sheet
            .administrative
            .monthly_medical_costs
            .iter()
            .map(|c| (c.month.to_string(), c.total_yen))
            .collect();
        assert_eq!(
            got,
            [("2026-04".to_owned(), 45000), ("2026-05".to_owned(), 33331)]
        );
        for (bad, why) in [
            ("2026-04", "is not `YYYY-MM:yen`"),
            ("2026-04:abc", "not a whole number of yen"),
            ("2026-04:1; 2026-04:2", "given twice"),
        ] {
            let err = HeaderField::MonthlyMedicalCosts
                .apply(&mut sheet, bad)
                .unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
