//! Layouts of decision and issuing files (`mappings/municipal/NAME.toml`). One description
//! drives both reading a decision file and writing a 受給者証 issuing file, so the two can never
//! disagree about where a field sits.
//!
//! ```toml
//! description = "City A back office, CP932 CSV"
//! kind = "nanbyo"                 # programme when no field says (nanbyo | shoman)
//!
//! [csv]                           # either [csv] …
//! encoding = "shift_jis"          # utf-8 | shift_jis | auto
//! header = true
//! line_end = "crlf"
//!
//! # [fixed]                       # … or [fixed]
//! # record_length = 160           # bytes per record, without the line end
//! # line_end = "crlf"             # crlf | lf | none (records back to back)
//!
//! [[fields]]
//! field = "recipient_number"
//! column = "受給者番号"            # CSV: by header name …
//! # index = 3                     # … or by 1-based position
//! # start = 1                     # fixed: 1-based byte position
//! # width = 7                     # fixed: width in CP932 bytes (full-width = 2)
//! # pad = "zero"                  # fixed, when writing: zero (right-aligned) | space
//! codes = { certified = "1", not_certified = "2" }   # canonical value → the file's code
//! # date = "era_code"             # yyyymmdd | iso | era_code (GYYMMDD) | wareki
//! # kana = "halfwidth"            # write kana as half-width katakana (ｶﾅ)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use kakehashi_adapter_csv::mapping::Encoding;
use kakehashi_sdk::{AdapterError, SheetKind};
use serde::Deserialize;

/// Mapping category of municipal layouts.
pub const CATEGORY: &str = "municipal";

/// What a field of the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum DecisionField {
    /// 難病 / 小慢
    #[serde(rename = "kind")]
    Kind,
    /// 受付番号 (receipt number)
    #[serde(rename = "receipt_number")]
    ReceiptNumber,
    /// 公費負担者番号 (payer number)
    #[serde(rename = "payer_number")]
    PayerNumber,
    /// 受給者番号 (recipient number)
    #[serde(rename = "recipient_number")]
    RecipientNumber,
    /// 認定 / 不認定
    #[serde(rename = "decision")]
    Decision,
    /// 階層区分 (income tier)
    #[serde(rename = "income_tier")]
    IncomeTier,
    /// 特例区分 (special status)
    #[serde(rename = "special_status")]
    SpecialStatus,
    /// 自己負担上限額（月額） (monthly co-payment cap)
    #[serde(rename = "monthly_copayment_cap")]
    MonthlyCopaymentCap,
    /// 有効期間（開始）
    #[serde(rename = "valid_from")]
    ValidFrom,
    /// 有効期間（終了）
    #[serde(rename = "valid_to")]
    ValidTo,
    /// 研究利用への同意 (research consent); blank reads as no consent, so nothing is sent to
    /// the national DB on a file's silence.
    #[serde(rename = "research_consent")]
    ResearchConsent,
    /// 氏名: written to issuing files; a decision file's copy is not read (the application
    /// holds the patient).
    #[serde(rename = "patient.name")]
    PatientName,
    /// 氏名（カナ）: written only, as above.
    #[serde(rename = "patient.name_kana")]
    PatientNameKana,
    /// 生年月日: written only.
    #[serde(rename = "patient.date_of_birth")]
    PatientDateOfBirth,
    /// 性別: written only.
    #[serde(rename = "patient.sex")]
    PatientSex,
    /// 郵便番号: written only.
    #[serde(rename = "patient.postal_code")]
    PatientPostalCode,
    /// 住所: written only.
    #[serde(rename = "patient.address")]
    PatientAddress,
}

impl DecisionField {
    /// The field's name in layouts and findings.
    pub fn path(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::ReceiptNumber => "receipt_number",
            Self::PayerNumber => "payer_number",
            Self::RecipientNumber => "recipient_number",
            Self::Decision => "decision",
            Self::IncomeTier => "income_tier",
            Self::SpecialStatus => "special_status",
            Self::MonthlyCopaymentCap => "monthly_copayment_cap",
            Self::ValidFrom => "valid_from",
            Self::ValidTo => "valid_to",
            Self::ResearchConsent => "research_consent",
            Self::PatientName => "patient.name",
            Self::PatientNameKana => "patient.name_kana",
            Self::PatientDateOfBirth => "patient.date_of_birth",
            Self::PatientSex => "patient.sex",
            Self::PatientPostalCode => "patient.postal_code",
            Self::PatientAddress => "patient.address",
        }
    }

    /// Whether the field is a copy of the patient's data, written but not read.
    pub fn is_patient(self) -> bool {
        self.path().starts_with("patient.")
    }

    fn is_date(self) -> bool {
        matches!(
            self,
            Self::ValidFrom | Self::ValidTo | Self::PatientDateOfBirth
        )
    }
}

/// How a date is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateFormat {
    /// `20240401`
    #[default]
    Yyyymmdd,
    /// `2024-04-01`
    Iso,
    /// `5060401`: era code (1 明治 … 5 令和) and YYMMDD of the era.
    EraCode,
    /// Read as any date the SDK reads (和暦 or Western); written as `R6.4.1`.
    Wareki,
}

/// How a fixed-length field is filled when the value is shorter than the width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pad {
    /// Left-aligned, filled with half-width spaces.
    #[default]
    Space,
    /// Right-aligned, filled with `0` (numbers).
    Zero,
}

/// How kana are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KanaWidth {
    /// As the sheet holds them (full-width katakana).
    #[default]
    Fullwidth,
    /// Half-width katakana (ｶﾅ, one CP932 byte each), as older back offices store names.
    Halfwidth,
}

/// Line ends between records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnd {
    /// CR LF, the Windows convention of most back offices.
    #[default]
    Crlf,
    /// LF alone.
    Lf,
    /// None: fixed-length records back to back (CSV layouts cannot use this).
    None,
}

impl LineEnd {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Self::Crlf => b"\r\n",
            Self::Lf => b"\n",
            Self::None => b"",
        }
    }
}

/// A CSV file's shape.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvFormat {
    /// Text encoding; back offices mostly write CP932 (`shift_jis`).
    #[serde(default)]
    pub encoding: Encoding,
    /// Whether the first line names the columns.
    #[serde(default = "default_true")]
    pub header: bool,
    /// Line end written after each row (any is read).
    #[serde(default)]
    pub line_end: LineEnd,
}

/// A fixed-length file's shape. Always CP932: widths count its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedFormat {
    /// Bytes per record, without the line end.
    pub record_length: u32,
    /// What separates records.
    #[serde(default)]
    pub line_end: LineEnd,
}

/// Where a field sits and how its value is written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub field: DecisionField,
    /// CSV: the column's header text.
    #[serde(default)]
    pub column: Option<String>,
    /// CSV: the column's 1-based position.
    #[serde(default)]
    pub index: Option<u32>,
    /// Fixed: the field's 1-based byte position in the record.
    #[serde(default)]
    pub start: Option<u32>,
    /// Fixed: the field's width in CP932 bytes.
    #[serde(default)]
    pub width: Option<u32>,
    /// Fixed, when writing: how a shorter value is filled.
    #[serde(default)]
    pub pad: Pad,
    /// The file's codes for canonical values (`certified`, `low_income_1`, `ventilator`,
    /// `general`, `nanbyo`, `true`, `male`, …). Read: a code not listed is read as text.
    #[serde(default)]
    pub codes: BTreeMap<String, String>,
    /// Dates only: how they are written.
    #[serde(default)]
    pub date: DateFormat,
    /// `patient.name_kana` only: the kana width written.
    #[serde(default)]
    pub kana: KanaWidth,
}

impl FieldSpec {
    /// What the field is called in messages: its header, or its canonical name.
    pub fn label(&self) -> &str {
        self.column.as_deref().unwrap_or(self.field.path())
    }

    /// Fixed: the 0-based byte range.
    pub fn range(&self) -> std::ops::Range<usize> {
        let start = self.start.unwrap_or(1).saturating_sub(1) as usize;
        start..start + self.width.unwrap_or(0) as usize
    }
}

/// A layout file as written; [`Layout`] is the checked form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayoutFile {
    /// What system writes or reads this file, for people.
    description: String,
    /// Programme when no field says.
    #[serde(default = "default_kind")]
    kind: SheetKind,
    /// A CSV file …
    #[serde(default)]
    csv: Option<CsvFormat>,
    /// … or a fixed-length one.
    #[serde(default)]
    fixed: Option<FixedFormat>,
    fields: Vec<FieldSpec>,
}

/// The file's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Csv(CsvFormat),
    Fixed(FixedFormat),
}

/// A checked decision / issuing file layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The layout's name (its file stem), for provenance.
    pub name: String,
    pub description: String,
    /// Programme when no field says.
    pub kind: SheetKind,
    pub format: Format,
    pub fields: Vec<FieldSpec>,
}

fn default_true() -> bool {
    true
}

fn default_kind() -> SheetKind {
    SheetKind::Nanbyo
}

fn invalid(name: &str, what: String, what_ja: String) -> AdapterError {
    AdapterError::mapping(
        "mapping.invalid",
        format!("municipal layout `{name}`: {what}"),
        format!("自治体レイアウト `{name}`: {what_ja}"),
    )
}

impl Layout {
    /// Loads a layout by name from the mapping files and checks it.
    pub fn load(mappings: &kakehashi_sdk::MappingFiles, name: &str) -> Result<Self, AdapterError> {
        Self::check(mappings.load(CATEGORY, name)?, name)
    }

    /// Reads and checks a layout from its TOML text.
    pub fn parse(name: &str, text: &str) -> Result<Self, AdapterError> {
        let file = toml::from_str(text)
            .map_err(|e| invalid(name, e.to_string(), format!("TOML として読めません: {e}")))?;
        Self::check(file, name)
    }

    /// Refuses a layout that could not be read or written unambiguously.
    fn check(file: LayoutFile, name: &str) -> Result<Self, AdapterError> {
        let fail = |what: String, what_ja: String| Err(invalid(name, what, what_ja));
        let format = match (file.csv, file.fixed) {
            (Some(csv), None) => Format::Csv(csv),
            (None, Some(fixed)) => Format::Fixed(fixed),
            _ => {
                return fail(
                    "give exactly one of [csv] and [fixed]".into(),
                    "[csv] と [fixed] のどちらか一方を指定してください".into(),
                );
            }
        };
        let layout = Self {
            name: name.to_owned(),
            description: file.description,
            kind: file.kind,
            format,
            fields: file.fields,
        };
        let mut seen = BTreeSet::new();
        for f in &layout.fields {
            let path = f.field.path();
            if !seen.insert(f.field) {
                return fail(
                    format!("field `{path}` appears twice"),
                    format!("項目 `{path}` が 2 回あります"),
                );
            }
            let mut codes = BTreeSet::new();
            if let Some(dup) = f.codes.values().find(|c| !codes.insert(c.as_str())) {
                return fail(
                    format!("field `{path}`: code `{dup}` stands for two values"),
                    format!("項目 `{path}`: コード `{dup}` が二つの値に割り当てられています"),
                );
            }
            if f.date != DateFormat::default() && !f.field.is_date() {
                return fail(
                    format!("field `{path}` is not a date but has `date`"),
                    format!("項目 `{path}` は日付ではないのに date があります"),
                );
            }
        }
        if !seen.contains(&DecisionField::Decision) {
            return fail(
                "a decision file needs the `decision` field (認定 / 不認定)".into(),
                "判定結果（decision: 認定 / 不認定）の項目が必要です".into(),
            );
        }
        match &layout.format {
            Format::Csv(csv) => layout.check_csv(csv)?,
            Format::Fixed(fixed) => layout.check_fixed(fixed)?,
        }
        Ok(layout)
    }

    fn check_csv(&self, csv: &CsvFormat) -> Result<(), AdapterError> {
        let name = self.name.as_str();
        if csv.line_end == LineEnd::None {
            return Err(invalid(
                name,
                "a CSV layout needs a line end".into(),
                "CSV レイアウトには改行が必要です".into(),
            ));
        }
        let mut indices = BTreeSet::new();
        for f in &self.fields {
            let path = f.field.path();
            let ok = match (&f.column, f.index) {
                (Some(_), None) => csv.header,
                (None, Some(i)) => i >= 1 && indices.insert(i),
                _ => false,
            };
            if !ok || f.start.is_some() || f.width.is_some() {
                return Err(invalid(
                    name,
                    format!(
                        "CSV field `{path}` needs either `column` (with header = true) or a distinct `index` ≥ 1, and no `start`/`width`"
                    ),
                    format!(
                        "CSV の項目 `{path}` には column（header = true のとき）か重複しない index（1 以上）のどちらか一方を指定し、start/width は指定しないでください"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_fixed(&self, fixed: &FixedFormat) -> Result<(), AdapterError> {
        let name = self.name.as_str();
        let length = fixed.record_length as usize;
        let mut taken: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
        for f in &self.fields {
            let path = f.field.path();
            let (Some(start), Some(width)) = (f.start, f.width) else {
                return Err(invalid(
                    name,
                    format!("fixed-length field `{path}` needs `start` and `width`"),
                    format!("固定長の項目 `{path}` には start と width が必要です"),
                ));
            };
            let range = f.range();
            if start == 0 || width == 0 || range.end > length {
                return Err(invalid(
                    name,
                    format!(
                        "field `{path}` (bytes {start}–{}) does not fit a record of {length} bytes",
                        range.end
                    ),
                    format!(
                        "項目 `{path}`（{start}〜{} バイト）がレコード長 {length} バイトに収まりません",
                        range.end
                    ),
                ));
            }
            if let Some((_, other)) = taken
                .iter()
                .find(|(r, _)| r.start < range.end && range.start < r.end)
            {
                return Err(invalid(
                    name,
                    format!("fields `{other}` and `{path}` overlap"),
                    format!("項目 `{other}` と `{path}` の位置が重なっています"),
                ));
            }
            if f.column.is_some() || f.index.is_some() {
                return Err(invalid(
                    name,
                    format!("fixed-length field `{path}` has a CSV `column`/`index`"),
                    format!("固定長の項目 `{path}` に CSV の column/index があります"),
                ));
            }
            taken.push((range, path));
        }
        Ok(())
    }
}
