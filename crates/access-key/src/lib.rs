//! アクセスキー (access key): what a hospital hands the patient on paper when a designated
//! doctor confirms a sheet, and what the municipal officer types to fetch that sheet.
//!
//! A key is 20 symbols of Crockford's base32 alphabet (digits and upper-case letters without
//! `I L O U`, so nothing can be mistaken for a look-alike), printed in five groups of four:
//! `7K3M-Q9XD-2HBT-V4NC-8RWY`. Nineteen symbols come from the operating system's CSPRNG
//! (95 bits: guessing one of a million live keys takes ~2⁷⁵ tries); the twentieth is a check
//! character that catches every single mistyped symbol and every swap of two neighbours
//! ([`check`]), so a typo is told apart from a wrong key before any lookup. [`AccessKey::parse`]
//! reads what people type (case, spaces, full-width characters, `O`/`I`/`L`; see [`parse`]).
//!
//! Only [`AccessKey::digest`] is ever stored. With 95 random bits a plain SHA-256 is enough:
//! there is no dictionary to precompute, and a stolen table of digests yields no key without
//! ~2⁹⁴ hash evaluations per key. `Debug` prints no symbols, so a key never reaches a log by
//! accident.
//!
//! ```
//! use kakehashi_access_key::AccessKey;
//!
//! let key = AccessKey::generate()?;
//! let typed = key.to_string().to_lowercase().replace('-', " ");
//! assert_eq!(AccessKey::parse(&typed)?, key);
//! // The example above, and the same key mistyped.
//! assert!(AccessKey::parse("7K3M-Q9XD-2HBT-V4NC-8RWY").is_ok());
//! assert!(AccessKey::parse("7K3M-Q9XD-2HBT-V4CN-8RWY").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod check;
mod parse;

use std::fmt;

use sha2::{Digest, Sha256};

/// The 32 symbols, in value order: Crockford's base32.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Symbols in a key, the check character included.
pub const LEN: usize = 20;

/// Random symbols in a key.
pub const RANDOM_SYMBOLS: usize = LEN - 1;

/// Random bits in a key (5 per random symbol).
pub const ENTROPY_BITS: usize = RANDOM_SYMBOLS * 5;

/// Symbols per printed group.
pub const GROUP: usize = 4;

/// An access key: its 20 symbol values, the last one the check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccessKey {
    symbols: [u8; LEN],
}

/// Why typed text is not an access key. The messages name the position, counted over the
/// key's characters (separators not counted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("an access key has {LEN} characters (besides spaces and hyphens), not {found}")]
    WrongLength { found: usize },
    #[error(
        "character {position} (`{character}`) is not used in access keys (digits and letters except I, L, O and U)"
    )]
    InvalidCharacter { character: char, position: usize },
    #[error(
        "the check character does not match: the key was probably mistyped (one character wrong or two swapped)"
    )]
    CheckMismatch,
}

/// The operating system could not supply random bytes.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct RandomError(getrandom::Error);

impl AccessKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, RandomError> {
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(RandomError)?;
        let mut bits = bytes
            .iter()
            .fold(0u128, |acc, &byte| (acc << 8) | u128::from(byte));
        let mut symbols = [0u8; LEN];
        for symbol in &mut symbols[..RANDOM_SYMBOLS] {
            // Five uniformly random bits each: every symbol is equally likely.
            *symbol = (bits & 0x1F) as u8;
            bits >>= 5;
        }
        symbols[RANDOM_SYMBOLS] = check::check_value(&symbols[..RANDOM_SYMBOLS]);
        Ok(Self { symbols })
    }

    /// Reads a key as typed (see the module [`parse`] for what is forgiven).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        parse::parse(text)
    }

    /// The 20 symbols without separators: the one form that is hashed.
    pub fn canonical(&self) -> String {
        self.symbols
            .iter()
            .map(|&v| char::from(ALPHABET[usize::from(v)]))
            .collect()
    }

    /// The SHA-256 of the canonical form, in lower-case hex: what the store keeps.
    pub fn digest(&self) -> String {
        Sha256::digest(self.canonical().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The printed form: groups of four joined by hyphens.
impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let canonical = self.canonical();
        for (i, group) in canonical.as_bytes().chunks(GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// Redacted: a key is a secret.
impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<AccessKey> {
        (0..n).map(|_| AccessKey::generate().unwrap()).collect()
    }

    /// The printed form with symbol `i` replaced by value `v`.
    fn with_symbol(key: &AccessKey, i: usize, v: u8) -> String {
        let mut symbols = key.symbols;
        symbols[i] = v;
        AccessKey { symbols }.to_string()
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for key in keys(300) {
            for i in 0..LEN {
                for v in (0..32).filter(|&v| v != key.symbols[i]) {
                    assert_eq!(
                        AccessKey::parse(&with_symbol(&key, i, v)),
                        Err(ParseError::CheckMismatch),
                        "symbol {i} of {key} changed to {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_caught() {
        let mut swaps = 0;
        for key in keys(2000) {
            for i in 0..LEN - 1 {
                if key.symbols[i] == key.symbols[i + 1] {
                    continue;
                }
                let mut symbols = key.symbols;
                symbols.swap(i, i + 1);
                let typed = AccessKey { symbols }.to_string();
                assert_eq!(
                    AccessKey::parse(&typed),
                    Err(ParseError::CheckMismatch),
                    "{key}: symbols {i} and {} swapped",
                    i + 1
                );
                swaps += 1;
            }
        }
        assert!(swaps > 2000 * 18, "{swaps} swaps tried");
    }

    #[test]
    fn parsing_the_printed_form_is_the_identity() {
        for key in keys(1000) {
            let printed = key.to_string();
            assert_eq!(printed.len(), LEN + LEN / GROUP - 1);
            assert!(printed.split('-').all(|g| g.len() == GROUP), "{printed}");
            assert_eq!(AccessKey::parse(&printed).unwrap(), key);
            assert_eq!(AccessKey::parse(&key.canonical()).unwrap(), key);
            assert_eq!(AccessKey::parse(&printed).unwrap().to_string(), printed);
        }
    }

    #[test]
    fn what_people_type_is_normalised() {
        let key = AccessKey::generate().unwrap();
        let printed = key.to_string();
        let lower = printed.to_lowercase();
        let spaced = printed.replace('-', " ");
        let full_width: String = printed
            .chars()
            .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
            .collect();
        let ime_dashes = printed.replace('-', "ー");
        let ragged = format!("  {} \t{}　", &lower[..7], &lower[7..]);
        for typed in [lower, spaced, full_width, ime_dashes, ragged] {
            assert_eq!(AccessKey::parse(&typed).as_ref(), Ok(&key), "{typed}");
        }
    }

    #[test]
    fn look_alikes_read_as_the_symbols_they_resemble() {
        let key = keys(200)
            .into_iter()
            .find(|k| k.canonical().contains('0') && k.canonical().contains('1'))
            .expect("some key has a 0 and a 1");
        let typed = key
            .to_string()
            .replacen('0', "O", 1)
            .replacen('1', "l", 1)
            .replace('1', "I");
        assert_eq!(AccessKey::parse(&typed).unwrap(), key);
    }

    #[test]
    fn what_cannot_be_a_key_is_refused_with_the_reason() {
        assert_eq!(
            AccessKey::parse("ABCD-EFGH"),
            Err(ParseError::WrongLength { found: 8 })
        );
        assert_eq!(
            AccessKey::parse(""),
            Err(ParseError::WrongLength { found: 0 })
        );
        assert_eq!(
            AccessKey::parse("ABCD-EFGU-0000-0000-0000"),
            Err(ParseError::InvalidCharacter {
                character: 'U',
                position: 8
            })
        );
        assert_eq!(
            AccessKey::parse("ABCDあ"),
            Err(ParseError::InvalidCharacter {
                character: 'あ',
                position: 5
            })
        );
        let message = ParseError::CheckMismatch.to_string();
        assert!(message.contains("check character"), "{message}");
    }

    #[test]
    fn keys_are_random_and_secret_in_debug_output() {
        let all = keys(10_000);
        let distinct: std::collections::HashSet<String> =
            all.iter().map(AccessKey::canonical).collect();
        assert_eq!(distinct.len(), all.len());
        // Every symbol value turns up in every random position.
        for i in 0..RANDOM_SYMBOLS {
            let seen: std::collections::HashSet<u8> = all.iter().map(|k| k.symbols[i]).collect();
            assert_eq!(seen.len(), 32, "position {i}");
        }
        assert_eq!(ENTROPY_BITS, 95);
        assert!(!format!("{:?}", all[0]).contains(&all[0].canonical()));
        assert_eq!(all[0].digest().len(), 64);
        assert_ne!(all[0].digest(), all[1].digest());
    }

    #[test]
    fn arbitrary_text_is_refused_without_panicking() {
        let mut bytes = [0u8; 96];
        for round in 0..2000 {
            getrandom::fill(&mut bytes).unwrap();
            let len = round % bytes.len();
            let text = String::from_utf8_lossy(&bytes[..len]);
            let typed: String = text.chars().chain("ー－　ｏＩ".chars()).collect();
            for candidate in [text.as_ref(), typed.as_str()] {
                if let Ok(key) = AccessKey::parse(candidate) {
                    assert_eq!(AccessKey::parse(&key.to_string()), Ok(key));
                }
            }
        }
    }

    #[test]
    fn the_alphabet_has_no_look_alikes() {
        for forbidden in [b'I', b'L', b'O', b'U'] {
            assert!(!ALPHABET.contains(&forbidden));
        }
        let unique: std::collections::HashSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(unique.len(), 32);
    }
}
