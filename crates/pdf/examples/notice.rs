//! Writes a sample initial-password notice to the path given (default
//! `/tmp/kakehashi-notice.pdf`), to look at or print:
//! `cargo run -p kakehashi-pdf --example notice -- /tmp/notice.pdf`.

use std::path::Path;

use kakehashi_pdf::{DEFAULT_FONT_PATH, Document, Font, PT_PER_MM, PdfError};

struct Doctor {
    name: &'static str,
    kana: &'static str,
    login: &'static str,
    password: &'static str,
}

const DOCTORS: [Doctor; 3] = [
    Doctor {
        name: "山田 太郎",
        kana: "ヤマダ タロウ",
        login: "DR-0012345",
        password: "Xk7#pQ2m",
    },
    Doctor {
        name: "髙橋 花子",
        kana: "タカハシ ハナコ",
        login: "DR-0012346",
        password: "b9L!wT4e",
    },
    Doctor {
        name: "渡邉 一郎",
        kana: "ワタナベ イチロウ",
        login: "DR-0012347",
        password: "Qz3@nR8v",
    },
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/kakehashi-notice.pdf".to_owned());
    let font = Font::load(Path::new(DEFAULT_FONT_PATH))?;
    let pdf = notice(&font)?;
    std::fs::write(&out, &pdf)?;
    println!("{out}: {} bytes", pdf.len());
    Ok(())
}

fn notice(font: &Font) -> Result<Vec<u8>, PdfError> {
    let title = "指定医 初期パスワード交付通知書";
    let mut doc = Document::new(font, title);
    let page = doc.page();
    page.text(140.0, 15.0, 10.5, "2025年4月1日");
    page.text(20.0, 25.0, 12.0, "東京中央病院 御中");
    // Centre the title: widths are in points.
    let title_mm = font.text_width(title, 18.0) / PT_PER_MM;
    page.text((210.0 - title_mm) / 2.0, 40.0, 18.0, title);
    page.line(20.0, 52.0, 190.0, 52.0, 0.8);
    let y = page.wrapped_text(
        20.0,
        58.0,
        170.0,
        10.5,
        17.0,
        "貴院の指定医の皆様に、難病指定医システム（Kakehashi）の利用者IDと初期パスワードを\
         交付します。初回ログイン後、直ちにパスワードを変更してください。本書は各指定医に\
         確実にお渡しいただき、不要になった時点で裁断してください。",
    );

    let top = y + 6.0;
    let columns = [
        (20.0, "氏名"),
        (65.0, "フリガナ"),
        (115.0, "利用者ID"),
        (155.0, "初期パスワード"),
    ];
    page.rect(20.0, top, 170.0, 8.0, false);
    for (x, heading) in columns {
        page.text(x + 2.0, top + 2.0, 10.0, heading);
    }
    for (i, doctor) in DOCTORS.iter().enumerate() {
        let row = top + 8.0 + 10.0 * i as f32;
        page.rect(20.0, row, 170.0, 10.0, false);
        let cells = [doctor.name, doctor.kana, doctor.login, doctor.password];
        for ((x, _), cell) in columns.iter().zip(cells) {
            page.text(x + 2.0, row + 3.0, 11.0, cell);
        }
    }
    for (x, _) in &columns[1..] {
        page.line(*x, top, *x, top + 8.0 + 10.0 * DOCTORS.len() as f32, 0.5);
    }
    page.rect(20.0, 280.0, 2.5, 2.5, true);
    page.text(
        24.0,
        279.5,
        8.0,
        "お問い合わせ：東京都 福祉局 難病対策担当 03-1234-5678",
    );
    doc.finish()
}
