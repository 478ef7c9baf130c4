//! Designated-doctor rosters (指定医名簿, seed 003): the CSV a municipal officer uploads to
//! register many 指定医 at once. One row per doctor; the header names the columns (Japanese or
//! English, any order). The file is read whole and checked whole: any bad row refuses the
//! file with every problem located by line and column, and nothing is registered.

use kakehashi_adapter_csv::mapping::Encoding;
use kakehashi_sdk::SourceLocation;
use kakehashi_sdk::parse::to_halfwidth;

/// One doctor to register.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoctorEntry {
    /// 氏名
    pub name: String,
    /// 氏名カナ
    pub name_kana: String,
    /// 医籍登録番号 (medical register number, digits)
    pub medical_register_number: String,
    /// 指定医番号 (designated-doctor number)
    pub designated_doctor_number: String,
    /// 医療機関コード (10 digits)
    pub institution_code: String,
    /// 医療機関名 (used when the institution is not registered yet)
    #[serde(default)]
    pub institution_name: Option<String>,
    /// 1-based line in the roster, for messages.
    #[serde(skip)]
    pub line: u64,
}

impl DoctorEntry {
    /// The login id the doctor gets: `dr` and the 医籍登録番号, unique nationwide.
    pub fn user_id(&self) -> String {
        format!("dr{}", self.medical_register_number)
    }
}

/// A problem in a roster, located.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct RosterProblem {
    pub code: &'static str,
    pub message: String,
    pub message_ja: String,
    pub location: SourceLocation,
}

/// The roster's columns: (field, accepted header names).
const COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["氏名", "name"]),
    ("name_kana", &["氏名カナ", "カナ", "フリガナ", "name_kana"]),
    (
        "medical_register_number",
        &["医籍登録番号", "medical_register_number"],
    ),
    (
        "designated_doctor_number",
        &["指定医番号", "designated_doctor_number"],
    ),
    ("institution_code", &["医療機関コード", "institution_code"]),
    ("institution_name", &["医療機関名", "institution_name"]),
];

fn problem(
    code: &'static str,
    line: u64,
    column: Option<&str>,
    message: String,
    message_ja: String,
) -> RosterProblem {
    let mut location = SourceLocation::line(line);
    location.column_name = column.map(str::to_owned);
    RosterProblem {
        code,
        message,
        message_ja,
        location,
    }
}

/// Checks one entry's fields; problems are pushed with the entry's line.
pub fn validate(entry: &DoctorEntry, problems: &mut Vec<RosterProblem>) {
    let line = entry.line;
    let required = [
        ("氏名", &entry.name),
        ("氏名カナ", &entry.name_kana),
        ("医籍登録番号", &entry.medical_register_number),
        ("指定医番号", &entry.designated_doctor_number),
        ("医療機関コード", &entry.institution_code),
    ];
    for (column, value) in required {
        if value.trim().is_empty() {
            problems.push(problem(
                "roster.missing",
                line,
                Some(column),
                format!("line {line}: {column} is empty"),
                format!("{line} 行目: {column} が空です"),
            ));
        }
    }
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !entry.medical_register_number.is_empty() && !digits(&entry.medical_register_number, 1, 7) {
        problems.push(problem(
            "roster.medical_register_number",
            line,
            Some("医籍登録番号"),
            format!(
                "line {line}: the medical register number `{}` must be 1 to 7 digits",
                entry.medical_register_number
            ),
            format!(
                "{line} 行目: 医籍登録番号「{}」は 1〜7 桁の数字にしてください",
                entry.medical_register_number
            ),
        ));
    }
    if !entry.institution_code.is_empty() && !digits(&entry.institution_code, 10, 10) {
        problems.push(problem(
            "roster.institution_code",
            line,
            Some("医療機関コード"),
            format!(
                "line {line}: the institution code `{}` must be 10 digits",
                entry.institution_code
            ),
            format!(
                "{line} 行目: 医療機関コード「{}」は 10 桁の数字にしてください",
                entry.institution_code
            ),
        ));
    }
    let number_ok = entry
        .designated_doctor_number
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && entry.designated_doctor_number.len() <= 20;
    if !number_ok {
        problems.push(problem(
            "roster.designated_doctor_number",
            line,
            Some("指定医番号"),
            format!(
                "line {line}: the designated-doctor number `{}` may hold only letters, digits and hyphens (20 at most)",
                entry.designated_doctor_number
            ),
            format!(
                "{line} 行目: 指定医番号「{}」は英数字とハイフン（20 文字以内）にしてください",
                entry.designated_doctor_number
            ),
        ));
    }
}

/// Reads a roster (UTF-8 or Shift_JIS). Returns every entry, or every problem.
pub fn parse_roster(bytes: &[u8]) -> Result<Vec<DoctorEntry>, Vec<RosterProblem>> {
    let text = kakehashi_adapter_csv::decode(bytes, Encoding::Auto).map_err(|e| {
        vec![RosterProblem {
            code: "roster.encoding",
            message: e.message,
            message_ja: e.message_ja,
            location: e.location.map(|l| *l).unwrap_or_default(),
        }]
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| {
            vec![problem(
                "roster.malformed",
                1,
                None,
                e.to_string(),
                format!("1 行目を読めません: {e}"),
            )]
        })?
        .clone();
    let mut index = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for (field, names) in COLUMNS {
        match headers.iter().position(|h| names.contains(&h.trim())) {
            Some(i) => {
                index.insert(*field, i);
            }
            None if *field == "institution_name" => {}
            None => problems.push(problem(
                "roster.missing_column",
                1,
                Some(names[0]),
                format!("the header has no `{}` column", names[0]),
                format!("見出し行に「{}」列がありません", names[0]),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(problem(
                    "roster.malformed",
                    line,
                    None,
                    format!("line {line}: {e}"),
                    format!("{line} 行目を読めません（列の数が見出しと違います）"),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |name: &str| {
            index
                .get(name)
                .and_then(|i| record.get(*i))
                .map(|v| to_halfwidth(v.trim()))
                .unwrap_or_default()
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let entry = DoctorEntry {
            name: record
                .get(index["name"])
                .unwrap_or_default()
                .trim()
                .to_owned(),
            name_kana: record
                .get(index["name_kana"])
                .unwrap_or_default()
                .trim()
                .to_owned(),
            medical_register_number: field("medical_register_number"),
            designated_doctor_number: field("designated_doctor_number"),
            institution_code: field("institution_code"),
            institution_name: index
                .get("institution_name")
                .and_then(|i| record.get(*i))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            line,
        };
        validate(&entry, &mut problems);
        if let Some(first) = entries
            .iter()
            .find(|e: &&DoctorEntry| e.medical_register_number == entry.medical_register_number)
        {
            problems.push(problem(
                "roster.duplicate",
                line,
                Some("医籍登録番号"),
                format!(
                    "line {line}: the medical register number {} is also on line {}",
                    entry.medical_register_number, first.line
                ),
                format!(
                    "{line} 行目: 医籍登録番号 {} は {} 行目と重複しています",
                    entry.medical_register_number, first.line
                ),
            ));
        }
        entries.push(entry);
    }
    if entries.is_empty() && problems.is_empty() {
        problems.push(problem(
            "roster.empty",
            1,
            None,
            "the roster lists no doctors".into(),
            "名簿に指定医が一人もいません".into(),
        ));
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "氏名,氏名カナ,医籍登録番号,指定医番号,医療機関コード,医療機関名\n山田 太郎,ヤマダ タロウ,123456,13-0001,1310000017,東京中央病院\n佐藤 花子,サトウ ハナコ,２３４５６７,13-0002,1310000017,東京中央病院\n";

    #[test]
    fn a_roster_reads_with_full_width_digits() {
        let entries = parse_roster(ROSTER.as_bytes()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].medical_register_number, "234567");
        assert_eq!(entries[1].user_id(), "dr234567");
        assert_eq!(entries[1].line, 3);
        assert_eq!(entries[0].institution_name.as_deref(), Some("東京中央病院"));
    }

    #[test]
    fn every_problem_is_located() {
        let bad = "氏名,氏名カナ,医籍登録番号,指定医番号,医療機関コード\n山田 太郎,ヤマダ タロウ,12a,13-0001,131000001\n,サトウ,123,x y,1310000017\n鈴木,スズキ,123,1,1310000017\n";
        let problems = parse_roster(bad.as_bytes()).unwrap_err();
        let found: Vec<_> = problems.iter().map(|p| (p.code, p.location.line)).collect();
        assert_eq!(
            found,
            [
                ("roster.medical_register_number", Some(2)),
                ("roster.institution_code", Some(2)),
                ("roster.missing", Some(3)),
                ("roster.designated_doctor_number", Some(3)),
                ("roster.duplicate", Some(4)),
            ]
        );
        let missing = parse_roster("氏名,カナ\n".as_bytes()).unwrap_err();
        assert_eq!(missing[0].code, "roster.missing_column");
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(ROSTER);
        assert_eq!(parse_roster(&sjis).unwrap().len(), 2);
    }
}
