//! Why a PDF could not be made. Every font error names the font file, because on a server the
//! usual cause is a font package that is not installed or a path that points elsewhere.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::font::{DEFAULT_FONT_PACKAGE, DEFAULT_FONT_PATH};

/// Everything that can go wrong while loading a font or writing a document.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font file does not exist.
    #[error(
        "font file {} not found: install the Debian package `{DEFAULT_FONT_PACKAGE}` \
         (apt-get install {DEFAULT_FONT_PACKAGE}), which provides {DEFAULT_FONT_PATH}",
        path.display()
    )]
    FontNotFound { path: PathBuf },

    /// The font file exists but could not be read.
    #[error("font file {}: cannot read it: {source}", path.display())]
    FontRead {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The file is not a font `ttf-parser` can read.
    #[error("font file {}: not a readable TrueType/OpenType font: {source}", path.display())]
    FontParse {
        path: PathBuf,
        source: ttf_parser::FaceParsingError,
    },

    /// The font is readable but cannot be embedded the way this crate embeds fonts.
    #[error("font file {}: cannot be embedded: {reason}", path.display())]
    FontUnsupported { path: PathBuf, reason: &'static str },

    /// The subsetter failed on this font.
    #[error("font file {}: subsetting failed: {source}", path.display())]
    Subset {
        path: PathBuf,
        source: subsetter::Error,
    },

    /// Text on some page uses characters the font has no glyph for. Nothing is printed in their
    /// place, so the document is refused rather than silently printed with gaps; check text
    /// beforehand with [`crate::Font::missing_chars`] to substitute them.
    #[error("font file {}: no glyph for {}", path.display(), describe_chars(chars))]
    MissingGlyphs { path: PathBuf, chars: Vec<char> },

    /// A coordinate, size or width was NaN or infinite; PDF has no way to write it.
    #[error("page {page}: a coordinate, size or width is not a finite number")]
    NonFiniteNumber { page: usize },

    /// `finish` was called on a document to which no page was added.
    #[error("the document has no pages")]
    NoPages,

    /// lopdf failed while encoding content or writing the file.
    #[error("writing the PDF failed: {0}")]
    Write(#[from] lopdf::Error),
}

/// `'😀' (U+1F600), '\t' (U+0009)`: the character as Rust would escape it, and its code point,
/// so that invisible and control characters are recognisable in a log line.
fn describe_chars(chars: &[char]) -> String {
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "'{}' (U+{:04X})", c.escape_debug(), u32::from(*c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_glyphs_lists_characters_with_code_points() {
        let err = PdfError::MissingGlyphs {
            path: PathBuf::from("/f.ttf"),
            chars: vec!['😀', '\t'],
        };
        assert_eq!(
            err.to_string(),
            "font file /f.ttf: no glyph for '😀' (U+1F600), '\\t' (U+0009)"
        );
    }

    #[test]
    fn missing_font_names_the_debian_package() {
        let err = PdfError::FontNotFound {
            path: PathBuf::from("/nowhere.ttf"),
        };
        let text = err.to_string();
        assert!(text.contains("/nowhere.ttf"), "{text}");
        assert!(text.contains("fonts-ipaexfont-gothic"), "{text}");
    }
}
