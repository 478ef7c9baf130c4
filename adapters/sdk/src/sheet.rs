//! The canonical clinical survey sheet: one model for the 臨床調査個人票 (指定難病) and the
//! 医療意見書 (小児慢性特定疾病). A common, typed header (patient, disease, clinical summary,
//! institution, administrative) plus disease-specific `items` keyed by the disease template's
//! item codes. Header fields are optional in the type because sources are incomplete; the checks
//! say which ones a sheet of each kind must have.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{ItemValue, Presence, Provenance, Sex, SourceLocation, YearMonth};

/// Version of the canonical JSON. Bumped on any change a consumer could notice.
pub const SCHEMA_VERSION: &str = "1.0";

/// Which programme, and so which form, a sheet belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    /// 指定難病: the sheet is a 臨床調査個人票 (臨個票).
    Nanbyo,
    /// 小児慢性特定疾病: the sheet is a 医療意見書 (意見書).
    Shoman,
}

impl SheetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SheetKind::Nanbyo => "nanbyo",
            SheetKind::Shoman => "shoman",
        }
    }

    /// 法別番号: the first two digits of the 公費負担者番号 for this programme.
    pub fn law_number(self) -> &'static str {
        match self {
            SheetKind::Nanbyo => "54",
            SheetKind::Shoman => "52",
        }
    }
}

impl std::str::FromStr for SheetKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "nanbyo" | "難病" | "指定難病" | "臨個票" | "1" => Ok(SheetKind::Nanbyo),
            "shoman" | "小慢" | "小児慢性特定疾病" | "意見書" | "2" => {
                Ok(SheetKind::Shoman)
            }
            _ => Err(format!("`{s}` is neither nanbyo (難病) nor shoman (小慢)")),
        }
    }
}

/// 新規 / 更新: the forms differ between a first application and a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// 新規
    New,
    /// 更新
    Renewal,
}

/// The disease the sheet is about, bound to the notified list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disease {
    /// 疾患群 (disease group, 1–16): 小慢 only; 小慢 numbers restart in every group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u8>,
    /// 告示番号 (notified number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u16>,
    /// 告示病名 (notified name), filled from the disease list when the number is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 疾病コード (the 小慢 disease code of the 医療意見書, `GG_SS_NNN`: 疾患群, 細分類, number,
    /// e.g. `07_01_001`), filled from the disease list when the disease is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// 大分類 (major classification: the 小慢 disease group's name, e.g. 糖尿病).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major_class: Option<String>,
    /// 細分類 (minor classification within the group, e.g. 成長ホルモン分泌不全性低身長症).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor_class: Option<String>,
}

/// 被保険者番号等 (health-insurance identifiers), on the sheet since 2024-04.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    /// 保険者番号 (insurer number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurer_number: Option<String>,
    /// 記号 (symbol)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// 番号 (number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// 枝番 (branch number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

impl Insurance {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// 基本情報: who the patient is. Personal data: encrypted at rest, never logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    /// 氏名 (name, kanji)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 氏名（カナ） (name in katakana)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_kana: Option<String>,
    /// 生年月日 (date of birth)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    /// 性別 (sex)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// 郵便番号 (postal code, NNN-NNNN)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// 住所 (address)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 被保険者番号等 (insurance identifiers)
    #[serde(default, skip_serializing_if = "Insurance::is_empty")]
    pub insurance: Insurance,
    /// 患者ID (the hospital's own patient id, as its EHR exports it): personal data, sealed and
    /// masked like the name, so a hospital can find its record again and a renewal can find last
    /// year's sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hospital_patient_id: Option<String>,
}

/// 介護認定 (long-term-care certification level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LongTermCare {
    /// 非該当 / 未申請
    None,
    /// 要支援1
    Support1,
    /// 要支援2
    Support2,
    /// 要介護1
    Care1,
    /// 要介護2
    Care2,
    /// 要介護3
    Care3,
    /// 要介護4
    Care4,
    /// 要介護5
    Care5,
}

/// 生活状況 (living conditions, EQ-5D-like): five questions answered on five levels (1 = no
/// problem … 5 = unable / extreme).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LivingConditions {
    /// 移動の程度 (mobility), 1–5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobility: Option<u8>,
    /// 身の回りの管理 (self-care), 1–5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_care: Option<u8>,
    /// ふだんの活動 (usual activities), 1–5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usual_activities: Option<u8>,
    /// 痛み／不快感 (pain / discomfort), 1–5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pain_discomfort: Option<u8>,
    /// 不安／ふさぎ込み (anxiety / depression), 1–5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anxiety_depression: Option<u8>,
}

impl LivingConditions {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The five answers with their field names, for checks.
    pub fn answers(&self) -> [(&'static str, Option<u8>); 5] {
        [
            ("clinical.living.mobility", self.mobility),
            ("clinical.living.self_care", self.self_care),
            ("clinical.living.usual_activities", self.usual_activities),
            ("clinical.living.pain_discomfort", self.pain_discomfort),
            (
                "clinical.living.anxiety_depression",
                self.anxiety_depression,
            ),
        ]
    }
}

/// 重症度 (overall severity as the doctor grades it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeverityGrade {
    /// 軽症
    Mild,
    /// 中等症
    Moderate,
    /// 重症
    Severe,
}

/// The clinical summary common to every disease.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Clinical {
    /// 発症年月 (onset year-month)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<YearMonth>,
    /// 診断年月 (year-month of diagnosis), where the form or the source records it: some
    /// prefectures count the 軽症高額 months from it instead of the onset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosed: Option<YearMonth>,
    /// 家族歴 (family history)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_history: Option<Presence>,
    /// 家族歴の続柄など (who, in free text)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_history_detail: Option<String>,
    /// 介護認定 (long-term-care certification)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_term_care: Option<LongTermCare>,
    /// 生活状況 (living conditions)
    #[serde(default, skip_serializing_if = "LivingConditions::is_empty")]
    pub living: LivingConditions,
    /// 人工呼吸器装着の有無 (ventilator use)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ventilator: Option<Presence>,
    /// 診断のカテゴリー (diagnostic category, e.g. Definite / Probable), as the template names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic_category: Option<String>,
    /// 重症度 (overall severity)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<SeverityGrade>,
    /// 特記事項 (free-text remarks)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// 治療歴 (treatment history: drugs, surgery, replacement and diet therapy)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub treatments: Vec<Treatment>,
    /// 合併症の有無 (complications, the 医療意見書's その他の所見)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complications: Option<Presence>,
    /// 合併症（自由記載） (the complications, in words)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complications_detail: Option<String>,
    /// 今後の治療方針 (treatment plan, in words)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_plan: Option<String>,
}

/// 現状評価 (the child's current state, as the 医療意見書 asks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CurrentAssessment {
    /// 治癒
    Cured,
    /// 寛解
    Remission,
    /// 改善
    Improved,
    /// 不変
    Unchanged,
    /// 再発
    Relapsed,
    /// 悪化
    Worsened,
    /// 死亡
    Died,
    /// 判定不能
    Undeterminable,
}

/// 入院／外来 (inpatient or outpatient care), 小慢 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CareSetting {
    /// 入院
    Inpatient,
    /// 外来
    Outpatient,
    /// 入院・外来
    Both,
}

/// The 医療意見書's header fields that the 臨個票 does not have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildDetails {
    /// 出生都道府県 (prefecture of birth)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefecture_of_birth: Option<String>,
    /// 記載時の年齢 (age when written), computed from the date of birth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_years: Option<u32>,
    /// 出生時体重 (birth weight), grams
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_weight_g: Option<u32>,
    /// 出生時週数 (gestational week at birth)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_weeks: Option<u8>,
    /// 身長 (current height), cm
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    /// 体重 (current weight), kg
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_kg: Option<f64>,
    /// 母の生年月日 (mother's date of birth)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mother_date_of_birth: Option<NaiveDate>,
    /// 初診日 (first visit date)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_visit_date: Option<NaiveDate>,
    /// 就学・就労状況 (schooling or work)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schooling: Option<String>,
    /// 今後の治療見込み期間 (expected treatment period), months
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_months: Option<u16>,
    /// 入院／外来 (care setting)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_setting: Option<CareSetting>,
    /// 現状評価 (current assessment)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_assessment: Option<CurrentAssessment>,
    /// 該当／非該当: the doctor's statement that the child's state meets (true) or does not
    /// meet (false) the disease's 疾病の状態の程度; the machine judgment is beside it, not it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria_met: Option<bool>,
}

/// 医療機関 (the institution and the designated doctor who wrote the sheet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    /// 指定医番号 (designated-doctor number)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designated_doctor_number: Option<String>,
    /// 医師の氏名 (doctor's name)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor_name: Option<String>,
    /// 医療機関コード (institution code, 10 digits: prefecture 2, score table 1, number 7)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// 医療機関名 (institution name)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 電話番号 (phone)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 記載年月日 (date written)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_written: Option<NaiveDate>,
}

/// 行政記載欄 (administrative fields the municipality fills in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Administrative {
    /// 公費負担者番号 (payer number, 8 digits with a check digit)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_number: Option<String>,
    /// 受給者番号 (recipient number, 7 digits with a check digit)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_number: Option<String>,
    /// 認定 / 不認定 (the decision, once there is one)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certification: Option<crate::CertificationDecision>,
    /// 研究利用への同意 (the patient's consent to research use, when the source carries it):
    /// only consented sheets are copied to the national DB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub research_consent: Option<bool>,
    /// 医療費総額 per month (total medical cost, before the subsidy and insurance), as the
    /// application documents it: what the 軽症高額 rule (mild but high cost) counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monthly_medical_costs: Vec<MonthlyMedicalCost>,
}

/// 月ごとの医療費総額 (one month's total medical cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthlyMedicalCost {
    /// 診療月 (the month of care), `YYYY-MM`.
    pub month: YearMonth,
    /// 医療費総額 (10割), yen.
    pub total_yen: u64,
}

/// One disease-specific item value with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub value: ItemValue,
    /// Where the value was read, for values read from the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceLocation>,
    /// The formula that computed the value (自動計算), for computed values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_by: Option<String>,
    /// Recognition confidence 0–1, for values read by OCR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    /// The number exactly as the source wrote it (`1.50`, or more digits than a binary
    /// floating-point number holds), when the typed `value` cannot show it: the checks type a
    /// decimal item as a number, and this keeps what the doctor recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
}

impl Item {
    pub fn read(value: ItemValue, source: Option<SourceLocation>) -> Self {
        Self {
            value,
            source,
            computed_by: None,
            confidence: None,
            as_written: None,
        }
    }

    /// Before the item's text becomes the typed `value`: keeps the text as written when the
    /// number would not show it (`1.50`, `1.0`, more digits than a binary floating-point number
    /// holds), so that what the doctor recorded is what is stored and served.
    pub fn keep_as_written(&mut self, value: &ItemValue) {
        if let (ItemValue::Text(text), ItemValue::Decimal(number)) = (&self.value, value) {
            let text = text.trim();
            // `{:?}` is how the JSON shows the number (`1.0`, `7.5`): keep the text when it
            // shows otherwise.
            if format!("{number:?}") != text && self.as_written.is_none() {
                self.as_written = Some(text.to_owned());
            }
        }
    }
}

/// 治療歴 (treatment history): one drug or procedure, as the source recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// `medication` (薬物治療), `procedure` (手術・処置), `replacement` (補充療法) or `diet`
    /// (食事療法).
    pub kind: TreatmentKind,
    /// The drug or procedure, as named.
    pub name: String,
    /// Its code, `system|code` (YJ, HOT9, K-code, SNOMED CT …), when coded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// When it was ordered or performed (a FHIR date or date-time, as written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Order or procedure status (`active`, `completed`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Dosage or other detail in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceLocation>,
}

/// Which kind of treatment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TreatmentKind {
    /// 薬物治療
    #[default]
    Medication,
    /// 手術・処置
    Procedure,
    /// 補充療法 (replacement therapy: hormones, enzymes, clotting factors …)
    Replacement,
    /// 食事療法 (diet therapy)
    Diet,
}

impl TreatmentKind {
    /// The form's word for it.
    pub fn ja(self) -> &'static str {
        match self {
            TreatmentKind::Medication => "薬物療法",
            TreatmentKind::Procedure => "手術・処置",
            TreatmentKind::Replacement => "補充療法",
            TreatmentKind::Diet => "食事療法",
        }
    }
}

/// A clinical survey sheet in canonical form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    /// Version of this JSON shape; see [`SCHEMA_VERSION`].
    pub schema_version: String,
    /// 臨個票 (nanbyo) or 医療意見書 (shoman).
    pub kind: SheetKind,
    /// 新規 / 更新
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_type: Option<ApplicationType>,
    /// 告示病名・告示番号
    #[serde(default)]
    pub disease: Disease,
    /// 基本情報
    #[serde(default)]
    pub patient: Patient,
    /// Clinical summary common to all diseases.
    #[serde(default)]
    pub clinical: Clinical,
    /// 医療意見書 only: child-specific header fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child: Option<ChildDetails>,
    /// 医療機関
    #[serde(default)]
    pub institution: Institution,
    /// 行政記載欄
    #[serde(default)]
    pub administrative: Administrative,
    /// Disease-specific items keyed by the template's item codes (criteria, severity scales,
    /// research items), including the values the template's formulas computed.
    #[serde(default)]
    pub items: BTreeMap<String, Item>,
    /// Where this sheet came from.
    pub provenance: Provenance,
}

impl Sheet {
    /// An empty sheet of a kind, as an adapter starts one.
    pub fn new(kind: SheetKind, provenance: Provenance) -> Self {
        Self {
            schema_version: SCHEMA_VERSION.to_owned(),
            kind,
            application_type: None,
            disease: Disease::default(),
            patient: Patient::default(),
            clinical: Clinical::default(),
            child: (kind == SheetKind::Shoman).then(ChildDetails::default),
            institution: Institution::default(),
            administrative: Administrative::default(),
            items: BTreeMap::new(),
            provenance,
        }
    }

    /// Where a header field (by canonical path) or an item (by code) came from.
    pub fn location_of(&self, field_or_item: &str) -> Option<SourceLocation> {
        self.provenance
            .fields
            .get(field_or_item)
            .or_else(|| {
                self.items
                    .get(field_or_item)
                    .and_then(|i| i.source.as_ref())
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_field_anywhere_is_refused_by_name() {
        let mut sheet =
            serde_json::to_value(Sheet::new(SheetKind::Nanbyo, Provenance::default())).unwrap();
        assert!(serde_json::from_value::<Sheet>(sheet.clone()).is_ok());
        sheet["patient"]["date_of_brith"] = serde_json::json!("1980-01-01");
        let err = serde_json::from_value::<Sheet>(sheet)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `date_of_brith`"), "{err}");
    }

    #[test]
    fn numbers_come_back_from_stored_json_exactly() {
        // As the store and the API write a sheet and read it again.
        let mut sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        for (code, value) in [("a", 92.14480588800343), ("b", 0.1 + 0.2), ("c", 1e-300)] {
            sheet
                .items
                .insert(code.into(), Item::read(ItemValue::Decimal(value), None));
        }
        let text = serde_json::to_string(&sheet).unwrap();
        let back: Sheet = serde_json::from_str(&text).unwrap();
        assert_eq!(back, sheet);
        assert!(text.contains("92.14480588800343"), "{text}");
    }

    #[test]
    fn a_decimal_keeps_its_text_only_when_the_number_would_show_otherwise() {
        let typed = |text: &str, value: f64| {
            let mut item = Item::read(ItemValue::Text(text.into()), None);
            item.keep_as_written(&ItemValue::Decimal(value));
            item.as_written
        };
        assert_eq!(typed("7.50", 7.5).as_deref(), Some("7.50"));
        assert_eq!(
            typed("0.12345678901234567890", 0.123_456_789_012_345_68).as_deref(),
            Some("0.12345678901234567890")
        );
        assert_eq!(typed("7.5", 7.5), None);
        assert_eq!(typed("1.0", 1.0), None);
    }
}
