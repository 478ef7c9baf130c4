//! Passwords: argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes — OWASP's minimum),
//! stored as PHC strings, so parameters can be raised later without breaking old hashes.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Characters of generated passwords: no look-alikes (0/O, 1/I/l), easy to type from paper.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Shortest password a person may choose.
pub const MIN_LENGTH: usize = 12;

/// A valid hash of a random password, verified against when the user does not exist, so a
/// login takes as long for an unknown user as for a known one.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash(&generate()).unwrap_or_default());

/// Why a password could not be hashed (the OS gave no randomness, or the hasher failed).
#[derive(Debug, thiserror::Error)]
#[error("hashing a password: {0}")]
pub struct HashError(String);

impl HashError {
    /// The hashing task did not finish.
    pub fn from_join(e: &tokio::task::JoinError) -> Self {
        Self(e.to_string())
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored hash (false for a malformed hash).
pub fn verify(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification, for unknown users.
pub fn verify_dummy(password: &str) {
    let _ = verify(&DUMMY_HASH, password);
}

/// A random one-time password of 16 characters from [`ALPHABET`] (about 93 bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    // An OS without randomness cannot run the gateway at all; fail loudly rather than weakly.
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Why a new password is refused, in English and Japanese.
pub fn policy_violation(new: &str, user_id: &str) -> Option<(String, String)> {
    if new.chars().count() < MIN_LENGTH {
        return Some((
            format!("the password must be at least {MIN_LENGTH} characters"),
            format!("パスワードは {MIN_LENGTH} 文字以上にしてください"),
        ));
    }
    if new.to_lowercase().contains(&user_id.to_lowercase()) {
        return Some((
            "the password must not contain the user id".into(),
            "パスワードにユーザーIDを含めないでください".into(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify(&a, "correct horse battery"));
        assert!(!verify(&a, "correct horse batterz"));
        assert!(!verify("not a hash", "x"));
    }

    #[test]
    fn generated_passwords_avoid_look_alikes_and_pass_the_policy() {
        let p = generate();
        assert_eq!(p.len(), 16);
        assert!(!p.contains(['0', 'O', '1', 'I', 'l']));
        assert_ne!(generate(), p);
        assert!(policy_violation(&p, "dr-sato").is_none());
        assert!(policy_violation("short", "dr-sato").is_some());
        assert!(policy_violation("my-dr-sato-password", "dr-sato").is_some());
    }
}
