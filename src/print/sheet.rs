//! The print of a clinical survey sheet (臨床調査個人票 / 医療意見書): the header, every item of
//! the disease's template with its label, value and unit, the auto-calculated totals, the
//! treatment history and the findings of the checks — in full for the hospital and the
//! municipality, or masked for the review board (審査会), as seed 003 asks: "審査会で使用する
//! 臨個票・意見書は、個人情報をマスキングした状態で…プリントアウトできる".
//!
//! Masked (see [`PERSONAL_FIELDS`]): 氏名 and 氏名（カナ）, 生年月日, 郵便番号, 住所, the
//! insurance identifiers (保険者番号, 記号, 番号, 枝番), the hospital's 患者ID, 公費負担者番号,
//! 受給者番号, the mother's
//! date of birth (医療意見書), and the telephone number (電話番号; the only phone number on the
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
    ApplicationType, CareSetting, CertificationDecision, CompareOp, CurrentAssessment, Finding,
    Item, ItemDef, ItemValue, LongTermCare, Presence, Severity, SeverityGrade, Sex, Sheet,
    SheetKind, Template, YearMonth,
};

use super::layout::{Cell, Disclosure, Flow};
use crate::store::SheetStatus;

/// Header fields (canonical paths) that identify the patient: blacked out and left out of the
/// file in a masked print.
pub const PERSONAL_FIELDS: &[&str] = &[
    "patient.name",
    "patient.name_kana",
    "patient.date_of_birth",
    "patient.postal_code",
    "patient.address",
    "patient.insurance.insurer_number",
    "patient.insurance.symbol",
    "patient.insurance.number",
    "patient.insurance.branch",
    "patient.hospital_patient_id",
    "child.mother_date_of_birth",
    "institution.phone",
    "administrative.payer_number",
    "administrative.recipient_number",
];

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

/// A header field's row; personal when its path is in [`PERSONAL_FIELDS`].
fn field(path: &'static str, label: &'static str, value: Option<String>) -> Row {
    let cell = match value {
        None => Cell::Blank,
        Some(text) if text.trim().is_empty() => Cell::Blank,
        Some(text) if PERSONAL_FIELDS.contains(&path) => Cell::Personal(text),
        Some(text) => Cell::Plain(text),
    };
    Row { path, label, cell }
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

/// The header, section by section, in the order of the form.
fn header_sections(print: &SheetPrint<'_>) -> Vec<(&'static str, Vec<Row>)> {
    let sheet = print.sheet;
    let (patient, clinical, institution, admin) = (
        &sheet.patient,
        &sheet.clinical,
        &sheet.institution,
        &sheet.administrative,
    );
    let (age_on, age_label) = match institution.date_written {
        Some(written) => (written, "年齢（記載日時点）"),
        None => (print.printed_on, "年齢（印刷日時点）"),
    };
    let age = patient
        .date_of_birth
        .and_then(|birth| age_on.years_since(birth))
        .or_else(|| sheet.child.as_ref().and_then(|c| c.age_years));
    let mut sections = vec![
        (
            "告示病名",
            vec![
                field(
                    "application_type",
                    "新規／更新",
                    sheet
                        .application_type
                        .map(|t| application_type_ja(t).to_owned()),
                ),
                field(
                    "disease.group",
                    "疾患群",
                    sheet.disease.group.map(|g| format!("{g}")),
                ),
                field(
                    "disease.number",
                    "告示番号",
                    sheet.disease.number.map(|n| format!("{n}")),
                ),
                field("disease.name", "告示病名", sheet.disease.name.clone()),
                field("disease.code", "疾病コード", sheet.disease.code.clone()),
                field(
                    "disease.major_class",
                    "大分類",
                    sheet.disease.major_class.clone(),
                ),
                field(
                    "disease.minor_class",
                    "細分類",
                    sheet.disease.minor_class.clone(),
                ),
            ],
        ),
        (
            "基本情報",
            vec![
                field("patient.name", "氏名", patient.name.clone()),
                field(
                    "patient.name_kana",
                    "氏名（カナ）",
                    patient.name_kana.clone(),
                ),
                field(
                    "patient.date_of_birth",
                    "生年月日",
                    patient.date_of_birth.map(date_ja),
                ),
                field("age", age_label, age.map(|a| format!("{a}歳"))),
                field(
                    "patient.sex",
                    "性別",
                    patient.sex.map(|s| sex_ja(s).to_owned()),
                ),
                field(
                    "patient.postal_code",
                    "郵便番号",
                    patient.postal_code.clone(),
                ),
                field("patient.address", "住所", patient.address.clone()),
                field(
                    "patient.insurance.insurer_number",
                    "保険者番号",
                    patient.insurance.insurer_number.clone(),
                ),
                field(
                    "patient.insurance.symbol",
                    "被保険者証等の記号",
                    patient.insurance.symbol.clone(),
                ),
                field(
                    "patient.insurance.number",
                    "被保険者証等の番号",
                    patient.insurance.number.clone(),
                ),
                field(
                    "patient.insurance.branch",
                    "枝番",
                    patient.insurance.branch.clone(),
                ),
                field(
                    "patient.hospital_patient_id",
                    "患者ID（医療機関）",
                    patient.hospital_patient_id.clone(),
                ),
            ],
        ),
    ];
    if let Some(child) = &sheet.child {
        sections.push((
            "医療意見書の基本情報",
            vec![
                field(
                    "child.prefecture_of_birth",
                    "出生都道府県",
                    child.prefecture_of_birth.clone(),
                ),
                field(
                    "child.birth_weight_g",
                    "出生時体重",
                    child.birth_weight_g.map(|g| format!("{g} g")),
                ),
                field(
                    "child.birth_weeks",
                    "出生時週数",
                    child.birth_weeks.map(|w| format!("{w} 週")),
                ),
                field(
                    "child.height_cm",
                    "身長",
                    child.height_cm.map(|h| format!("{h} cm")),
                ),
                field(
                    "child.weight_kg",
                    "体重",
                    child.weight_kg.map(|w| format!("{w} kg")),
                ),
                field(
                    "child.mother_date_of_birth",
                    "母の生年月日",
                    child.mother_date_of_birth.map(date_ja),
                ),
                field(
                    "child.first_visit_date",
                    "初診日",
                    child.first_visit_date.map(date_ja),
                ),
                field("child.schooling", "就学・就労状況", child.schooling.clone()),
                field(
                    "child.treatment_months",
                    "今後の治療見込み期間",
                    child.treatment_months.map(|m| format!("{m} か月")),
                ),
                field(
                    "child.care_setting",
                    "入院／外来",
                    child.care_setting.map(|c| care_setting_ja(c).to_owned()),
                ),
                field(
                    "child.current_assessment",
                    "現状評価",
                    child
                        .current_assessment
                        .map(|a| current_assessment_ja(a).to_owned()),
                ),
                field(
                    "child.criteria_met",
                    "疾病の状態の程度（医師の記載）",
                    child
                        .criteria_met
                        .map(|m| if m { "該当" } else { "非該当" }.to_owned()),
                ),
            ],
        ));
    }
    let level = |v: Option<u8>| v.map(|v| format!("{v}（5段階）"));
    sections.extend([
        (
            "臨床所見",
            vec![
                field(
                    "clinical.onset",
                    "発症年月",
                    clinical.onset.map(year_month_ja),
                ),
                field(
                    "clinical.family_history",
                    "家族歴",
                    clinical.family_history.map(|p| presence_ja(p).to_owned()),
                ),
                field(
                    "clinical.family_history_detail",
                    "家族歴（続柄など）",
                    clinical.family_history_detail.clone(),
                ),
                field(
                    "clinical.long_term_care",
                    "介護認定",
                    clinical
                        .long_term_care
                        .map(|c| long_term_care_ja(c).to_owned()),
                ),
                field(
                    "clinical.living.mobility",
                    "生活状況：移動の程度",
                    level(clinical.living.mobility),
                ),
                field(
                    "clinical.living.self_care",
                    "生活状況：身の回りの管理",
                    level(clinical.living.self_care),
                ),
                field(
                    "clinical.living.usual_activities",
                    "生活状況：ふだんの活動",
                    level(clinical.living.usual_activities),
                ),
                field(
                    "clinical.living.pain_discomfort",
                    "生活状況：痛み／不快感",
                    level(clinical.living.pain_discomfort),
                ),
                field(
                    "clinical.living.anxiety_depression",
                    "生活状況：不安／ふさぎ込み",
                    level(clinical.living.anxiety_depression),
                ),
                field(
                    "clinical.ventilator",
                    "人工呼吸器装着の有無",
                    clinical.ventilator.map(|p| presence_ja(p).to_owned()),
                ),
                field(
                    "clinical.diagnostic_category",
                    "診断のカテゴリー",
                    clinical.diagnostic_category.clone(),
                ),
                field(
                    "clinical.severity",
                    "重症度",
                    clinical.severity.map(|s| severity_grade_ja(s).to_owned()),
                ),
                field(
                    "clinical.complications",
                    "合併症",
                    clinical.complications.map(|p| presence_ja(p).to_owned()),
                ),
                field(
                    "clinical.complications_detail",
                    "合併症（内容）",
                    clinical.complications_detail.clone(),
                ),
                field(
                    "clinical.treatment_plan",
                    "今後の治療方針",
                    clinical.treatment_plan.clone(),
                ),
                field("clinical.remarks", "特記事項", clinical.remarks.clone()),
            ],
        ),
        (
            "医療機関",
            vec![
                field(
                    "institution.designated_doctor_number",
                    "指定医番号",
                    institution.designated_doctor_number.clone(),
                ),
                field(
                    "institution.doctor_name",
                    "医師の氏名",
                    institution.doctor_name.clone(),
                ),
                field(
                    "institution.code",
                    "医療機関コード",
                    institution.code.clone(),
                ),
                field("institution.name", "医療機関名", institution.name.clone()),
                field("institution.phone", "電話番号", institution.phone.clone()),
                field(
                    "institution.date_written",
                    "記載年月日",
                    institution.date_written.map(date_ja),
                ),
            ],
        ),
        (
            "行政記載欄",
            vec![
                field(
                    "administrative.payer_number",
                    "公費負担者番号",
                    admin.payer_number.clone(),
                ),
                field(
                    "administrative.recipient_number",
                    "受給者番号",
                    admin.recipient_number.clone(),
                ),
                field(
                    "administrative.certification",
                    "認定／不認定",
                    admin.certification.map(|c| certification_ja(c).to_owned()),
                ),
                field(
                    "administrative.research_consent",
                    "研究利用への同意（調査票の記載）",
                    admin
                        .research_consent
                        .map(|c| if c { "同意" } else { "不同意" }.to_owned()),
                ),
            ],
        ),
    ]);
    // A value the checks could not read is printed as written, so the reader sees what the
    // source said (its finding says why it is unreadable).
    for (_, rows) in sections.iter_mut() {
        for row in rows.iter_mut() {
            if let (Cell::Blank, Some(text)) =
                (&row.cell, sheet.provenance.unreadable.get(row.path))
            {
                row.cell = field(row.path, row.label, Some(format!("{text}（読取不能）"))).cell;
            }
        }
    }
    sections
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
            .is_some_and(|item| PERSONAL_FIELDS.contains(&item))
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
    fn every_personal_field_is_a_header_field() {
        for path in PERSONAL_FIELDS {
            assert!(
                kakehashi_sdk::HeaderField::ALL
                    .iter()
                    .any(|f| f.path() == *path),
                "{path} is not a header field"
            );
        }
    }

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
        for path in PERSONAL_FIELDS {
            assert!(rows.iter().any(|r| r.path == *path), "{path} never printed");
        }
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
            value_text(&Item::read_number("1.50", None)),
            "1.50",
            "as the doctor wrote it"
        );
    }
}
