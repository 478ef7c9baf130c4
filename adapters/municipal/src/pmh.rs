//! A certification as the Digital Agency's PMH hub (公費負担医療等の情報連携基盤) takes it in its
//! 医療費助成対象者情報登録API: who the recipient is (`basicFiveInfo`, the 基本4情報 plus sex),
//! the 8-digit 公費負担者番号 as `medicalSubsidyInsurerNumber`, the 受給者番号, the income
//! segment, the monthly cap and the validity. Field names follow the issue; value formats are
//! the project's documented assumptions (conformance/pmh/README.md) until the hub's published
//! specification is at hand.

use chrono::NaiveDate;
use kakehashi_sdk::{Certification, CertificationDecision, Patient, Sex, parse};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::export::ExportError;

/// 基本4情報 and sex: who the subsidy is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicFiveInfo {
    /// 氏名 (name, kanji)
    pub name: String,
    /// 氏名（カナ） (name in full-width katakana)
    pub kana_name: String,
    /// 生年月日 (date of birth), ISO 8601.
    pub birth_date: NaiveDate,
    /// 性別 (sex): `1` male, `2` female (JIS X 0303).
    #[schemars(regex(pattern = r"^[12]$"))]
    pub sex: String,
    /// 住所 (address)
    pub address: String,
}

/// One registration for the 医療費助成対象者情報登録API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PmhRegistration {
    pub basic_five_info: BasicFiveInfo,
    /// 公費負担者番号: 8 digits, 法別番号 54 (難病) or 52 (小慢), ending in a check digit.
    #[schemars(regex(pattern = r"^5[24][0-9]{6}$"))]
    pub medical_subsidy_insurer_number: String,
    /// 受給者番号: 7 digits ending in a check digit.
    #[schemars(regex(pattern = r"^[0-9]{7}$"))]
    pub medical_subsidy_recipient_number: String,
    /// 階層区分, as printed on the 受給者証 (`一般所得Ⅰ`).
    pub income_segment: String,
    /// 自己負担上限額（月額）, yen.
    pub max_copayment_amount: u32,
    /// 有効期間 first day, ISO 8601.
    pub valid_from: NaiveDate,
    /// 有効期間 last day, ISO 8601.
    pub valid_to: NaiveDate,
}

fn missing(field: &str, ja: &str) -> ExportError {
    ExportError::new(
        "pmh.missing",
        0,
        Some(field),
        format!("a PMH registration needs `{field}`"),
        format!("PMH への登録には{ja}が必要です"),
    )
}

/// The registration for a certified (認定) decision; refuses one that is not certified, lacks
/// a field, or whose numbers fail their check digits.
pub fn pmh_registration(
    certification: &Certification,
    patient: &Patient,
) -> Result<PmhRegistration, ExportError> {
    let c = certification;
    if c.decision != CertificationDecision::Certified {
        return Err(ExportError::new(
            "pmh.not_certified",
            0,
            Some("decision"),
            "only a certified (認定) decision is registered with PMH".into(),
            "PMH に登録できるのは認定の決定だけです".into(),
        ));
    }
    let insurer = c
        .payer_number
        .clone()
        .ok_or_else(|| missing("payer_number", "公費負担者番号"))?;
    if insurer.len() != 8
        || !parse::check_digit_is_valid(&insurer)
        || !insurer.starts_with(c.kind.law_number())
    {
        return Err(ExportError::new(
            "pmh.insurer_number",
            0,
            Some("payer_number"),
            format!(
                "the payer number {insurer} is not 8 digits starting {} with a valid check digit",
                c.kind.law_number()
            ),
            format!(
                "公費負担者番号 {insurer} が法別番号 {} で始まる検証番号付きの 8 桁ではありません",
                c.kind.law_number()
            ),
        ));
    }
    let recipient = c
        .recipient_number
        .clone()
        .ok_or_else(|| missing("recipient_number", "受給者番号"))?;
    if recipient.len() != 7 || !parse::check_digit_is_valid(&recipient) {
        return Err(ExportError::new(
            "pmh.recipient_number",
            0,
            Some("recipient_number"),
            format!("the recipient number {recipient} is not 7 digits with a valid check digit"),
            format!("受給者番号 {recipient} が検証番号付きの 7 桁ではありません"),
        ));
    }
    let sex = match patient.sex {
        Some(Sex::Male) => "1",
        Some(Sex::Female) => "2",
        None => return Err(missing("patient.sex", "性別")),
    };
    Ok(PmhRegistration {
        basic_five_info: BasicFiveInfo {
            name: patient
                .name
                .clone()
                .ok_or_else(|| missing("patient.name", "氏名"))?,
            kana_name: patient
                .name_kana
                .clone()
                .ok_or_else(|| missing("patient.name_kana", "氏名（カナ）"))?,
            birth_date: patient
                .date_of_birth
                .ok_or_else(|| missing("patient.date_of_birth", "生年月日"))?,
            sex: sex.to_owned(),
            address: patient
                .address
                .clone()
                .ok_or_else(|| missing("patient.address", "住所"))?,
        },
        medical_subsidy_insurer_number: insurer,
        medical_subsidy_recipient_number: recipient,
        income_segment: c
            .income_tier
            .ok_or_else(|| missing("income_tier", "階層区分"))?
            .label_ja()
            .to_owned(),
        max_copayment_amount: c
            .monthly_copayment_cap
            .ok_or_else(|| missing("monthly_copayment_cap", "自己負担上限額"))?,
        valid_from: c
            .valid_from
            .ok_or_else(|| missing("valid_from", "有効期間（開始）"))?,
        valid_to: c
            .valid_to
            .ok_or_else(|| missing("valid_to", "有効期間（終了）"))?,
    })
}
