//! Pages and what is drawn on them, in the units a form designer uses: millimetres from the top
//! left corner of an A4 sheet, font sizes and line widths in points.
//!
//! Drawing records operations and the glyphs they use; nothing becomes PDF until
//! [`Document::finish`], because only then is the set of used glyphs — and so the font subset
//! and its glyph numbering — known.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::content::{Content, Operation};
use lopdf::{Object, Stream, StringFormat, dictionary};

use crate::font::EmbeddedFont;
use crate::{Font, PdfError};

/// A4 portrait, in points.
pub const PAGE_WIDTH_PT: f32 = 595.28;
/// A4 portrait, in points.
pub const PAGE_HEIGHT_PT: f32 = 841.89;
/// Points per millimetre: multiply millimetres by this to get points.
pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// Stroke width of an unfilled [`Page::rect`], in points.
const RECT_STROKE_PT: f32 = 0.5;
/// The font's name in each page's resources.
const FONT_RESOURCE: &str = "F1";

/// A printable document of A4 pages, all set in one font.
#[derive(Debug)]
pub struct Document<'f> {
    font: &'f Font,
    title: String,
    pages: Vec<Page<'f>>,
}

/// One A4 portrait page. Coordinates are millimetres from the top left corner.
#[derive(Debug)]
pub struct Page<'f> {
    font: &'f Font,
    ops: Vec<Op>,
    /// Original glyph id → the character it was drawn for (the first, if several share a glyph).
    used: BTreeMap<u16, char>,
    missing: BTreeSet<char>,
    non_finite: bool,
}

/// A drawing operation, already in PDF user space (points from the bottom left corner).
#[derive(Debug)]
enum Op {
    /// `glyphs` are ids in the original font; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        glyphs: Vec<u16>,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: bool,
    },
}

impl<'f> Document<'f> {
    /// An empty document; `title` goes into the PDF's Info dictionary.
    pub fn new(font: &'f Font, title: &str) -> Document<'f> {
        Document {
            font,
            title: title.to_owned(),
            pages: Vec::new(),
        }
    }

    /// Adds an A4 portrait page (595.28 × 841.89 pt) at the end and returns it for drawing.
    pub fn page(&mut self) -> &mut Page<'f> {
        self.pages.push(Page {
            font: self.font,
            ops: Vec::new(),
            used: BTreeMap::new(),
            missing: BTreeSet::new(),
            non_finite: false,
        });
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// The pages added so far, in order: to draw on one again, for example page numbers once
    /// the number of pages is known.
    pub fn pages_mut(&mut self) -> std::slice::IterMut<'_, Page<'f>> {
        self.pages.iter_mut()
    }

    /// Writes the PDF: the font subset to the glyphs used, compressed streams, and an Info
    /// dictionary with the title, `Producer (Kakehashi)` and the local creation time.
    ///
    /// Refuses a document without pages ([`PdfError::NoPages`]), one that drew characters the
    /// font lacks ([`PdfError::MissingGlyphs`], listing all of them) and one given a NaN or
    /// infinite number ([`PdfError::NonFiniteNumber`]).
    pub fn finish(self) -> Result<Vec<u8>, PdfError> {
        if self.pages.is_empty() {
            return Err(PdfError::NoPages);
        }
        if let Some(index) = self.pages.iter().position(|page| page.non_finite) {
            return Err(PdfError::NonFiniteNumber { page: index + 1 });
        }
        let missing: BTreeSet<char> = self
            .pages
            .iter()
            .flat_map(|page| page.missing.iter().copied())
            .collect();
        if !missing.is_empty() {
            return Err(PdfError::MissingGlyphs {
                path: self.font.path().to_owned(),
                chars: missing.into_iter().collect(),
            });
        }
        let mut used = BTreeMap::new();
        for page in &self.pages {
            for (&glyph, &c) in &page.used {
                used.entry(glyph).or_insert(c);
            }
        }

        let mut pdf = lopdf::Document::with_version("1.7");
        let pages_id = pdf.new_object_id();
        let font = self.font.embed(&mut pdf, &used)?;
        let mut kids = Vec::with_capacity(self.pages.len());
        for page in &self.pages {
            let content = Content {
                operations: page.operations(&font),
            }
            .encode()?;
            let content_id = pdf.add_object(Stream::new(dictionary! {}, content));
            let page_id = pdf.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "Contents" => content_id,
            });
            kids.push(Object::Reference(page_id));
        }
        let count = i64::try_from(kids.len()).unwrap_or(i64::MAX);
        pdf.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => kids,
                "Count" => count,
                "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH_PT.into(), PAGE_HEIGHT_PT.into()],
                "Resources" => dictionary! {
                    "Font" => dictionary! { FONT_RESOURCE => font.font_id },
                },
            }),
        );
        let catalog_id = pdf.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
        let info_id = pdf.add_object(dictionary! {
            "Title" => lopdf::text_string(&self.title),
            "Producer" => Object::string_literal("Kakehashi"),
            "CreationDate" => chrono::Local::now(),
        });
        pdf.trailer.set("Root", catalog_id);
        pdf.trailer.set("Info", info_id);
        pdf.compress();
        let mut bytes = Vec::new();
        pdf.save_to(&mut bytes).map_err(lopdf::Error::from)?;
        Ok(bytes)
    }
}

impl Page<'_> {
    /// Draws one line of `text` at `size_pt`. (`x_mm`, `y_mm`) is the top left of the line: the
    /// baseline lies the font's ascent below `y_mm`.
    ///
    /// Nothing is drawn for empty text. Characters the font lacks (emoji, control characters
    /// such as `\n`, …) are left out and make [`Document::finish`] fail, naming them; check with
    /// [`Font::missing_chars`] first to substitute them.
    pub fn text(&mut self, x_mm: f32, y_mm: f32, size_pt: f32, text: &str) {
        if !self.all_finite(&[x_mm, y_mm, size_pt]) {
            return;
        }
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            match self.font.glyph(c) {
                Some(glyph) => {
                    self.used.entry(glyph).or_insert(c);
                    glyphs.push(glyph);
                }
                None => {
                    self.missing.insert(c);
                }
            }
        }
        if glyphs.is_empty() {
            return;
        }
        self.ops.push(Op::Text {
            x: x_mm * PT_PER_MM,
            y: PAGE_HEIGHT_PT - y_mm * PT_PER_MM - self.font.ascent_pt(size_pt),
            size: size_pt,
            glyphs,
        });
    }

    /// Draws a straight line `width_pt` wide.
    pub fn line(&mut self, x1_mm: f32, y1_mm: f32, x2_mm: f32, y2_mm: f32, width_pt: f32) {
        if !self.all_finite(&[x1_mm, y1_mm, x2_mm, y2_mm, width_pt]) {
            return;
        }
        self.ops.push(Op::Line {
            from: to_user_space(x1_mm, y1_mm),
            to: to_user_space(x2_mm, y2_mm),
            width: width_pt,
        });
    }

    /// Draws a rectangle whose top left corner is (`x_mm`, `y_mm`): filled black, or outlined
    /// with a 0.5 pt line.
    pub fn rect(&mut self, x_mm: f32, y_mm: f32, w_mm: f32, h_mm: f32, fill: bool) {
        if !self.all_finite(&[x_mm, y_mm, w_mm, h_mm]) {
            return;
        }
        let (x, y) = to_user_space(x_mm, y_mm + h_mm);
        self.ops.push(Op::Rect {
            x,
            y,
            w: w_mm * PT_PER_MM,
            h: h_mm * PT_PER_MM,
            fill,
        });
    }

    /// Draws `text` in lines at most `width_mm` wide, `line_height_pt` apart, the first line's
    /// top at `y_mm`, and returns the `y_mm` just below the last line.
    ///
    /// Japanese breaks between any two characters, Latin text at spaces, `\n` starts a new line,
    /// and closing punctuation (`。`, `」`, …) hangs past the right edge rather than start a
    /// line. Empty text draws nothing and returns `y_mm`. Characters the font lacks are handled
    /// as in [`Page::text`].
    pub fn wrapped_text(
        &mut self,
        x_mm: f32,
        y_mm: f32,
        width_mm: f32,
        size_pt: f32,
        line_height_pt: f32,
        text: &str,
    ) -> f32 {
        if !self.all_finite(&[x_mm, y_mm, width_mm, size_pt, line_height_pt]) {
            return y_mm;
        }
        let lines = self.font.wrap(text, width_mm, size_pt);
        let line_height_mm = line_height_pt / PT_PER_MM;
        let mut y = y_mm;
        for line in &lines {
            self.text(x_mm, y, size_pt, line);
            y += line_height_mm;
        }
        y
    }

    /// Whether every number is finite; if not, the page is marked so that `finish` fails.
    fn all_finite(&mut self, numbers: &[f32]) -> bool {
        let finite = numbers.iter().all(|n| n.is_finite());
        self.non_finite |= !finite;
        finite
    }

    /// The page's content stream operations, with glyphs numbered as in the embedded subset.
    fn operations(&self, font: &EmbeddedFont) -> Vec<Operation> {
        let mut operations = Vec::new();
        for op in &self.ops {
            match op {
                Op::Text { x, y, size, glyphs } => {
                    let hex = glyphs
                        .iter()
                        .flat_map(|&glyph| font.cid(glyph).to_be_bytes())
                        .collect();
                    operations.extend([
                        Operation::new("BT", vec![]),
                        Operation::new("Tf", vec![FONT_RESOURCE.into(), (*size).into()]),
                        Operation::new("Td", vec![(*x).into(), (*y).into()]),
                        Operation::new("Tj", vec![Object::String(hex, StringFormat::Hexadecimal)]),
                        Operation::new("ET", vec![]),
                    ]);
                }
                Op::Line { from, to, width } => operations.extend([
                    Operation::new("q", vec![]),
                    Operation::new("w", vec![(*width).into()]),
                    Operation::new("m", vec![from.0.into(), from.1.into()]),
                    Operation::new("l", vec![to.0.into(), to.1.into()]),
                    Operation::new("S", vec![]),
                    Operation::new("Q", vec![]),
                ]),
                Op::Rect { x, y, w, h, fill } => operations.extend([
                    Operation::new("q", vec![]),
                    Operation::new("w", vec![RECT_STROKE_PT.into()]),
                    Operation::new(
                        "re",
                        vec![(*x).into(), (*y).into(), (*w).into(), (*h).into()],
                    ),
                    Operation::new(if *fill { "f" } else { "S" }, vec![]),
                    Operation::new("Q", vec![]),
                ]),
            }
        }
        operations
    }
}

/// Millimetres from the top left → points from the bottom left.
fn to_user_space(x_mm: f32, y_mm: f32) -> (f32, f32) {
    (x_mm * PT_PER_MM, PAGE_HEIGHT_PT - y_mm * PT_PER_MM)
}
