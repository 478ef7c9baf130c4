//! Seconds per page: the adapter's zone OCR (registration, form detection, every zone of the
//! template) against the `tesseract` command line over the whole page, on the same generated
//! scan (200 dpi, skewed, speckled, JPEG), in the same run.
//!
//! ```text
//! OMP_THREAD_LIMIT=1 cargo bench -p kakehashi-adapter-scan --bench ocr
//! ```

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kakehashi_adapter_scan::synth::{self, Scanner, TestCatalog};
use kakehashi_adapter_scan::{ScanAdapter, ScanOptions};
use kakehashi_pdf::{DEFAULT_FONT_PATH, Font};

fn bench(c: &mut Criterion) {
    let catalog = TestCatalog::builtin();
    let template = catalog.template();
    let font = Font::load(Path::new(DEFAULT_FONT_PATH)).expect("IPAex Gothic");
    let filled = [
        ("disease.number", "49"),
        ("patient.name", "山田 花子"),
        ("patient.name_kana", "ヤマダ ハナコ"),
        ("patient.date_of_birth", "昭和55年3月14日"),
        ("patient.sex", "女"),
        ("patient.address", "東京都千代田区霞が関1丁目2番2号"),
        ("administrative.recipient_number", "1234567"),
        ("institution.name", "東京中央病院"),
        ("sledai.score", "12"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let pdf = synth::scanned_pdf(&template, &[filled], &font, &Scanner::default()).expect("scan");
    let pages = u64::from(template.pages);

    let adapter = ScanAdapter::new(ScanOptions::default());
    let mut group = c.benchmark_group("ocr");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .throughput(Throughput::Elements(pages));
    group.bench_function("zone_ocr_form_of_2_pages", |b| {
        b.iter(|| catalog.convert(&adapter, &pdf).expect("convert"))
    });

    let images = kakehashi_adapter_scan::page_images(&pdf, &Default::default()).expect("pages");
    let dir = std::env::temp_dir().join(format!("kakehashi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files: Vec<_> = images
        .iter()
        .map(|p| {
            let f = dir.join(format!("p{}.png", p.page));
            p.image.save(&f).expect("png");
            f
        })
        .collect();
    group.bench_function("tesseract_cli_whole_pages_2", |b| {
        b.iter(|| {
            for f in &files {
                let out = Command::new("tesseract")
                    .arg(f)
                    .args(["stdout", "-l", "jpn", "--psm", "3"])
                    .env("OMP_THREAD_LIMIT", "1")
                    .output()
                    .expect("tesseract CLI");
                assert!(out.status.success());
            }
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
