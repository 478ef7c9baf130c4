//! Surnames whose reading is certain enough to check a フリガナ against: the common ones, each
//! with every reading in ordinary use (so 中島 allows ナカジマ and ナカシマ). A name whose
//! surname is not here says nothing about its kana — only a surname that is here and whose
//! kana is none of its readings sends both boxes to review (タカハシ read as タカハン).

/// Surname, then its readings separated by `/`.
const SURNAMES: &[(&str, &str)] = &[
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ/タカバシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ/ワタベ"),
    ("渡邊", "ワタナベ"),
    ("渡邉", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("斉藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ/ヤマサキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ/ナカシマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
    ("藤田", "フジタ"),
    ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"),
    ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("坂本", "サカモト"),
    ("福田", "フクダ"),
    ("太田", "オオタ"),
    ("西村", "ニシムラ"),
    ("藤井", "フジイ"),
    ("金子", "カネコ"),
    ("岡本", "オカモト"),
    ("藤原", "フジワラ/フジハラ"),
    ("中野", "ナカノ"),
    ("三浦", "ミウラ"),
    ("原田", "ハラダ"),
    ("中川", "ナカガワ"),
    ("松田", "マツダ"),
    ("竹内", "タケウチ"),
    ("小野", "オノ"),
    ("田村", "タムラ"),
    ("中山", "ナカヤマ"),
    ("和田", "ワダ"),
    ("石田", "イシダ"),
    ("森田", "モリタ"),
    ("上田", "ウエダ"),
    ("原", "ハラ"),
    ("内田", "ウチダ"),
    ("柴田", "シバタ"),
    ("酒井", "サカイ"),
    ("宮崎", "ミヤザキ/ミヤサキ"),
    ("横山", "ヨコヤマ"),
    ("高木", "タカギ"),
    ("安藤", "アンドウ"),
    ("宮本", "ミヤモト"),
    ("大野", "オオノ"),
    ("小島", "コジマ/オジマ"),
    ("谷口", "タニグチ"),
    ("今井", "イマイ"),
    ("工藤", "クドウ"),
    ("高田", "タカダ/タカタ"),
    ("増田", "マスダ"),
    ("丸山", "マルヤマ"),
    ("杉山", "スギヤマ"),
    ("村田", "ムラタ"),
    ("大塚", "オオツカ"),
    ("新井", "アライ"),
    ("小山", "コヤマ/オヤマ"),
    ("平野", "ヒラノ"),
    ("藤本", "フジモト"),
    ("河野", "コウノ/カワノ"),
    ("上野", "ウエノ"),
    ("野口", "ノグチ"),
    ("武田", "タケダ"),
    ("松井", "マツイ"),
    ("千葉", "チバ"),
    ("岩崎", "イワサキ/イワザキ"),
    ("菅原", "スガワラ"),
    ("木下", "キノシタ"),
    ("久保", "クボ"),
    ("佐野", "サノ"),
    ("野村", "ノムラ"),
    ("松尾", "マツオ"),
    ("市川", "イチカワ"),
    ("菊地", "キクチ"),
    ("杉本", "スギモト"),
    ("大西", "オオニシ"),
    ("島田", "シマダ"),
    ("水野", "ミズノ"),
    ("桜井", "サクライ"),
    ("山内", "ヤマウチ"),
    ("西田", "ニシダ"),
    ("飯田", "イイダ"),
    ("菊池", "キクチ"),
    ("西川", "ニシカワ"),
    ("小松", "コマツ"),
    ("北村", "キタムラ"),
    ("安田", "ヤスダ"),
    ("五十嵐", "イガラシ"),
    ("川口", "カワグチ"),
    ("平田", "ヒラタ"),
    ("久保田", "クボタ"),
    ("服部", "ハットリ"),
    ("岩田", "イワタ"),
    ("土屋", "ツチヤ"),
    ("川村", "カワムラ"),
    ("本田", "ホンダ"),
    ("佐久間", "サクマ"),
    ("荒木", "アラキ"),
    ("大橋", "オオハシ"),
    ("松下", "マツシタ"),
    ("浅野", "アサノ"),
    ("大久保", "オオクボ"),
    ("星野", "ホシノ"),
    ("永井", "ナガイ"),
];

/// Whether the kana can be a reading of the name: `None` when the surname's reading is not
/// certain (not in the table), else whether the kana's surname is one of its readings.
pub fn kana_agrees(name: &str, kana: &str) -> Option<bool> {
    let surname = name.split_whitespace().next()?;
    let (_, readings) = SURNAMES.iter().find(|(s, _)| *s == surname)?;
    let mut words = kana.split_whitespace();
    let first = words.next().unwrap_or_default();
    let spaced = words.next().is_some();
    Some(readings.split('/').any(|r| {
        // Written apart (ヤマダ ハナコ), the first word is the surname's reading; written
        // together, the kana starts with it.
        if spaced {
            first == r
        } else {
            first.starts_with(r)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certain_surname_checks_its_kana() {
        assert_eq!(kana_agrees("高橋 美咲", "タカハシ ミサキ"), Some(true));
        assert_eq!(kana_agrees("高橋 美咲", "タカハン ミサキ"), Some(false));
        assert_eq!(kana_agrees("中島 翔", "ナカシマ ショウ"), Some(true));
        assert_eq!(kana_agrees("山田 花子", "ヤマダハナコ"), Some(true));
        assert_eq!(kana_agrees("山田 花子", "ヤマグチ ハナコ"), Some(false));
        // An unlisted surname, or a name without its surname apart, says nothing.
        assert_eq!(kana_agrees("東海林 太郎", "ショウジ タロウ"), None);
        assert_eq!(kana_agrees("", "ヤマダ"), None);
    }
}
