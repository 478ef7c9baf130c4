//! 異体字 (variant character forms) that names and addresses keep and the recogniser cannot be
//! trusted to tell apart. Tesseract's Japanese model cannot even emit many old forms (髙, 﨑,
//! 邉, 𠮷, 濵, 德, 凜): it reads them, with high confidence, as their common form. So a name,
//! address or institution containing *either* member of a group goes to a person with its box
//! image — the only one who can see which form is on the paper.

/// Groups of interchangeable forms, common form first. Each group is one string of its members.
const GROUPS: &[&str] = &[
    "高髙",
    "崎﨑嵜碕",
    "辺邊邉",
    "吉𠮷",
    "浜濱濵",
    "斎齋斉齊",
    "徳德悳",
    "凛凜",
    "沢澤",
    "島嶋嶌",
    "国國",
    "広廣",
    "桜櫻",
    "真眞",
    "恵惠",
    "蔵藏",
    "寿壽",
    "実實",
    "竜龍",
    "瀬瀨",
    "曽曾",
    "条條",
    "槙槇",
    "富冨",
    "渕淵渊",
    "篭籠",
    "桧檜",
    "鴎鷗",
    "児兒",
    "峰峯",
    "館舘",
    "柳栁",
    "穂穗",
    "晋晉",
    "弥彌",
    "栄榮",
    "鉄鐵",
    "礼禮",
    "来來",
    "経經",
    "塩鹽",
    "亀龜",
    "桑桒",
    "嶺岺",
];

/// The first character of `text` that has a variant form, with its whole group.
pub fn first_variant(text: &str) -> Option<(char, &'static str)> {
    text.chars()
        .find_map(|c| GROUPS.iter().find(|g| g.contains(c)).map(|g| (c, *g)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_member_of_a_group_is_found() {
        assert_eq!(first_variant("渡邉 一郎"), Some(('邉', "辺邊邉")));
        assert_eq!(first_variant("渡辺 一郎"), Some(('辺', "辺邊邉")));
        assert_eq!(first_variant("髙橋"), Some(('髙', "高髙")));
        assert_eq!(first_variant("𠮷田"), Some(('𠮷', "吉𠮷")));
        assert_eq!(first_variant("山田 花子"), None);
        // Every group has two or more distinct members, and no character is in two groups.
        let mut seen = std::collections::BTreeSet::new();
        for g in GROUPS {
            assert!(g.chars().count() >= 2, "{g}");
            for c in g.chars() {
                assert!(seen.insert(c), "{c} in two groups");
            }
        }
    }
}
