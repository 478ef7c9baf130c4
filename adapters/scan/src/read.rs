//! Reading one zone of a registered page: OCR with the zone type's character set for written
//! boxes, ink measurement for check boxes and circled choices (OCR cannot see a tick).
//!
//! A written box is accepted only on the evidence of the box itself agreeing: every character
//! sure enough for the zone type, none with a strong rival, and a second, independent read of
//! the same box (another scale and binarisation threshold) giving the same text. What fails
//! carries its reason to review; the cross-field rules come after ([`crate::crosscheck`]).

use image::{GrayImage, Luma};

use crate::evidence::Reason;
use crate::ocr::{Charset, OcrError, OcrPool, Recognised};
use crate::register::{Affine, Blob, blobs};
use crate::template::{MmBox, Thresholds, Zone, ZoneType};

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

/// The first read's scale against 300 dpi (240 dpi) and its binarisation threshold. A scan's
/// ink is grey at its edges (blur, JPEG, a thin Mincho stroke at 150–200 dpi); a threshold
/// above mid-grey keeps those edges, so a stroke stays as thick as printed instead of breaking
/// up, and a slightly smaller cut smooths the staircase that bilinear resampling of a
/// low-resolution scan leaves. Chosen on the tuning set and its harder variants (IPAex Mincho
/// at 200 dpi, IPAex Gothic at 150 dpi, `examples/accuracy.rs`), where this first read alone
/// gets 229 of 240 written values exact and the previous 128 at 300 dpi 219; the tuning set
/// itself stays at 177 of 180.
const FIRST_SCALE: f32 = 0.8;
const FIRST_THRESHOLD: u8 = 170;

/// The second read's scale (300 dpi, cut straight from the scan) and threshold (mid-grey):
/// another resampling and another stroke weight than the first, different enough that a
/// glyph the recogniser is unsure of tends to come out differently, the same for a clear one.
/// (At the first read's threshold both reads dropped the same narrow digit, `7番7号` read
/// `7番号`, on the tuning set.)
const SECOND_SCALE: f32 = 1.0;
const SECOND_THRESHOLD: u8 = 128;

/// What a zone held.
#[derive(Debug, Clone)]
pub struct ZoneReading {
    /// The value read, `None` for a blank box (or no choice circled).
    pub text: Option<String>,
    /// 0–1: the least sure character's confidence, or how clearly the ink decided a mark.
    pub confidence: f32,
    /// The zone as cut from the scan, straightened, for a reviewer.
    pub image: GrayImage,
    /// Why the reading cannot be accepted as it is; empty when its evidence agrees.
    pub review: Vec<Reason>,
}

impl ZoneReading {
    /// Adds a reason, once.
    pub fn doubt(&mut self, reason: Reason) {
        if !self.review.contains(&reason) {
            self.review.push(reason);
        }
    }
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
/// or a neighbouring box's stroke reaching in) — and binarises the rest at `threshold`, so that
/// neither those nor JPEG's faint ringing reach Tesseract, which reads them as `「`, `'` or `1`.
/// `scale` is the cut's resolution against 300 dpi (a speck grows with it).
fn clean(img: &GrayImage, threshold: u8, scale: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let binary = GrayImage::from_fn(w, h, |x, y| {
        Luma([if img.get_pixel(x, y)[0] < threshold {
            0
        } else {
            255
        }])
    });
    let speck = (SPECK as f32 * scale * scale) as usize;
    let mut out = GrayImage::from_pixel(w, h, Luma([255]));
    for blob in blobs(&binary, 0, 0, w, h, usize::MAX) {
        let at_edge =
            blob.min.0 == 0 || blob.min.1 == 0 || blob.max.0 == w - 1 || blob.max.1 == h - 1;
        if !at_edge && blob.pixels.len() >= speck {
            for (x, y) in blob.pixels {
                out.put_pixel(x, y, Luma([0]));
            }
        }
    }
    out
}

/// The cut scaled down by `scale` with a triangle filter: every output pixel averages the
/// pixels under it, which smooths the staircase that bilinear resampling of a low-resolution
/// scan leaves (cutting at the smaller scale directly keeps it, and drops narrow digits).
fn smaller(img: &GrayImage, scale: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let size = |n: u32| ((n as f32 * scale).round() as u32).max(1);
    image::imageops::resize(img, size(w), size(h), image::imageops::FilterType::Triangle)
}

/// Digits only: erases a small mark lying wholly inside another stroke's outline — the dot of
/// a dotted zero (VL Gothic, many typewriter faces), which the recogniser reads as `9` or `8`.
/// No digit has a separate part inside another's box, so nothing else is touched.
fn without_inner_dots(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let found = blobs(img, 0, 0, w, h, usize::MAX);
    let mut out = img.clone();
    for dot in &found {
        let inside = found.iter().any(|ring| {
            ring.pixels.len() > dot.pixels.len() * 4
                && ring.min.0 < dot.min.0
                && ring.min.1 < dot.min.1
                && ring.max.0 > dot.max.0
                && ring.max.1 > dot.max.1
        });
        if inside {
            for &(x, y) in &dot.pixels {
                out.put_pixel(x, y, Luma([255]));
            }
        }
    }
    out
}

/// Digits only: erases the slash across a slashed zero (VL Gothic, many monospaced faces),
/// which the recogniser reads as `9` or `8`. A slash splits the zero's hole in two, lying
/// diagonally apart, where an `8`'s two holes stand one above the other and a `0`, `6`, `9` or
/// `4` has one. Of such a glyph only its ring is kept: the ink within a stroke's width of its
/// outline. What of the slash meets the ring stays as two short stubs, which do not make the
/// ring read as anything but a zero.
fn without_zero_slashes(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = img.clone();
    for glyph in blobs(img, 0, 0, w, h, usize::MAX) {
        let holes = holes(&glyph);
        let [a, b] = holes.as_slice() else { continue };
        // One above the other with a level stroke between (an `8`), or beside each other.
        let (upper, lower) = if a.min.1 <= b.min.1 { (a, b) } else { (b, a) };
        let centre_x = |b: &Blob| f64::from(b.min.0 + b.max.0) / 2.0;
        let width = f64::from(glyph.max.0 - glyph.min.0 + 1);
        if upper.max.1 < lower.min.1 && (centre_x(a) - centre_x(b)).abs() < width * 0.2 {
            continue;
        }
        let stroke = stroke_width(&glyph);
        for (x, y) in depth_inside(&glyph, &holes, stroke) {
            out.put_pixel(x, y, Luma([255]));
        }
    }
    out
}

/// The median length of a glyph's horizontal runs of ink: its stroke width, in pixels.
fn stroke_width(glyph: &Blob) -> u32 {
    let mut pixels = glyph.pixels.clone();
    pixels.sort_unstable_by_key(|&(x, y)| (y, x));
    let mut runs = Vec::new();
    let mut run = 0;
    for (i, &(x, y)) in pixels.iter().enumerate() {
        run += 1;
        let next = pixels.get(i + 1);
        if next != Some(&(x + 1, y)) {
            runs.push(run);
            run = 0;
        }
    }
    runs.sort_unstable();
    runs.get(runs.len() / 2).copied().unwrap_or(0)
}

/// The glyph's ink pixels farther than `depth` (chessboard distance) from the outline of the
/// glyph with its holes filled.
fn depth_inside(glyph: &Blob, holes: &[Blob], depth: u32) -> Vec<(u32, u32)> {
    let (x0, y0) = glyph.min;
    let (w, h) = (glyph.max.0 - x0 + 1, glyph.max.1 - y0 + 1);
    let index = |(x, y): (u32, u32)| ((y - y0) * w + (x - x0)) as usize;
    let mut filled = vec![false; (w * h) as usize];
    for &p in glyph
        .pixels
        .iter()
        .chain(holes.iter().flat_map(|b| &b.pixels))
    {
        filled[index(p)] = true;
    }
    // Breadth-first from the paper around the filled shape: each pixel's distance to it.
    let mut distance = vec![u32::MAX; (w * h) as usize];
    let mut queue = std::collections::VecDeque::new();
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            let edge = x == 0 || y == 0 || x == w - 1 || y == h - 1;
            if filled[i] && edge {
                distance[i] = 1;
                queue.push_back((x, y));
            } else if !filled[i] {
                distance[i] = 0;
            }
        }
    }
    for y in 0..h {
        for x in 0..w {
            if distance[(y * w + x) as usize] == 0 {
                queue.push_back((x, y));
            }
        }
    }
    while let Some((x, y)) = queue.pop_front() {
        let d = distance[(y * w + x) as usize];
        let around = (-1i64..=1).flat_map(|dy| (-1i64..=1).map(move |dx| (dx, dy)));
        for (dx, dy) in around.filter(|&step| step != (0, 0)) {
            let (nx, ny) = (i64::from(x) + dx, i64::from(y) + dy);
            if nx < 0 || ny < 0 || nx >= i64::from(w) || ny >= i64::from(h) {
                continue;
            }
            let j = (ny as u32 * w + nx as u32) as usize;
            if distance[j] > d + 1 {
                distance[j] = d + 1;
                queue.push_back((nx as u32, ny as u32));
            }
        }
    }
    glyph
        .pixels
        .iter()
        .copied()
        .filter(|&p| distance[index(p)] > depth)
        .collect()
}

/// The holes of a glyph: the paper it encloses, each as a blob (in image coordinates) of at
/// least [`SPECK`] pixels — smaller gaps are where a stroke did not quite close.
fn holes(glyph: &Blob) -> Vec<Blob> {
    // The glyph's box with a one-pixel border, the paper dark and the ink light, so that the
    // paper's blobs not reaching the border are the holes.
    let (w, h) = (glyph.max.0 - glyph.min.0 + 3, glyph.max.1 - glyph.min.1 + 3);
    let mut paper = GrayImage::from_pixel(w, h, Luma([0]));
    for &(x, y) in &glyph.pixels {
        paper.put_pixel(x - glyph.min.0 + 1, y - glyph.min.1 + 1, Luma([255]));
    }
    blobs(&paper, 0, 0, w, h, usize::MAX)
        .into_iter()
        .filter(|b| b.min.0 > 0 && b.min.1 > 0 && b.max.0 < w - 1 && b.max.1 < h - 1)
        .filter(|b| b.pixels.len() >= SPECK)
        .map(|mut b| {
            let back = |(x, y): (u32, u32)| (x + glyph.min.0 - 1, y + glyph.min.1 - 1);
            b.min = back(b.min);
            b.max = back(b.max);
            b.pixels = b.pixels.into_iter().map(back).collect();
            b
        })
        .collect()
}

fn with_margin(img: &GrayImage) -> GrayImage {
    let (w, h) = img.dimensions();
    let mut out = GrayImage::from_pixel(w + 2 * MARGIN_PX, h + 2 * MARGIN_PX, Luma([255]));
    image::imageops::replace(&mut out, img, i64::from(MARGIN_PX), i64::from(MARGIN_PX));
    out
}

/// Reads a form code box: `FORMCODE-PAGE` as printed (the page `None` when only its digit is
/// unreadable), or `None` when nothing like it is there. A box that does not parse is read
/// again the second way (another scale and threshold).
pub fn read_form_code(
    pool: &OcrPool,
    scan: &GrayImage,
    map: &Affine,
    code_box: MmBox,
) -> Result<Option<(String, Option<u32>)>, OcrError> {
    let mut partial = None;
    let bbox = inset(code_box, INSET_MM);
    for (threshold, scale) in [(128, 1.0), (SECOND_THRESHOLD, SECOND_SCALE)] {
        let cut = clean(
            &map.cut(scan, bbox, CUT_PX_PER_MM * scale),
            threshold,
            scale,
        );
        if ink(&cut, false) < BLANK_INK {
            return Ok(None);
        }
        let text = pool.recognise(with_margin(&cut), Charset::FormCode)?.text;
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some((code, page)) = compact.split_once('-') {
            match page.parse() {
                Ok(page) => return Ok(Some((code.to_owned(), Some(page)))),
                Err(_) => partial = partial.or(Some((code.to_owned(), None))),
            }
        }
    }
    Ok(partial)
}

/// Reads a zone of a registered page, with the evidence of the box itself.
pub fn read_zone(
    pool: &OcrPool,
    scan: &GrayImage,
    map: &Affine,
    zone: &Zone,
    thresholds: &Thresholds,
) -> Result<ZoneReading, OcrError> {
    let charset = match zone.zone_type {
        ZoneType::Text => Charset::Any,
        ZoneType::Kana => Charset::Kana,
        ZoneType::Date => Charset::Date,
        ZoneType::Digits => Charset::Digits,
        ZoneType::Check | ZoneType::Circle => {
            let mut reading = if zone.zone_type == ZoneType::Check {
                read_check(scan, map, zone)
            } else {
                read_circle(scan, map, zone)
            };
            if reading.confidence < thresholds.for_type(zone.zone_type) {
                reading.doubt(Reason::LowConfidence);
            }
            return Ok(reading);
        }
    };
    let bbox = inset(zone.bbox.unwrap_or_default(), INSET_MM);
    let plain_zeros = |img: GrayImage| {
        if zone.zone_type == ZoneType::Digits {
            without_zero_slashes(&without_inner_dots(&img))
        } else {
            img
        }
    };
    let cut = plain_zeros(clean(
        &smaller(&map.cut(scan, bbox, CUT_PX_PER_MM), FIRST_SCALE),
        FIRST_THRESHOLD,
        FIRST_SCALE,
    ));
    let image = map.cut(scan, zone.bbox.unwrap_or_default(), CUT_PX_PER_MM);
    if ink(&cut, false) < BLANK_INK {
        return Ok(ZoneReading {
            text: None,
            confidence: 1.0,
            image,
            review: Vec::new(),
        });
    }
    let first = pool.recognise(with_margin(&cut), charset)?;
    let text = value_text(zone.zone_type, &first);
    let mut reading = ZoneReading {
        confidence: if text.is_empty() {
            0.0
        } else {
            first.confidence
        },
        text: (!text.is_empty()).then_some(text),
        image,
        review: Vec::new(),
    };
    if reading.text.is_none() || reading.confidence < thresholds.for_type(zone.zone_type) {
        reading.doubt(Reason::LowConfidence);
    }
    let characters = reading
        .text
        .as_deref()
        .map_or(0, |t| t.chars().filter(|c| !c.is_whitespace()).count());
    if characters > ink_columns(&cut) {
        reading.doubt(Reason::Segmentation);
    }
    if first.symbols.iter().any(|s| s.rival > thresholds.rival) {
        reading.doubt(Reason::Ambiguous);
    }
    // Only a reading about to be accepted needs the second opinion (it doubles the OCR time).
    if reading.review.is_empty() {
        let px_per_mm = CUT_PX_PER_MM * SECOND_SCALE;
        let second = plain_zeros(clean(
            &map.cut(scan, bbox, px_per_mm),
            SECOND_THRESHOLD,
            SECOND_SCALE,
        ));
        let again = pool.recognise(with_margin(&second), charset)?;
        if compact(&value_text(zone.zone_type, &again))
            != compact(reading.text.as_deref().unwrap_or_default())
        {
            reading.doubt(Reason::ReadsDisagree);
        }
    }
    Ok(reading)
}

/// How many separate runs of inked columns a cut has. Printed characters stand apart, so each
/// has at least one run of its own (ハ has two): a reading with more characters than runs has
/// characters the recogniser invented (シミズ read シンミズ).
fn ink_columns(img: &GrayImage) -> usize {
    let (w, h) = img.dimensions();
    let inked = |x| (0..h).any(|y| img.get_pixel(x, y)[0] < 128);
    let mut runs = 0;
    let mut previous = false;
    for x in 0..w {
        let now = inked(x);
        runs += usize::from(now && !previous);
        previous = now;
    }
    runs
}

/// The value as the zone type keeps it: spaces inside digits and dates are gaps between boxes,
/// not content; in text, `丁` that the recogniser split into a bracket (`1 」 目`) between a
/// number and `目` is `丁目` — the only thing that can stand there in an address.
fn value_text(zone_type: ZoneType, recognised: &Recognised) -> String {
    match zone_type {
        ZoneType::Digits | ZoneType::Date => recognised
            .text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
        ZoneType::Text => chome(&recognised.text),
        _ => recognised.text.clone(),
    }
}

/// `1 」 目`, `1]目`, `1亅目` → `1丁目`.
fn chome(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        out.push(chars[i]);
        if chars[i].is_ascii_digit() {
            let skip = |mut j: usize| {
                while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                    j += 1;
                }
                j
            };
            let bracket = skip(i + 1);
            let me = skip(bracket + 1);
            if chars.get(bracket).is_some_and(|c| "」]亅|".contains(*c))
                && chars.get(me) == Some(&'目')
            {
                out.push_str("丁目");
                i = me + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
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
        review: Vec::new(),
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
            review: Vec::new(),
        };
    }
    ZoneReading {
        text: order.first().map(|&i| zone.choices[i].value.clone()),
        confidence: (1.0 - second / best).clamp(0.0, 1.0),
        image,
        review: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chome_split_into_a_bracket_is_put_back() {
        assert_eq!(chome("大手前2 」 目1番22号"), "大手前2丁目1番22号");
        assert_eq!(chome("天神1]目8番"), "天神1丁目8番");
        assert_eq!(chome("霞が関1丁目"), "霞が関1丁目");
        assert_eq!(chome("「目」1"), "「目」1");
    }

    #[test]
    fn characters_stand_in_runs_of_inked_columns() {
        let mut img = GrayImage::from_pixel(30, 10, Luma([255]));
        for x in [2, 3, 10, 20, 21, 22] {
            img.put_pixel(x, 5, Luma([0]));
        }
        assert_eq!(ink_columns(&img), 3);
    }

    /// An upright ring (an ellipse `rx` × `ry` pixels about `(cx, cy)`, 4 pixels thick).
    fn ring(img: &mut GrayImage, (cx, cy): (i32, i32), (rx, ry): (i32, i32)) {
        for y in cy - ry - 2..=cy + ry + 2 {
            for x in cx - rx - 2..=cx + rx + 2 {
                let r = f64::from((x - cx).pow(2)) / f64::from(rx.pow(2))
                    + f64::from((y - cy).pow(2)) / f64::from(ry.pow(2));
                let thickness = 4.0 / f64::from(rx.min(ry));
                if (r.sqrt() - 1.0).abs() <= thickness / 2.0 {
                    img.put_pixel(x as u32, y as u32, Luma([0]));
                }
            }
        }
    }

    #[test]
    fn the_slash_across_a_zero_is_erased_and_an_eight_is_left_alone() {
        let mut img = GrayImage::from_pixel(80, 60, Luma([255]));
        // A zero slashed from its upper right to its lower left, 3 pixels wide.
        ring(&mut img, (20, 30), (10, 20));
        for t in -14..=14 {
            for w in -1..=1 {
                img.put_pixel((20 - t / 3 + w) as u32, (30 + t) as u32, Luma([0]));
            }
        }
        // An eight: two rings one above the other, touching.
        ring(&mut img, (60, 20), (8, 9));
        ring(&mut img, (60, 40), (9, 11));
        let out = without_zero_slashes(&img);
        assert_eq!(out.get_pixel(20, 30)[0], 255, "the slash's middle");
        assert_eq!(out.get_pixel(20, 10)[0], 0, "the ring's top");
        assert_eq!(out.get_pixel(10, 30)[0], 0, "the ring's side");
        for (x, y) in (40..80).flat_map(|x| (0..60).map(move |y| (x, y))) {
            assert_eq!(
                out.get_pixel(x, y),
                img.get_pixel(x, y),
                "the eight at {x},{y}"
            );
        }
        // A plain zero has one hole: nothing to erase.
        let mut zero = GrayImage::from_pixel(40, 60, Luma([255]));
        ring(&mut zero, (20, 30), (10, 20));
        assert_eq!(without_zero_slashes(&zero), zero);
    }

    #[test]
    fn a_dot_inside_a_zero_is_erased_and_nothing_else() {
        // A ring (the zero) with a dot in its hole, and a lone dot beside it.
        let mut img = GrayImage::from_pixel(60, 40, Luma([255]));
        for y in 5..35u32 {
            for x in 5..25u32 {
                let ring = (x as i32 - 15).pow(2) * 4 + (y as i32 - 20).pow(2);
                if (120..=220).contains(&ring) {
                    img.put_pixel(x, y, Luma([0]));
                }
            }
        }
        for (x, y) in [
            (15, 20),
            (15, 21),
            (16, 20),
            (16, 21),
            (45, 20),
            (46, 20),
            (45, 21),
        ] {
            img.put_pixel(x, y, Luma([0]));
        }
        let out = without_inner_dots(&img);
        assert_eq!(out.get_pixel(15, 20)[0], 255);
        assert_eq!(out.get_pixel(45, 20)[0], 0);
        assert_eq!(out.get_pixel(5 + 1, 20)[0], img.get_pixel(6, 20)[0]);
    }
}
