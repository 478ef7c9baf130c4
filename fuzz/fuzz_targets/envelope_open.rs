//! Any bytes through the delivery envelope's `open`, the receiver's parser of what arrives
//! from the network, three ways: as a whole envelope; as the protected header of an otherwise
//! well-formed envelope, so the header checks, the ephemeral key (`epk`) and the key agreement
//! see arbitrary JSON (the tag then fails, after all of them ran); and sealed, then opened,
//! which must give the same bytes back. Must refuse with an error, never panic. The seeds
//! (fuzz/corpus/envelope_open/) are protected headers of the profile, with and without `kid`.
#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kakehashi_envelope::{
    DecryptionKey, ENCRYPTION_KEY_FILE, ENCRYPTION_PUBLIC_FILE, RecipientKey, SIGNING_KEY_FILE,
    SIGNING_PUBLIC_FILE, SigningKey, VerifyingKey, generate_dev_keys, open, seal,
};
use libfuzzer_sys::fuzz_target;

struct Keys {
    signer: SigningKey,
    senders: [VerifyingKey; 1],
    recipient: RecipientKey,
    decryption: DecryptionKey,
    /// Everything after the protected header of a sealed envelope.
    tail: String,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let dir = std::env::temp_dir().join(format!("kakehashi-fuzz-envelope-{}", std::process::id()));
    generate_dev_keys(&dir).expect("development keys");
    let path = |name| dir.join(name);
    let signer = SigningKey::from_pem_file(&path(SIGNING_KEY_FILE)).expect("signing key");
    let sender = VerifyingKey::from_pem_file(&path(SIGNING_PUBLIC_FILE)).expect("verifying key");
    let recipient = RecipientKey::from_pem_file(&path(ENCRYPTION_PUBLIC_FILE)).expect("recipient");
    let decryption = DecryptionKey::from_pem_file(&path(ENCRYPTION_KEY_FILE)).expect("decryption");
    std::fs::remove_dir_all(&dir).expect("keys removed");
    let sealed = seal(b"{}", &signer, &recipient).expect("sealed");
    let tail = sealed.split_once('.').expect("compact JWE").1.to_owned();
    Keys {
        signer,
        senders: [sender],
        recipient,
        decryption,
        tail,
    }
});

fuzz_target!(|data: &[u8]| {
    let keys = &*KEYS;
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = open(text, &keys.decryption, &keys.senders);
    }
    let with_header = format!("{}.{}", URL_SAFE_NO_PAD.encode(data), keys.tail);
    let _ = open(&with_header, &keys.decryption, &keys.senders);

    let sealed = seal(data, &keys.signer, &keys.recipient).expect("sealing any bytes");
    let opened = open(&sealed, &keys.decryption, &keys.senders).expect("opening what was sealed");
    assert_eq!(opened.document, data);
});
