//! The independent test set: scans the review thresholds were *not* calibrated on. Another
//! generator (`independent/render.rs`: glyphs rasterised by `ab_glyph`, no PDF, no poppler),
//! other Debian fonts (Noto Sans CJK, VL Gothic, IPA Mincho), other values (old kanji forms,
//! other diseases, addresses and numbers) and other degradations (150–300 dpi, ±2° rotation,
//! ±3 % scale, blur, speckle, JPEG 60–80, pages fed upside down or sideways).
//!
//! The bar: no silent misread (every value not read exactly is sent to review), and at least
//! 90 % of the values exact before review, as the issue asks; the per-type table and the
//! review load are printed
//! (`cargo test -p kakehashi-adapter-scan --test independent -- --nocapture`). A second test
//! writes the boxes in handwriting-style fonts (Klee, Kiloji) and reports how the review load
//! grows.

#[path = "independent/render.rs"]
mod render;

use std::time::Instant;

use kakehashi_adapter_scan::synth::{self, Filled, Report, TestCatalog};
use kakehashi_sdk::{Record, Severity};
use render::{Face, Feed};

/// One filled form of the independent set: (target, value) pairs.
type Values = [(&'static str, &'static str); 18];

const FORMS: [Values; 10] = [
    [
        ("disease.number", "49"),
        ("disease.name", "全身性エリテマトーデス"),
        ("patient.name", "高橋 由紀"),
        ("patient.name_kana", "タカハシ ユキ"),
        ("patient.date_of_birth", "1990年7月21日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "9200962"),
        ("patient.address", "石川県金沢市広坂1丁目1番1号"),
        ("patient.insurance.insurer_number", "06170013"),
        ("administrative.recipient_number", "1700111"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年9月12日"),
        ("institution.designated_doctor_number", "1720150031"),
        ("institution.name", "金沢中央病院"),
        ("institution.doctor_name", "村上 和也"),
        ("clinical.onset", "2016年5月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", "8"),
    ],
    [
        ("disease.number", "96"),
        ("disease.name", "クローン病"),
        ("patient.name", "髙橋 健一"),
        ("patient.name_kana", "タカハシ ケンイチ"),
        ("patient.date_of_birth", "平成3年11月2日"),
        ("patient.sex", "男"),
        ("patient.postal_code", "1000014"),
        ("patient.address", "東京都千代田区永田町1丁目7番1号"),
        ("patient.insurance.insurer_number", "01130020"),
        ("administrative.recipient_number", "1380245"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年6月30日"),
        ("institution.designated_doctor_number", "1310110042"),
        ("institution.name", "千代田記念病院"),
        ("institution.doctor_name", "石田 直人"),
        ("clinical.onset", "2012年8月"),
        ("clinical.family_history", "不明"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "49"),
        ("disease.name", "全身性エリテマトーデス"),
        ("patient.name", "山﨑 真由美"),
        ("patient.name_kana", "ヤマザキ マユミ"),
        ("patient.date_of_birth", "昭和58年4月9日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "5400008"),
        ("patient.address", "大阪府大阪市中央区大手前2丁目1番22号"),
        ("patient.insurance.insurer_number", "39270517"),
        ("administrative.recipient_number", "2705101"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年10月3日"),
        ("institution.designated_doctor_number", "2710270108"),
        ("institution.name", "大手前記念病院"),
        ("institution.doctor_name", "岡田 聡"),
        ("clinical.onset", "2019年2月"),
        ("clinical.family_history", "あり"),
        ("sledai.score", "16"),
    ],
    [
        ("disease.number", "8"),
        ("disease.name", "ハンチントン病"),
        ("patient.name", "渡邉 恵"),
        ("patient.name_kana", "ワタナベ メグミ"),
        ("patient.date_of_birth", "昭和24年1月15日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "0600042"),
        ("patient.address", "北海道札幌市中央区大通西4丁目"),
        ("patient.insurance.insurer_number", "06014203"),
        ("administrative.recipient_number", "0104232"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年4月18日"),
        ("institution.designated_doctor_number", "0110100077"),
        ("institution.name", "札幌北辰病院"),
        ("institution.doctor_name", "佐野 陽介"),
        ("clinical.onset", "2018年11月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "1"),
        ("disease.name", "球脊髄性筋萎縮症"),
        ("patient.name", "木村 拓也"),
        ("patient.name_kana", "キムラ タクヤ"),
        ("patient.date_of_birth", "1962年3月3日"),
        ("patient.sex", "男"),
        ("patient.postal_code", "8100001"),
        ("patient.address", "福岡県福岡市中央区天神1丁目8番1号"),
        ("patient.insurance.insurer_number", "06400154"),
        ("administrative.recipient_number", "4001582"),
        ("clinical.ventilator", "あり"),
        ("institution.date_written", "令和7年2月27日"),
        ("institution.designated_doctor_number", "4013200015"),
        ("institution.name", "九州大学病院"),
        ("institution.doctor_name", "野村 健"),
        ("clinical.onset", "2021年6月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "97"),
        ("disease.name", "潰瘍性大腸炎"),
        ("patient.name", "齋藤 学"),
        ("patient.name_kana", "サイトウ マナブ"),
        ("patient.date_of_birth", "平成12年8月30日"),
        ("patient.sex", "男"),
        ("patient.postal_code", "2310021"),
        ("patient.address", "神奈川県横浜市中区日本大通1番地"),
        ("patient.insurance.insurer_number", "01140037"),
        ("administrative.recipient_number", "1400332"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年8月8日"),
        ("institution.designated_doctor_number", "1410400029"),
        ("institution.name", "横浜港南病院"),
        ("institution.doctor_name", "青木 優子"),
        ("clinical.onset", "2017年3月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "17"),
        ("disease.name", "多系統萎縮症"),
        ("patient.name", "松本 翼"),
        ("patient.name_kana", "マツモト ツバサ"),
        ("patient.date_of_birth", "昭和45年12月1日"),
        ("patient.sex", "男"),
        ("patient.postal_code", "4600001"),
        ("patient.address", "愛知県名古屋市中区三の丸3丁目1番2号"),
        ("patient.insurance.insurer_number", "06230718"),
        ("administrative.recipient_number", "2307122"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年1月20日"),
        ("institution.designated_doctor_number", "2310600063"),
        ("institution.name", "名古屋城北病院"),
        ("institution.doctor_name", "杉本 誠"),
        ("clinical.onset", "2020年10月"),
        ("clinical.family_history", "不明"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "49"),
        ("disease.name", "全身性エリテマトーデス"),
        ("patient.name", "井上 陽子"),
        ("patient.name_kana", "イノウエ ヨウコ"),
        ("patient.date_of_birth", "1988年5月26日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "9800811"),
        ("patient.address", "宮城県仙台市青葉区一番町4丁目7番17号"),
        ("patient.insurance.insurer_number", "31040090"),
        ("administrative.recipient_number", "0400978"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年7月7日"),
        ("institution.designated_doctor_number", "0410100054"),
        ("institution.name", "東北青葉病院"),
        ("institution.doctor_name", "菊地 亮"),
        ("clinical.onset", "2015年9月"),
        ("clinical.family_history", "あり"),
        ("sledai.score", "10"),
    ],
    [
        ("disease.number", "84"),
        ("disease.name", "サルコイドーシス"),
        ("patient.name", "清水 誠"),
        ("patient.name_kana", "シミズ マコト"),
        ("patient.date_of_birth", "昭和51年10月10日"),
        ("patient.sex", "男"),
        ("patient.postal_code", "7300011"),
        ("patient.address", "広島県広島市中区基町10番52号"),
        ("patient.insurance.insurer_number", "01340025"),
        ("administrative.recipient_number", "3400215"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年3月14日"),
        ("institution.designated_doctor_number", "3410100081"),
        ("institution.name", "広島中央病院"),
        ("institution.doctor_name", "平田 修"),
        ("clinical.onset", "2014年4月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", ""),
    ],
    [
        ("disease.number", "51"),
        ("disease.name", "全身性強皮症"),
        ("patient.name", "中野 里美"),
        ("patient.name_kana", "ナカノ サトミ"),
        ("patient.date_of_birth", "1975年2月14日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "9000014"),
        ("patient.address", "沖縄県那覇市松尾1丁目2番3号"),
        ("patient.insurance.insurer_number", "01470061"),
        ("administrative.recipient_number", "4700654"),
        ("clinical.ventilator", "なし"),
        ("institution.date_written", "令和7年11月1日"),
        ("institution.designated_doctor_number", "4720100096"),
        ("institution.name", "那覇南病院"),
        ("institution.doctor_name", "森田 浩"),
        ("clinical.onset", "2013年7月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", ""),
    ],
];

fn filled(values: &Values) -> Filled {
    values
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn faces() -> [Face; 3] {
    [
        Face::load(
            "fonts-noto-cjk",
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            0,
        ),
        Face::load(
            "fonts-vlgothic",
            "/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf",
            0,
        ),
        Face::load(
            "fonts-ipafont-mincho",
            "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",
            0,
        ),
    ]
}

/// The feed of form `i`'s page `p` (0-based): every form at its own resolution, angle, scale,
/// blur, speckle and JPEG quality; form 4's second page fed upside down, form 6's first page
/// sideways.
fn feed(i: usize, p: usize) -> Feed {
    const DPI: [u32; 10] = [300, 200, 200, 150, 300, 150, 200, 150, 300, 200];
    const ROTATE: [f32; 10] = [-1.5, 2.0, -0.7, 1.0, 0.5, -2.0, 1.8, -1.2, 1.2, -0.3];
    const SCALE: [f32; 10] = [1.0, 0.98, 1.02, 1.0, 0.97, 1.01, 1.03, 0.99, 1.0, 1.0];
    const JPEG: [u8; 10] = [75, 65, 60, 80, 70, 70, 60, 75, 80, 70];
    Feed {
        dpi: DPI[i],
        rotate_deg: ROTATE[i] * if p == 1 { -0.6 } else { 1.0 },
        scale: SCALE[i],
        offset_mm: (1.2 - i as f32 * 0.3, -0.8 + p as f32),
        blur: u32::from(i % 3 == 1),
        speckle: 0.001 + 0.0005 * (i % 4) as f32,
        jpeg_quality: JPEG[i],
        turned: match (i, p) {
            (4, 1) => 180,
            (6, 0) => 90,
            _ => 0,
        },
        seed: 1 + (i * 2 + p) as u32,
    }
}

/// Prints and scans forms into one PDF per form (each its own resolution and JPEG quality).
fn scan(
    forms: &[Filled],
    labels: impl Fn(usize) -> usize,
    values: impl Fn(usize) -> usize,
    faces: &[Face],
    feeds: impl Fn(usize, usize) -> Feed,
) -> Vec<Vec<u8>> {
    let template = TestCatalog::builtin().template();
    forms
        .iter()
        .enumerate()
        .map(|(i, form)| {
            let pages: Vec<_> = (0..template.pages as usize)
                .map(|p| {
                    let f = feeds(i, p);
                    let printed = render::page(
                        &template,
                        p as u32 + 1,
                        form,
                        &faces[labels(i)],
                        &faces[values(i)],
                        f.dpi,
                    );
                    render::feed(&printed, &f)
                })
                .collect();
            let f = feeds(i, 0);
            synth::image_pdf(&pages, f.dpi, f.jpeg_quality).expect("image PDF")
        })
        .collect()
}

#[test]
fn the_independent_set_has_no_silent_misread_and_is_90_percent_exact() {
    let catalog = TestCatalog::builtin();
    let template = catalog.template();
    let faces = faces();
    let forms: Vec<Filled> = FORMS.iter().map(filled).collect();
    for (i, form) in forms.iter().enumerate() {
        let face = &faces[i % faces.len()];
        for v in form.values() {
            assert!(face.covers(v), "{} lacks a glyph of {v}", face.package);
        }
    }
    let pdfs = scan(&forms, |i| (i + 1) % 3, |i| i % 3, &faces, feed);
    let adapter = TestCatalog::adapter();
    let started = Instant::now();
    let mut report = Report::default();
    for (i, pdf) in pdfs.iter().enumerate() {
        let converted = catalog
            .convert(&adapter, pdf)
            .unwrap_or_else(|e| panic!("form {i}: {}: {}", e.code, e.message));
        assert_eq!(converted.len(), 1, "form {i}");
        report.add(&template, &forms[i], &converted[0]);
        // A page fed upside down or sideways is turned and read, and said so, located.
        let turned: Vec<_> = converted[0]
            .findings
            .iter()
            .filter(|f| f.code == "scan.page_turned")
            .map(|f| (f.severity, f.location.as_ref().and_then(|l| l.page)))
            .collect();
        let expected: &[_] = match i {
            4 => &[(Severity::Info, Some(2))],
            6 => &[(Severity::Info, Some(1))],
            _ => &[],
        };
        assert_eq!(turned, expected, "form {i}");
        let Record::Sheet(sheet) = &converted[0].record else {
            panic!("form {i}: not a sheet")
        };
        assert_eq!(sheet.provenance.adapter, "scan");
    }
    let pages = forms.len() * template.pages as usize;
    let seconds = started.elapsed().as_secs_f64();
    for miss in &report.misses {
        println!("{miss}");
    }
    println!(
        "independent set: {} forms, {pages} pages, {:.2} s/page (this build, 2 OCR workers)\n{report}",
        forms.len(),
        seconds / pages as f64
    );
    let total = report.total();
    assert_eq!(
        total.silent,
        0,
        "silent misreads:\n{}",
        report.misses.join("\n")
    );
    // The bar: 90 % exact before review. This set is at 91.7 %; of its 15 misses, 3 can
    // never be exact (髙, 﨑 and 邉 are not in the model's character set: read 高, 崎, 邊, and
    // sent to review as 異体字), the rest are kanji of 150–200 dpi Mincho and VL Gothic, a 丁
    // dropped, a kana doubled and VL Gothic's slashed zero inside a date — every one flagged.
    assert!(
        total.exact * 100 >= total.fields * 90,
        "only {} of {} exact\n{report}",
        total.exact,
        total.fields
    );
}

#[test]
fn handwriting_style_boxes_go_to_review_whole() {
    let catalog = TestCatalog::builtin();
    let template = catalog.template();
    let faces = [
        Face::load(
            "fonts-noto-cjk",
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            0,
        ),
        Face::load(
            "fonts-klee",
            "/usr/share/fonts/truetype/klee/KleeOne-Regular.ttf",
            0,
        ),
        Face::load(
            "fonts-kiloji",
            "/usr/share/fonts/truetype/kiloji/kiloji.ttf",
            0,
        ),
    ];
    // Two forms whose names are in every font (no old forms), printed and "handwritten".
    let forms: Vec<Filled> = [0, 4].iter().map(|&i| filled(&FORMS[i])).collect();
    let feeds = |i: usize, p: usize| Feed {
        turned: 0,
        ..feed(i * 2, p)
    };
    let adapter = TestCatalog::adapter();
    let mut loads = Vec::new();
    for (font, name) in [(0, "print (Noto Sans CJK)"), (1, "Klee One"), (2, "Kiloji")] {
        let pdfs = scan(&forms, |_| 0, |_| font, &faces, feeds);
        let mut report = Report::default();
        for (i, pdf) in pdfs.iter().enumerate() {
            let converted = catalog.convert(&adapter, pdf).expect("convert");
            report.add(&template, &forms[i], &converted[0]);
        }
        let written: u32 = ["text", "kana", "date", "digits"]
            .iter()
            .filter_map(|t| report.rows.get(*t))
            .map(|r| r.flagged)
            .sum();
        println!("{name}: {written} written boxes to review\n{report}");
        for miss in &report.misses {
            println!("{miss}");
        }
        // Print and Klee One (a pen-like but regular face) pass nothing silently. Kiloji, a
        // true hand, is reported, not asserted: the adapter has no "looks like print" test yet,
        // so nothing but the other rules stands between a misread hand and acceptance (one,
        // 和也 → 和や, once passed them all).
        if font < 2 {
            assert_eq!(
                report.total().silent,
                0,
                "{name}:\n{}",
                report.misses.join("\n")
            );
        }
        loads.push(written);
    }
    println!(
        "review load of written boxes: print {}, Klee {}, Kiloji {}",
        loads[0], loads[1], loads[2]
    );
    assert!(
        loads[2] > loads[0],
        "a hand sends more to review than print"
    );
}
