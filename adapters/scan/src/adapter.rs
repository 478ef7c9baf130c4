//! Pages to sheets: find each page's form and page number, group the pages of each filled form,
//! read its zones into one sheet.

use std::sync::OnceLock;
use std::time::Duration;

use image::GrayImage;
use kakehashi_sdk::{
    Adapter, AdapterError, Converted, Input, Item, ItemValue, MappedSource, MappingContext,
    OcrReading, Provenance, Record, RecordKind, Sheet, SourceLocation, parse_mapping,
};

use crate::ocr::{OcrError, OcrPool};
use crate::pdf::{Limits, PageImage, looks_like_pdf, page_images};
use crate::read::{read_form_code, read_zone};
use crate::register::{Affine, register};
use crate::template::FormTemplate;

/// Mapping category of form templates in `mappings/`.
pub const CATEGORY: &str = "scan";

/// How the adapter runs.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    pub limits: Limits,
    /// OCR worker threads (each holds one Tesseract engine).
    pub workers: usize,
    /// Longest wait for one box's OCR.
    pub box_timeout: Duration,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            workers: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            box_timeout: Duration::from_secs(30),
        }
    }
}

/// The scanned-paper adapter.
#[derive(Debug, Default)]
pub struct ScanAdapter {
    options: ScanOptions,
    /// Started on the first scan, so a gateway that never sees one never starts Tesseract.
    pool: OnceLock<OcrPool>,
}

/// A page recognised as page `page` of `template`.
struct Identified<'t> {
    name: &'t str,
    template: &'t FormTemplate,
    page: u32,
    map: Affine,
}

fn ocr_error(e: OcrError, page: u32) -> AdapterError {
    let (code, kind) = match e {
        OcrError::Unavailable(_) => (
            "scan.ocr_unavailable",
            kakehashi_sdk::AdapterErrorKind::Unsupported,
        ),
        _ => (
            "scan.ocr_failed",
            kakehashi_sdk::AdapterErrorKind::Malformed,
        ),
    };
    AdapterError::new(
        kind,
        code,
        format!("page {page}: {e}"),
        format!("{page} ページ: 文字認識（OCR）に失敗しました: {e}"),
    )
    .at(page_location(page))
}

fn page_location(page: u32) -> SourceLocation {
    SourceLocation {
        page: Some(page),
        ..SourceLocation::default()
    }
}

fn png(image: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    // Encoding an in-memory grey image into memory cannot fail but for allocation.
    let _ = image.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

impl ScanAdapter {
    pub fn new(options: ScanOptions) -> Self {
        Self {
            options,
            pool: OnceLock::new(),
        }
    }

    fn pool(&self) -> &OcrPool {
        self.pool
            .get_or_init(|| OcrPool::new(self.options.workers, self.options.box_timeout))
    }

    /// The templates to try: the one asked for, or every one in `mappings/scan/`.
    fn templates(
        &self,
        context: &MappingContext<'_>,
    ) -> Result<Vec<(String, FormTemplate)>, AdapterError> {
        let names: Vec<String> = match context.mapping {
            Some(name) => vec![name.to_owned()],
            None => context
                .mappings
                .names(CATEGORY)
                .map(str::to_owned)
                .collect(),
        };
        names
            .into_iter()
            .map(|name| {
                let t: FormTemplate = context.mappings.load(CATEGORY, &name)?;
                t.validate(&name)?;
                Ok((name, t))
            })
            .collect()
    }

    /// Which form and page a scanned page is, by its marks and printed form code.
    fn identify<'t>(
        &self,
        page: &PageImage,
        templates: &'t [(String, FormTemplate)],
    ) -> Result<Identified<'t>, AdapterError> {
        let mut codes_seen = Vec::new();
        for (name, template) in templates {
            let Some(map) = register(
                &page.image,
                template.page_size,
                &template.marks,
                template.mark_size,
            ) else {
                continue;
            };
            let code = read_form_code(self.pool(), &page.image, &map, template.code_box)
                .map_err(|e| ocr_error(e, page.page))?;
            match code {
                Some((code, n))
                    if code == template.form_code && (1..=template.pages).contains(&n) =>
                {
                    return Ok(Identified {
                        name,
                        template,
                        page: n,
                        map,
                    });
                }
                Some((code, n)) => codes_seen.push(format!("{code}-{n}")),
                None => {}
            }
        }
        let known: Vec<String> = templates
            .iter()
            .map(|(n, t)| format!("{} ({n})", t.form_code))
            .collect();
        let seen = if codes_seen.is_empty() {
            "no registration marks and form code of a known form were found".to_owned()
        } else {
            format!("the form code reads {}", codes_seen.join(", "))
        };
        let seen_ja = if codes_seen.is_empty() {
            "既知の様式の位置合わせマークと様式番号が見つかりません".to_owned()
        } else {
            format!("様式番号が {} と読めます", codes_seen.join(", "))
        };
        Err(AdapterError::malformed(
            "scan.unknown_form",
            format!(
                "page {}: not a known form: {seen} (known forms: {})",
                page.page,
                known.join(", ")
            ),
            format!(
                "{} ページ: 既知の様式ではありません。{seen_ja}（既知の様式: {}）",
                page.page,
                known.join(", ")
            ),
        )
        .at(page_location(page.page)))
    }

    /// Reads one filled form (its pages in order) into a sheet.
    fn read_form(
        &self,
        pages: &[(&PageImage, Identified<'_>)],
        record_index: u32,
        sha256: &str,
    ) -> Result<Converted, AdapterError> {
        let first = &pages[0];
        let template = first.1.template;
        let provenance = Provenance {
            adapter: CATEGORY.to_owned(),
            mapping: Some(first.1.name.to_owned()),
            source_sha256: sha256.to_owned(),
            record_index,
            record_location: page_location(first.0.page),
            ..Provenance::default()
        };
        let mut sheet = Sheet::new(template.kind, provenance);
        let mut findings = Vec::new();
        let mut readings = Vec::new();
        for (scan, id) in pages {
            for zone in template.zones.iter().filter(|z| z.page == id.page) {
                let reading = read_zone(self.pool(), &scan.image, &id.map, zone)
                    .map_err(|e| ocr_error(e, scan.page))?;
                let location = SourceLocation {
                    page: Some(scan.page),
                    element: Some(zone.label.clone()),
                    ..SourceLocation::default()
                };
                let target = zone.target().to_owned();
                if let Some(text) = &reading.text {
                    match (zone.field, &zone.item) {
                        (Some(field), _) => {
                            sheet
                                .provenance
                                .confidence
                                .insert(target.clone(), reading.confidence);
                            findings.extend(field.apply_from(&mut sheet, text, location.clone()));
                        }
                        (None, Some(code)) => {
                            let mut item =
                                Item::read(ItemValue::Text(text.clone()), Some(location.clone()));
                            item.confidence = Some(reading.confidence);
                            sheet.items.insert(code.clone(), item);
                        }
                        (None, None) => {}
                    }
                }
                readings.push(OcrReading {
                    target,
                    label: zone.label.clone(),
                    text: reading.text,
                    confidence: reading.confidence,
                    needs_review: reading.confidence < template.review_below,
                    location,
                    image_png: png(&reading.image),
                });
            }
        }
        Ok(Converted {
            record: Record::Sheet(Box::new(sheet)),
            findings,
            readings,
        })
    }
}

impl Adapter for ScanAdapter {
    fn name(&self) -> &'static str {
        CATEGORY
    }

    fn produces(&self) -> RecordKind {
        RecordKind::Sheet
    }

    fn mapping_sources(
        &self,
        name: &str,
        text: &str,
    ) -> Option<Result<Vec<MappedSource>, AdapterError>> {
        Some(parse_mapping::<FormTemplate>(name, text).and_then(|t| {
            t.validate(name)?;
            Ok(t.sources())
        }))
    }

    fn sniff(&self, input: &Input<'_>) -> bool {
        input.media_type().as_deref() == Some("application/pdf") || looks_like_pdf(input.bytes)
    }

    fn convert(
        &self,
        input: &Input<'_>,
        context: &MappingContext<'_>,
    ) -> Result<Vec<Converted>, AdapterError> {
        let templates = self.templates(context)?;
        let pages = page_images(input.bytes, &self.options.limits)?;
        let mut identified = Vec::with_capacity(pages.len());
        for page in &pages {
            identified.push((page, self.identify(page, &templates)?));
        }
        // Forms lie back to back: page 1 of a form starts one, and its pages follow in order.
        let mut forms: Vec<Vec<(&PageImage, Identified<'_>)>> = Vec::new();
        for (scan, id) in identified {
            // The form still missing pages, if any, must get its next page.
            let open = forms
                .last()
                .filter(|f| f.len() < f[0].1.template.pages as usize);
            let (expected, fits) = match open {
                Some(f) => (
                    format!("page {} of form {}", f.len() + 1, f[0].1.template.form_code),
                    std::ptr::eq(f[0].1.template, id.template) && id.page as usize == f.len() + 1,
                ),
                None => ("page 1 of a form".to_owned(), id.page == 1),
            };
            if !fits {
                return Err(AdapterError::malformed(
                    "scan.page_order",
                    format!(
                        "page {} is page {} of form {}, but {expected} was expected: scan each form's pages in order",
                        scan.page, id.page, id.template.form_code
                    ),
                    format!(
                        "{} ページは様式 {} の {} ページ目ですが、順番が違います（期待: {expected}）。各様式のページを順にスキャンしてください",
                        scan.page, id.template.form_code, id.page
                    ),
                )
                .at(page_location(scan.page)));
            }
            if open.is_none() {
                forms.push(Vec::new());
            }
            if let Some(form) = forms.last_mut() {
                form.push((scan, id));
            }
        }
        if let Some(form) = forms.last()
            && form.len() < form[0].1.template.pages as usize
        {
            let template = form[0].1.template;
            return Err(AdapterError::malformed(
                "scan.page_order",
                format!(
                    "the last form ({}) has {} of its {} pages",
                    template.form_code,
                    form.len(),
                    template.pages
                ),
                format!(
                    "最後の様式（{}）は {} ページ中 {} ページしかありません",
                    template.form_code,
                    template.pages,
                    form.len()
                ),
            ));
        }
        forms
            .iter()
            .enumerate()
            .map(|(i, form)| self.read_form(form, i as u32, input.sha256))
            .collect()
    }
}
