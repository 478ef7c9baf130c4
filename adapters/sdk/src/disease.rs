//! The notified disease lists: 348 指定難病 by 告示番号, and the 小慢 diseases by 疾患群 and
//! 告示番号 (numbers restart in each of the 16 groups). The gateway loads them from the public
//! lists in `mappings/reference/`; this module parses them and answers look-ups.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::SheetKind;

/// Identifies a notified disease: kind, 疾患群 (小慢 only) and 告示番号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DiseaseKey {
    pub kind: SheetKind,
    /// 疾患群 (1–16) for 小慢; `None` for 指定難病.
    pub group: Option<u8>,
    pub number: u16,
}

impl std::fmt::Display for DiseaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.group {
            Some(g) => write!(f, "{} {}-{}", self.kind.as_str(), g, self.number),
            None => write!(f, "{} {}", self.kind.as_str(), self.number),
        }
    }
}

/// One notified disease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiseaseEntry {
    #[serde(flatten)]
    pub key: DiseaseKey,
    /// 告示病名
    pub name: String,
    /// English name (from NANDO), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// 疾患群の名称 (the 小慢 group's name, the 医療意見書's 大分類), or the 指定難病 disease group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// 細分類 (the 小慢 subgroup's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgroup_name: Option<String>,
    /// 疾病コード (the 小慢 disease code, `GG_SS_NNN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Why a disease list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{list}: line {line}: {reason}")]
    Malformed {
        list: String,
        line: u64,
        reason: String,
    },
}

/// Every notified disease, for binding sheets and answering `kakehashi diseases`.
#[derive(Debug, Clone, Default)]
pub struct DiseaseRegistry {
    entries: BTreeMap<DiseaseKey, DiseaseEntry>,
    /// Each 告示病名 and the first disease of that name in key order, built at the first
    /// look-up by name after the lists change (a scan of every entry cost a FHIR document a
    /// fifth of its conversion).
    names: OnceLock<HashMap<String, DiseaseKey>>,
}

/// One row of a disease list, with where it is for errors.
struct Row<'a> {
    list: &'a str,
    line: u64,
    record: csv::StringRecord,
}

impl Row<'_> {
    fn malformed(&self, reason: String) -> RegistryError {
        RegistryError::Malformed {
            list: self.list.to_owned(),
            line: self.line,
            reason,
        }
    }

    /// Column `i` (0-based), trimmed.
    fn text(&self, i: usize) -> Result<&str, RegistryError> {
        self.record
            .get(i)
            .map(str::trim)
            .ok_or_else(|| self.malformed(format!("no column {}", i + 1)))
    }

    /// Column `i`, or `None` when empty.
    fn optional(&self, i: usize) -> Result<Option<String>, RegistryError> {
        let t = self.text(i)?;
        Ok((!t.is_empty()).then(|| t.to_owned()))
    }

    /// Column `i` when the list has it and it is not empty (a column later lists added).
    fn extra(&self, i: usize) -> Option<String> {
        self.record
            .get(i)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    }

    fn number<T: std::str::FromStr>(&self, i: usize) -> Result<T, RegistryError> {
        let t = self.text(i)?;
        t.parse()
            .map_err(|_| self.malformed(format!("`{t}` is not a number")))
    }
}

/// The data rows of a list (CSV with a header line, UTF-8 with or without BOM).
fn rows<'a>(
    list: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Result<Row<'a>, RegistryError>> + 'a {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .from_reader(text.as_bytes())
        .into_records()
        .map(move |r| match r {
            Ok(record) => Ok(Row {
                list,
                line: record.position().map_or(0, |p| p.line()),
                record,
            }),
            Err(e) => Err(RegistryError::Malformed {
                list: list.to_owned(),
                line: e.position().map_or(0, |p| p.line()),
                reason: e.to_string(),
            }),
        })
}

impl DiseaseRegistry {
    /// Adds the 指定難病 list: CSV `no,name` (告示番号, 告示病名), UTF-8 with or without BOM.
    pub fn add_nanbyo_list(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        self.names = OnceLock::new();
        for row in rows(list, text) {
            let row = row?;
            let key = DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number: row.number(0)?,
            };
            let entry = DiseaseEntry {
                key,
                name: row.text(1)?.to_owned(),
                name_en: None,
                group_name: None,
                subgroup_name: None,
                code: None,
            };
            self.entries.insert(key, entry);
        }
        Ok(())
    }

    /// Adds English names and groups for 指定難病 from the NANDO-derived list
    /// (`notification_no, nando_id, name_ja, name_en, disease_group_ja, …`). Names in the 告示
    /// list win; NANDO only fills in what it lacks.
    pub fn add_nanbyo_nando(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        for row in rows(list, text) {
            let row = row?;
            let key = DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number: row.number(0)?,
            };
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.name_en = row.optional(3)?;
                entry.group_name = row.optional(4)?;
            }
        }
        Ok(())
    }

    /// Adds the 小慢 list (NANDO-derived, one row per 疾患群 and 告示番号:
    /// `group_no, group_ja, subgroup_ja, notification_no, name_ja, name_en, …`).
    pub fn add_shoman_list(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        self.names = OnceLock::new();
        for row in rows(list, text) {
            let row = row?;
            let key = DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(row.number(0)?),
                number: row.number(3)?,
            };
            let entry = DiseaseEntry {
                key,
                name: row.text(4)?.to_owned(),
                name_en: row.optional(5)?,
                group_name: row.optional(1)?,
                subgroup_name: row.optional(2)?,
                code: row.extra(8),
            };
            self.entries.insert(key, entry);
        }
        Ok(())
    }

    pub fn get(&self, key: &DiseaseKey) -> Option<&DiseaseEntry> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The disease whose 告示病名 is exactly `name` (spaces around either aside); the first in
    /// key order when several share the name.
    pub fn named(&self, name: &str) -> Option<&DiseaseEntry> {
        let names = self.names.get_or_init(|| {
            let mut names = HashMap::new();
            for (key, entry) in &self.entries {
                names.entry(entry.name.trim().to_owned()).or_insert(*key);
            }
            names
        });
        names.get(name.trim()).and_then(|key| self.entries.get(key))
    }

    /// Diseases of a kind (or all) whose name, English name or number contains the query.
    pub fn search<'a>(
        &'a self,
        kind: Option<SheetKind>,
        query: Option<&'a str>,
    ) -> impl Iterator<Item = &'a DiseaseEntry> + 'a {
        self.entries.values().filter(move |e| {
            kind.is_none_or(|k| e.key.kind == k)
                && query.is_none_or(|q| {
                    let q_lower = q.to_lowercase();
                    e.name.contains(q)
                        || e.name_en
                            .as_deref()
                            .is_some_and(|n| n.to_lowercase().contains(&q_lower))
                        || e.key.number.to_string() == q
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_and_reports_bad_lines() {
        let mut r = DiseaseRegistry::default();
        r.add_nanbyo_list(
            "n.csv",
            "\u{feff}no,name\n1,球脊髄性筋萎縮症\n2,筋萎縮性側索硬化症\n",
        )
        .unwrap();
        r.add_shoman_list(
            "s.csv",
            "group_no,group_ja,subgroup_ja,notification_no,name_ja,name_en\n7,糖尿病,糖尿病,1,1型糖尿病,Diabetes mellitus type 1\n",
        )
        .unwrap();
        assert_eq!(r.len(), 3);
        let key = DiseaseKey {
            kind: SheetKind::Shoman,
            group: Some(7),
            number: 1,
        };
        assert_eq!(r.get(&key).unwrap().name, "1型糖尿病");
        assert_eq!(r.named(" 1型糖尿病").unwrap().key, key);
        assert!(r.named("糖尿病").is_none());
        assert_eq!(r.search(Some(SheetKind::Nanbyo), Some("側索")).count(), 1);
        assert_eq!(r.search(None, Some("diabetes")).count(), 1);

        let err = r
            .add_nanbyo_list("bad.csv", "no,name\nx,名前\n")
            .unwrap_err();
        assert_eq!(err.to_string(), "bad.csv: line 2: `x` is not a number");
    }
}
