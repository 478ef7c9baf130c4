//! Bearer tokens: 256 random bits, shown once to the client; the store keeps only their
//! SHA-256, so a copy of the database cannot be used to log in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Prefix that makes a leaked token recognisable to secret scanners.
const PREFIX: &str = "kkh_";
/// Prefix of apps' machine credentials, told apart from people's session tokens at a glance.
const APP_PREFIX: &str = "kka_";

/// A new token and the hash to store.
pub fn new_token() -> (String, String) {
    prefixed(PREFIX)
}

/// A new machine credential of an app (アプリ) and the hash to store: 256 random bits like a
/// session token, shown once to the administrator who issues it.
pub fn new_app_token() -> (String, String) {
    prefixed(APP_PREFIX)
}

fn prefixed(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = token_hash(&token);
    (token, hash)
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43);
        assert_eq!(token_hash(&a), ha);
        assert!(!ha.contains(&a[PREFIX.len()..]));
        let (app, happ) = new_app_token();
        assert!(app.starts_with(APP_PREFIX) && app.len() == APP_PREFIX.len() + 43);
        assert_eq!(token_hash(&app), happ);
    }
}
