//! Half-width katakana (半角カナ), as older back offices store names: one CP932 byte per
//! character, voiced kana as two (ｶﾞ). The SDK reads them back to full width
//! (`parse::normalize_kana`); this is the way out.

use std::collections::HashMap;
use std::sync::LazyLock;

use kakehashi_sdk::parse::normalize_kana;

/// Full-width katakana (and the long-vowel mark and the ideographic space) to their half-width
/// spelling, derived from NFKC so the two directions cannot disagree.
static HALFWIDTH: LazyLock<HashMap<char, String>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for half in '\u{FF66}'..='\u{FF9D}' {
        for mark in ["", "\u{FF9E}", "\u{FF9F}"] {
            let spelling = format!("{half}{mark}");
            let full = normalize_kana(&spelling);
            let mut chars = full.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                map.entry(c).or_insert(spelling);
            }
        }
    }
    map.insert('\u{3000}', " ".to_owned());
    map
});

/// Writes katakana half-width; characters without a half-width form (ヰ, ヶ, kanji) stay.
pub fn to_halfwidth_katakana(text: &str) -> String {
    text.chars()
        .map(|c| HALFWIDTH.get(&c).cloned().unwrap_or_else(|| c.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn katakana_round_trips_through_half_width() {
        for (full, half) in [
            ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            ("パーキンソン", "ﾊﾟｰｷﾝｿﾝ"),
            ("ヴィッツ", "ｳﾞｨｯﾂ"),
            ("キョウコ", "ｷｮｳｺ"),
        ] {
            assert_eq!(to_halfwidth_katakana(full), half);
            assert_eq!(normalize_kana(half), full.replace('　', " "));
        }
        assert_eq!(to_halfwidth_katakana("ヶ丘"), "ヶ丘");
    }
}
