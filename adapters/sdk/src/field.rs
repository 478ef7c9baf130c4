//! Canonical header fields addressed by path (`patient.date_of_birth`), so that mapping files
//! of every text-based adapter (CSV columns, scan zones, fixed-width municipal records) can name
//! a target, and one place turns text into the field's type.

use serde::{Deserialize, Serialize};

use crate::{
    ApplicationType, CareSetting, CertificationDecision, CurrentAssessment, Finding, LongTermCare,
    SeverityGrade, Sheet, SheetKind, SourceLocation, Treatment, TreatmentKind, parse,
};

/// How the text of a field is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

macro_rules! header_fields {
    ($( $variant:ident => $path:literal, $ty:ident; )*) => {
        /// A header field of the canonical sheet, by its JSON path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum HeaderField {
            $( #[serde(rename = $path)] $variant, )*
        }

        impl HeaderField {
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
        }
    };
}

header_fields! {
    Kind => "kind", Code;
    ApplicationType => "application_type", Code;
    DiseaseGroup => "disease.group", Integer;
    DiseaseNumber => "disease.number", Integer;
    DiseaseName => "disease.name", Text;
    DiseaseCode => "disease.code", Text;
    DiseaseMajorClass => "disease.major_class", Text;
    DiseaseMinorClass => "disease.minor_class", Text;
    PatientName => "patient.name", Text;
    PatientNameKana => "patient.name_kana", Kana;
    DateOfBirth => "patient.date_of_birth", Date;
    Sex => "patient.sex", Sex;
    PostalCode => "patient.postal_code", Text;
    Address => "patient.address", Text;
    InsurerNumber => "patient.insurance.insurer_number", Digits;
    InsuranceSymbol => "patient.insurance.symbol", Text;
    InsuranceNumber => "patient.insurance.number", Text;
    InsuranceBranch => "patient.insurance.branch", Digits;
    HospitalPatientId => "patient.hospital_patient_id", Text;
    Onset => "clinical.onset", YearMonth;
    Diagnosed => "clinical.diagnosed", YearMonth;
    FamilyHistory => "clinical.family_history", Presence;
    FamilyHistoryDetail => "clinical.family_history_detail", Text;
    LongTermCare => "clinical.long_term_care", Code;
    Mobility => "clinical.living.mobility", Integer;
    SelfCare => "clinical.living.self_care", Integer;
    UsualActivities => "clinical.living.usual_activities", Integer;
    PainDiscomfort => "clinical.living.pain_discomfort", Integer;
    AnxietyDepression => "clinical.living.anxiety_depression", Integer;
    Ventilator => "clinical.ventilator", Presence;
    DiagnosticCategory => "clinical.diagnostic_category", Text;
    OverallSeverity => "clinical.severity", Code;
    Remarks => "clinical.remarks", Text;
    Complications => "clinical.complications", Presence;
    ComplicationsDetail => "clinical.complications_detail", Text;
    MedicationTherapy => "clinical.treatments.medication", Text;
    ProcedureTherapy => "clinical.treatments.procedure", Text;
    ReplacementTherapy => "clinical.treatments.replacement", Text;
    DietTherapy => "clinical.treatments.diet", Text;
    TreatmentPlan => "clinical.treatment_plan", Text;
    PrefectureOfBirth => "child.prefecture_of_birth", Text;
    BirthWeight => "child.birth_weight_g", Integer;
    BirthWeeks => "child.birth_weeks", Integer;
    Height => "child.height_cm", Decimal;
    Weight => "child.weight_kg", Decimal;
    MotherDateOfBirth => "child.mother_date_of_birth", Date;
    FirstVisitDate => "child.first_visit_date", Date;
    Schooling => "child.schooling", Text;
    TreatmentMonths => "child.treatment_months", Integer;
    CareSetting => "child.care_setting", Code;
    CurrentAssessment => "child.current_assessment", Code;
    CriteriaMet => "child.criteria_met", Code;
    DesignatedDoctorNumber => "institution.designated_doctor_number", Text;
    DoctorName => "institution.doctor_name", Text;
    InstitutionCode => "institution.code", Digits;
    InstitutionName => "institution.name", Text;
    Phone => "institution.phone", Text;
    DateWritten => "institution.date_written", Date;
    PayerNumber => "administrative.payer_number", Digits;
    RecipientNumber => "administrative.recipient_number", Digits;
    Certification => "administrative.certification", Code;
    ResearchConsent => "administrative.research_consent", Code;
    MonthlyMedicalCosts => "administrative.monthly_medical_costs", MonthlyAmounts;
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
