//! The second factor for administrators: TOTP (RFC 6238; SHA-1, 6 digits, 30 s), which every
//! authenticator app reads from an `otpauth://` URI.
//!
//! A code is good once (RFC 6238 §5.2): [`verify`] answers the time step the code belongs to,
//! and the login accepts it only if the store records that step as newer than the last one the
//! user logged in with — so a code seen over a shoulder or replayed within its 30 seconds is
//! refused.

use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "Kakehashi";
/// Seconds one code lasts.
const STEP_SECONDS: u64 = 30;

/// The generator; `skew` is 0 because [`verify`] walks the steps itself to learn which matched.
fn totp(secret_base32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// A new random 160-bit secret, base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The `otpauth://totp/…` URI to enrol the secret in an authenticator app.
pub fn provisioning_uri(secret_base32: &str, account: &str) -> Option<String> {
    totp(secret_base32, account).map(|t| t.get_url())
}

/// The time step (30-second period since the Unix epoch) of `unix_seconds`.
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The time step now.
pub fn current_step() -> u64 {
    step_at(chrono::Utc::now().timestamp().max(0).unsigned_abs())
}

/// The time step `code` belongs to, if it is the code of the current step or of one step
/// either side (clock skew); `None` when it is none of them. Whether that step may still be
/// used is the caller's question (a code is good once).
pub fn verify(secret_base32: &str, account: &str, code: &str, now_step: u64) -> Option<u64> {
    let totp = totp(secret_base32, account)?;
    let code = code.trim();
    [now_step, now_step.saturating_sub(1), now_step + 1]
        .into_iter()
        .find(|step| totp.check(code, step * STEP_SECONDS))
}

/// The code of time step `step` (for tests, and for an operator checking an authenticator).
pub fn code_for_step(secret_base32: &str, account: &str, step: u64) -> Option<String> {
    totp(secret_base32, account).map(|t| t.generate(step * STEP_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_names_its_own_step_within_one_step_of_skew() {
        let secret = new_secret();
        let now = current_step();
        let code = code_for_step(&secret, "admin", now).unwrap();
        assert_eq!(verify(&secret, "admin", &code, now), Some(now));
        let early = code_for_step(&secret, "admin", now + 1).unwrap();
        assert_eq!(verify(&secret, "admin", &early, now), Some(now + 1));
        let late = code_for_step(&secret, "admin", now - 1).unwrap();
        assert_eq!(verify(&secret, "admin", &late, now), Some(now - 1));
        let stale = code_for_step(&secret, "admin", now - 2).unwrap();
        let stale_matches_a_window_code = [now - 1, now, now + 1]
            .iter()
            .any(|s| code_for_step(&secret, "admin", *s).unwrap() == stale);
        if !stale_matches_a_window_code {
            assert_eq!(verify(&secret, "admin", &stale, now), None);
        }
        assert_eq!(verify("not base32!", "admin", &code, now), None);
        let uri = provisioning_uri(&secret, "admin").unwrap();
        assert!(uri.starts_with("otpauth://totp/Kakehashi:admin?"), "{uri}");
    }

    #[test]
    fn a_wrong_code_matches_no_step() {
        let secret = new_secret();
        let now = current_step();
        let window: Vec<String> = (now - 1..=now + 1)
            .map(|s| code_for_step(&secret, "admin", s).unwrap())
            .collect();
        let wrong = (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !window.contains(c))
            .unwrap();
        assert_eq!(verify(&secret, "admin", &wrong, now), None);
    }
}
