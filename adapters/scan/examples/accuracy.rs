//! Field accuracy of the scan adapter against the `tesseract` command line over whole pages,
//! in the same run, on generated scans of the real template (several filled forms, 200 dpi,
//! skew, speckle, JPEG).
//!
//! ```text
//! OMP_THREAD_LIMIT=1 cargo run --release -p kakehashi-adapter-scan --example accuracy [FORMS [DPI [FONT]]]
//! ```
//!
//! `DPI` (default 200) and `FONT` (a TrueType file, default IPAex Gothic) make harder variants
//! of the same set — IPAex Mincho (`fonts-ipaexfont-mincho`) at 150 dpi, say — to choose the
//! reader's settings on without looking at the independent set.
//!
//! This is the set the review thresholds are calibrated on (IPAex Gothic, `synth`); the
//! independent set they are judged on is `tests/independent.rs`. Prints, per zone type: the
//! exact-match rate as read, the share sent to review, the silent misreads (wrong and not sent
//! to review), the review reasons; the share of values the whole-page CLI text contains at all
//! (a generous measure: it only has to appear somewhere on the page); seconds per page of both.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kakehashi_adapter_scan::synth::{self, Filled, Report, Scanner, TestCatalog};
use kakehashi_adapter_scan::{ScanAdapter, ScanOptions};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};
use kakehashi_sdk::parse::check_digit_is_valid;

const NAMES: &[(&str, &str)] = &[
    ("山田 花子", "ヤマダ ハナコ"),
    ("佐藤 健太", "サトウ ケンタ"),
    ("高橋 美咲", "タカハシ ミサキ"),
    ("渡辺 翔", "ワタナベ ショウ"),
    ("伊藤 由美子", "イトウ ユミコ"),
    ("中村 大輔", "ナカムラ ダイスケ"),
];
/// Postal code and address, as Japan Post lists them (the address as people write it).
const ADDRESSES: &[(&str, &str)] = &[
    ("1000013", "東京都千代田区霞が関1丁目2番2号"),
    ("5300005", "大阪府大阪市北区中之島1丁目3番20号"),
    ("0600003", "北海道札幌市中央区北3条西6丁目"),
    ("8120045", "福岡県福岡市博多区東公園7番7号"),
];

/// `body` followed by its check digit (as 受給者番号 and 保険者番号 end).
fn with_check_digit(body: u64, digits: usize) -> String {
    (0..10)
        .map(|d| format!("{body:0width$}{d}", width = digits - 1))
        .find(|n| check_digit_is_valid(n))
        .unwrap_or_default()
}
const HOSPITALS: &[&str] = &["東京中央病院", "大阪北総合病院", "札幌医科大学附属病院"];

fn form(i: usize) -> Filled {
    let (name, kana) = NAMES[i % NAMES.len()];
    let v = |k: &str, v: String| (k.to_owned(), v);
    [
        v("disease.number", ["49", "6", "13", "2"][i % 4].into()),
        v(
            "disease.name",
            [
                "全身性エリテマトーデス",
                "パーキンソン病",
                "多発性硬化症",
                "筋萎縮性側索硬化症",
            ][i % 4]
                .into(),
        ),
        v("patient.name", name.into()),
        v("patient.name_kana", kana.into()),
        v(
            "patient.date_of_birth",
            format!(
                "昭和{}年{}月{}日",
                40 + i * 3 % 20,
                1 + i % 12,
                3 + i * 5 % 25
            ),
        ),
        v("patient.sex", ["女", "男"][i % 2].into()),
        v(
            "patient.postal_code",
            ADDRESSES[i % ADDRESSES.len()].0.into(),
        ),
        v("patient.address", ADDRESSES[i % ADDRESSES.len()].1.into()),
        v(
            "patient.insurance.insurer_number",
            with_check_digit(613_201 + i as u64 * 7_919, 8),
        ),
        v(
            "administrative.recipient_number",
            with_check_digit(123_456 + i as u64 * 31_337, 7),
        ),
        v("clinical.ventilator", ["あり", "なし"][i % 2].into()),
        v(
            "institution.date_written",
            format!("令和7年{}月{}日", 1 + i % 11, 1 + i * 7 % 28),
        ),
        v(
            "institution.designated_doctor_number",
            format!("{:010}", 1_310_000_017u64 + i as u64 * 977),
        ),
        v("institution.name", HOSPITALS[i % HOSPITALS.len()].into()),
        v(
            "institution.doctor_name",
            NAMES[(i + 3) % NAMES.len()].0.into(),
        ),
        v(
            "clinical.onset",
            format!("{}年{}月", 2010 + i, 1 + i * 5 % 12),
        ),
        v(
            "clinical.family_history",
            ["なし", "あり", "不明"][i % 3].into(),
        ),
        v("sledai.score", format!("{}", 4 + i * 3)),
    ]
    .into_iter()
    .collect()
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let forms: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let scanner = Scanner {
        dpi: args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200),
        ..Scanner::default()
    };
    let font_path = args.get(3).map_or(DEFAULT_FONT_PATH, String::as_str);
    let catalog = TestCatalog::builtin();
    let template = catalog.template();
    let font = Font::load(Path::new(font_path)).expect("a TrueType font");
    let filled: Vec<Filled> = (0..forms).map(form).collect();
    let pdf = synth::scanned_pdf(&template, &filled, &font, &scanner).expect("scan");
    let pages = forms as u32 * template.pages;

    let adapter = ScanAdapter::new(ScanOptions::default());
    let started = Instant::now();
    let converted = catalog.convert(&adapter, &pdf).expect("convert");
    let zone_secs = started.elapsed().as_secs_f64();

    // The CLI over each whole page image, as a person would run it without templates.
    let page_images =
        kakehashi_adapter_scan::page_images(&pdf, &Default::default()).expect("pages");
    let dir = std::env::temp_dir().join(format!("kakehashi-accuracy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let started = Instant::now();
    let mut cli_text = Vec::new();
    for p in &page_images {
        let file = dir.join(format!("p{}.png", p.page));
        p.image.save(&file).expect("png");
        let out = Command::new("tesseract")
            .arg(&file)
            .args(["stdout", "-l", "jpn", "--psm", "3"])
            .env("OMP_THREAD_LIMIT", "1")
            .output()
            .expect("tesseract CLI (tesseract-ocr)");
        cli_text.push(compact(&String::from_utf8_lossy(&out.stdout)));
    }
    let cli_secs = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);

    let mut report = Report::default();
    let (mut cli_found, mut fields) = (0u32, 0u32);
    for (i, c) in converted.iter().enumerate() {
        report.add(&template, &filled[i], c);
        for r in &c.readings {
            let truth = compact(filled[i].get(&r.target).map_or("", String::as_str));
            // The reading's page is the PDF's page, 1-based.
            let page = r.location.page.unwrap_or(1) as usize - 1;
            fields += 1;
            cli_found += u32::from(cli_text.get(page).is_some_and(|t| t.contains(&truth)));
        }
    }
    for line in report.misses.iter().chain(&report.doubted) {
        eprintln!("{line}");
    }
    println!(
        "{forms} forms, {pages} pages at {} dpi, skew {}°, JPEG q{}, {font_path}",
        scanner.dpi, scanner.skew_deg, scanner.jpeg_quality
    );
    println!(
        "zone OCR (adapter): {:.2} s/page   tesseract CLI whole page: {:.2} s/page",
        zone_secs / f64::from(pages),
        cli_secs / f64::from(pages)
    );
    println!("{report}");
    println!(
        "the whole-page CLI text contains {:.1}% of the values",
        100.0 * f64::from(cli_found) / f64::from(fields.max(1))
    );
}
