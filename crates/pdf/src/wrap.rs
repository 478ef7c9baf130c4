//! Line breaking for `Page::wrapped_text`, kept simple on purpose: Japanese may break between
//! any two characters, runs of Latin letters, digits and punctuation break only at spaces (or
//! inside the run when it is wider than a whole line), and `\n` starts a new line. Of the
//! Japanese line-breaking rules (禁則処理) only the commonest is kept: closing punctuation such
//! as `。` or `」` never starts a line but hangs past the margin (ぶら下げ). No hyphenation, no
//! justification.

/// Characters that hang at the end of a line rather than start the next one.
const HANGING: &str = "、。，．）〕］｝〉》」』】〙〗”’！？：；・)]}";

/// Splits `text` into lines no wider than `width` (in the unit `advance` measures in), except
/// where a single character or hanging punctuation is wider. Empty text gives no lines; an empty
/// paragraph (`"a\n\nb"`) gives an empty line.
pub(crate) fn wrap(text: &str, width: f32, advance: impl Fn(char) -> f32) -> Vec<String> {
    let mut lines = Vec::new();
    if text.is_empty() {
        return lines;
    }
    for paragraph in text.split('\n') {
        let paragraph = paragraph.strip_suffix('\r').unwrap_or(paragraph);
        let mut line = Line::default();
        for unit in units(paragraph) {
            let unit_width: f32 = unit.chars().map(&advance).sum();
            if line.fits(unit_width, width) || (!line.text.is_empty() && is_hanging(unit)) {
                line.push(unit, unit_width);
                continue;
            }
            if !line.text.is_empty() {
                lines.push(line.take_broken());
            }
            if unit.chars().all(char::is_whitespace) {
                // The break falls on this space; it is not carried to the next line.
                continue;
            }
            if line.fits(unit_width, width) {
                line.push(unit, unit_width);
                continue;
            }
            // Wider than a whole line: break inside it, one character at a time, always
            // placing at least one character per line.
            for c in unit.chars() {
                let char_width = advance(c);
                if !line.text.is_empty() && !line.fits(char_width, width) {
                    lines.push(line.take_broken());
                }
                line.push(c.encode_utf8(&mut [0; 4]), char_width);
            }
        }
        lines.push(line.take());
    }
    lines
}

#[derive(Default)]
struct Line {
    text: String,
    width: f32,
}

impl Line {
    fn fits(&self, extra: f32, limit: f32) -> bool {
        // A little slack so that rounding never pushes an exact fit to the next line.
        self.width + extra <= limit + 1e-3
    }

    fn push(&mut self, unit: &str, unit_width: f32) {
        self.text.push_str(unit);
        self.width += unit_width;
    }

    fn take(&mut self) -> String {
        self.width = 0.0;
        std::mem::take(&mut self.text)
    }

    /// The line ended by a break: spaces before the break are not part of it.
    fn take_broken(&mut self) -> String {
        let mut text = self.take();
        text.truncate(text.trim_end().len());
        text
    }
}

/// Whether `c` belongs to a run that is kept together: anything before the CJK blocks
/// (U+2E80) except white space — Latin letters, digits, their punctuation.
fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && u32::from(c) < 0x2E80
}

fn is_hanging(unit: &str) -> bool {
    let mut chars = unit.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if HANGING.contains(c))
}

/// The pieces a line may break between: a run of word characters, or any other single character
/// (a kana, a kanji, a space).
fn units(paragraph: &str) -> impl Iterator<Item = &str> {
    let mut rest = paragraph;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let end = if is_word_char(first) {
            rest.find(|c| !is_word_char(c)).unwrap_or(rest.len())
        } else {
            first.len_utf8()
        };
        let (unit, tail) = rest.split_at(end);
        rest = tail;
        Some(unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half-width for ASCII, full-width for everything else, like a Japanese font.
    fn advance(c: char) -> f32 {
        if c.is_ascii() { 0.5 } else { 1.0 }
    }

    fn lines(text: &str, width: f32) -> Vec<String> {
        wrap(text, width, advance)
    }

    #[test]
    fn japanese_breaks_between_any_characters() {
        assert_eq!(lines("指定医の皆様へ", 3.0), ["指定医", "の皆様", "へ"]);
    }

    #[test]
    fn english_breaks_between_words_and_drops_the_breaking_space() {
        assert_eq!(lines("one two three", 3.0), ["one", "two", "three"]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_broken_inside() {
        assert_eq!(lines("abcdefgh", 2.0), ["abcd", "efgh"]);
    }

    #[test]
    fn closing_punctuation_hangs_instead_of_starting_a_line() {
        assert_eq!(lines("です。次", 2.0), ["です。", "次"]);
    }

    #[test]
    fn newlines_start_paragraphs_and_empty_ones_are_kept() {
        assert_eq!(lines("a\r\n\nb", 10.0), ["a", "", "b"]);
    }

    #[test]
    fn empty_text_has_no_lines_and_spaces_one() {
        assert!(lines("", 10.0).is_empty());
        assert_eq!(lines("   ", 10.0), ["   "]);
    }

    #[test]
    fn zero_or_negative_width_still_terminates_with_one_character_per_line() {
        assert_eq!(lines("ab 山", 0.0), ["a", "b", "山"]);
        assert_eq!(lines("山川", -5.0), ["山", "川"]);
    }

    #[test]
    fn mixed_text_keeps_latin_runs_together() {
        assert_eq!(lines("ID: abc123 です", 4.0), ["ID:", "abc123", "です"]);
    }
}
