//! Reading one zone of a registered page: OCR with the zone type's character set for written
//! boxes, ink measurement for check boxes and circled choices (OCR cannot see a tick).

use image::{GrayImage, Luma};

use crate::ocr::{Charset, OcrError, OcrPool};
use crate::register::{Affine, blobs};
use crate::template::{MmBox, Zone, ZoneType};

/// Resolution boxes are cut at for OCR: 300 dpi, what Tesseract is trained around.
pub const CUT_PX_PER_MM: f32 = 300.0 / 25.4;

/// Written boxes are cut this far inside their printed frame, so the frame is not read.
const INSET_MM: f32 = 0.8;

/// White margin around a cut box; Tesseract misreads characters touching the edge.
const MARGIN_PX: u32 = 12;

/// Below this share of dark pixels a written box is blank.
const BLANK_INK: f32 = 0.004;

/// A check box with more ink than this (inside its frame) is marked.
const CHECK_INK: f32 = 0.08;

/// What a zone held.
#[derive(Debug, Clone)]
pub struct ZoneReading {
    /// The value read, `None` for a blank box (or no choice circled).
    pub text: Option<String>,
    /// 0–1: Tesseract's mean confidence, or how clearly the ink decided a mark.
    pub confidence: f32,
    /// The zone as cut from the scan, straightened, for a reviewer.
    pub image: GrayImage,
}

fn inset(b: MmBox, by: f32) -> MmBox {
    [
        b[0] + by,
        b[1] + by,
        (b[2] - 2.0 * by).max(1.0),
        (b[3] - 2.0 * by).max(1.0),
    ]
}

/// Share of dark pixels, optionally only those outside the central ellipse (where a circle
/// drawn around a printed choice lies, and the printed label does not).
fn ink(img: &GrayImage, ring_only: bool) -> f32 {
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut total = 0u32;
    let mut dark = 0u32;
    for (x, y, Luma([p])) in img.enumerate_pixels() {
        if ring_only {
            let (dx, dy) = ((x as f32 - cx) / cx, (y as f32 - cy) / cy);
            if dx * dx + dy * dy < 0.55 * 0.55 {
                continue;
            }
        }
        total += 1;
        dark += u32::from(*p < 128);
    }
    if total == 0 {
        0.0
    } else {
        dark as f32 / total as f32
    }
}

/// Specks smaller than this (pixels at 300 dpi) are scanner noise, not strokes: a speck of the
/// scan is 2–4 pixels here, the smallest stroke (a dakuten) some 30.
const SPECK: usize = 12;

/// Erases what is not writing — specks, and blobs touching the cut's edge (the printed frame
/// or a neighbouring box's stroke reaching in) — and binarises the rest, so that neither those
/// nor JPEG's faint ringing reach Tesseract, which reads them as `「`, `'` or `1`.
fn clean(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = GrayImage::from_pixel(w, h, Luma([255]));
    for blob in blobs(img, 0, 0, w, h, usize::MAX) {
        let at_edge =
            blob.min.0 == 0 || blob.min.1 == 0 || blob.max.0 == w - 1 || blob.max.1 == h - 1;
        if !at_edge && blob.pixels.len() >= SPECK {
            for (x, y) in blob.pixels {
                out.put_pixel(x, y, Luma([0]));
            }
        }
    }
    out
}

fn with_margin(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = GrayImage::from_pixel(w + 2 * MARGIN_PX, h + 2 * MARGIN_PX, Luma([255]));
    image::imageops::replace(&mut out, img, i64::from(MARGIN_PX), i64::from(MARGIN_PX));
    out
}

/// Reads a form code box: `FORMCODE-PAGE` as printed, or `None` when nothing like it is there.
pub fn read_form_code(
    pool: &OcrPool,
    scan: &GrayImage,
    map: &Affine,
    code_box: MmBox,
) -> Result<Option<(String, u32)>, OcrError> {
    let cut = clean(&map.cut(scan, inset(code_box, INSET_MM), CUT_PX_PER_MM));
    if ink(&cut, false) < BLANK_INK {
        return Ok(None);
    }
    let text = pool.recognise(with_margin(&cut), Charset::FormCode)?.text;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Ok(compact
        .split_once('-')
        .and_then(|(code, page)| Some((code.to_owned(), page.parse().ok()?))))
}

/// Reads a zone of a registered page.
pub fn read_zone(
    pool: &OcrPool,
    scan: &GrayImage,
    map: &Affine,
    zone: &Zone,
) -> Result<ZoneReading, OcrError> {
    let charset = match zone.zone_type {
        ZoneType::Text => Charset::Any,
        ZoneType::Kana => Charset::Kana,
        ZoneType::Date => Charset::Date,
        ZoneType::Digits => Charset::Digits,
        ZoneType::Check => return Ok(read_check(scan, map, zone)),
        ZoneType::Circle => return Ok(read_circle(scan, map, zone)),
    };
    let bbox = zone.bbox.unwrap_or_default();
    let cut = clean(&map.cut(scan, inset(bbox, INSET_MM), CUT_PX_PER_MM));
    if ink(&cut, false) < BLANK_INK {
        return Ok(ZoneReading {
            text: None,
            confidence: 1.0,
            image: cut,
        });
    }
    let recognised = pool.recognise(with_margin(&cut), charset)?;
    let text: String = match zone.zone_type {
        // Spaces inside digits and dates are gaps between boxes, not content.
        ZoneType::Digits | ZoneType::Date => recognised
            .text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
        _ => recognised.text,
    };
    Ok(ZoneReading {
        text: (!text.is_empty()).then_some(text),
        confidence: recognised.confidence,
        image: map.cut(scan, bbox, CUT_PX_PER_MM),
    })
}

fn read_check(scan: &GrayImage, map: &Affine, zone: &Zone) -> ZoneReading {
    let bbox = zone.bbox.unwrap_or_default();
    // The inner 60 % of the box: the mark, not the printed frame.
    let shrink = bbox[2].min(bbox[3]) * 0.2;
    let level = ink(&map.cut(scan, inset(bbox, shrink), CUT_PX_PER_MM), false);
    let marked = level > CHECK_INK;
    ZoneReading {
        text: if marked {
            zone.checked.clone()
        } else {
            zone.unchecked.clone()
        },
        confidence: 0.5 + 0.5 * ((level - CHECK_INK).abs() / CHECK_INK).min(1.0),
        image: map.cut(scan, bbox, CUT_PX_PER_MM),
    }
}

fn read_circle(scan: &GrayImage, map: &Affine, zone: &Zone) -> ZoneReading {
    let levels: Vec<f32> = zone
        .choices
        .iter()
        .map(|c| ink(&map.cut(scan, c.bbox, CUT_PX_PER_MM), true))
        .collect();
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| levels[b].total_cmp(&levels[a]));
    // A template's circle has two or more choices (checked when it is loaded).
    let level = |rank: usize| order.get(rank).map_or(0.0, |&i| levels[i]);
    let (best, second) = (level(0), level(1));
    // The image shows every choice: the box spanning them all.
    let span = zone
        .choices
        .iter()
        .fold([f32::MAX, f32::MAX, 0.0, 0.0], |a, c| {
            [
                a[0].min(c.bbox[0]),
                a[1].min(c.bbox[1]),
                a[2].max(c.bbox[0] + c.bbox[2]),
                a[3].max(c.bbox[1] + c.bbox[3]),
            ]
        });
    let image = map.cut(
        scan,
        [span[0], span[1], span[2] - span[0], span[3] - span[1]],
        CUT_PX_PER_MM,
    );
    if best < BLANK_INK * 5.0 {
        return ZoneReading {
            text: None,
            confidence: 1.0,
            image,
        };
    }
    ZoneReading {
        text: order.first().map(|&i| zone.choices[i].value.clone()),
        confidence: (1.0 - second / best).clamp(0.0, 1.0),
        image,
    }
}
