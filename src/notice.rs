//! The issuance notice (ログイン情報交付通知書): one printable page per medical institution,
//! listing each newly registered designated doctor with their user id and one-time initial
//! password, to be handed over sealed. The passwords are printed only while they are still
//! unchanged; a doctor who has logged in and changed theirs shows as "変更済み".

use kakehashi_pdf::{Document, Font, PdfError};

use crate::store::{IssuedAccount, Organisation};

/// Renders the notice for the accounts of one registration batch, institution by institution.
pub fn issuance_notice(
    font: &Font,
    issued_on: &str,
    issuer: &str,
    institutions: &[(Organisation, Vec<IssuedAccount>)],
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new(font, "指定医 ログイン情報交付通知書");
    for (institution, accounts) in institutions {
        let mut page = document.page();
        page.text(20.0, 20.0, 9.0, &format!("交付日: {issued_on}"));
        page.text(130.0, 20.0, 9.0, &format!("発行: {issuer}"));
        page.text(20.0, 32.0, 16.0, "指定医 ログイン情報交付通知書");
        page.text(20.0, 44.0, 11.0, &format!("{} 御中", institution.name));
        page.text(
            20.0,
            51.0,
            9.0,
            &format!("医療機関コード: {}", institution.code),
        );
        let mut y = page.wrapped_text(
            20.0,
            60.0,
            170.0,
            9.5,
            14.0,
            "難病・小慢 調査票ゲートウェイ（架け橋）の利用者として、下記の指定医を登録しました。初期パスワードは一度限りのものです。初回ログイン時に必ず変更してください。本書は本人に封をして手渡し、交付後は適切に廃棄してください。",
        );
        y += 6.0;
        let columns = [
            (20.0, "氏名"),
            (62.0, "指定医番号"),
            (98.0, "ユーザーID"),
            (135.0, "初期パスワード"),
        ];
        for (x, title) in columns {
            page.text(x, y, 9.0, title);
        }
        page.line(20.0, y + 5.0, 190.0, y + 5.0, 0.6);
        y += 8.0;
        for account in accounts {
            if y > 270.0 {
                page = document.page();
                y = 20.0;
            }
            let number = account
                .profile
                .designated_doctor_number
                .as_deref()
                .unwrap_or("-");
            let password = account
                .initial_password
                .as_deref()
                .unwrap_or("（変更済み）");
            page.text(20.0, y, 10.0, &account.display_name);
            page.text(62.0, y, 10.0, number);
            page.text(98.0, y, 10.0, &account.user_id);
            page.text(135.0, y, 10.0, password);
            page.line(20.0, y + 5.5, 190.0, y + 5.5, 0.2);
            y += 9.0;
        }
    }
    document.finish()
}
