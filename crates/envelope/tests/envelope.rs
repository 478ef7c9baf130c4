//! Sealing and opening envelopes, and every way `open` refuses one.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::{self, ECDH_ES, JweHeader};
use josekit::jwk::KeyPair;
use josekit::jws::{self, ES256, HS256, JwsHeader};
use kakehashi_envelope::{
    DecryptionKey, ENCRYPTION_KEY_FILE, ENCRYPTION_PUBLIC_FILE, EnvelopeError, RecipientKey,
    SIGNATURE_TYPE, SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE, SigningKey, VerifyingKey,
    generate_dev_keys, open, seal,
};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const DOCUMENT: &[u8] = "{\"sheet_id\":\"s-1\",\"name\":\"難病 太郎\"}".as_bytes();

/// One party's development keys, loaded.
struct Keys {
    dir: TempDir,
    signer: SigningKey,
    sender: VerifyingKey,
    recipient: RecipientKey,
    decryption: DecryptionKey,
}

impl Keys {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        generate_dev_keys(dir.path()).unwrap();
        let path = |name: &str| dir.path().join(name);
        Self {
            signer: SigningKey::from_pem_file(&path(SIGNING_KEY_FILE)).unwrap(),
            sender: VerifyingKey::from_pem_file(&path(SIGNING_PUBLIC_FILE)).unwrap(),
            recipient: RecipientKey::from_pem_file(&path(ENCRYPTION_PUBLIC_FILE)).unwrap(),
            decryption: DecryptionKey::from_pem_file(&path(ENCRYPTION_KEY_FILE)).unwrap(),
            dir,
        }
    }

    fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.dir.path().join(name)).unwrap()
    }

    /// Encrypts `signed` to this party's encryption key with josekit directly, with `header`.
    fn encrypt_raw(&self, signed: &str, header: &JweHeader) -> String {
        let encrypter = ECDH_ES
            .encrypter_from_pem(self.read(ENCRYPTION_PUBLIC_FILE))
            .unwrap();
        jwe::serialize_compact(signed.as_bytes(), header, &encrypter).unwrap()
    }

    /// `DOCUMENT` signed with this party's signing key by josekit, with the profile's header.
    fn signed_by_josekit(&self) -> String {
        let signer = ES256.signer_from_pem(self.read(SIGNING_KEY_FILE)).unwrap();
        jws::serialize_compact(DOCUMENT, &profile_jws_header(self.signer.key_id()), &signer)
            .unwrap()
    }

    fn open(&self, envelope: &str) -> Result<Vec<u8>, EnvelopeError> {
        open(
            envelope,
            &self.decryption,
            std::slice::from_ref(&self.sender),
        )
        .map(|o| o.document)
    }
}

fn profile_jwe_header(keys: &Keys) -> JweHeader {
    let mut header = JweHeader::new();
    header.set_content_encryption("A256GCM");
    header.set_content_type("JWT");
    header.set_key_id(keys.decryption.key_id());
    header
}

fn profile_jws_header(key_id: &str) -> JwsHeader {
    let mut header = JwsHeader::new();
    header.set_token_type(SIGNATURE_TYPE);
    header.set_key_id(key_id);
    header
}

#[test]
fn round_trip_names_the_sender() {
    let keys = Keys::new();
    let first = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();
    let second = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();
    assert_ne!(first, second, "ECDH-ES is ephemeral: every seal differs");
    let opened = open(&first, &keys.decryption, &[keys.sender]).unwrap();
    assert_eq!(opened.document, DOCUMENT);
    assert_eq!(opened.sender_key_id, keys.signer.key_id());
    assert_eq!(keys.recipient.key_id(), keys.decryption.key_id());
}

#[test]
fn key_id_is_the_rfc7638_thumbprint() {
    let keys = Keys::new();
    let pair = ES256
        .key_pair_from_pem(keys.read(SIGNING_KEY_FILE))
        .unwrap();
    let jwk = pair.to_jwk_public_key();
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk.parameter("x").unwrap().as_str().unwrap(),
        jwk.parameter("y").unwrap().as_str().unwrap()
    );
    let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical));
    assert_eq!(keys.signer.key_id(), expected);
    assert_eq!(keys.sender.key_id(), expected);
}

#[test]
fn tampered_ciphertext_is_undecryptable() {
    let keys = Keys::new();
    let envelope = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();
    let mut parts: Vec<String> = envelope.split('.').map(str::to_owned).collect();
    let flipped = if parts[3].starts_with('A') { "B" } else { "A" };
    parts[3].replace_range(0..1, flipped);
    let error = keys.open(&parts.join(".")).unwrap_err();
    assert!(matches!(error, EnvelopeError::Undecryptable(_)), "{error}");
}

#[test]
fn envelope_for_another_recipient_is_undecryptable() {
    let keys = Keys::new();
    let other = Keys::new();
    let envelope = seal(DOCUMENT, &keys.signer, &other.recipient).unwrap();
    let error = keys.open(&envelope).unwrap_err();
    assert!(matches!(error, EnvelopeError::Undecryptable(_)), "{error}");

    // Without the kid hint, decryption itself fails.
    let signed = keys.signed_by_josekit();
    let mut header = profile_jwe_header(&other);
    header.set_key_id("");
    let envelope = other.encrypt_raw(&signed, &header);
    let error = keys.open(&envelope).unwrap_err();
    assert!(matches!(error, EnvelopeError::Undecryptable(_)), "{error}");
}

#[test]
fn signer_not_accepted_is_an_unknown_sender() {
    let keys = Keys::new();
    let stranger = Keys::new();
    let envelope = seal(DOCUMENT, &stranger.signer, &keys.recipient).unwrap();
    match keys.open(&envelope) {
        Err(EnvelopeError::UnknownSender { key_id }) => {
            assert_eq!(key_id, stranger.signer.key_id())
        }
        other => panic!("expected UnknownSender, got {other:?}"),
    }
}

#[test]
fn signature_by_another_key_under_a_known_kid_is_bad() {
    let keys = Keys::new();
    let forger = Keys::new();
    let forged = jws::serialize_compact(
        DOCUMENT,
        &profile_jws_header(keys.signer.key_id()),
        &ES256
            .signer_from_pem(forger.read(SIGNING_KEY_FILE))
            .unwrap(),
    )
    .unwrap();
    let envelope = keys.encrypt_raw(&forged, &profile_jwe_header(&keys));
    match keys.open(&envelope) {
        Err(EnvelopeError::BadSignature { key_id }) => assert_eq!(key_id, keys.signer.key_id()),
        other => panic!("expected BadSignature, got {other:?}"),
    }
}

#[test]
fn other_algorithms_are_refused() {
    let keys = Keys::new();
    let signed = keys.signed_by_josekit();
    let unsupported = |envelope: &str, header: &str| match keys.open(envelope) {
        Err(EnvelopeError::Unsupported { header: h, .. }) => assert_eq!(h, header),
        other => panic!("expected {header} to be refused, got {other:?}"),
    };

    let mut header = profile_jwe_header(&keys);
    header.set_content_encryption("A128CBC-HS256");
    unsupported(&keys.encrypt_raw(&signed, &header), "enc");

    let mut header = profile_jwe_header(&keys);
    header.set_compression("DEF");
    unsupported(&keys.encrypt_raw(&signed, &header), "zip");

    // The outer alg is read before anything is decrypted.
    let envelope = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();
    let (_, rest) = envelope.split_once('.').unwrap();
    let kw = URL_SAFE_NO_PAD.encode(r#"{"alg":"ECDH-ES+A256KW","enc":"A256GCM","cty":"JWT"}"#);
    unsupported(&format!("{kw}.{rest}"), "alg");

    // Algorithm confusion: HMAC keyed with the sender's public key.
    let hmac = HS256
        .signer_from_bytes(keys.read(SIGNING_PUBLIC_FILE))
        .unwrap();
    let mut jws_header = profile_jws_header(keys.signer.key_id());
    jws_header.set_algorithm("HS256");
    let confused = jws::serialize_compact(DOCUMENT, &jws_header, &hmac).unwrap();
    unsupported(
        &keys.encrypt_raw(&confused, &profile_jwe_header(&keys)),
        "alg",
    );

    // Unsigned.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(format!(
            r#"{{"alg":"none","typ":"{SIGNATURE_TYPE}","kid":"{}"}}"#,
            keys.signer.key_id()
        )),
        URL_SAFE_NO_PAD.encode(DOCUMENT)
    );
    unsupported(&keys.encrypt_raw(&none, &profile_jwe_header(&keys)), "alg");

    // A JWS of another type, even from a known key.
    let mut jws_header = profile_jws_header(keys.signer.key_id());
    jws_header.set_token_type("JWT");
    let other_type = jws::serialize_compact(
        DOCUMENT,
        &jws_header,
        &ES256.signer_from_pem(keys.read(SIGNING_KEY_FILE)).unwrap(),
    )
    .unwrap();
    unsupported(
        &keys.encrypt_raw(&other_type, &profile_jwe_header(&keys)),
        "typ",
    );
}

#[test]
fn garbage_is_malformed() {
    let keys = Keys::new();
    for garbage in [
        "",
        "not an envelope",
        "a.b.c",
        "a.b.c.d.e",
        "eyJhbGciOi+.b.c.d.e",
        "W10.b.c.d.e",
    ] {
        let error = keys.open(garbage).unwrap_err();
        assert!(
            matches!(error, EnvelopeError::Malformed(_)),
            "{garbage:?}: {error}"
        );
    }
    // A JWE whose plaintext is not a JWS.
    let envelope = keys.encrypt_raw("just text", &profile_jwe_header(&keys));
    let error = keys.open(&envelope).unwrap_err();
    assert!(matches!(error, EnvelopeError::Malformed(_)), "{error}");
}

#[test]
fn bad_key_files_name_the_file() {
    let keys = Keys::new();
    let public_as_private = keys.dir.path().join(SIGNING_PUBLIC_FILE);
    match SigningKey::from_pem_file(&public_as_private) {
        Err(EnvelopeError::Key { path, .. }) => assert_eq!(path, public_as_private),
        other => panic!("expected a key error, got {other:?}"),
    }
    let missing = keys.dir.path().join("missing.pub");
    assert!(matches!(
        VerifyingKey::from_pem_file(&missing),
        Err(EnvelopeError::Key { .. })
    ));
    let p384 = keys.dir.path().join("p384.key");
    fs::write(
        &p384,
        josekit::jws::ES384
            .generate_key_pair()
            .unwrap()
            .to_pem_private_key(),
    )
    .unwrap();
    let error = DecryptionKey::from_pem_file(&p384).unwrap_err();
    assert!(error.to_string().contains("P-256"), "{error}");
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn dev_keys_are_private_and_never_overwritten() {
    let dir = TempDir::new().unwrap();
    let made = generate_dev_keys(dir.path()).unwrap();
    assert_eq!(made.files.len(), 4);
    for name in [SIGNING_KEY_FILE, ENCRYPTION_KEY_FILE] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    for name in [SIGNING_PUBLIC_FILE, ENCRYPTION_PUBLIC_FILE] {
        assert_eq!(mode(&dir.path().join(name)), 0o644, "{name}");
    }
    let before = fs::read(dir.path().join(SIGNING_KEY_FILE)).unwrap();
    assert!(generate_dev_keys(dir.path()).unwrap().files.is_empty());
    assert_eq!(fs::read(dir.path().join(SIGNING_KEY_FILE)).unwrap(), before);

    // A lost public key is made again from its private key.
    let public = dir.path().join(ENCRYPTION_PUBLIC_FILE);
    let expected = fs::read(&public).unwrap();
    fs::remove_file(&public).unwrap();
    assert_eq!(
        generate_dev_keys(dir.path()).unwrap().files,
        vec![public.clone()]
    );
    assert_eq!(fs::read(&public).unwrap(), expected);

    // A public key without its private key is not silently replaced by a new pair.
    fs::remove_file(dir.path().join(ENCRYPTION_KEY_FILE)).unwrap();
    assert!(matches!(
        generate_dev_keys(dir.path()),
        Err(EnvelopeError::Key { path, .. }) if path == public
    ));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn josekit_opens_a_sealed_envelope() {
    let keys = Keys::new();
    let envelope = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();

    let decrypter = ECDH_ES
        .decrypter_from_pem(keys.read(ENCRYPTION_KEY_FILE))
        .unwrap();
    let (signed, header) = jwe::deserialize_compact(&envelope, &decrypter).unwrap();
    assert_eq!(header.content_encryption(), Some("A256GCM"));
    assert_eq!(header.content_type(), Some("JWT"));
    assert_eq!(header.key_id(), Some(keys.decryption.key_id()));

    let verifier = ES256
        .verifier_from_pem(keys.read(SIGNING_PUBLIC_FILE))
        .unwrap();
    let (document, header) =
        jws::deserialize_compact(String::from_utf8(signed).unwrap(), &verifier).unwrap();
    assert_eq!(document, DOCUMENT);
    assert_eq!(header.token_type(), Some(SIGNATURE_TYPE));
    assert_eq!(header.key_id(), Some(keys.signer.key_id()));
}

#[test]
fn party_infos_of_another_implementation_are_honoured() {
    let keys = Keys::new();
    let signed = keys.signed_by_josekit();
    let mut header = profile_jwe_header(&keys);
    header.set_agreement_partyuinfo("Kakehashi gateway");
    header.set_agreement_partyvinfo("難病DB");
    let envelope = keys.encrypt_raw(&signed, &header);
    assert_eq!(keys.open(&envelope).unwrap(), DOCUMENT);
}

#[test]
fn sec1_private_keys_load_and_match_their_public_keys() {
    let dir = TempDir::new().unwrap();
    let pair = ES256.generate_key_pair().unwrap();
    let private = dir.path().join("sec1.key");
    let public = dir.path().join("sec1.pub");
    let sec1 = pair.to_traditional_pem_private_key();
    assert!(String::from_utf8_lossy(&sec1).contains("BEGIN EC PRIVATE KEY"));
    fs::write(&private, sec1).unwrap();
    fs::write(&public, pair.to_pem_public_key()).unwrap();

    let signer = SigningKey::from_pem_file(&private).unwrap();
    let sender = VerifyingKey::from_pem_file(&public).unwrap();
    assert_eq!(signer.key_id(), sender.key_id());
    let decryption = DecryptionKey::from_pem_file(&private).unwrap();
    let recipient = RecipientKey::from_pem_file(&public).unwrap();
    assert_eq!(decryption.key_id(), recipient.key_id());

    let envelope = seal(DOCUMENT, &signer, &recipient).unwrap();
    let opened = open(&envelope, &decryption, &[sender]).unwrap();
    assert_eq!(opened.document, DOCUMENT);
}

/// Rewrites the protected header of a sealed envelope with `edit` (the tag then fails, but
/// each of these is refused before decryption is tried).
fn with_header(envelope: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let (header, rest) = envelope.split_once('.').unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    edit(&mut json);
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(json.to_string()))
}

#[test]
fn broken_key_agreement_parts_are_malformed() {
    let keys = Keys::new();
    let envelope = seal(DOCUMENT, &keys.signer, &keys.recipient).unwrap();
    let malformed = |envelope: &str, expected: &str| match keys.open(envelope) {
        Err(EnvelopeError::Malformed(reason)) => {
            assert!(reason.contains(expected), "{reason:?} lacks {expected:?}")
        }
        other => panic!("expected Malformed({expected}), got {other:?}"),
    };

    // An encrypted key in direct key agreement.
    let parts: Vec<&str> = envelope.split('.').collect();
    let with_key = [parts[0], "AAAA", parts[2], parts[3], parts[4]].join(".");
    malformed(&with_key, "encrypted key");
    // An initialization vector of the wrong length.
    let short_iv = [parts[0], "", "AAAA", parts[3], parts[4]].join(".");
    malformed(&short_iv, "initialization vector");

    // An ephemeral key off the curve, of another curve, or absent.
    let off_curve = with_header(&envelope, |h| {
        h["epk"]["x"] = URL_SAFE_NO_PAD.encode([1u8; 32]).into();
        h["epk"]["y"] = URL_SAFE_NO_PAD.encode([2u8; 32]).into();
    });
    malformed(&off_curve, "not a point on P-256");
    let other_curve = with_header(&envelope, |h| h["epk"]["crv"] = "P-384".into());
    malformed(&other_curve, "epk");
    let absent = with_header(&envelope, |h| {
        h.as_object_mut().unwrap().remove("epk");
    });
    malformed(&absent, "no epk");
    let bad_party = with_header(&envelope, |h| h["apu"] = 7.into());
    malformed(&bad_party, "apu");
}
