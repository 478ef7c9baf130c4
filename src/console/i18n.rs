//! Wording: one message catalogue per language (`messages/ja.toml`, `messages/en.toml`),
//! embedded in the binary and read once. Japanese first; English on request (`?lang=en`,
//! remembered in a cookie). Keys are dotted (`login.title`), from the catalogues' tables.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A language of the console (表示言語).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(tag: &str) -> Option<Self> {
        match tag {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Self {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// Of a pair of texts (such as an error's or a finding's `message_ja` / `message`), the one
    /// in this language.
    pub fn pick<'a>(self, ja: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

type Catalogue = BTreeMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, into: &mut Catalogue) {
    for (key, value) in table {
        let key = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, into),
            toml::Value::String(text) => {
                into.insert(key, text.clone());
            }
            other => {
                into.insert(key, other.to_string());
            }
        }
    }
}

fn load(source: &str) -> Catalogue {
    // The catalogues are part of the binary and a unit test parses them: a broken one never
    // ships, so an empty catalogue here (every key shown as itself) is only a safety net.
    let table: toml::Table = toml::from_str(source).unwrap_or_default();
    let mut catalogue = Catalogue::new();
    flatten("", &table, &mut catalogue);
    catalogue
}

static JA: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("messages/ja.toml")));
static EN: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("messages/en.toml")));

fn catalogue(lang: Lang) -> &'static Catalogue {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
    }
}

/// The text of `key` in `lang` (the key itself if a catalogue lacks it, which the tests rule
/// out for every key the code names).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match catalogue(lang).get_key_value(key) {
        Some((_, text)) => text.as_str(),
        None => {
            tracing::warn!(%key, "console message missing from the catalogue");
            match catalogue(Lang::Ja).get(key) {
                Some(text) => text.as_str(),
                None => "?",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_parse_and_have_exactly_the_same_keys() {
        for source in [
            include_str!("messages/ja.toml"),
            include_str!("messages/en.toml"),
        ] {
            toml::from_str::<toml::Table>(source).expect("a catalogue is valid TOML");
        }
        let ja: Vec<&String> = JA.keys().collect();
        let en: Vec<&String> = EN.keys().collect();
        let only_ja: Vec<_> = ja.iter().filter(|k| !EN.contains_key(**k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !JA.contains_key(**k)).collect();
        assert!(
            only_ja.is_empty() && only_en.is_empty(),
            "only in ja: {only_ja:?}; only in en: {only_en:?}"
        );
        assert!(JA.values().chain(EN.values()).all(|v| !v.trim().is_empty()));
    }

    /// Every string literal of the console's code that names a key of a catalogue table
    /// (`"login.title"`, whether passed to [`t`] or kept in a table of keys) exists.
    #[test]
    fn every_key_used_in_code_exists() {
        let tables: Vec<&str> = JA.keys().filter_map(|k| k.split('.').next()).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console");
        let mut files = vec![root];
        let mut used = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).unwrap() {
                    files.push(entry.unwrap().path());
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                used.extend(
                    literals(&source)
                        .filter(|l| looks_like_key(l))
                        .filter(|l| l.split('.').next().is_some_and(|t| tables.contains(&t)))
                        .map(str::to_owned),
                );
            }
        }
        assert!(used.len() > 50, "the scan finds the keys: {used:?}");
        let missing: Vec<_> = used.iter().filter(|k| !JA.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "keys not in the catalogues: {missing:?}"
        );
    }

    /// The contents of the string literals of a source file (escapes skipped, `'"'` not
    /// taken for a quote).
    fn literals(source: &str) -> impl Iterator<Item = &str> {
        let bytes = source.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' if bytes.get(i + 1) == Some(&b'"') => i += 3,
                b'"' => {
                    let start = i + 1;
                    i = start;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    found.push(&source[start..i.min(bytes.len())]);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        found.into_iter()
    }

    fn looks_like_key(text: &str) -> bool {
        text.contains('.')
            && text.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
    }
}
