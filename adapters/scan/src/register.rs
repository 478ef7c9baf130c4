//! Registration: where the printed page lies in the scan. A scan is shifted, slightly rotated
//! and scaled against the template; the four filled square marks in the corners, found near
//! where they should be, give an affine map from template millimetres to scan pixels, and
//! every zone is cut through that map — so skew and offset are corrected before OCR sees a box.

use image::{GrayImage, Luma};

/// A dark pixel, after the scan's own paper-to-ink threshold.
const INK: u8 = 128;

/// Template millimetres → scan pixels: `x' = a·x + b·y + c`, `y' = d·x + e·y + f`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    m: [f32; 6],
}

impl Affine {
    /// A plain scale, for a page whose marks were not looked for.
    pub fn scale(px_per_mm: f32) -> Self {
        Self {
            m: [px_per_mm, 0.0, 0.0, 0.0, px_per_mm, 0.0],
        }
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.m;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }

    /// Pixels per millimetre along the template's x axis.
    pub fn px_per_mm(&self) -> f32 {
        self.m[0].hypot(self.m[3])
    }

    /// Least-squares fit through three or more point pairs (template mm → scan px).
    fn fit(pairs: &[([f32; 2], [f32; 2])]) -> Option<Self> {
        // Normal equations AᵀA p = Aᵀb with rows [x y 1], solved once for x' and once for y'.
        let mut ata = [[0f64; 3]; 3];
        let mut atx = [0f64; 3];
        let mut aty = [0f64; 3];
        for ([x, y], [u, v]) in pairs {
            let row = [f64::from(*x), f64::from(*y), 1.0];
            for i in 0..3 {
                for j in 0..3 {
                    ata[i][j] += row[i] * row[j];
                }
                atx[i] += row[i] * f64::from(*u);
                aty[i] += row[i] * f64::from(*v);
            }
        }
        let px = solve3(ata, atx)?;
        let py = solve3(ata, aty)?;
        Some(Self {
            m: [
                px[0] as f32,
                px[1] as f32,
                px[2] as f32,
                py[0] as f32,
                py[1] as f32,
                py[2] as f32,
            ],
        })
    }

    /// Cuts the template box `[x, y, w, h]` (mm) out of `scan` at `px_per_mm`, straightened:
    /// each output pixel is sampled (bilinear) where the map puts it.
    pub fn cut(&self, scan: &GrayImage, bbox: [f32; 4], px_per_mm: f32) -> GrayImage {
        let [x0, y0, w, h] = bbox;
        let out_w = ((w * px_per_mm).round() as u32).max(1);
        let out_h = ((h * px_per_mm).round() as u32).max(1);
        GrayImage::from_fn(out_w, out_h, |ox, oy| {
            let (sx, sy) = self.apply(
                x0 + (ox as f32 + 0.5) / px_per_mm,
                y0 + (oy as f32 + 0.5) / px_per_mm,
            );
            Luma([bilinear(scan, sx - 0.5, sy - 0.5)])
        })
    }
}

fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-9 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in 0..3 {
            if row != col {
                let f = a[row][col] / a[col][col];
                let pivot_row = a[col];
                for (x, p) in a[row].iter_mut().zip(pivot_row) {
                    *x -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    Some([b[0] / a[0][0], b[1] / a[1][1], b[2] / a[2][2]])
}

fn bilinear(img: &GrayImage, x: f32, y: f32) -> u8 {
    let (w, h) = img.dimensions();
    if x < 0.0 || y < 0.0 || x > (w - 1) as f32 || y > (h - 1) as f32 {
        return 255;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| f32::from(img.get_pixel(x, y)[0]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    (top * (1.0 - fy) + bottom * fy).round() as u8
}

/// A dark blob: its bounding box and pixels, in image coordinates.
pub(crate) struct Blob {
    pub min: (u32, u32),
    pub max: (u32, u32),
    pub pixels: Vec<(u32, u32)>,
}

impl Blob {
    fn centre(&self) -> (f32, f32) {
        let n = self.pixels.len().max(1) as f32;
        let (sx, sy) = self.pixels.iter().fold((0f64, 0f64), |(x, y), p| {
            (x + f64::from(p.0), y + f64::from(p.1))
        });
        (sx as f32 / n, sy as f32 / n)
    }
}

/// Dark connected blobs (4-connected) inside a window of the image, those of at most
/// `max_count` pixels (larger ones are flooded, so visited once, but not kept).
pub(crate) fn blobs(
    img: &GrayImage,
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    max_count: usize,
) -> Vec<Blob> {
    let (w, h) = (x1 - x0, y1 - y0);
    let mut seen = vec![false; (w * h) as usize];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for sy in 0..h {
        for sx in 0..w {
            let i = (sy * w + sx) as usize;
            if seen[i] || img.get_pixel(x0 + sx, y0 + sy)[0] >= INK {
                continue;
            }
            seen[i] = true;
            stack.push((sx, sy));
            let mut blob = Blob {
                min: (sx + x0, sy + y0),
                max: (sx + x0, sy + y0),
                pixels: Vec::new(),
            };
            while let Some((x, y)) = stack.pop() {
                let (ax, ay) = (x + x0, y + y0);
                if blob.pixels.len() <= max_count {
                    blob.pixels.push((ax, ay));
                }
                blob.min = (blob.min.0.min(ax), blob.min.1.min(ay));
                blob.max = (blob.max.0.max(ax), blob.max.1.max(ay));
                let neighbours = [
                    (x.wrapping_sub(1), y),
                    (x + 1, y),
                    (x, y.wrapping_sub(1)),
                    (x, y + 1),
                ];
                for (nx, ny) in neighbours {
                    if nx < w && ny < h {
                        let j = (ny * w + nx) as usize;
                        if !seen[j] && img.get_pixel(x0 + nx, y0 + ny)[0] < INK {
                            seen[j] = true;
                            stack.push((nx, ny));
                        }
                    }
                }
            }
            if blob.pixels.len() <= max_count {
                out.push(blob);
            }
        }
    }
    out
}

/// Finds the four marks near their expected places and fits the map; `None` when fewer than
/// three look like marks (the page is not this form, or the corners are cut off).
///
/// `marks` and `mark_size` in mm, `page_size` the printed page (mm) that the scan covers.
pub fn register(
    scan: &GrayImage,
    page_size: [f32; 2],
    marks: &[[f32; 2]; 4],
    mark_size: f32,
) -> Option<Affine> {
    let (w, h) = scan.dimensions();
    let px_per_mm = (w as f32 / page_size[0]).min(h as f32 / page_size[1]);
    let side = mark_size * px_per_mm;
    let area = side * side;
    // Scans are shifted by a few mm and skewed by a degree or two; look within 15 mm.
    let reach = 15.0 * px_per_mm;
    let mut pairs = Vec::with_capacity(4);
    for &[mx, my] in marks {
        let (ex, ey) = (mx * px_per_mm, my * px_per_mm);
        let clamp = |v: f32, max: u32| (v.max(0.0) as u32).min(max);
        let (x0, y0) = (clamp(ex - reach, w), clamp(ey - reach, h));
        let (x1, y1) = (clamp(ex + reach, w), clamp(ey + reach, h));
        if x1 <= x0 || y1 <= y0 {
            continue;
        }
        let best = blobs(scan, x0, y0, x1, y1, (area * 2.0) as usize)
            .into_iter()
            .filter(|b| {
                let bw = (b.max.0 - b.min.0 + 1) as f32;
                let bh = (b.max.1 - b.min.1 + 1) as f32;
                let count = b.pixels.len() as f32;
                (0.6..1.6).contains(&(bw / side))
                    && (0.6..1.6).contains(&(bh / side))
                    && count / (bw * bh) > 0.6
                    && count > area * 0.4
            })
            .map(|b| {
                let c = b.centre();
                (c, (c.0 - ex).hypot(c.1 - ey))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(((cx, cy), _)) = best {
            pairs.push(([mx, my], [cx + 0.5, cy + 0.5]));
        }
    }
    if pairs.len() < 3 {
        return None;
    }
    Affine::fit(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_marks_on_a_shifted_rotated_page() {
        // 10 px/mm page of 100×100 mm, marks of 5 mm at (10,10), (90,10), (10,90), (90,90),
        // drawn through a known map: 1.5° rotation and a (+30, −20) px offset.
        let (angle, dx, dy): (f32, f32, f32) = (1.5f32.to_radians(), 30.0, -20.0);
        let truth = Affine {
            m: [
                10.0 * angle.cos(),
                -10.0 * angle.sin(),
                dx,
                10.0 * angle.sin(),
                10.0 * angle.cos(),
                dy + 40.0,
            ],
        };
        let marks = [[10.0, 10.0], [90.0, 10.0], [10.0, 90.0], [90.0, 90.0]];
        let mut scan = GrayImage::from_pixel(1000, 1000, Luma([255]));
        for &[mx, my] in &marks {
            for i in 0..50 {
                for j in 0..50 {
                    let (x, y) =
                        truth.apply(mx - 2.5 + i as f32 / 10.0, my - 2.5 + j as f32 / 10.0);
                    scan.put_pixel(x as u32, y as u32, Luma([0]));
                }
            }
        }
        let found = register(&scan, [100.0, 100.0], &marks, 5.0).expect("marks");
        for (x, y) in [(10.0, 10.0), (50.0, 50.0), (90.0, 90.0)] {
            let (a, b) = (found.apply(x, y), truth.apply(x, y));
            assert!(
                (a.0 - b.0).abs() < 1.5 && (a.1 - b.1).abs() < 1.5,
                "{a:?} vs {b:?}"
            );
        }
        assert!(
            register(
                &GrayImage::from_pixel(1000, 1000, Luma([255])),
                [100.0, 100.0],
                &marks,
                5.0
            )
            .is_none()
        );
    }
}
