//! Scanned-looking test documents made from a template (feature `synth`): the form printed and
//! filled as a vector PDF (`kakehashi-pdf`, IPAex Gothic), rasterised by poppler's `pdftoppm`,
//! then rotated, shifted, speckled and JPEG-compressed like a scanner's output, and wrapped
//! back into an image-only PDF. Tests, the benchmark and the accuracy report read these, so the
//! right answer of every field is known.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use image::{GrayImage, Luma};
use kakehashi_pdf::{Document, Font};
use kakehashi_sdk::{
    Adapter, AdapterError, Converted, DiseaseRegistry, Input, MappingContext, MappingFiles,
    TemplateSet,
};

use crate::image_pdf::{ImagePage, image_only_pdf};
use crate::template::{FormTemplate, ZoneType};
use crate::{ScanAdapter, ScanOptions};

/// The project's scan layout, as the gateway ships it.
pub const TEMPLATE: &str = include_str!("../../../mappings/scan/rinkohyo-2403.toml");

/// What the adapter consults in tests: the 2403 layout, the notified 指定難病 list and the
/// template of 告示番号 49 (for its SLEDAI range), as the gateway's catalog has them.
pub struct TestCatalog {
    mappings: MappingFiles,
    diseases: DiseaseRegistry,
    templates: TemplateSet,
}

impl TestCatalog {
    pub fn builtin() -> Self {
        let mut mappings = MappingFiles::default();
        mappings.insert(
            "scan",
            "rinkohyo-2403",
            "rinkohyo-2403.toml",
            TEMPLATE.to_owned(),
        );
        let mut diseases = DiseaseRegistry::default();
        // Both are the gateway's own files, parsed by its tests too.
        let _ = diseases.add_nanbyo_list(
            "intractable_disease.csv",
            include_str!("../../../mappings/reference/intractable_disease.csv"),
        );
        let mut templates = TemplateSet::default();
        let _ = templates.add(
            "nanbyo-049.toml",
            include_str!("../../../mappings/diseases/nanbyo-049.toml"),
            Some(&diseases),
        );
        Self {
            mappings,
            diseases,
            templates,
        }
    }

    pub fn template(&self) -> FormTemplate {
        // The shipped template parses (tests/scan.rs checks every template in mappings/).
        toml::from_str(TEMPLATE).unwrap_or_else(|e| panic!("rinkohyo-2403.toml: {e}"))
    }

    pub fn context(&self) -> MappingContext<'_> {
        MappingContext {
            diseases: &self.diseases,
            templates: &self.templates,
            mappings: &self.mappings,
            mapping: None,
        }
    }

    /// Converts a scanned PDF with the adapter.
    pub fn convert(
        &self,
        adapter: &ScanAdapter,
        pdf: &[u8],
    ) -> Result<Vec<Converted>, AdapterError> {
        adapter.convert(
            &Input {
                bytes: pdf,
                content_type: Some("application/pdf"),
                sha256: "00",
            },
            &self.context(),
        )
    }

    /// An adapter with two OCR workers, as the tests run it.
    pub fn adapter() -> ScanAdapter {
        ScanAdapter::new(ScanOptions {
            workers: 2,
            ..ScanOptions::default()
        })
    }
}

/// Why a test document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("printing the form: {0}")]
    Pdf(#[from] kakehashi_pdf::PdfError),
    #[error("running pdftoppm (poppler-utils): {0}")]
    Rasterise(String),
    #[error("encoding: {0}")]
    Encode(String),
}

/// One filled form: value by target (header field path or item code). A check zone is marked
/// when its value equals `checked`; a circle zone circles the choice with that value.
pub type Filled = BTreeMap<String, String>;

/// One 臨個票 of 全身性エリテマトーデス (049) with a value in every zone type, as the tests and
/// the benchmark fill it. Its 受給者番号 has a wrong check digit (the right one ends in 6), so
/// the checks send it to review.
pub fn example_form() -> Filled {
    [
        ("disease.number", "49"),
        ("disease.name", "全身性エリテマトーデス"),
        ("patient.name", "山田 花子"),
        ("patient.name_kana", "ヤマダ ハナコ"),
        ("patient.date_of_birth", "昭和55年3月14日"),
        ("patient.sex", "女"),
        ("patient.postal_code", "1000013"),
        ("patient.address", "東京都千代田区霞が関1丁目2番2号"),
        ("patient.insurance.insurer_number", "06132013"),
        ("administrative.recipient_number", "1234567"),
        ("clinical.ventilator", "あり"),
        ("institution.date_written", "令和7年11月5日"),
        ("institution.designated_doctor_number", "1310000017"),
        ("institution.name", "東京中央病院"),
        ("institution.doctor_name", "鈴木 一郎"),
        ("clinical.onset", "2019年4月"),
        ("clinical.family_history", "なし"),
        ("sledai.score", "12"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// What the "scanner" does to a page.
#[derive(Debug, Clone, Copy)]
pub struct Scanner {
    pub dpi: u32,
    /// Rotation in degrees, clockwise.
    pub skew_deg: f32,
    /// Where the page lands, in mm (right, down).
    pub offset_mm: (f32, f32),
    /// Share of pixels turned to random specks.
    pub noise: f32,
    pub jpeg_quality: u8,
    /// Seed of the speckle.
    pub seed: u64,
}

impl Default for Scanner {
    fn default() -> Self {
        Self {
            dpi: 200,
            skew_deg: 1.0,
            offset_mm: (1.5, -1.0),
            noise: 0.002,
            jpeg_quality: 70,
            seed: 7,
        }
    }
}

/// Prints the forms (every page of each, in order) as a vector PDF.
pub fn print(
    template: &FormTemplate,
    forms: &[Filled],
    font: &Font,
) -> Result<Vec<u8>, SynthError> {
    let mut doc = Document::new(font, &template.description);
    for filled in forms {
        for page_no in 1..=template.pages {
            let page = doc.page();
            let half = template.mark_size / 2.0;
            for [x, y] in template.marks {
                page.rect(
                    x - half,
                    y - half,
                    template.mark_size,
                    template.mark_size,
                    true,
                );
            }
            page.text(25.0, 20.0, 13.0, &template.description);
            let [cx, cy, cw, ch] = template.code_box;
            page.text(cx - 12.0, cy + 3.0, 9.0, "様式");
            page.text(
                cx + 3.0,
                cy + 1.5,
                16.0,
                &format!("{}-{page_no}", template.form_code),
            );
            page.rect(cx, cy, cw, ch, false);
            for zone in template.zones.iter().filter(|z| z.page == page_no) {
                let value = filled.get(zone.target());
                match zone.zone_type {
                    ZoneType::Circle => {
                        let top = zone.choices[0].bbox[1];
                        page.text(18.0, top + 3.5, 8.0, &zone.label);
                        for choice in &zone.choices {
                            let [x, y, w, h] = choice.bbox;
                            let size = 11.0;
                            let width =
                                font.text_width(&choice.value, size) / kakehashi_pdf::PT_PER_MM;
                            page.text(
                                x + (w - width) / 2.0,
                                y + h / 2.0 - 2.2,
                                size,
                                &choice.value,
                            );
                            if value == Some(&choice.value) {
                                ellipse(
                                    page,
                                    x + w / 2.0,
                                    y + h / 2.0,
                                    w / 2.0 - 0.6,
                                    h / 2.0 - 0.6,
                                );
                            }
                        }
                    }
                    _ => {
                        let [x, y, w, h] = zone.bbox.unwrap_or_default();
                        page.text(18.0, y + 3.5, 8.0, &zone.label);
                        page.rect(x, y, w, h, false);
                        match (zone.zone_type, value) {
                            (ZoneType::Check, Some(v)) if zone.checked.as_ref() == Some(v) => {
                                page.line(x + 1.2, y + 1.2, x + w - 1.2, y + h - 1.2, 1.8);
                                page.line(x + 1.2, y + h - 1.2, x + w - 1.2, y + 1.2, 1.8);
                            }
                            (ZoneType::Check, _) | (_, None) => {}
                            (_, Some(v)) => page.text(x + 2.0, y + (h - 4.9) / 2.0, 14.0, v),
                        }
                    }
                }
            }
        }
    }
    Ok(doc.finish()?)
}

/// A hand-drawn-looking ellipse of 36 strokes.
fn ellipse(page: &mut kakehashi_pdf::Page<'_>, cx: f32, cy: f32, rx: f32, ry: f32) {
    let point = |i: u32| {
        let a = i as f32 * std::f32::consts::TAU / 36.0;
        (cx + rx * a.cos(), cy + ry * a.sin())
    };
    for i in 0..36 {
        let ((x1, y1), (x2, y2)) = (point(i), point(i + 1));
        page.line(x1, y1, x2, y2, 1.2);
    }
}

/// Rasterises every page of a PDF in grey with `pdftoppm`.
pub fn rasterise(pdf: &[u8], dpi: u32) -> Result<Vec<GrayImage>, SynthError> {
    let dir = std::env::temp_dir().join(format!(
        "kakehashi-synth-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).map_err(|e| SynthError::Rasterise(e.to_string()))?;
    let result = (|| {
        let mut child = Command::new("pdftoppm")
            .args(["-gray", "-png", "-r", &dpi.to_string(), "-", "page"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| SynthError::Rasterise(e.to_string()))?;
        child
            .stdin
            .take()
            .ok_or_else(|| SynthError::Rasterise("no stdin".into()))?
            .write_all(pdf)
            .map_err(|e| SynthError::Rasterise(e.to_string()))?;
        let status = child
            .wait()
            .map_err(|e| SynthError::Rasterise(e.to_string()))?;
        if !status.success() {
            return Err(SynthError::Rasterise(format!(
                "pdftoppm exited with {status}"
            )));
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| SynthError::Rasterise(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                image::open(f)
                    .map(|i| i.into_luma8())
                    .map_err(|e| SynthError::Rasterise(e.to_string()))
            })
            .collect()
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A small deterministic generator (xorshift64*): the speckle must be the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Rotates about the page centre, shifts, and speckles a page as a scanner would.
pub fn degrade(page: &GrayImage, scanner: &Scanner) -> GrayImage {
    let (w, h) = page.dimensions();
    let px_per_mm = scanner.dpi as f32 / 25.4;
    let (s, c) = scanner.skew_deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (dx, dy) = (
        scanner.offset_mm.0 * px_per_mm,
        scanner.offset_mm.1 * px_per_mm,
    );
    let mut rng = Rng(scanner.seed.max(1));
    GrayImage::from_fn(w, h, |x, y| {
        // Inverse map: output pixel → where it was on the printed page.
        let (u, v) = (x as f32 - cx - dx, y as f32 - cy - dy);
        let (sx, sy) = (c * u + s * v + cx, -s * u + c * v + cy);
        let mut p = if sx >= 0.0 && sy >= 0.0 && sx < w as f32 - 1.0 && sy < h as f32 - 1.0 {
            page.get_pixel(sx as u32, sy as u32)[0]
        } else {
            // The scanner's lid: light grey beyond the paper.
            235
        };
        if rng.unit() < scanner.noise {
            p = if rng.unit() < 0.5 { 40 } else { 255 };
        }
        Luma([p])
    })
}

/// Wraps grey pages, JPEG-compressed, into an image-only PDF as a scanner writes it.
pub fn image_pdf(pages: &[GrayImage], dpi: u32, jpeg_quality: u8) -> Result<Vec<u8>, SynthError> {
    let mut images = Vec::with_capacity(pages.len());
    for page in pages {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, jpeg_quality)
            .encode_image(page)
            .map_err(|e| SynthError::Encode(e.to_string()))?;
        let (w, h) = page.dimensions();
        images.push(ImagePage {
            width: w,
            height: h,
            colour_space: "DeviceGray",
            filter: "DCTDecode",
            data: jpeg,
            size_pt: (w as f32 * 72.0 / dpi as f32, h as f32 * 72.0 / dpi as f32),
        });
    }
    image_only_pdf(images).map_err(|e| SynthError::Encode(e.to_string()))
}

/// The whole chain: print, rasterise, degrade each page (the seed advancing per page), wrap.
pub fn scanned_pdf(
    template: &FormTemplate,
    forms: &[Filled],
    font: &Font,
    scanner: &Scanner,
) -> Result<Vec<u8>, SynthError> {
    let printed = print(template, forms, font)?;
    let pages: Vec<GrayImage> = rasterise(&printed, scanner.dpi)?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            degrade(
                p,
                &Scanner {
                    seed: scanner.seed.wrapping_add(i as u64),
                    ..*scanner
                },
            )
        })
        .collect();
    image_pdf(&pages, scanner.dpi, scanner.jpeg_quality)
}

/// Field accuracy of converted forms against what was printed on them, per zone type.
#[derive(Debug, Default)]
pub struct Report {
    /// Per zone type (`text`, `digits`, …).
    pub rows: BTreeMap<String, Row>,
    /// How many readings each review reason sent to review.
    pub reasons: BTreeMap<String, u32>,
    /// Every reading that was not exact, as a line: field, read, truth, reasons (`!!` first
    /// when it was not sent to review).
    pub misses: Vec<String>,
    /// Every exact reading that was sent to review all the same, likewise.
    pub doubted: Vec<String>,
}

/// Counts for one zone type.
#[derive(Debug, Default, Clone, Copy)]
pub struct Row {
    pub fields: u32,
    /// Read exactly as printed (before any review).
    pub exact: u32,
    /// Sent to review (exact or not).
    pub flagged: u32,
    /// Wrong and not sent to review: a silent misread.
    pub silent: u32,
}

impl Row {
    fn add(&mut self, other: Row) {
        self.fields += other.fields;
        self.exact += other.exact;
        self.flagged += other.flagged;
        self.silent += other.silent;
    }
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Report {
    /// Scores one converted form against the values printed on it.
    pub fn add(&mut self, template: &FormTemplate, printed: &Filled, converted: &Converted) {
        for r in &converted.readings {
            let Some(zone) = template.zones.iter().find(|z| z.target() == r.target) else {
                continue;
            };
            let truth = printed
                .get(&r.target)
                .map(|s| compact(s))
                .unwrap_or_default();
            let exact = compact(r.text.as_deref().unwrap_or_default()) == truth;
            let flagged = r.needs_review();
            let row = self
                .rows
                .entry(format!("{:?}", zone.zone_type).to_lowercase())
                .or_default();
            row.add(Row {
                fields: 1,
                exact: u32::from(exact),
                flagged: u32::from(flagged),
                silent: u32::from(!exact && !flagged),
            });
            for reason in &r.review {
                *self.reasons.entry(reason.clone()).or_default() += 1;
            }
            let line = format!(
                "{}{:<34} read {:?}, printed {truth:?}, review {:?}",
                if flagged || exact { "  " } else { "!!" },
                r.target,
                r.text.as_deref().unwrap_or_default(),
                r.review
            );
            if !exact {
                self.misses.push(line);
            } else if flagged {
                self.doubted.push(line);
            }
        }
    }

    /// All zone types together.
    pub fn total(&self) -> Row {
        let mut all = Row::default();
        for row in self.rows.values() {
            all.add(*row);
        }
        all
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |a: u32, n: u32| 100.0 * f64::from(a) / f64::from(n.max(1));
        writeln!(
            f,
            "{:<8} {:>6} {:>8} {:>9} {:>7}",
            "type", "fields", "exact", "flagged", "silent"
        )?;
        let total = self.total();
        for (name, r) in self
            .rows
            .iter()
            .chain(std::iter::once((&"all".to_owned(), &total)))
        {
            writeln!(
                f,
                "{name:<8} {:>6} {:>7.1}% {:>8.1}% {:>7}",
                r.fields,
                pct(r.exact, r.fields),
                pct(r.flagged, r.fields),
                r.silent
            )?;
        }
        write!(f, "review reasons:")?;
        for (reason, n) in &self.reasons {
            write!(f, " {reason} {n};")?;
        }
        Ok(())
    }
}
