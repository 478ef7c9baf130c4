//! The second factor for administrators: TOTP (RFC 6238; SHA-1, 6 digits, 30 s), which every
//! authenticator app reads from an `otpauth://` URI.

use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "Kakehashi";

fn totp(secret_base32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
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

/// Whether `code` is valid now (one step of clock skew either way).
pub fn verify(secret_base32: &str, account: &str, code: &str) -> bool {
    totp(secret_base32, account).is_some_and(|t| t.check_current(code.trim()).unwrap_or(false))
}

/// The code for the current time (for the CLI and tests).
pub fn current_code(secret_base32: &str, account: &str) -> Option<String> {
    totp(secret_base32, account).and_then(|t| t.generate_current().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_secret_verifies_its_current_code_only() {
        let secret = new_secret();
        let code = current_code(&secret, "admin").unwrap();
        assert!(verify(&secret, "admin", &code));
        let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
        assert!(!verify(&secret, "admin", &wrong));
        assert!(!verify("not base32!", "admin", &code));
        let uri = provisioning_uri(&secret, "admin").unwrap();
        assert!(uri.starts_with("otpauth://totp/Kakehashi:admin?"), "{uri}");
    }
}
