//! Signing by the Standard Webhooks convention: the secret is `whsec_` and the base64 of 32
//! random bytes; an event is signed as `v1,` and the base64 HMAC-SHA256, under the secret's
//! bytes, of `{Webhook-Id}.{Webhook-Timestamp}.{body}`. The receiver recomputes it with the
//! secret it was given and refuses an old timestamp, so a captured request cannot be replayed
//! later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every secret begins with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret from the operating system's random source.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `Webhook-Signature` value of `body` sent as event `id` at `timestamp` (Unix seconds);
/// an error when the secret is not one [`generate_secret`] made.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b64| STANDARD.decode(b64).ok())
        .ok_or("the webhook secret is not a whsec_ secret")?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&key).map_err(|e| format!("webhook secret: {e}"))?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example_does() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_fresh_and_only_whsec_secrets_sign() {
        let a = generate_secret();
        assert!(a.starts_with(SECRET_PREFIX) && a.len() == 50, "{a}");
        assert_ne!(a, generate_secret());
        assert!(sign("not-a-secret", "e", 1, b"{}").is_err());
    }
}
