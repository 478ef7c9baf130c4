//! The print of a clinical survey sheet (臨床調査個人票 / 医療意見書): the header, every item of
//! the disease's template with its label, value and unit, the auto-calculated totals, the
//! treatment history and the findings of the checks — in full for the hospital and the
//! municipality, or masked for the review board (審査会), as seed 003 asks: "審査会で使用する
//! 臨個票・意見書は、個人情報をマスキングした状態で…プリントアウトできる".
//!
//! Masked (the header fields the SDK's table marks personal, [`HeaderField::is_personal`]):
//! 氏名 and 氏名（カナ）, 生年月日, 郵便番号, 住所, the insurance identifiers (保険者番号, 記号,
//! 番号, 枝番), the hospital's 患者ID, 公費負担者番号, 受給者番号, the mother's date of birth
//! (医療意見書), and the telephone number (電話番号; the only phone number on the
//! sheet is the institution's, masked as the issue asks). The masked print shows the **age in
//! years** instead of the date of birth: the board needs it (小慢 covers children under 20, and
//! several severity rules depend on age), the date identifies the patient. A finding whose
//! message is about a masked field, or quotes a masked value (a wrong check digit of the
//! recipient number, an onset before the date of birth), is masked too.
//!
//! Left visible on purpose: sex, the disease, the clinical data, the institution and the
//! doctor (the board may need to ask them), 出生都道府県 (a prefecture), and free text
//! (家族歴の続柄, 特記事項, text items), which the board reads to decide; a doctor who writes a
//! name into free text puts it on the print.

use chrono::NaiveDate;
use kakehashi_pdf::{Font, PdfError};
use kakehashi_sdk::{
    ApplicationType, CareSetting, CertificationDecision, CompareOp, CurrentAssessment,
    FieldSection, Finding, HeaderField, Item, ItemDef, ItemValue, LongTermCare, Presence, Severity,
    SeverityGrade, Sex, Sheet, SheetKind, Template, YearMonth,
};

use super::layout::{Cell, Disclosure, Flow};
use crate::store::SheetStatus;

/// What a sheet print shows.
#[derive(Debug, Clone, Copy)]
pub struct SheetPrint<'a> {
    pub id: &'a str,
    pub status: SheetStatus,
    pub sheet: &'a Sheet,
    pub findings: &'a [Finding],
    /// The disease's template, for item labels, units and order; items print by code without.
    pub template: Option<&'a Template>,
    /// 印刷日 (in Japan); also the day the age is counted to when the sheet has no 記載年月日.
    pub printed_on: NaiveDate,
}

/// One header row: its canonical path, label and value.
struct Row {
    path: &'static str,
    label: &'static str,
    cell: Cell,
}

fn cell(value: Option<String>, personal: bool) -> Cell {
    match value {
        None => Cell::Blank,
        Some(text) if text.trim().is_empty() => Cell::Blank,
        Some(text) if personal => Cell::Personal(text),
        Some(text) => Cell::Plain(text),
    }
}

/// A header field's row: label, personal or not, and unit from the SDK's table.
fn field(field: HeaderField, sheet: &Sheet) -> Row {
    let described = field.describe();
    let value = value_ja(field, sheet).map(|v| match described.unit {
        "" => v,
        unit => format!("{v} {unit}"),
    });
    Row {
        path: described.path,
        label: described.label_ja,
        cell: cell(value, described.personal),
    }
}

/// Renders the print.
pub fn sheet_print(
    font: &Font,
    print: &SheetPrint<'_>,
    disclosure: Disclosure,
) -> Result<Vec<u8>, PdfError> {
    let sheet = print.sheet;
    let form = match sheet.kind {
        SheetKind::Nanbyo => "臨床調査個人票（指定難病）",
        SheetKind::Shoman => "医療意見書（小児慢性特定疾病）",
    };
    let note = match disclosure {
        Disclosure::Masked => "審査会用　個人情報マスク済み",
        Disclosure::Full => "個人情報を含みます　取扱注意",
    };
    let mut flow = Flow::new(
        font,
        form,
        &format!("{form}　ID {}　{note}", print.id),
        disclosure,
    );
    flow.title(form, 15.0);
    flow.space(3.0);
    flow.paragraph(&format!(
        "{note}　　状態: {}　　印刷日: {}",
        match print.status {
            SheetStatus::Draft => "仮登録",
            SheetStatus::Confirmed => "登録済み",
        },
        date_ja(print.printed_on)
    ));

    let sections = header_sections(print);
    let personal = personal_renderings(sheet, &sections);
    for (title, rows) in &sections {
        flow.heading(title);
        for row in rows {
            flow.row(row.label, &row.cell);
        }
        if *title == "臨床所見" {
            treatments(&mut flow, sheet);
        }
    }
    items(&mut flow, sheet, print.template);
    findings(&mut flow, print, &sections, &personal);
    flow.finish()
}

/// The sections of the print, in the form's order; 医療意見書 only for 小慢.
const SECTIONS: [FieldSection; 6] = [
    FieldSection::Disease,
    FieldSection::Patient,
    FieldSection::Child,
    FieldSection::Clinical,
    FieldSection::Institution,
    FieldSection::Administrative,
];

/// The header, section by section, in the order of the form; the age in years follows the
/// date of birth (the masked print shows it instead).
fn header_sections(print: &SheetPrint<'_>) -> Vec<(&'static str, Vec<Row>)> {
    let sheet = print.sheet;
    let (age_on, age_label) = match sheet.institution.date_written {
        Some(written) => (written, "年齢（記載日時点）"),
        None => (print.printed_on, "年齢（印刷日時点）"),
    };
    let age = sheet
        .patient
        .date_of_birth
        .and_then(|birth| age_on.years_since(birth))
        .or_else(|| sheet.child.as_ref().and_then(|c| c.age_years));
    SECTIONS
        .into_iter()
        .filter(|section| *section != FieldSection::Child || sheet.child.is_some())
        .map(|section| {
            let mut rows = Vec::new();
            for f in HeaderField::ALL.iter().filter(|f| f.section() == section) {
                rows.push(field(*f, sheet));
                if *f == HeaderField::DateOfBirth {
                    rows.push(Row {
                        path: "age",
                        label: age_label,
                        cell: cell(age.map(|a| format!("{a}歳")), false),
                    });
                }
            }
            (section.title_ja(), rows)
        })
        .collect()
}

/// A header field's value as the form shows it, in Japanese; `None` when blank.
fn value_ja(field: HeaderField, sheet: &Sheet) -> Option<String> {
    let (patient, clinical, institution, admin) = (
        &sheet.patient,
        &sheet.clinical,
        &sheet.institution,
        &sheet.administrative,
    );
    // A value the gateway could not read prints as it was written.
    if let Some(written) = sheet.provenance.unreadable.get(field.path()) {
        return Some(written.clone());
    }
    let child = sheet.child.as_ref();
    let number = |n: Option<u8>| n.map(|n| n.to_string());
    match field {
        HeaderField::Kind => Some(
            match sheet.kind {
                SheetKind::Nanbyo => "指定難病",
                SheetKind::Shoman => "小児慢性特定疾病",
            }
            .to_owned(),
        ),
        HeaderField::ApplicationType => sheet
            .application_type
            .map(|t| application_type_ja(t).to_owned()),
        HeaderField::DiseaseGroup => number(sheet.disease.group),
        HeaderField::DiseaseNumber => sheet.disease.number.map(|n| n.to_string()),
        HeaderField::DiseaseName => sheet.disease.name.clone(),
        HeaderField::DiseaseCode => sheet.disease.code.clone(),
        HeaderField::DiseaseMajorClass => sheet.disease.major_class.clone(),
        HeaderField::DiseaseMinorClass => sheet.disease.minor_class.clone(),
        HeaderField::PatientName => patient.name.clone(),
        HeaderField::PatientNameKana => patient.name_kana.clone(),
        HeaderField::DateOfBirth => patient.date_of_birth.map(date_ja),
        HeaderField::Sex => patient.sex.map(|s| sex_ja(s).to_owned()),
        HeaderField::PostalCode => patient.postal_code.clone(),
        HeaderField::Address => patient.address.clone(),
        HeaderField::InsurerNumber => patient.insurance.insurer_number.clone(),
        HeaderField::InsuranceSymbol => patient.insurance.symbol.clone(),
        HeaderField::InsuranceNumber => patient.insurance.number.clone(),
        HeaderField::InsuranceBranch => patient.insurance.branch.clone(),
        HeaderField::HospitalPatientId => patient.hospital_patient_id.clone(),
        HeaderField::Onset => clinical.onset.map(year_month_ja),
        HeaderField::Diagnosed => clinical.diagnosed.map(year_month_ja),
        HeaderField::FamilyHistory => clinical.family_history.map(|p| presence_ja(p).to_owned()),
        HeaderField::FamilyHistoryDetail => clinical.family_history_detail.clone(),
        HeaderField::LongTermCare => clinical
            .long_term_care
            .map(|c| long_term_care_ja(c).to_owned()),
        HeaderField::Mobility => number(clinical.living.mobility),
        HeaderField::SelfCare => number(clinical.living.self_care),
        HeaderField::UsualActivities => number(clinical.living.usual_activities),
        HeaderField::PainDiscomfort => number(clinical.living.pain_discomfort),
        HeaderField::AnxietyDepression => number(clinical.living.anxiety_depression),
        HeaderField::Ventilator => clinical.ventilator.map(|p| presence_ja(p).to_owned()),
        HeaderField::DiagnosticCategory => clinical.diagnostic_category.clone(),
        HeaderField::OverallSeverity => clinical.severity.map(|s| severity_grade_ja(s).to_owned()),
        HeaderField::Remarks => clinical.remarks.clone(),
        HeaderField::Complications => clinical.complications.map(|p| presence_ja(p).to_owned()),
        HeaderField::ComplicationsDetail => clinical.complications_detail.clone(),
        // Printed row by row under 治療歴.
        HeaderField::MedicationTherapy
        | HeaderField::ProcedureTherapy
        | HeaderField::ReplacementTherapy
        | HeaderField::DietTherapy => None,
        HeaderField::TreatmentPlan => clinical.treatment_plan.clone(),
        HeaderField::PrefectureOfBirth => child.and_then(|c| c.prefecture_of_birth.clone()),
        HeaderField::BirthWeight => child.and_then(|c| c.birth_weight_g).map(|g| g.to_string()),
        HeaderField::BirthWeeks => child.and_then(|c| c.birth_weeks).map(|w| w.to_string()),
        HeaderField::Height => child.and_then(|c| c.height_cm).map(|h| h.to_string()),
        HeaderField::Weight => child.and_then(|c| c.weight_kg).map(|w| w.to_string()),
        HeaderField::MotherDateOfBirth => child.and_then(|c| c.mother_date_of_birth).map(date_ja),
        HeaderField::FirstVisitDate => child.and_then(|c| c.first_visit_date).map(date_ja),
        HeaderField::Schooling => child.and_then(|c| c.schooling.clone()),
        HeaderField::TreatmentMonths => child
            .and_then(|c| c.treatment_months)
            .map(|m| m.to_string()),
        HeaderField::CareSetting => child
            .and_then(|c| c.care_setting)
            .map(|c| care_setting_ja(c).to_owned()),
        HeaderField::CurrentAssessment => child
            .and_then(|c| c.current_assessment)
            .map(|a| current_assessment_ja(a).to_owned()),
        HeaderField::CriteriaMet => child
            .and_then(|c| c.criteria_met)
            .map(|m| if m { "該当" } else { "非該当" }.to_owned()),
        HeaderField::DesignatedDoctorNumber => institution.designated_doctor_number.clone(),
        HeaderField::DoctorName => institution.doctor_name.clone(),
        HeaderField::InstitutionCode => institution.code.clone(),
        HeaderField::InstitutionName => institution.name.clone(),
        HeaderField::Phone => institution.phone.clone(),
        HeaderField::DateWritten => institution.date_written.map(date_ja),
        HeaderField::PayerNumber => admin.payer_number.clone(),
        HeaderField::RecipientNumber => admin.recipient_number.clone(),
        HeaderField::Certification => admin.certification.map(|c| certification_ja(c).to_owned()),
        HeaderField::ResearchConsent => admin
            .research_consent
            .map(|c| if c { "同意" } else { "不同意" }.to_owned()),
        HeaderField::MonthlyMedicalCosts => (!admin.monthly_medical_costs.is_empty()).then(|| {
            admin
                .monthly_medical_costs
                .iter()
                .map(|c| format!("{} {}円", year_month_ja(c.month), c.total_yen))
                .collect::<Vec<_>>()
                .join("、")
        }),
    }
}

/// 治療歴: one row per drug or procedure.
fn treatments(flow: &mut Flow<'_>, sheet: &Sheet) {
    for treatment in &sheet.clinical.treatments {
        let label = format!("治療歴：{}", treatment.kind.ja());
        let details: Vec<&str> = [&treatment.date, &treatment.detail, &treatment.status]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        let text = if details.is_empty() {
            treatment.name.clone()
        } else {
            format!("{}（{}）", treatment.name, details.join("、"))
        };
        flow.row(&label, &Cell::Plain(text));
    }
}

/// 疾病別項目: the template's items in its order, then its formulas (自動計算), then any item
/// the template does not know, by code.
fn items(flow: &mut Flow<'_>, sheet: &Sheet, template: Option<&Template>) {
    match template {
        Some(t) => flow.heading(&format!("疾病別項目（{} 様式 {}）", t.name, t.form_version)),
        None => flow.heading("疾病別項目（テンプレートなし）"),
    }
    let mut known: Vec<&str> = Vec::new();
    if let Some(template) = template {
        for def in &template.items {
            known.push(&def.code);
            let cell = sheet
                .items
                .get(&def.code)
                .map_or(Cell::Blank, |item| Cell::Plain(item_text(Some(def), item)));
            flow.row(&def.label, &cell);
        }
        for formula in &template.formulas {
            known.push(&formula.code);
            let cell = sheet.items.get(&formula.code).map_or(Cell::Blank, |item| {
                let unit = formula
                    .unit
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default();
                Cell::Plain(format!("{}{unit}（自動計算）", value_text(item)))
            });
            flow.row(&formula.label, &cell);
        }
        let severity: Vec<&str> = template
            .judgment
            .severity
            .iter()
            .map(|rule| rule.label.as_str())
            .collect();
        if !severity.is_empty() {
            flow.row("重症度分類の基準", &Cell::Plain(severity.join("、または ")));
        }
    }
    for (code, item) in &sheet.items {
        if !known.contains(&code.as_str()) {
            flow.row(code, &Cell::Plain(item_text(None, item)));
        }
    }
}

/// An item's value as the form shows it: the choice's label beside a coded value, the unit
/// after a number, はい／いいえ for a yes-no item.
fn item_text(def: Option<&ItemDef>, item: &Item) -> String {
    let value = value_text(item);
    let Some(def) = def else { return value };
    let choice = def
        .allowed
        .iter()
        .find(|allowed| CompareOp::Eq.holds(&allowed.value, &item.value));
    let unit = def
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    match choice {
        Some(allowed) if allowed.label != value => format!("{value}（{}）{unit}", allowed.label),
        _ => format!("{value}{unit}"),
    }
}

fn value_text(item: &Item) -> String {
    match (&item.as_written, &item.value) {
        (Some(written), _) => written.clone(),
        (None, ItemValue::Boolean(true)) => "はい".to_owned(),
        (None, ItemValue::Boolean(false)) => "いいえ".to_owned(),
        (None, value) => value.to_string(),
    }
}

/// The ways a personal value can appear in a finding's message: as printed and as the checks
/// write it (dates in ISO form).
fn personal_renderings(sheet: &Sheet, sections: &[(&str, Vec<Row>)]) -> Vec<String> {
    let mut out: Vec<String> = sections
        .iter()
        .flat_map(|(_, rows)| rows)
        .filter_map(|row| match &row.cell {
            Cell::Personal(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    let dates = [
        sheet.patient.date_of_birth,
        sheet.child.as_ref().and_then(|c| c.mother_date_of_birth),
    ];
    out.extend(dates.into_iter().flatten().map(|d| d.to_string()));
    out.retain(|text| !text.trim().is_empty());
    out
}

/// チェック結果: every finding with its severity, the field or item it is about, its message and
/// code. A message about a masked field, or quoting a masked value, is personal.
fn findings(
    flow: &mut Flow<'_>,
    print: &SheetPrint<'_>,
    sections: &[(&str, Vec<Row>)],
    personal: &[String],
) {
    flow.heading("チェック結果");
    if print.findings.is_empty() {
        flow.paragraph("指摘事項はありません。");
        return;
    }
    let label_of = |path: &str| -> String {
        let header = sections
            .iter()
            .flat_map(|(_, rows)| rows)
            .find(|row| row.path == path)
            .map(|row| row.label.to_owned());
        let item = print
            .template
            .and_then(|t| t.item(path))
            .map(|def| def.label.clone());
        header.or(item).unwrap_or_else(|| path.to_owned())
    };
    for finding in print.findings {
        let severity = match finding.severity {
            Severity::Error => "エラー",
            Severity::Warning => "警告",
            Severity::Info => "情報",
        };
        let label = match &finding.item {
            Some(item) => format!("{severity}：{}〔{}〕", label_of(item), finding.code),
            None => format!("{severity}〔{}〕", finding.code),
        };
        let about_personal = finding
            .item
            .as_deref()
            .and_then(HeaderField::from_path)
            .is_some_and(HeaderField::is_personal)
            || personal.iter().any(|value| {
                finding.message_ja.contains(value.as_str()) || finding.message.contains(value)
            });
        let cell = if about_personal {
            Cell::Personal(finding.message_ja.clone())
        } else {
            Cell::Plain(finding.message_ja.clone())
        };
        flow.row(&label, &cell);
    }
}

/// 2026年6月12日
pub fn date_ja(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

fn year_month_ja(ym: YearMonth) -> String {
    format!("{}年{}月", ym.year(), ym.month())
}

fn application_type_ja(t: ApplicationType) -> &'static str {
    match t {
        ApplicationType::New => "新規",
        ApplicationType::Renewal => "更新",
    }
}

fn sex_ja(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "男",
        Sex::Female => "女",
    }
}

fn presence_ja(p: Presence) -> &'static str {
    match p {
        Presence::Present => "あり",
        Presence::Absent => "なし",
        Presence::Unknown => "不明",
    }
}

fn long_term_care_ja(c: LongTermCare) -> &'static str {
    match c {
        LongTermCare::None => "非該当・未申請",
        LongTermCare::Support1 => "要支援1",
        LongTermCare::Support2 => "要支援2",
        LongTermCare::Care1 => "要介護1",
        LongTermCare::Care2 => "要介護2",
        LongTermCare::Care3 => "要介護3",
        LongTermCare::Care4 => "要介護4",
        LongTermCare::Care5 => "要介護5",
    }
}

fn severity_grade_ja(s: SeverityGrade) -> &'static str {
    match s {
        SeverityGrade::Mild => "軽症",
        SeverityGrade::Moderate => "中等症",
        SeverityGrade::Severe => "重症",
    }
}

fn care_setting_ja(c: CareSetting) -> &'static str {
    match c {
        CareSetting::Inpatient => "入院",
        CareSetting::Outpatient => "外来",
        CareSetting::Both => "入院・外来",
    }
}

fn current_assessment_ja(a: CurrentAssessment) -> &'static str {
    match a {
        CurrentAssessment::Cured => "治癒",
        CurrentAssessment::Remission => "寛解",
        CurrentAssessment::Improved => "改善",
        CurrentAssessment::Unchanged => "不変",
        CurrentAssessment::Relapsed => "再発",
        CurrentAssessment::Worsened => "悪化",
        CurrentAssessment::Died => "死亡",
        CurrentAssessment::Undeterminable => "判定不能",
    }
}

fn certification_ja(c: CertificationDecision) -> &'static str {
    match c {
        CertificationDecision::Certified => "認定",
        CertificationDecision::NotCertified => "不認定",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::{AllowedValue, ItemType, Provenance};

    #[test]
    fn personal_rows_are_exactly_the_personal_fields() {
        let mut sheet = Sheet::new(SheetKind::Shoman, Provenance::default());
        sheet.patient.name = Some("名".into());
        sheet.patient.date_of_birth = NaiveDate::from_ymd_opt(2015, 3, 31);
        sheet.institution.date_written = NaiveDate::from_ymd_opt(2026, 3, 30);
        let print = SheetPrint {
            id: "s",
            status: SheetStatus::Draft,
            sheet: &sheet,
            findings: &[],
            template: None,
            printed_on: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
        };
        let sections = header_sections(&print);
        let rows: Vec<&Row> = sections.iter().flat_map(|(_, rows)| rows).collect();
        // Every header field but the form's kind has its row.
        for field in HeaderField::ALL {
            assert!(
                rows.iter().any(|r| r.path == field.path()) || *field == HeaderField::Kind,
                "{} never printed",
                field.path()
            );
        }
        assert_eq!(
            HeaderField::ALL.iter().filter(|f| f.is_personal()).count(),
            14,
            "the personal fields the module doc lists"
        );
        let personal: Vec<&str> = rows
            .iter()
            .filter(|r| matches!(r.cell, Cell::Personal(_)))
            .map(|r| r.path)
            .collect();
        assert_eq!(personal, ["patient.name", "patient.date_of_birth"]);
        // Age on the date written: the day before the eleventh birthday.
        let age = rows.iter().find(|r| r.path == "age").unwrap();
        assert_eq!(age.label, "年齢（記載日時点）");
        assert_eq!(age.cell, Cell::Plain("10歳".into()));
        assert_eq!(
            personal_renderings(&sheet, &sections),
            ["名", "2015年3月31日", "2015-03-31"]
        );
    }

    #[test]
    fn item_values_show_their_choice_label_and_unit() {
        let def = ItemDef {
            code: "barthel.feeding".into(),
            label: "食事".into(),
            label_en: None,
            item_type: ItemType::Integer,
            unit: Some("点".into()),
            required: false,
            min: None,
            max: None,
            allowed: vec![AllowedValue {
                value: ItemValue::Integer(5),
                label: "部分介助".into(),
            }],
            note: None,
        };
        let read = |value| Item::read(value, None);
        assert_eq!(
            item_text(Some(&def), &read(ItemValue::Integer(5))),
            "5（部分介助） 点"
        );
        assert_eq!(
            item_text(Some(&def), &read(ItemValue::Integer(10))),
            "10 点"
        );
        assert_eq!(item_text(None, &read(ItemValue::Boolean(true))), "はい");
        assert_eq!(
            value_text(&Item {
                as_written: Some("1.50".into()),
                ..read(ItemValue::Decimal(1.5))
            }),
            "1.50",
            "as the doctor wrote it"
        );
    }
}
