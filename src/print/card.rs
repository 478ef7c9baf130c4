//! The registration card (指定難病登録者証; 小児慢性特定疾病登録者証 for a 小慢 sheet). Seed 000
//! proposes it for patients who get no subsidy (mild cases) but register their data: a card
//! "指定難病患者として臨床データが国のＤＢに登録されることを証する", and seed 002 uses it to let a
//! registered patient who later becomes eligible (軽症高額) get a 受給者証 without delay. It is
//! issued by the municipality once a designated doctor has confirmed the sheet and the patient
//! consented to the data going to the national DB.
//!
//! The card shows what identifies the holder and the registration: name (and kana), date of
//! birth, the notified disease, the registration date, the validity (one year — registration is
//! yearly, like the certification period), the issuing municipality and a number. The number
//! is the first 16 hexadecimal digits of the sheet id, so reprinting gives the same card and the
//! municipality can find the sheet from it.

use chrono::{Datelike, Months, NaiveDate};
use kakehashi_pdf::{Document, Font, PdfError};
use kakehashi_sdk::{Sheet, SheetKind};

use super::layout::{BLANK, printable};
use super::sheet::date_ja;

/// What the card states.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationCard<'a> {
    pub sheet_id: &'a str,
    pub sheet: &'a Sheet,
    /// 登録年月日: the day the registration became complete (confirmation and consent).
    pub registered_on: NaiveDate,
    /// 交付年月日
    pub issued_on: NaiveDate,
    /// The issuing municipality's name.
    pub municipality: &'a str,
}

impl RegistrationCard<'_> {
    /// 登録者証番号: the sheet id's first 16 hexadecimal digits, upper case, in groups of four.
    pub fn number(&self) -> String {
        let digits: Vec<char> = self
            .sheet_id
            .chars()
            .filter(char::is_ascii_hexdigit)
            .take(16)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        digits
            .chunks(4)
            .map(|group| group.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The last day of validity, one year on as 民法 143 counts it: the day before the same day
    /// next year, or the month's last day when next year has no such day (from 29 February to
    /// 28 February).
    pub fn valid_until(&self) -> NaiveDate {
        let from = self.registered_on;
        match from.with_year(from.year() + 1) {
            Some(same_day) => same_day.pred_opt(),
            None => from.checked_add_months(Months::new(12)),
        }
        .unwrap_or(NaiveDate::MAX)
    }

    fn title(&self) -> &'static str {
        match self.sheet.kind {
            SheetKind::Nanbyo => "指定難病登録者証",
            SheetKind::Shoman => "小児慢性特定疾病登録者証",
        }
    }
}

/// Renders the card: one A4 page with the card in a frame at the top, to cut out.
pub fn registration_card(font: &Font, card: &RegistrationCard<'_>) -> Result<Vec<u8>, PdfError> {
    let sheet = card.sheet;
    let text = |value: Option<String>| {
        printable(
            font,
            value
                .filter(|v| !v.trim().is_empty())
                .as_deref()
                .unwrap_or(BLANK),
        )
    };
    let disease = match (sheet.disease.group, sheet.disease.number) {
        (Some(g), Some(n)) => format!(
            "{}（疾患群 {g}・告示番号 {n}）",
            text(sheet.disease.name.clone())
        ),
        (None, Some(n)) => format!("{}（告示番号 {n}）", text(sheet.disease.name.clone())),
        _ => text(sheet.disease.name.clone()),
    };
    let rows = [
        ("登録者証番号", card.number()),
        ("氏名", text(sheet.patient.name.clone())),
        ("氏名（カナ）", text(sheet.patient.name_kana.clone())),
        ("生年月日", text(sheet.patient.date_of_birth.map(date_ja))),
        ("疾病名", disease),
        ("登録年月日", date_ja(card.registered_on)),
        (
            "有効期間",
            format!(
                "{} から {} まで",
                date_ja(card.registered_on),
                date_ja(card.valid_until())
            ),
        ),
    ];
    let mut document = Document::new(font, card.title());
    let page = document.page();
    page.rect(20.0, 20.0, 170.0, 100.0, false);
    page.rect(22.0, 22.0, 166.0, 96.0, false);
    page.text(30.0, 28.0, 18.0, card.title());
    page.line(30.0, 37.0, 180.0, 37.0, 0.8);
    let mut y = 42.0;
    for (label, value) in rows {
        page.text(30.0, y, 10.5, label);
        y = page.wrapped_text(68.0, y, 112.0, 10.5, 15.0, &value);
        y += 1.5;
    }
    y = page.wrapped_text(
        30.0,
        y + 2.0,
        150.0,
        9.0,
        13.0,
        "上記の者は、臨床調査個人票の情報が本人の同意により難病・小児慢性特定疾病データベースに登録されていることを証します。",
    );
    page.text(
        30.0,
        y + 3.0,
        10.5,
        &format!("交付年月日　{}", date_ja(card.issued_on)),
    );
    page.text(
        105.0,
        y + 3.0,
        10.5,
        &format!("交付者　{}", printable(font, card.municipality)),
    );
    page.wrapped_text(
        20.0,
        128.0,
        170.0,
        8.0,
        12.0,
        "この登録者証は、福祉サービスの利用や、重症化したときの医療費助成の申請の際に提示してください。有効期間が過ぎたときは、更新の登録をしてください。",
    );
    document.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakehashi_sdk::Provenance;

    fn card<'a>(sheet: &'a Sheet, registered_on: NaiveDate) -> RegistrationCard<'a> {
        RegistrationCard {
            sheet_id: "9f1c2b3a-4d5e-5f60-8a7b-0c1d2e3f4a5b",
            sheet,
            registered_on,
            issued_on: registered_on,
            municipality: "東京都",
        }
    }

    #[test]
    fn the_number_comes_from_the_sheet_id_and_validity_is_one_year() {
        let sheet = Sheet::new(SheetKind::Nanbyo, Provenance::default());
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let c = card(&sheet, date(2026, 6, 12));
        assert_eq!(c.number(), "9F1C-2B3A-4D5E-5F60");
        assert_eq!(c.valid_until(), date(2027, 6, 11));
        assert_eq!(c.title(), "指定難病登録者証");
        // From 29 February to the last day of February next year.
        assert_eq!(
            card(&sheet, date(2028, 2, 29)).valid_until(),
            date(2029, 2, 28)
        );
    }
}
