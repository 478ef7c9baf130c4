//! Small typed values shared by the header and the disease items.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 性別 (sex) as written on the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

/// 有無 (present / absent / unknown), as the forms ask for family history or ventilator use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// あり
    Present,
    /// なし
    Absent,
    /// 不明
    Unknown,
}

/// A year and month, such as 発症年月 (onset year-month). Serialised as `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// A year-month, or `None` when the month is not 1–12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// The year-month a date falls in.
    pub fn of(date: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for YearMonth {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (y, m) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not YYYY-MM"))?;
        let year = y.parse().map_err(|_| format!("`{s}` is not YYYY-MM"))?;
        let month = m.parse().map_err(|_| format!("`{s}` is not YYYY-MM"))?;
        Self::new(year, month).ok_or_else(|| format!("`{s}` has no month {month}"))
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for YearMonth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "YearMonth".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
            "description": "A year and month, YYYY-MM"
        })
    }
}

/// The value of a disease-specific item. Adapters usually deliver text; the checks coerce it to
/// the type the disease template declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ItemValue {
    Integer(i64),
    Decimal(f64),
    Boolean(bool),
    Text(String),
}

impl ItemValue {
    /// The value as a number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ItemValue::Integer(i) => Some(*i as f64),
            ItemValue::Decimal(d) => Some(*d),
            _ => None,
        }
    }
}

impl fmt::Display for ItemValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemValue::Integer(i) => write!(f, "{i}"),
            ItemValue::Decimal(d) => write!(f, "{d}"),
            ItemValue::Boolean(b) => write!(f, "{b}"),
            ItemValue::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_month_round_trips_and_rejects_month_13() {
        let ym: YearMonth = "2019-04".parse().unwrap();
        assert_eq!(ym.to_string(), "2019-04");
        assert!("2019-13".parse::<YearMonth>().is_err());
        assert!("201904".parse::<YearMonth>().is_err());
    }

    #[test]
    fn item_value_deserialises_the_narrowest_type() {
        let v: Vec<ItemValue> = serde_json::from_str(r#"[3, 4.5, true, "x"]"#).unwrap();
        assert_eq!(
            v,
            vec![
                ItemValue::Integer(3),
                ItemValue::Decimal(4.5),
                ItemValue::Boolean(true),
                ItemValue::Text("x".into())
            ]
        );
    }
}
