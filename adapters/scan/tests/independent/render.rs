//! A second scan generator, written apart from `synth` so that the set the review thresholds
//! are judged on shares nothing with the set they were calibrated on but the template: glyphs
//! are rasterised straight into the page image by `ab_glyph` (no PDF, no poppler) from other
//! Debian fonts, and the "scanner" scales, rotates with bilinear resampling, blurs, speckles
//! and JPEG-compresses at its own settings, or feeds a page upside down or sideways.

use ab_glyph::{Font as _, FontVec, PxScale, ScaleFont as _, point};
use image::{GrayImage, Luma};
use kakehashi_adapter_scan::FormTemplate;
use kakehashi_adapter_scan::synth::Filled;
use kakehashi_adapter_scan::template::ZoneType;

/// A font file (and face, for collections) from a Debian package.
pub struct Face {
    pub package: &'static str,
    pub font: FontVec,
}

impl Face {
    pub fn load(package: &'static str, path: &str, index: u32) -> Face {
        let data = std::fs::read(path)
            .unwrap_or_else(|e| panic!("{path} ({package}, installed by scripts/setup.sh): {e}"));
        let font =
            FontVec::try_from_vec_and_index(data, index).unwrap_or_else(|e| panic!("{path}: {e}"));
        Face { package, font }
    }

    /// Whether the font draws every character of `text` (not `.notdef`).
    pub fn covers(&self, text: &str) -> bool {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .all(|c| self.font.glyph_id(c).0 != 0)
    }
}

/// A page being drawn at `dpi`, millimetres in, pixels out.
struct Canvas {
    image: GrayImage,
    px_per_mm: f32,
}

impl Canvas {
    fn new(dpi: u32) -> Canvas {
        let px_per_mm = dpi as f32 / 25.4;
        let (w, h) = ((210.0 * px_per_mm) as u32, (297.0 * px_per_mm) as u32);
        Canvas {
            image: GrayImage::from_pixel(w, h, Luma([255])),
            px_per_mm,
        }
    }

    fn darken(&mut self, x: i64, y: i64, coverage: f32) {
        if x < 0
            || y < 0
            || x >= i64::from(self.image.width())
            || y >= i64::from(self.image.height())
        {
            return;
        }
        let p = self.image.get_pixel_mut(x as u32, y as u32);
        let ink = (255.0 * (1.0 - coverage.clamp(0.0, 1.0))) as u8;
        p[0] = p[0].min(ink);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let k = self.px_per_mm;
        for py in (y * k) as i64..((y + h) * k) as i64 {
            for px in (x * k) as i64..((x + w) * k) as i64 {
                self.darken(px, py, 1.0);
            }
        }
    }

    /// A frame of lines `t` mm thick.
    fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, t: f32) {
        self.fill(x, y, w, t);
        self.fill(x, y + h - t, w, t);
        self.fill(x, y, t, h);
        self.fill(x + w - t, y, t, h);
    }

    /// A line from one point to another, `t` mm thick (a pen stroke).
    fn stroke(&mut self, (x1, y1): (f32, f32), (x2, y2): (f32, f32), t: f32) {
        let k = self.px_per_mm;
        let steps = (((x2 - x1).hypot(y2 - y1)) * k * 2.0).max(1.0) as u32;
        let r = (t * k / 2.0).max(0.5);
        for i in 0..=steps {
            let f = i as f32 / steps as f32;
            let (cx, cy) = ((x1 + (x2 - x1) * f) * k, (y1 + (y2 - y1) * f) * k);
            for dy in -(r.ceil() as i64)..=r.ceil() as i64 {
                for dx in -(r.ceil() as i64)..=r.ceil() as i64 {
                    if ((dx * dx + dy * dy) as f32) <= r * r {
                        self.darken(cx as i64 + dx, cy as i64 + dy, 1.0);
                    }
                }
            }
        }
    }

    /// Text with its baseline at `baseline` mm, `size` points, from `x` mm.
    fn text(&mut self, face: &Face, x: f32, baseline: f32, size: f32, text: &str) {
        let scale = face
            .font
            .pt_to_px_scale(size * self.px_per_mm * 25.4 / 72.0)
            .unwrap_or(PxScale::from(size));
        let font = face.font.as_scaled(scale);
        let mut caret = x * self.px_per_mm;
        let base = baseline * self.px_per_mm;
        for c in text.chars() {
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, point(caret, base));
            caret += font.h_advance(id);
            if let Some(outline) = face.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    self.darken(
                        b.min.x as i64 + i64::from(gx),
                        b.min.y as i64 + i64::from(gy),
                        coverage,
                    );
                });
            }
        }
    }
}

/// Prints one page of a filled form: marks, form code, labels (in `labels`), frames and the
/// values (in `values`).
pub fn page(
    template: &FormTemplate,
    page: u32,
    filled: &Filled,
    labels: &Face,
    values: &Face,
    dpi: u32,
) -> GrayImage {
    let mut c = Canvas::new(dpi);
    let half = template.mark_size / 2.0;
    for [x, y] in template.marks {
        c.fill(x - half, y - half, template.mark_size, template.mark_size);
    }
    c.text(labels, 24.0, 18.5, 10.0, &template.description);
    let [cx, cy, cw, ch] = template.code_box;
    c.frame(cx, cy, cw, ch, 0.25);
    c.text(labels, cx - 11.0, cy + 7.0, 8.0, "様式");
    c.text(
        labels,
        cx + 4.0,
        cy + 7.5,
        15.0,
        &format!("{}-{page}", template.form_code),
    );
    for zone in template.zones.iter().filter(|z| z.page == page) {
        let value = filled.get(zone.target());
        match zone.zone_type {
            ZoneType::Circle => {
                let top = zone.choices[0].bbox[1];
                c.text(labels, 17.0, top + 7.0, 9.0, &zone.label);
                for choice in &zone.choices {
                    let [x, y, w, h] = choice.bbox;
                    c.text(
                        labels,
                        x + w / 2.0 - 2.5 * choice.value.chars().count() as f32,
                        y + h / 2.0 + 2.0,
                        12.0,
                        &choice.value,
                    );
                    if value == Some(&choice.value) {
                        // A pen circle, a little off centre and not quite closed.
                        let (ox, oy) = (x + w / 2.0 + 0.4, y + h / 2.0 - 0.3);
                        let (rx, ry) = (w / 2.0 - 0.5, h / 2.0 - 0.7);
                        let at = |a: f32| (ox + rx * a.cos(), oy + ry * a.sin());
                        for i in 0..46 {
                            let a = 0.3 + i as f32 * 0.14;
                            c.stroke(at(a), at(a + 0.14), 0.45);
                        }
                    }
                }
            }
            _ => {
                let [x, y, w, h] = zone.bbox.unwrap_or_default();
                c.text(labels, 17.0, y + 7.0, 9.0, &zone.label);
                c.frame(x, y, w, h, 0.3);
                match (zone.zone_type, value) {
                    (ZoneType::Check, Some(v)) if zone.checked.as_ref() == Some(v) => {
                        c.stroke((x + 1.5, y + h / 2.0), (x + w / 2.5, y + h - 1.5), 0.6);
                        c.stroke((x + w / 2.5, y + h - 1.5), (x + w - 1.2, y + 1.2), 0.6);
                    }
                    (ZoneType::Check, _) | (_, None) => {}
                    (_, Some(v)) => c.text(values, x + 2.5, y + h - 2.8, 13.0, v),
                }
            }
        }
    }
    c.image
}

/// What this generator's scanner does to a page.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    pub dpi: u32,
    /// Rotation, degrees clockwise, about the page centre.
    pub rotate_deg: f32,
    /// Scale against the true size (a scanner's or copier's drift).
    pub scale: f32,
    pub offset_mm: (f32, f32),
    /// Box blur radius in pixels (0: none).
    pub blur: u32,
    /// Share of pixels turned to specks.
    pub speckle: f32,
    pub jpeg_quality: u8,
    /// The page fed turned by 90°, 180° or 270° clockwise.
    pub turned: u32,
    pub seed: u32,
}

/// A linear congruential generator (Numerical Recipes): deterministic specks.
struct Lcg(u32);

impl Lcg {
    fn unit(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32
    }
}

fn bilinear(img: &GrayImage, x: f32, y: f32) -> f32 {
    let (w, h) = img.dimensions();
    if x < 0.0 || y < 0.0 || x >= (w - 1) as f32 || y >= (h - 1) as f32 {
        return 250.0;
    }
    let (x0, y0) = (x as u32, y as u32);
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| f32::from(img.get_pixel(x, y)[0]);
    (p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx) * (1.0 - fy)
        + (p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx) * fy
}

/// Scans a printed page: resampled through rotation, scale and offset, blurred, speckled,
/// turned as fed. (JPEG is applied when the page is wrapped into the PDF.)
pub fn feed(printed: &GrayImage, f: &Feed) -> GrayImage {
    let (w, h) = printed.dimensions();
    let (s, c) = f.rotate_deg.to_radians().sin_cos();
    let k = f.dpi as f32 / 25.4;
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut rng = Lcg(f.seed.max(1));
    let scanned = GrayImage::from_fn(w, h, |x, y| {
        let (u, v) = (
            (x as f32 - cx - f.offset_mm.0 * k) / f.scale,
            (y as f32 - cy - f.offset_mm.1 * k) / f.scale,
        );
        let p = bilinear(printed, c * u + s * v + cx, -s * u + c * v + cy);
        Luma([p as u8])
    });
    let mut out = if f.blur > 0 {
        image::imageops::blur(&scanned, f.blur as f32 * 0.8)
    } else {
        scanned
    };
    for p in out.pixels_mut() {
        if rng.unit() < f.speckle {
            p[0] = if rng.unit() < 0.6 { 30 } else { 255 };
        }
    }
    match f.turned {
        90 => image::imageops::rotate90(&out),
        180 => image::imageops::rotate180(&out),
        270 => image::imageops::rotate270(&out),
        _ => out,
    }
}
