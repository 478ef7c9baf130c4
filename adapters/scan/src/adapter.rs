//! Pages to sheets: find each page's form, page number and orientation, group the pages of
//! each filled form, read its zones into one sheet with the evidence for every value. A page
//! that cannot be identified does not reject the file: it takes its place in its form (its
//! fields go to review) or is reported on the nearest sheet, with its page number.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use image::GrayImage;
use kakehashi_sdk::{
    Adapter, AdapterError, Converted, Finding, Input, Item, ItemValue, MappedSource,
    MappingContext, OcrReading, Provenance, Record, RecordKind, Severity, Sheet, SourceLocation,
    parse_mapping,
};

use crate::crosscheck::{Read, cross_check};
use crate::evidence::Reason;
use crate::ocr::{OcrError, OcrPool};
use crate::pdf::{Limits, PageImage, looks_like_pdf, memory_bound, page_images};
use crate::read::{CUT_PX_PER_MM, ZoneReading, read_form_code, read_zone};
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

/// A page recognised as page `page` of `template`, upright.
struct Identified<'t, 'p> {
    name: &'t str,
    template: &'t FormTemplate,
    /// 1-based; 0 when the form code read but its page number did not.
    page: u32,
    map: Affine,
    /// The page's image as read: the scan, or the scan turned upright.
    image: Cow<'p, GrayImage>,
    /// Clockwise degrees the scan was turned by to stand upright.
    turned: u32,
}

/// One filled form: its template and pages in order (`None` for a page that could not be
/// identified but stands where the form's next page belongs), and what was found on the way.
struct Form<'t, 'p> {
    name: &'t str,
    template: &'t FormTemplate,
    pages: Vec<(&'p PageImage, Option<Identified<'t, 'p>>)>,
    findings: Vec<Finding>,
}

/// The scan turned clockwise by `degrees` (0, 90, 180, 270).
fn turned(image: &GrayImage, degrees: u32) -> Cow<'_, GrayImage> {
    match degrees {
        90 => Cow::Owned(image::imageops::rotate90(image)),
        180 => Cow::Owned(image::imageops::rotate180(image)),
        270 => Cow::Owned(image::imageops::rotate270(image)),
        _ => Cow::Borrowed(image),
    }
}

/// A located finding about a page.
fn page_finding(page: u32, severity: Severity, code: &str, en: String, ja: String) -> Finding {
    Finding::new(severity, code, None, en, ja).at(Some(page_location(page)))
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

    /// Which form and page a scanned page is, by its marks and printed form code, and which
    /// way up: a portrait page is tried as it is, then turned over (the marks are symmetric,
    /// the form code box is not); a landscape page turned a quarter either way. `Ok(Err(_))`
    /// is a page of no known form, located; `Err(_)` a failure of the OCR engine itself.
    #[allow(clippy::type_complexity)]
    fn identify<'t, 'p>(
        &self,
        page: &'p PageImage,
        templates: &'t [(String, FormTemplate)],
    ) -> Result<Result<Identified<'t, 'p>, AdapterError>, AdapterError> {
        let mut codes_seen = Vec::new();
        let (w, h) = page.image.dimensions();
        let turns: &[u32] = if w > h { &[90, 270] } else { &[0, 180] };
        for &degrees in turns {
            let image = turned(&page.image, degrees);
            for (name, template) in templates {
                let Some(map) = register(
                    &image,
                    template.page_size,
                    &template.marks,
                    template.mark_size,
                ) else {
                    continue;
                };
                let code = read_form_code(self.pool(), &image, &map, template.code_box)
                    .map_err(|e| ocr_error(e, page.page))?;
                match code {
                    // A page number that did not read is the one its place in the file says.
                    Some((code, n))
                        if code == template.form_code
                            && n.is_none_or(|n| (1..=template.pages).contains(&n)) =>
                    {
                        let n = n.unwrap_or(0);
                        return Ok(Ok(Identified {
                            name,
                            template,
                            page: n,
                            map,
                            image,
                            turned: degrees,
                        }));
                    }
                    Some((code, n)) => codes_seen.push(format!(
                        "{code}-{}",
                        n.map(|n| n.to_string()).unwrap_or_default()
                    )),
                    None => {}
                }
            }
        }
        codes_seen.dedup();
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
        Ok(Err(AdapterError::malformed(
            "scan.unknown_form",
            format!(
                "page {}: not a known form, in any orientation: {seen} (known forms: {})",
                page.page,
                known.join(", ")
            ),
            format!(
                "{} ページ: どの向きでも既知の様式として読めません。{seen_ja}（既知の様式: {}）",
                page.page,
                known.join(", ")
            ),
        )
        .at(page_location(page.page))))
    }

    /// Reads one filled form (its pages in order) into a sheet.
    fn read_form(
        &self,
        form: Form<'_, '_>,
        record_index: u32,
        sha256: &str,
        context: &MappingContext<'_>,
    ) -> Result<Converted, AdapterError> {
        let template = form.template;
        let first_page = form.pages.first().map_or(1, |(scan, _)| scan.page);
        let provenance = Provenance {
            adapter: CATEGORY.to_owned(),
            mapping: Some(form.name.to_owned()),
            source_sha256: sha256.to_owned(),
            record_index,
            record_location: page_location(first_page),
            ..Provenance::default()
        };
        let mut sheet = Sheet::new(template.kind, provenance);
        let mut findings = form.findings;
        let mut reads = Vec::new();
        for (form_page, (scan, id)) in (1u32..).zip(&form.pages) {
            for zone in template.zones.iter().filter(|z| z.page == form_page) {
                let location = SourceLocation {
                    page: Some(scan.page),
                    element: Some(zone.label.clone()),
                    ..SourceLocation::default()
                };
                let reading = match id {
                    Some(id) => read_zone(self.pool(), &id.image, &id.map, zone, &template.review)
                        .map_err(|e| ocr_error(e, scan.page))?,
                    None => unreadable(&scan.image, template, zone),
                };
                reads.push(Read {
                    zone,
                    reading,
                    location,
                });
            }
        }
        for read in &mut reads {
            let Some(text) = &read.reading.text else {
                continue;
            };
            let target = read.zone.target().to_owned();
            match (read.zone.field, &read.zone.item) {
                (Some(field), _) => {
                    sheet
                        .provenance
                        .confidence
                        .insert(target, read.reading.confidence);
                    if let Some(f) = field.apply_from(&mut sheet, text, read.location.clone()) {
                        read.reading.doubt(Reason::Unreadable);
                        findings.push(f);
                    }
                }
                (None, Some(code)) => {
                    let mut item =
                        Item::read(ItemValue::Text(text.clone()), Some(read.location.clone()));
                    item.confidence = Some(read.reading.confidence);
                    sheet.items.insert(code.clone(), item);
                }
                (None, None) => {}
            }
        }
        findings.extend(cross_check(template.kind, &mut reads, context));
        let readings = reads
            .into_iter()
            .map(|r| OcrReading {
                target: r.zone.target().to_owned(),
                label: r.zone.label.clone(),
                review: r
                    .reading
                    .review
                    .iter()
                    .map(|c| c.code().to_owned())
                    .collect(),
                text: r.reading.text,
                confidence: r.reading.confidence,
                location: r.location,
                image_png: png(&r.reading.image),
            })
            .collect();
        Ok(Converted {
            record: Record::Sheet(Box::new(sheet)),
            findings,
            readings,
        })
    }

    /// Groups identified pages into forms: page 1 of a form starts one and its pages follow in
    /// order. A page of no known form takes the place of the open form's next page, or of the
    /// missing first pages of the form whose later page follows it; otherwise it is reported on
    /// the next sheet (or the last). A file with no readable page at all is refused.
    #[allow(clippy::type_complexity)]
    fn forms<'t, 'p>(
        identified: Vec<(&'p PageImage, Result<Identified<'t, 'p>, AdapterError>)>,
    ) -> Result<Vec<Form<'t, 'p>>, AdapterError> {
        let mut forms: Vec<Form<'t, 'p>> = Vec::new();
        let mut strays: Vec<(&'p PageImage, AdapterError)> = Vec::new();
        let mut first_error = None;
        let unreadable_finding = |scan: &PageImage, e: &AdapterError| {
            page_finding(
                scan.page,
                Severity::Error,
                Reason::UnreadablePage.code(),
                format!("{}; its fields go to review", e.message),
                format!("{}。このページの項目は確認に回します", e.message_ja),
            )
        };
        for (scan, id) in identified {
            let open = forms
                .last_mut()
                .filter(|f| f.pages.len() < f.template.pages as usize);
            let mut id = match id {
                Ok(id) => id,
                Err(e) => {
                    match open {
                        Some(form) => {
                            form.findings.push(unreadable_finding(scan, &e));
                            form.pages.push((scan, None));
                        }
                        None => strays.push((scan, e.clone())),
                    }
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            let open = forms
                .last()
                .filter(|f| f.pages.len() < f.template.pages as usize);
            if id.page == 0 {
                id.page = open.map_or(1, |f| f.pages.len() as u32 + 1);
            }
            let (expected, fits) = match open {
                Some(f) => (
                    format!(
                        "page {} of form {}",
                        f.pages.len() + 1,
                        f.template.form_code
                    ),
                    std::ptr::eq(f.template, id.template) && id.page as usize == f.pages.len() + 1,
                ),
                None => (
                    "page 1 of a form".to_owned(),
                    id.page == 1 || strays.len() + 1 >= id.page as usize,
                ),
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
                // Unreadable pages just before a later page are that form's missing pages.
                let missing = id.page as usize - 1;
                let taken = strays.split_off(strays.len() - missing);
                let mut form = Form {
                    name: id.name,
                    template: id.template,
                    pages: Vec::new(),
                    findings: Vec::new(),
                };
                for (stray, e) in taken {
                    form.findings.push(unreadable_finding(stray, &e));
                    form.pages.push((stray, None));
                }
                // Strays before it belong to no form: reported on this, the next sheet.
                for (stray, e) in strays.drain(..) {
                    form.findings.push(unreadable_finding(stray, &e));
                }
                forms.push(form);
            }
            if let Some(form) = forms.last_mut() {
                if id.turned != 0 {
                    form.findings.push(page_finding(
                        scan.page,
                        Severity::Info,
                        "scan.page_turned",
                        format!(
                            "page {} was scanned turned by {}° and was read upright",
                            scan.page, id.turned
                        ),
                        format!(
                            "{} ページは {}° 回転してスキャンされていたため、正しい向きに直して読み取りました",
                            scan.page, id.turned
                        ),
                    ));
                }
                form.pages.push((scan, Some(id)));
            }
        }
        let Some(last) = forms.last_mut() else {
            return Err(first_error.unwrap_or_else(|| {
                AdapterError::malformed(
                    "scan.unknown_form",
                    "the document has no page".into(),
                    "ページがありません".into(),
                )
            }));
        };
        for (stray, e) in strays {
            last.findings.push(unreadable_finding(stray, &e));
        }
        if last.pages.len() < last.template.pages as usize {
            return Err(AdapterError::malformed(
                "scan.page_order",
                format!(
                    "the last form ({}) has {} of its {} pages",
                    last.template.form_code,
                    last.pages.len(),
                    last.template.pages
                ),
                format!(
                    "最後の様式（{}）は {} ページ中 {} ページしかありません",
                    last.template.form_code,
                    last.template.pages,
                    last.pages.len()
                ),
            ));
        }
        Ok(forms)
    }
}

/// The reading of a zone on a page that could not be registered: blank, with the zone's
/// approximate place cut for the reviewer (the page taken as the template's size, unturned).
fn unreadable(
    scan: &GrayImage,
    template: &FormTemplate,
    zone: &crate::template::Zone,
) -> ZoneReading {
    let px_per_mm = scan.width() as f32 / template.page_size[0];
    let bbox = zone
        .bbox
        .or_else(|| zone.choices.first().map(|c| c.bbox))
        .unwrap_or_default();
    ZoneReading {
        text: None,
        confidence: 0.0,
        image: Affine::scale(px_per_mm).cut(scan, bbox, CUT_PX_PER_MM),
        review: vec![Reason::UnreadablePage],
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

    fn memory_bound(&self, input: &Input<'_>) -> u64 {
        memory_bound(input.bytes, &self.options.limits)
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
        Self::forms(identified)?
            .into_iter()
            .enumerate()
            .map(|(i, form)| self.read_form(form, i as u32, input.sha256, context))
            .collect()
    }
}
