//! Reading a key as a person typed it from paper. Forgiving where a mistake cannot mean
//! anything else, strict where it could:
//!
//! - separators are ignored: ASCII and ideographic spaces, tabs, hyphens and the dashes an
//!   input method puts in their place (`‐ ‑ – — − ー －`);
//! - full-width letters and digits (`ＡＢ１２`, common from a Japanese input method) are read
//!   as their ASCII forms, and lower case as upper case;
//! - the look-alikes the alphabet leaves out are read as what they look like: `O` as `0`,
//!   `I` and `L` as `1`;
//! - anything else (`U`, punctuation, kana) is refused with its position, and a key of the
//!   wrong length is refused with the count;
//! - finally the check character must agree, which catches any one mistyped character and
//!   any two neighbours swapped.

use crate::{ALPHABET, AccessKey, LEN, ParseError, check};

/// Whether a character only separates groups.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' | '\u{2014}' | '\u{2212}' | 'ー' | '－'
        )
}

/// The ASCII form of a full-width ASCII character (U+FF01–U+FF5E), or the character itself.
fn half_width(c: char) -> char {
    match u32::from(c) {
        0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// The symbol value of a typed character, after case folding and look-alike mapping.
fn symbol_value(c: char) -> Option<u8> {
    let folded = match half_width(c).to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    let byte = u8::try_from(u32::from(folded)).ok()?;
    ALPHABET
        .iter()
        .position(|&symbol| symbol == byte)
        .and_then(|index| u8::try_from(index).ok())
}

pub(crate) fn parse(text: &str) -> Result<AccessKey, ParseError> {
    let mut values = Vec::with_capacity(LEN);
    for c in text.chars().filter(|&c| !is_separator(c)) {
        let value = symbol_value(c).ok_or(ParseError::InvalidCharacter {
            character: c,
            position: values.len() + 1,
        })?;
        values.push(value);
    }
    let symbols: [u8; LEN] = values
        .as_slice()
        .try_into()
        .map_err(|_| ParseError::WrongLength {
            found: values.len(),
        })?;
    if check::fold(&symbols) != 0 {
        return Err(ParseError::CheckMismatch);
    }
    Ok(AccessKey { symbols })
}
