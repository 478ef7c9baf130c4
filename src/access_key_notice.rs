//! アクセスキー通知 (access-key notice): the one A4 page the hospital prints for the patient when
//! a sheet is confirmed, carrying the key in large grouped characters and what to do with it.
//! The key is stored only as a digest, so this page can be printed only in the answer that
//! issued the key (confirmation, or a re-issue that revokes the key before).
//!
//! It names the sheet, the disease and the institution but not the patient, so a page handed
//! to the wrong person tells them little; the key alone opens nothing without a municipal
//! officer's login at a registered terminal.

use chrono::DateTime;
use kakehashi_access_key::AccessKey;
use kakehashi_pdf::{Document, Font, PdfError};

/// What the notice says besides the key.
#[derive(Debug, Clone)]
pub struct NoticeFacts {
    /// 調査票 ID.
    pub sheet_id: String,
    /// 告示番号 and 告示病名, as printed (e.g. `49 全身性エリテマトーデス`).
    pub disease: String,
    /// 医療機関名.
    pub institution: String,
    /// RFC 3339, as stored.
    pub issued_at: String,
    pub expires_at: String,
}

/// A stored time as the patient reads it: Japan Standard Time (UTC+9, no daylight saving);
/// as stored if it cannot be read.
fn in_japan(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored).map_or_else(
        |_| stored.to_owned(),
        |at| {
            (at.to_utc() + chrono::Duration::hours(9))
                .format("%Y年%m月%d日 %H:%M")
                .to_string()
        },
    )
}

/// The text with characters the font cannot draw replaced by `〓`, the customary mark.
fn printable(font: &Font, text: &str) -> String {
    let missing = font.missing_chars(text);
    text.chars()
        .map(|c| if missing.contains(&c) { '〓' } else { c })
        .collect()
}

const INSTRUCTIONS: &str = "このアクセスキーは、医療費助成の申請先の自治体（都道府県・指定都市）の窓口で、担当者があなたの臨床調査個人票（医療意見書）をシステムから受け取るために使います。申請の際に本書を窓口へお持ちください。キーは上記の有効期限まで有効です。紛失した場合は医療機関に再発行を依頼してください（再発行すると以前のキーは使えなくなります）。本書は他人に見せたり渡したりしないでください。";

/// Renders the notice.
pub fn access_key_notice(
    font: &Font,
    key: &AccessKey,
    facts: &NoticeFacts,
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new(font, "アクセスキー通知");
    let page = document.page();
    page.text(
        20.0,
        20.0,
        9.0,
        &format!("発行日時: {}", in_japan(&facts.issued_at)),
    );
    page.text(20.0, 32.0, 18.0, "アクセスキー通知");
    page.text(
        20.0,
        42.0,
        10.0,
        "難病・小児慢性特定疾病 医療費助成の申請に使うキーです",
    );
    page.line(20.0, 50.0, 190.0, 50.0, 0.6);
    let rows = [
        ("調査票ID", facts.sheet_id.as_str()),
        ("疾病名", facts.disease.as_str()),
        ("医療機関", facts.institution.as_str()),
    ];
    let mut y = 56.0;
    for (label, value) in rows {
        page.text(20.0, y, 10.0, label);
        page.text(50.0, y, 10.0, &printable(font, value));
        y += 8.0;
    }
    page.text(20.0, y + 6.0, 11.0, "アクセスキー");
    page.rect(20.0, y + 14.0, 170.0, 26.0, false);
    page.text(27.0, y + 20.0, 26.0, &key.to_string());
    y += 48.0;
    page.text(
        20.0,
        y,
        12.0,
        &format!("有効期限: {} まで", in_japan(&facts.expires_at)),
    );
    y += 12.0;
    page.text(20.0, y, 11.0, "ご案内");
    page.wrapped_text(20.0, y + 8.0, 170.0, 10.0, 16.0, INSTRUCTIONS);
    document.finish()
}
