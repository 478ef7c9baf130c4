//! The notified disease lists: 348 指定難病 by 告示番号, and the 小慢 diseases by 疾患群 and
//! 告示番号 (numbers restart in each of the 16 groups). The gateway loads them from the public
//! lists in `mappings/reference/`; this module parses them and answers look-ups.

use std::collections::BTreeMap;

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
    /// 疾患群の名称 (the 小慢 group's name), or the 指定難病 disease group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
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
}

fn rows(
    list: &str,
    text: &str,
) -> impl Iterator<Item = Result<(u64, csv::StringRecord), RegistryError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::Cursor::new(text.to_owned()));
    let list = list.to_owned();
    let records: Vec<_> = reader
        .records()
        .map(move |r| {
            r.map(|rec| (rec.position().map_or(0, |p| p.line()), rec))
                .map_err(|e| RegistryError::Malformed {
                    list: list.clone(),
                    line: e.position().map_or(0, |p| p.line()),
                    reason: e.to_string(),
                })
        })
        .collect();
    records.into_iter()
}

fn field<'a>(
    list: &str,
    line: u64,
    rec: &'a csv::StringRecord,
    i: usize,
) -> Result<&'a str, RegistryError> {
    rec.get(i)
        .map(str::trim)
        .ok_or_else(|| RegistryError::Malformed {
            list: list.to_owned(),
            line,
            reason: format!("no column {}", i + 1),
        })
}

fn number<T: std::str::FromStr>(list: &str, line: u64, text: &str) -> Result<T, RegistryError> {
    text.parse().map_err(|_| RegistryError::Malformed {
        list: list.to_owned(),
        line,
        reason: format!("`{text}` is not a number"),
    })
}

impl DiseaseRegistry {
    /// Adds the 指定難病 list: CSV `no,name` (告示番号, 告示病名), UTF-8 with or without BOM.
    pub fn add_nanbyo_list(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        for row in rows(list, text) {
            let (line, rec) = row?;
            let key = DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number: number(list, line, field(list, line, &rec, 0)?)?,
            };
            let name = field(list, line, &rec, 1)?.to_owned();
            self.entries.insert(
                key,
                DiseaseEntry {
                    key,
                    name,
                    name_en: None,
                    group_name: None,
                },
            );
        }
        Ok(())
    }

    /// Adds English names and groups for 指定難病 from the NANDO-derived list
    /// (`notification_no, nando_id, name_ja, name_en, disease_group_ja, …`). Names in the 告示
    /// list win; NANDO only fills in what it lacks.
    pub fn add_nanbyo_nando(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        for row in rows(list, text) {
            let (line, rec) = row?;
            let key = DiseaseKey {
                kind: SheetKind::Nanbyo,
                group: None,
                number: number(list, line, field(list, line, &rec, 0)?)?,
            };
            if let Some(entry) = self.entries.get_mut(&key) {
                let en = field(list, line, &rec, 3)?;
                let group = field(list, line, &rec, 4)?;
                entry.name_en = (!en.is_empty()).then(|| en.to_owned());
                entry.group_name = (!group.is_empty()).then(|| group.to_owned());
            }
        }
        Ok(())
    }

    /// Adds the 小慢 list (NANDO-derived, one row per 疾患群 and 告示番号:
    /// `group_no, group_ja, subgroup_ja, notification_no, name_ja, name_en, …`).
    pub fn add_shoman_list(&mut self, list: &str, text: &str) -> Result<(), RegistryError> {
        for row in rows(list, text) {
            let (line, rec) = row?;
            let key = DiseaseKey {
                kind: SheetKind::Shoman,
                group: Some(number(list, line, field(list, line, &rec, 0)?)?),
                number: number(list, line, field(list, line, &rec, 3)?)?,
            };
            let en = field(list, line, &rec, 5)?;
            self.entries.insert(
                key,
                DiseaseEntry {
                    key,
                    name: field(list, line, &rec, 4)?.to_owned(),
                    name_en: (!en.is_empty()).then(|| en.to_owned()),
                    group_name: Some(field(list, line, &rec, 1)?.to_owned()),
                },
            );
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
        assert_eq!(r.search(Some(SheetKind::Nanbyo), Some("側索")).count(), 1);
        assert_eq!(r.search(None, Some("diabetes")).count(), 1);

        let err = r
            .add_nanbyo_list("bad.csv", "no,name\nx,名前\n")
            .unwrap_err();
        assert_eq!(err.to_string(), "bad.csv: line 2: `x` is not a number");
    }
}
