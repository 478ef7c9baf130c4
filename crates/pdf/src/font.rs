//! The font: loaded once, used to measure text, and embedded as a subset of only the glyphs a
//! document drew. A Japanese font is 4–6 MB; a notice draws a few dozen glyphs, so subsetting is
//! what keeps a page in the tens of kilobytes.
//!
//! Embedding follows ISO 32000-1 §9.7: a `Type0` font with `Identity-H` encoding over a
//! `CIDFontType2` descendant holding the subset TrueType program (`FontFile2`), its widths (`W`)
//! and a `ToUnicode` CMap so that text can be copied and searched. The subsetter renumbers the
//! glyphs it keeps; content streams are written with the new numbers, which are also the CIDs
//! (`CIDToGIDMap /Identity`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use lopdf::{Object, ObjectId, Stream, dictionary};
use pdf_writer::types::{SystemInfo, UnicodeCmap};
use pdf_writer::{Name, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, Permissions};

use crate::PdfError;

/// Where Debian's `fonts-ipaexfont-gothic` installs IPAex Gothic.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf";

/// The Debian package that provides [`DEFAULT_FONT_PATH`], named in the not-found error.
pub(crate) const DEFAULT_FONT_PACKAGE: &str = "fonts-ipaexfont-gothic";

/// PDF font flags (ISO 32000-1 Table 123). `Symbolic` is right for a CJK font: its glyphs lie
/// outside the Adobe standard Latin set.
const FLAG_FIXED_PITCH: i64 = 1;
const FLAG_SYMBOLIC: i64 = 4;
const FLAG_ITALIC: i64 = 64;

/// A TrueType font read into memory, with its Unicode→glyph map and advance widths.
///
/// Load it once and share it: a document borrows it, and loading reads the whole file.
pub struct Font {
    path: PathBuf,
    data: Vec<u8>,
    /// Unicode cmap, flattened at load time so that lookups need no re-parsing.
    glyphs: HashMap<char, u16>,
    /// Advance width of each glyph id, in font units.
    advances: Vec<u16>,
    units_per_em: f32,
    ascender: i16,
    descender: i16,
    cap_height: i16,
    bbox: ttf_parser::Rect,
    italic_angle: f32,
    weight: u16,
    flags: i64,
    postscript_name: String,
}

/// The font as embedded in one PDF: its `Type0` font object and the glyph renumbering that its
/// content streams must use.
pub(crate) struct EmbeddedFont {
    pub(crate) font_id: ObjectId,
    remapper: GlyphRemapper,
}

impl EmbeddedFont {
    /// The CID to write for a glyph of the original font. Every glyph a page drew is in the
    /// subset; anything else would draw `.notdef` (CID 0).
    pub(crate) fn cid(&self, glyph: u16) -> u16 {
        self.remapper.get(glyph).unwrap_or(0)
    }
}

impl Font {
    /// Reads and checks a TrueType font (`.ttf`, or the first face of a `.ttc`).
    ///
    /// Fails with [`PdfError::FontNotFound`] (naming the Debian package to install) if the file
    /// does not exist, and with [`PdfError::FontUnsupported`] for a font without TrueType
    /// outlines, without a Unicode cmap, or whose licence forbids embedding a subset.
    pub fn load(path: &Path) -> Result<Font, PdfError> {
        let data = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                PdfError::FontNotFound {
                    path: path.to_owned(),
                }
            } else {
                PdfError::FontRead {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        let unsupported = |reason| PdfError::FontUnsupported {
            path: path.to_owned(),
            reason,
        };
        let face = Face::parse(&data, 0).map_err(|source| PdfError::FontParse {
            path: path.to_owned(),
            source,
        })?;
        if face.tables().glyf.is_none() {
            return Err(unsupported(
                "no TrueType outlines (glyf table); CFF-based fonts need FontFile3, which this crate does not write",
            ));
        }
        if face.permissions() == Some(Permissions::Restricted) || !face.is_subsetting_allowed() {
            return Err(unsupported(
                "its licence (OS/2 fsType) does not allow embedding a subset",
            ));
        }
        let glyphs = unicode_glyphs(&face);
        if glyphs.is_empty() {
            return Err(unsupported("no Unicode cmap"));
        }
        let advances = (0..face.number_of_glyphs())
            .map(|id| face.glyph_hor_advance(GlyphId(id)).unwrap_or(0))
            .collect();
        let mut flags = FLAG_SYMBOLIC;
        if face.is_monospaced() {
            flags |= FLAG_FIXED_PITCH;
        }
        if face.is_italic() {
            flags |= FLAG_ITALIC;
        }
        Ok(Font {
            path: path.to_owned(),
            glyphs,
            advances,
            units_per_em: f32::from(face.units_per_em()),
            ascender: face.ascender(),
            descender: face.descender(),
            cap_height: face.capital_height().unwrap_or(face.ascender()),
            bbox: face.global_bounding_box(),
            italic_angle: face.italic_angle(),
            weight: face.weight().to_number(),
            flags,
            postscript_name: postscript_name(&face),
            // Last: `face` borrows these bytes until the fields above are read from it.
            data,
        })
    }

    /// Width of `text` set at `size_pt`, in points (divide by [`crate::PT_PER_MM`] for
    /// millimetres). Characters the font lacks count as zero width, as they are not drawn.
    pub fn text_width(&self, text: &str, size_pt: f32) -> f32 {
        text.chars().map(|c| self.advance_pt(c, size_pt)).sum()
    }

    /// `text` broken into lines at most `width_mm` wide when set at `size_pt`, by the rules of
    /// [`crate::Page::wrapped_text`]: for a caller that places the lines itself, for example to
    /// continue a long value on the next page.
    pub fn wrap(&self, text: &str, width_mm: f32, size_pt: f32) -> Vec<String> {
        crate::wrap::wrap(text, width_mm * crate::PT_PER_MM, |c| {
            self.advance_pt(c, size_pt)
        })
    }

    /// The distinct characters of `text` the font has no glyph for, in order of first
    /// appearance. A document that draws any of them is refused by
    /// [`crate::Document::finish`]; call this first to substitute them (for example with `〓`,
    /// the customary mark for a character that cannot be printed).
    pub fn missing_chars(&self, text: &str) -> Vec<char> {
        let mut missing = Vec::new();
        for c in text.chars() {
            if self.glyph(c).is_none() && !missing.contains(&c) {
                missing.push(c);
            }
        }
        missing
    }

    /// The file this font was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The glyph id for `c`, or `None` if the font lacks it (`.notdef` counts as lacking).
    pub(crate) fn glyph(&self, c: char) -> Option<u16> {
        self.glyphs.get(&c).copied()
    }

    /// Advance of `c` at `size_pt`, in points; zero for a character the font lacks.
    pub(crate) fn advance_pt(&self, c: char, size_pt: f32) -> f32 {
        self.glyph(c).map_or(0.0, |id| {
            self.glyph_advance(id) * size_pt / self.units_per_em
        })
    }

    /// Distance from the top of a line of text at `size_pt` down to its baseline, in points.
    pub(crate) fn ascent_pt(&self, size_pt: f32) -> f32 {
        f32::from(self.ascender) * size_pt / self.units_per_em
    }

    fn glyph_advance(&self, id: u16) -> f32 {
        f32::from(self.advances.get(usize::from(id)).copied().unwrap_or(0))
    }

    /// Font units → the PDF's 1000-units-per-em glyph space.
    fn to_pdf_units(&self, value: f32) -> i64 {
        // Glyph metrics are i16/u16, so the result is far inside i64's range.
        (value * 1000.0 / self.units_per_em).round() as i64
    }

    /// Adds the subset font for `used` (original glyph id → the character it was drawn for) to
    /// `doc`, and returns it with the renumbering the content streams must use.
    pub(crate) fn embed(
        &self,
        doc: &mut lopdf::Document,
        used: &BTreeMap<u16, char>,
    ) -> Result<EmbeddedFont, PdfError> {
        // New ids are handed out in call order after .notdef: 1..=n, ascending in the old ids.
        let mut remapper = GlyphRemapper::new();
        for &glyph in used.keys() {
            remapper.remap(glyph);
        }
        let program =
            subsetter::subset(&self.data, 0, &remapper).map_err(|source| PdfError::Subset {
                path: self.path.clone(),
                source,
            })?;
        let base_font = format!("{}+{}", subset_tag(used), self.postscript_name);

        let program_len = i64::try_from(program.len()).unwrap_or(i64::MAX);
        let font_file = doc.add_object(Stream::new(
            dictionary! { "Length1" => program_len },
            program,
        ));
        let bbox = [
            self.bbox.x_min,
            self.bbox.y_min,
            self.bbox.x_max,
            self.bbox.y_max,
        ]
        .map(|v| Object::Integer(self.to_pdf_units(f32::from(v))));
        let descriptor = doc.add_object(dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => Object::Name(base_font.clone().into_bytes()),
            "Flags" => self.flags,
            "FontBBox" => bbox.to_vec(),
            "ItalicAngle" => self.italic_angle,
            "Ascent" => self.to_pdf_units(f32::from(self.ascender)),
            "Descent" => self.to_pdf_units(f32::from(self.descender)),
            "CapHeight" => self.to_pdf_units(f32::from(self.cap_height)),
            // The estimate from the OS/2 weight class that typst and others use: PDF wants a
            // stem width, which TrueType fonts do not record.
            "StemV" => (10.0 + 0.244 * (f32::from(self.weight) - 50.0)).round() as i64,
            "FontFile2" => font_file,
        });

        let widths: Vec<Object> = used
            .keys()
            .map(|&glyph| Object::Integer(self.to_pdf_units(self.glyph_advance(glyph))))
            .collect();
        let cid_font = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => Object::Name(base_font.clone().into_bytes()),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "FontDescriptor" => descriptor,
            "DW" => self.to_pdf_units(self.glyph_advance(0)),
            // The used glyphs are CIDs 1..=n: one run starting at 1.
            "W" => vec![Object::Integer(1), Object::Array(widths)],
            "CIDToGIDMap" => "Identity",
        });

        let mut cmap = UnicodeCmap::new(
            Name(b"Adobe-Identity-UCS"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for (&glyph, &c) in used {
            cmap.pair(remapper.get(glyph).unwrap_or(0), c);
        }
        let to_unicode = doc.add_object(Stream::new(dictionary! {}, cmap.finish().into_vec()));

        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(base_font.into_bytes()),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(cid_font)],
            "ToUnicode" => to_unicode,
        });
        Ok(EmbeddedFont { font_id, remapper })
    }
}

impl fmt::Debug for Font {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Font")
            .field("path", &self.path)
            .field("postscript_name", &self.postscript_name)
            .field("glyphs", &self.advances.len())
            .field("mapped_chars", &self.glyphs.len())
            .finish_non_exhaustive()
    }
}

/// Every character the font's Unicode cmap subtables map to a real glyph (not `.notdef`).
fn unicode_glyphs(face: &Face<'_>) -> HashMap<char, u16> {
    let mut glyphs = HashMap::new();
    let Some(cmap) = face.tables().cmap else {
        return glyphs;
    };
    for subtable in cmap.subtables {
        if !subtable.is_unicode() {
            continue;
        }
        subtable.codepoints(|code_point| {
            let glyph = subtable.glyph_index(code_point).filter(|id| id.0 != 0);
            if let (Some(c), Some(glyph)) = (char::from_u32(code_point), glyph) {
                glyphs.entry(c).or_insert(glyph.0);
            }
        });
    }
    glyphs
}

/// The PostScript name (name id 6) restricted to the characters a PDF name can carry plainly.
fn postscript_name(face: &Face<'_>) -> String {
    let name: String = face
        .names()
        .into_iter()
        .filter(|name| name.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|name| name.to_string())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if name.is_empty() {
        "Font".to_owned()
    } else {
        name
    }
}

/// Six capital letters derived from the glyph set, as ISO 32000-1 §9.6.4 asks of a subset's
/// name, so that two different subsets of one font get different names.
fn subset_tag(used: &BTreeMap<u16, char>) -> String {
    let mut hasher = DefaultHasher::new();
    used.hash(&mut hasher);
    let mut hash = hasher.finish();
    (0..6)
        .map(|_| {
            let letter = b'A' + (hash % 26) as u8;
            hash /= 26;
            char::from(letter)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subset_tag_is_six_capitals_and_depends_on_the_glyphs() {
        let a = subset_tag(&BTreeMap::from([(10, 'a')]));
        let b = subset_tag(&BTreeMap::from([(11, 'b')]));
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_uppercase()), "{a}");
        assert_ne!(a, b);
    }
}
