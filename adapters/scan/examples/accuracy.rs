//! Field accuracy of the scan adapter against the `tesseract` command line over whole pages,
//! in the same run, on generated scans of the real template (several filled forms, 200 dpi,
//! skew, speckle, JPEG).
//!
//! ```text
//! OMP_THREAD_LIMIT=1 cargo run --release -p kakehashi-adapter-scan --example accuracy [FORMS]
//! ```
//!
//! Prints, per zone type: exact-match rate as read, exact-match rate after review (a reading
//! the adapter sends to review is taken as corrected by the reviewer), the share sent to
//! review, and the share of values the whole-page CLI text contains at all (a generous
//! measure: it only has to appear somewhere on the page); and seconds per page of both.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use kakehashi_adapter_scan::synth::{self, Filled, Scanner};
use kakehashi_adapter_scan::{FormTemplate, ScanAdapter, ScanOptions};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};
use kakehashi_sdk::{Adapter, DiseaseRegistry, Input, MappingContext, MappingFiles, TemplateSet};

const TEMPLATE: &str = include_str!("../../../mappings/scan/rinkohyo-2403.toml");

const NAMES: &[(&str, &str)] = &[
    ("山田 花子", "ヤマダ ハナコ"),
    ("佐藤 健太", "サトウ ケンタ"),
    ("高橋 美咲", "タカハシ ミサキ"),
    ("渡辺 翔", "ワタナベ ショウ"),
    ("伊藤 由美子", "イトウ ユミコ"),
    ("中村 大輔", "ナカムラ ダイスケ"),
];
const ADDRESSES: &[&str] = &[
    "東京都千代田区霞が関1丁目2番2号",
    "大阪府大阪市北区中之島1丁目3番20号",
    "北海道札幌市中央区北3条西6丁目",
    "福岡県福岡市博多区東公園7番7号",
];
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
            format!("{:07}", 1_000_013 + i * 104_729),
        ),
        v("patient.address", ADDRESSES[i % ADDRESSES.len()].into()),
        v(
            "patient.insurance.insurer_number",
            format!("{:08}", 6_132_013 + i * 7_919),
        ),
        v(
            "administrative.recipient_number",
            format!("{:07}", 1_234_567 + i * 31_337),
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

#[derive(Default)]
struct Tally {
    n: u32,
    exact: u32,
    exact_after_review: u32,
    reviewed: u32,
    cli_found: u32,
}

fn main() {
    let forms: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4);
    let template: FormTemplate = toml::from_str(TEMPLATE).expect("template");
    let font = Font::load(Path::new(DEFAULT_FONT_PATH)).expect("IPAex Gothic");
    let filled: Vec<Filled> = (0..forms).map(form).collect();
    let scanner = Scanner::default();
    let pdf = synth::scanned_pdf(&template, &filled, &font, &scanner).expect("scan");
    let pages = forms as u32 * template.pages;

    let mut mappings = MappingFiles::default();
    mappings.insert(
        "scan",
        "rinkohyo-2403",
        "rinkohyo-2403.toml",
        TEMPLATE.to_owned(),
    );
    let (diseases, templates) = (DiseaseRegistry::default(), TemplateSet::default());
    let context = MappingContext {
        diseases: &diseases,
        templates: &templates,
        mappings: &mappings,
        mapping: None,
    };
    let adapter = ScanAdapter::new(ScanOptions::default());
    let started = Instant::now();
    let converted = adapter
        .convert(
            &Input {
                bytes: &pdf,
                content_type: None,
                sha256: "",
            },
            &context,
        )
        .expect("convert");
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

    let types: BTreeMap<&str, String> = template
        .zones
        .iter()
        .map(|z| (z.target(), format!("{:?}", z.zone_type).to_lowercase()))
        .collect();
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    for (i, c) in converted.iter().enumerate() {
        for r in &c.readings {
            let truth = filled[i].get(&r.target).cloned().unwrap_or_default();
            let t = tally.entry(types[r.target.as_str()].clone()).or_default();
            let exact = r.text.as_deref().map(compact) == Some(compact(&truth));
            if !exact {
                eprintln!(
                    "miss {:<38} read {:?} (confidence {:.2}{}), paper {truth:?}",
                    r.target,
                    r.text.as_deref().unwrap_or(""),
                    r.confidence,
                    if r.needs_review { ", to review" } else { "" }
                );
            }
            t.n += 1;
            t.exact += u32::from(exact);
            t.reviewed += u32::from(r.needs_review);
            t.exact_after_review += u32::from(exact || r.needs_review);
            // The reading's page is the PDF's page, 1-based.
            let page = r.location.page.unwrap_or(1) as usize - 1;
            t.cli_found += u32::from(
                cli_text
                    .get(page)
                    .is_some_and(|text| text.contains(&compact(&truth))),
            );
        }
    }
    println!(
        "{forms} forms, {pages} pages at {} dpi, skew {}°, JPEG q{}",
        scanner.dpi, scanner.skew_deg, scanner.jpeg_quality
    );
    println!(
        "zone OCR (adapter): {:.2} s/page   tesseract CLI whole page: {:.2} s/page",
        zone_secs / f64::from(pages),
        cli_secs / f64::from(pages)
    );
    println!(
        "{:<8} {:>4} {:>10} {:>14} {:>9} {:>13}",
        "type", "n", "exact", "after review", "reviewed", "CLI contains"
    );
    let pct = |a: u32, n: u32| 100.0 * f64::from(a) / f64::from(n.max(1));
    let mut all = Tally::default();
    for (ty, t) in &tally {
        println!(
            "{ty:<8} {:>4} {:>9.1}% {:>13.1}% {:>8.1}% {:>12.1}%",
            t.n,
            pct(t.exact, t.n),
            pct(t.exact_after_review, t.n),
            pct(t.reviewed, t.n),
            pct(t.cli_found, t.n)
        );
        all.n += t.n;
        all.exact += t.exact;
        all.exact_after_review += t.exact_after_review;
        all.reviewed += t.reviewed;
        all.cli_found += t.cli_found;
    }
    println!(
        "{:<8} {:>4} {:>9.1}% {:>13.1}% {:>8.1}% {:>12.1}%",
        "all",
        all.n,
        pct(all.exact, all.n),
        pct(all.exact_after_review, all.n),
        pct(all.reviewed, all.n),
        pct(all.cli_found, all.n)
    );
}
