//! Form templates (`mappings/scan/NAME.toml`): where on a printed sheet each field is written,
//! and how to read it, so that OCR reads each box with the right character set instead of
//! guessing at a whole page.
//!
//! Coordinates are millimetres from the top left corner of the printed page. Every page of a
//! form carries four filled square registration marks (`marks`, their centres) and its form
//! code and page number (`2403-1`) in `code_box`; the marks give the page's skew, offset and
//! scale in the scan, the code tells which template and page it is.
//!
//! ```toml
//! description = "臨床調査個人票 共通項目（2024-04 様式）"
//! form_code = "2403"
//! kind = "nanbyo"
//! pages = 2
//! marks = [[12.0, 12.0], [198.0, 12.0], [12.0, 285.0], [198.0, 285.0]]
//! code_box = [150.0, 16.0, 40.0, 9.0]
//! review = { text = 0.9, digits = 0.9 }   # optional, per zone type (see `Thresholds`)
//!
//! [[zones]]
//! page = 1
//! label = "告示番号"
//! field = "disease.number"
//! type = "digits"
//! box = [40.0, 40.0, 30.0, 10.0]        # x, y, width, height in mm
//!
//! [[zones]]
//! page = 1
//! label = "性別"
//! field = "patient.sex"
//! type = "circle"
//! choices = [{ value = "男", box = [40.0, 90.0, 10.0, 10.0] }, { value = "女", box = [55.0, 90.0, 10.0, 10.0] }]
//! ```

use kakehashi_sdk::{AdapterError, HeaderField, MappedSource, MappingTarget, SheetKind};
use serde::Deserialize;

/// A box on the page: x, y (top left), width, height, in millimetres.
pub type MmBox = [f32; 4];

/// How a zone is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneType {
    /// Free text (kanji, kana, Latin, digits): OCR without a character whitelist.
    Text,
    /// Katakana: OCR restricted to katakana, the long vowel mark and spaces.
    Kana,
    /// A date in 和暦 or 西暦 (`昭和55年3月14日`, `1980年3月14日`, `1980/3/14`).
    Date,
    /// Digits only (numbers, codes, identifiers).
    Digits,
    /// A check box: `checked` when the box is marked, `unchecked` when not.
    Check,
    /// One printed choice circled among `choices`; its `value` is the reading.
    Circle,
}

/// A printed choice of a `circle` zone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The reading when this choice is circled (`男`, `あり`, a code the field accepts).
    pub value: String,
    /// Where the choice is printed; a circle drawn around it falls inside this box.
    #[serde(rename = "box")]
    pub bbox: MmBox,
}

/// One field's place on the form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// 1-based page of the form.
    pub page: u32,
    /// The field's printed label (`生年月日`), for reviewers and error messages.
    pub label: String,
    /// A canonical header field, by path (`patient.date_of_birth`).
    #[serde(default)]
    pub field: Option<HeaderField>,
    /// A disease item, by the disease template's item code.
    #[serde(default)]
    pub item: Option<String>,
    #[serde(rename = "type")]
    pub zone_type: ZoneType,
    /// Where the value is written (not used by `circle`, whose choices have boxes).
    #[serde(default, rename = "box")]
    pub bbox: Option<MmBox>,
    /// `check`: the reading of a marked box.
    #[serde(default)]
    pub checked: Option<String>,
    /// `check`: the reading of an empty box; without it an empty box leaves the field unset.
    #[serde(default)]
    pub unchecked: Option<String>,
    /// `circle`: the printed choices.
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// A name, address or institution, which must keep its exact character forms (異体字):
    /// a reading containing either member of a variant pair (高/髙, 崎/﨑, …) goes to review.
    #[serde(default)]
    pub exact_kanji: bool,
}

impl Zone {
    /// The canonical path or item code the zone fills.
    pub fn target(&self) -> &str {
        match (&self.field, &self.item) {
            (Some(f), _) => f.path(),
            (None, Some(i)) => i,
            (None, None) => "",
        }
    }
}

/// A form template.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormTemplate {
    /// What the form is, in words.
    pub description: String,
    /// The form code printed on every page (`2403`: the 2024-04 layout).
    pub form_code: String,
    /// 臨個票 (nanbyo) or 意見書 (shoman).
    pub kind: SheetKind,
    /// Pages of one filled form; a scan holds one or more forms back to back.
    pub pages: u32,
    /// Printed page size in mm (A4 by default).
    #[serde(default = "a4")]
    pub page_size: [f32; 2],
    /// Centres of the four registration marks: top left, top right, bottom left, bottom right.
    pub marks: [[f32; 2]; 4],
    /// Side of the filled square marks, in mm.
    #[serde(default = "mark_side")]
    pub mark_size: f32,
    /// Where every page prints `FORMCODE-PAGE`.
    pub code_box: MmBox,
    /// When a reading is too unsure to be accepted without a person (per zone type).
    #[serde(default)]
    pub review: Thresholds,
    pub zones: Vec<Zone>,
}

/// Confidence thresholds, calibrated per zone type on the project's own synthetic scans
/// (`examples/accuracy.rs`): a written box goes to review when its least sure character scores
/// below its type's threshold, or when any character has a rival choice scoring above `rival`;
/// a check box or circle when its ink decides the mark by less than its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    pub text: f32,
    pub kana: f32,
    pub date: f32,
    pub digits: f32,
    pub check: f32,
    pub circle: f32,
    pub rival: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            text: 0.90,
            kana: 0.90,
            date: 0.90,
            digits: 0.90,
            check: 0.75,
            circle: 0.50,
            rival: 0.20,
        }
    }
}

impl Thresholds {
    /// The least confidence a reading of this zone type is accepted with.
    pub fn for_type(&self, zone_type: ZoneType) -> f32 {
        match zone_type {
            ZoneType::Text => self.text,
            ZoneType::Kana => self.kana,
            ZoneType::Date => self.date,
            ZoneType::Digits => self.digits,
            ZoneType::Check => self.check,
            ZoneType::Circle => self.circle,
        }
    }

    fn all(&self) -> [f32; 7] {
        [
            self.text,
            self.kana,
            self.date,
            self.digits,
            self.check,
            self.circle,
            self.rival,
        ]
    }
}

fn a4() -> [f32; 2] {
    [210.0, 297.0]
}

fn mark_side() -> f32 {
    6.0
}

impl FormTemplate {
    /// Checks what serde cannot: each zone names one target and has what its type needs.
    pub fn validate(&self, name: &str) -> Result<(), AdapterError> {
        let invalid = |what: String| {
            AdapterError::mapping(
                "mapping.invalid",
                format!("scan template `{name}`: {what}"),
                format!("スキャン様式 `{name}`: {what}"),
            )
        };
        if self.pages == 0 || !self.review.all().iter().all(|t| (0.0..=1.0).contains(t)) {
            return Err(invalid(
                "`pages` must be at least 1 and every `review` threshold within 0–1".into(),
            ));
        }
        for z in &self.zones {
            if z.field.is_some() == z.item.is_some() {
                return Err(invalid(format!(
                    "zone `{}` needs exactly one of `field` and `item`",
                    z.label
                )));
            }
            if z.page == 0 || z.page > self.pages {
                return Err(invalid(format!(
                    "zone `{}` is on page {}, outside 1–{}",
                    z.label, z.page, self.pages
                )));
            }
            let ok = match z.zone_type {
                ZoneType::Circle => z.choices.len() >= 2,
                ZoneType::Check => z.bbox.is_some() && z.checked.is_some(),
                _ => z.bbox.is_some(),
            };
            if !ok {
                return Err(invalid(format!(
                    "zone `{}`: a circle needs two or more `choices`, a check box `box` and `checked`, every other type a `box`",
                    z.label
                )));
            }
        }
        Ok(())
    }
}

impl FormTemplate {
    /// Where each zone goes, with the readings its check box or circled choices produce.
    pub fn sources(&self) -> Vec<MappedSource> {
        self.zones
            .iter()
            .filter_map(|z| {
                let target = match (&z.field, &z.item) {
                    (Some(field), _) => MappingTarget::Field(*field),
                    (None, Some(item)) => MappingTarget::Item(item.clone()),
                    (None, None) => return None,
                };
                let values = z
                    .choices
                    .iter()
                    .map(|c| c.value.clone())
                    .chain(z.checked.clone())
                    .chain(z.unchecked.clone());
                Some(
                    MappedSource::new(format!("zone `{}` (page {})", z.label, z.page), target)
                        .with_values(values),
                )
            })
            .collect()
    }
}
