//! The vault through its public API, against key files in temporary directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use kakehashi_vault::{KeyRing, VaultError};
use tempfile::TempDir;

const AAD: &[u8] = b"patients/record/42";

fn new_ring() -> (TempDir, PathBuf, KeyRing) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    let (ring, created) = KeyRing::load_or_create(&path).unwrap();
    assert!(created);
    (dir, path, ring)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Writes `json` as a key file with mode 0600 and returns the error loading it gives.
fn load_error(json: &str) -> (TempDir, PathBuf, String) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    fs::write(&path, json).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let err = KeyRing::load(&path).unwrap_err();
    assert!(matches!(err, VaultError::Invalid { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "message does not name the file: {message}"
    );
    (dir, path, message)
}

const HEX_A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const HEX_B: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

fn key_file(primary: &str, keys: &[(&str, &str)]) -> String {
    let keys: Vec<String> = keys
        .iter()
        .map(|(id, hex)| {
            format!(r#"{{"id":"{id}","created_at":"2026-01-05T09:00:00Z","key":"{hex}"}}"#)
        })
        .collect();
    format!(
        r#"{{"version":1,"primary":"{primary}","keys":[{}],"pseudonym_key":"{HEX_B}"}}"#,
        keys.join(",")
    )
}

/// A small deterministic generator (xorshift64*), enough to throw varied bytes at `open`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn round_trip() {
    let (_dir, _path, ring) = new_ring();
    for plaintext in [
        &b""[..],
        b"x",
        "難病 患者 山田太郎".as_bytes(),
        &vec![0u8; 100_000],
    ] {
        let blob = ring.seal(plaintext, AAD);
        assert_eq!(blob.len(), 4 + 2 + 24 + plaintext.len() + 16);
        assert_eq!(ring.open(&blob, AAD).unwrap(), plaintext);
    }
}

#[test]
fn empty_aad_round_trips_but_differs_from_none_given() {
    let (_dir, _path, ring) = new_ring();
    let blob = ring.seal(b"data", b"");
    assert_eq!(ring.open(&blob, b"").unwrap(), b"data");
    assert!(matches!(
        ring.open(&blob, b"\0"),
        Err(VaultError::Decrypt(_))
    ));
}

#[test]
fn wrong_aad_fails() {
    let (_dir, _path, ring) = new_ring();
    let blob = ring.seal(b"diagnosis", AAD);
    let err = ring.open(&blob, b"patients/record/43").unwrap_err();
    assert!(
        matches!(&err, VaultError::Decrypt(id) if id == "k1"),
        "{err:?}"
    );
    assert!(err.to_string().contains("another row"), "{err}");
}

#[test]
fn two_seals_of_the_same_plaintext_differ() {
    let (_dir, _path, ring) = new_ring();
    let a = ring.seal(b"same", AAD);
    let b = ring.seal(b"same", AAD);
    assert_ne!(a, b);
    assert_ne!(a[6..30], b[6..30], "nonces must differ");
    assert_eq!(ring.open(&a, AAD).unwrap(), ring.open(&b, AAD).unwrap());
}

#[test]
fn every_flipped_bit_is_refused() {
    let (_dir, _path, ring) = new_ring();
    let blob = ring.seal(b"tamper with me", AAD);
    for i in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[i] ^= 1 << bit;
            assert!(
                ring.open(&bad, AAD).is_err(),
                "byte {i} bit {bit} flipped still opens"
            );
        }
    }
}

#[test]
fn tampered_ciphertext_nonce_and_tag_fail_authentication() {
    let (_dir, _path, ring) = new_ring();
    let blob = ring.seal(b"tamper with me", AAD);
    let nonce = 6;
    let ciphertext = 6 + 24;
    let tag = blob.len() - 16;
    for i in [nonce, nonce + 23, ciphertext, tag - 1, tag, blob.len() - 1] {
        let mut bad = blob.clone();
        bad[i] ^= 0x80;
        assert!(
            matches!(ring.open(&bad, AAD), Err(VaultError::Decrypt(ref id)) if id == "k1"),
            "byte {i}"
        );
    }
}

#[test]
fn tampered_key_id_fails() {
    let (_dir, path, _) = new_ring();
    let ring = KeyRing::rotate(&path).unwrap();
    let blob = ring.seal(b"under k2", AAD);
    assert_eq!(&blob[3..6], b"\x02k2");

    // Another key in the ring: the header is authenticated, so it fails rather than decrypting.
    let mut other = blob.clone();
    other[5] = b'1';
    assert!(matches!(ring.open(&other, AAD), Err(VaultError::Decrypt(id)) if id == "k1"));

    // A key not in the ring: named in the error.
    let mut unknown = blob.clone();
    unknown[5] = b'9';
    let err = ring.open(&unknown, AAD).unwrap_err();
    assert!(matches!(&err, VaultError::UnknownKeyId(id) if id == "k9"));
    assert!(err.to_string().contains("unknown key id `k9`"), "{err}");

    // A key id that is not one.
    let mut garbage = blob.clone();
    garbage[4] = b'\n';
    assert!(matches!(
        ring.open(&garbage, AAD),
        Err(VaultError::Malformed("malformed key id"))
    ));

    // A longer id length swallows the nonce: it must not read past the end.
    let mut long = blob;
    long[3] = 255;
    assert!(ring.open(&long, AAD).is_err());
}

#[test]
fn wrong_magic_and_version_are_named() {
    let (_dir, _path, ring) = new_ring();
    let blob = ring.seal(b"x", AAD);
    let mut magic = blob.clone();
    magic[0] = b'X';
    assert!(matches!(
        ring.open(&magic, AAD),
        Err(VaultError::Malformed("wrong magic number"))
    ));
    let mut version = blob;
    version[2] = 2;
    let err = ring.open(&version, AAD).unwrap_err();
    assert!(matches!(err, VaultError::UnsupportedVersion(2)));
    assert!(!ring.is_sealed_with_primary(&version));
}

#[test]
fn every_truncation_fails_without_panic() {
    let (_dir, _path, ring) = new_ring();
    for plaintext in [&b""[..], b"some patient data"] {
        let blob = ring.seal(plaintext, AAD);
        for len in 0..blob.len() {
            let err = ring.open(&blob[..len], AAD).unwrap_err();
            assert!(
                matches!(err, VaultError::Malformed(_) | VaultError::Decrypt(_)),
                "length {len}: {err:?}"
            );
            // Shorter than header, nonce and tag: refused before any decryption.
            if len < 4 + 2 + 24 + 16 {
                assert!(matches!(err, VaultError::Malformed(_)), "length {len}");
            }
        }
        assert!(ring.open(&blob, AAD).is_ok());
    }
}

#[test]
fn random_bytes_never_panic() {
    let (_dir, path, _) = new_ring();
    let ring = KeyRing::rotate(&path).unwrap();
    let valid = ring.seal(b"a valid blob to mutate", AAD);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..20_000 {
        let input = match round % 4 {
            // Pure noise.
            0 => {
                let len = rng.below(120);
                rng.bytes(len)
            }
            // A valid header, then noise.
            1 => {
                let mut b = valid[..6].to_vec();
                let len = rng.below(80);
                b.extend(rng.bytes(len));
                b
            }
            // The valid blob with a few random bytes overwritten.
            2 => {
                let mut b = valid.clone();
                for _ in 0..=rng.below(4) {
                    let i = rng.below(b.len());
                    b[i] = rng.next() as u8;
                }
                b
            }
            // The valid blob cut and extended at random.
            _ => {
                let mut b = valid[..rng.below(valid.len())].to_vec();
                let len = rng.below(40);
                b.extend(rng.bytes(len));
                b
            }
        };
        // A mutation may write back the bytes it replaced.
        let opened = ring.open(&input, AAD);
        assert_eq!(opened.is_ok(), input == valid, "round {round}");
        let _ = ring.is_sealed_with_primary(&input);
    }
}

#[test]
fn a_blob_from_another_key_file_does_not_open() {
    let (_dir_a, _path_a, a) = new_ring();
    let (_dir_b, _path_b, b) = new_ring();
    let blob = a.seal(b"only for a", AAD);
    assert!(matches!(b.open(&blob, AAD), Err(VaultError::Decrypt(id)) if id == "k1"));
}

#[test]
fn load_or_create_then_load_gives_the_same_keys() {
    let (_dir, path, ring) = new_ring();
    let blob = ring.seal(b"persisted", AAD);
    let (again, created) = KeyRing::load_or_create(&path).unwrap();
    assert!(!created);
    assert_eq!(again.open(&blob, AAD).unwrap(), b"persisted");
    let loaded = KeyRing::load(&path).unwrap();
    assert_eq!(loaded.open(&blob, AAD).unwrap(), b"persisted");
    assert_eq!(loaded.key_ids(), ["k1"]);
    assert_eq!(loaded.primary_id(), "k1");
}

#[test]
fn created_file_has_the_documented_format() {
    let (_dir, path, _) = new_ring();
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["primary"], "k1");
    let keys = json["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], "k1");
    let created_at = keys[0]["created_at"].as_str().unwrap();
    assert!(created_at.ends_with('Z'), "{created_at}");
    chrono::DateTime::parse_from_rfc3339(created_at).unwrap();
    let data_key = keys[0]["key"].as_str().unwrap();
    let pseudonym_key = json["pseudonym_key"].as_str().unwrap();
    for hex in [data_key, pseudonym_key] {
        assert_eq!(hex.len(), 64);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert_ne!(data_key, pseudonym_key);
}

#[test]
fn created_file_is_0600_in_a_new_0700_directory() {
    let dir = TempDir::new().unwrap();
    let keys_dir = dir.path().join("secrets").join("kakehashi");
    let path = keys_dir.join("vault.key");
    let (_, created) = KeyRing::load_or_create(&path).unwrap();
    assert!(created);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&keys_dir), 0o700);
    assert_eq!(mode(&dir.path().join("secrets")), 0o700);
    KeyRing::rotate(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    KeyRing::retire_old_keys(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    // Nothing left behind but the key file and its lock file.
    let mut names: Vec<String> = fs::read_dir(&keys_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["vault.key", "vault.key.lock"]);
}

#[test]
fn group_or_world_readable_file_is_refused() {
    let (_dir, path, _) = new_ring();
    for bad in [0o644, 0o640, 0o604, 0o660] {
        fs::set_permissions(&path, fs::Permissions::from_mode(bad)).unwrap();
        for err in [
            KeyRing::load(&path).unwrap_err(),
            KeyRing::load_or_create(&path).unwrap_err(),
            KeyRing::rotate(&path).unwrap_err(),
        ] {
            assert!(matches!(err, VaultError::Permissions { mode, .. } if mode == bad));
            let message = err.to_string();
            assert!(message.contains("chmod 600"), "{message}");
            assert!(message.contains(&path.display().to_string()), "{message}");
        }
    }
    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
    KeyRing::load(&path).unwrap();
}

#[test]
fn missing_file_is_named() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("absent.key");
    for err in [
        KeyRing::load(&path).unwrap_err(),
        KeyRing::rotate(&path).unwrap_err(),
        KeyRing::retire_old_keys(&path).unwrap_err(),
        KeyRing::rotate(&dir.path().join("no-such-dir/absent.key")).unwrap_err(),
    ] {
        assert!(matches!(err, VaultError::Missing { .. }), "{err:?}");
        assert!(err.to_string().contains("absent.key"), "{err}");
    }
    assert!(!path.exists());
}

#[test]
fn corrupt_json_is_refused_with_the_path() {
    let (_dir, _path, message) = load_error("{\"version\":1,\"primary\":");
    assert!(message.contains("not valid key-file JSON"), "{message}");
    load_error("");
    load_error("[]");
}

#[test]
fn unknown_fields_are_refused() {
    let extra_top = key_file("k1", &[("k1", HEX_A)]).replacen('{', r#"{"comment":"x","#, 1);
    let (_dir, _path, message) = load_error(&extra_top);
    assert!(message.contains("unknown field `comment`"), "{message}");

    let extra_key = key_file("k1", &[("k1", HEX_A)])
        .replace(r#""id":"k1","#, r#""id":"k1","algorithm":"aes","#);
    let (_dir, _path, message) = load_error(&extra_key);
    assert!(message.contains("unknown field `algorithm`"), "{message}");

    let missing =
        key_file("k1", &[("k1", HEX_A)]).replace(&format!(r#","pseudonym_key":"{HEX_B}""#), "");
    let (_dir, _path, message) = load_error(&missing);
    assert!(
        message.contains("missing field `pseudonym_key`"),
        "{message}"
    );
}

#[test]
fn unknown_version_is_refused() {
    let v2 =
        key_file("k1", &[("k1", HEX_A)]).replace(r#""version":1"#, r#""version":2,"kdf":"argon2""#);
    let (_dir, _path, message) = load_error(&v2);
    assert!(message.contains("version 2 is not supported"), "{message}");
}

#[test]
fn duplicate_ids_are_refused() {
    let (_dir, _path, message) = load_error(&key_file("k1", &[("k1", HEX_A), ("k1", HEX_B)]));
    assert!(message.contains("key id `k1` appears twice"), "{message}");
}

#[test]
fn primary_not_among_the_keys_is_refused() {
    let (_dir, _path, message) = load_error(&key_file("k3", &[("k1", HEX_A), ("k2", HEX_B)]));
    assert!(
        message.contains("primary key `k3` is not among the keys (k1, k2)"),
        "{message}"
    );
    let (_dir, _path, message) = load_error(&key_file("k1", &[]));
    assert!(
        message.contains("primary key `k1` is not among the keys ()"),
        "{message}"
    );
}

#[test]
fn malformed_keys_ids_and_times_are_refused() {
    let (_dir, _path, message) = load_error(&key_file("k1", &[("k1", &HEX_A[..62])]));
    assert!(
        message.contains("key `k1` is not 64 hex digits"),
        "{message}"
    );
    let (_dir, _path, message) = load_error(&key_file("k1", &[("k1", &HEX_A.replace('a', "g"))]));
    assert!(
        message.contains("key `k1` is not 64 hex digits"),
        "{message}"
    );
    let bad_pseudonym = key_file("k1", &[("k1", HEX_A)]).replace(HEX_B, "abcd");
    let (_dir, _path, message) = load_error(&bad_pseudonym);
    assert!(
        message.contains("pseudonym_key is not 64 hex digits"),
        "{message}"
    );
    let (_dir, _path, message) = load_error(&key_file("k 1", &[("k 1", HEX_A)]));
    assert!(message.contains("key id \"k 1\" is not"), "{message}");
    let (_dir, _path, message) = load_error(&key_file("", &[("", HEX_A)]));
    assert!(message.contains("key id \"\" is not"), "{message}");
    let bad_time = key_file("k1", &[("k1", HEX_A)]).replace("2026-01-05T09:00:00Z", "yesterday");
    let (_dir, _path, message) = load_error(&bad_time);
    assert!(
        message.contains("created_at is not an RFC 3339 time"),
        "{message}"
    );
}

#[test]
fn parse_errors_do_not_echo_key_material() {
    // A key where a number belongs: serde_json would quote it in its message.
    let misplaced = key_file("k1", &[("k1", HEX_A)])
        .replace(r#""version":1"#, &format!(r#""version":"{HEX_A}""#));
    let (_dir, _path, message) = load_error(&misplaced);
    assert!(!message.contains(HEX_A), "{message}");
    assert!(message.contains("line 1 column"), "{message}");
    let misplaced =
        key_file("k1", &[("k1", HEX_A)]).replace(r#""id":"k1""#, &format!(r#""id":["{HEX_A}"]"#));
    let (_dir, _path, message) = load_error(&misplaced);
    assert!(!message.contains(HEX_A), "{message}");
}

#[test]
fn a_hand_written_file_loads() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    fs::write(&path, key_file("k2", &[("k1", HEX_A), ("k2", HEX_B)])).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let ring = KeyRing::load(&path).unwrap();
    assert_eq!(ring.key_ids(), ["k1", "k2"]);
    assert_eq!(ring.primary_id(), "k2");
    let blob = ring.seal(b"x", AAD);
    assert_eq!(&blob[..6], b"KV\x01\x02k2");
}

#[test]
fn rotate_keeps_old_blobs_open_and_seals_with_the_new_key() {
    let (_dir, path, k1_ring) = new_ring();
    let old = k1_ring.seal(b"sealed under k1", AAD);
    assert!(k1_ring.is_sealed_with_primary(&old));

    let ring = KeyRing::rotate(&path).unwrap();
    assert_eq!(ring.primary_id(), "k2");
    assert_eq!(ring.key_ids(), ["k1", "k2"]);
    assert_eq!(ring.open(&old, AAD).unwrap(), b"sealed under k1");
    assert!(!ring.is_sealed_with_primary(&old));

    let new = ring.seal(b"sealed under k2", AAD);
    assert_eq!(&new[3..6], b"\x02k2");
    assert!(ring.is_sealed_with_primary(&new));
    assert_eq!(ring.open(&new, AAD).unwrap(), b"sealed under k2");
    // The ring loaded before the rotation is a snapshot: it does not know k2.
    assert!(matches!(k1_ring.open(&new, AAD), Err(VaultError::UnknownKeyId(id)) if id == "k2"));

    // The file holds what rotate returned.
    let loaded = KeyRing::load(&path).unwrap();
    assert_eq!(loaded.key_ids(), ["k1", "k2"]);
    assert_eq!(loaded.open(&new, AAD).unwrap(), b"sealed under k2");

    let ring = KeyRing::rotate(&path).unwrap();
    assert_eq!(ring.key_ids(), ["k1", "k2", "k3"]);
    assert_eq!(ring.open(&old, AAD).unwrap(), b"sealed under k1");
    assert_eq!(ring.open(&new, AAD).unwrap(), b"sealed under k2");
}

#[test]
fn retire_drops_old_keys() {
    let (_dir, path, k1_ring) = new_ring();
    let old = k1_ring.seal(b"sealed under k1", AAD);
    let ring = KeyRing::rotate(&path).unwrap();
    let new = ring.seal(b"sealed under k2", AAD);

    // The re-encryption pass the gateway runs before retiring.
    let resealed = if ring.is_sealed_with_primary(&old) {
        old.clone()
    } else {
        ring.seal(&ring.open(&old, AAD).unwrap(), AAD)
    };

    let ring = KeyRing::retire_old_keys(&path).unwrap();
    assert_eq!(ring.key_ids(), ["k2"]);
    assert_eq!(ring.primary_id(), "k2");
    let err = ring.open(&old, AAD).unwrap_err();
    assert!(matches!(&err, VaultError::UnknownKeyId(id) if id == "k1"));
    assert!(err.to_string().contains("unknown key id `k1`"), "{err}");
    assert_eq!(ring.open(&new, AAD).unwrap(), b"sealed under k2");
    assert_eq!(ring.open(&resealed, AAD).unwrap(), b"sealed under k1");
    assert_eq!(KeyRing::load(&path).unwrap().key_ids(), ["k2"]);

    // Retiring again changes nothing; the next rotation does not reuse the retired id.
    assert_eq!(KeyRing::retire_old_keys(&path).unwrap().key_ids(), ["k2"]);
    assert_eq!(KeyRing::rotate(&path).unwrap().key_ids(), ["k2", "k3"]);
}

#[test]
fn rotate_numbers_after_the_highest_k_id() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    fs::write(
        &path,
        key_file("legacy", &[("k7", HEX_A), ("legacy", HEX_B)]),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let ring = KeyRing::rotate(&path).unwrap();
    assert_eq!(ring.key_ids(), ["k7", "legacy", "k8"]);
    assert_eq!(ring.primary_id(), "k8");
}

#[test]
fn a_stale_temporary_file_does_not_block_writes() {
    let (dir, path, _) = new_ring();
    fs::write(dir.path().join(".vault.key.tmp"), "left by a crash").unwrap();
    KeyRing::rotate(&path).unwrap();
    assert_eq!(KeyRing::load(&path).unwrap().key_ids(), ["k1", "k2"]);
    assert!(!dir.path().join(".vault.key.tmp").exists());
}

#[test]
fn pseudonyms_are_stable_keyed_and_distinct() {
    let (_dir, path, ring) = new_ring();
    let p = ring.pseudonym(b"patient-0001");
    assert_eq!(p.len(), 32);
    assert!(
        p.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(ring.pseudonym(b"patient-0001"), p);
    assert_ne!(ring.pseudonym(b"patient-0002"), p);
    assert_ne!(ring.pseudonym(b""), p);

    let rotated = KeyRing::rotate(&path).unwrap();
    assert_eq!(rotated.pseudonym(b"patient-0001"), p);
    let retired = KeyRing::retire_old_keys(&path).unwrap();
    assert_eq!(retired.pseudonym(b"patient-0001"), p);
    assert_eq!(KeyRing::load(&path).unwrap().pseudonym(b"patient-0001"), p);

    // Another key file, another pseudonym: it is keyed, not a plain hash.
    let (_dir2, _path2, other) = new_ring();
    assert_ne!(other.pseudonym(b"patient-0001"), p);
}

#[test]
fn pseudonym_is_truncated_hmac_sha256() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    // RFC 4231 test case 1 has a 20-byte key of 0x0b. HMAC zero-pads keys shorter than its
    // block, so the 32-byte key 0x0b*20 + 0x00*12 gives the same MAC.
    let pseudonym_key = format!("{}{}", "0b".repeat(20), "00".repeat(12));
    let json = key_file("k1", &[("k1", HEX_A)]).replace(HEX_B, &pseudonym_key);
    fs::write(&path, json).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let ring = KeyRing::load(&path).unwrap();
    assert_eq!(
        ring.pseudonym(b"Hi There"),
        "b0344c61d8db38535ca8afceaf0bf12b"
    );
}

#[test]
fn debug_shows_ids_not_keys() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    fs::write(&path, key_file("k2", &[("k1", HEX_A), ("k2", HEX_B)])).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let debug = format!("{:?}", KeyRing::load(&path).unwrap());
    assert_eq!(
        debug,
        r#"KeyRing { primary: "k2", keys: ["k1", "k2"], audit_key: None, .. }"#
    );
}

#[test]
fn racing_creators_share_one_key_file() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("keys").join("vault.key");
    let results: Vec<(KeyRing, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| KeyRing::load_or_create(&path).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    let blob = results[0].0.seal(b"shared", AAD);
    for (ring, _) in &results {
        assert_eq!(ring.open(&blob, AAD).unwrap(), b"shared");
    }
}

#[test]
fn racing_rotations_lose_no_key() {
    let (_dir, path, _) = new_ring();
    let rings: Vec<KeyRing> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| KeyRing::rotate(&path).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let loaded = KeyRing::load(&path).unwrap();
    assert_eq!(loaded.key_ids(), ["k1", "k2", "k3", "k4", "k5", "k6", "k7"]);
    // Every ring a rotation returned seals blobs the file's keys open.
    for ring in &rings {
        let blob = ring.seal(b"x", AAD);
        assert_eq!(loaded.open(&blob, AAD).unwrap(), b"x");
    }
}

#[test]
fn audit_keys_start_rotate_and_are_never_retired() {
    let (_dir, path, ring) = new_ring();
    assert_eq!(ring.audit_key_id(), Some("a1"));
    assert_eq!(ring.audit_unkeyed_until(), Some(0));
    let link = ring.audit_mac("a1", b"record").unwrap();
    assert_eq!(link.len(), 64);
    assert_ne!(link, ring.pseudonym(b"record"));
    assert!(matches!(
        ring.audit_mac("a2", b"record"),
        Err(VaultError::UnknownKeyId(id)) if id == "a2"
    ));

    let rotated = KeyRing::rotate(&path).unwrap();
    assert_eq!(rotated.audit_key_id(), Some("a2"));
    let retired = KeyRing::retire_old_keys(&path).unwrap();
    assert_eq!(retired.key_ids(), ["k2"]);
    assert_eq!(retired.audit_key_id(), Some("a2"));
    // Records linked under the old audit key still verify.
    assert_eq!(retired.audit_mac("a1", b"record").unwrap(), link);
    assert_ne!(retired.audit_mac("a2", b"record").unwrap(), link);
}

#[test]
fn a_file_from_before_the_keyed_audit_chain_gets_its_audit_key_once() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("vault.key");
    fs::write(&path, key_file("k1", &[("k1", HEX_A)])).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    let old = KeyRing::load(&path).unwrap();
    assert_eq!(
        (old.audit_key_id(), old.audit_unkeyed_until()),
        (None, None)
    );
    // Rotating such a file adds no audit key: starting the chain does.
    assert_eq!(KeyRing::rotate(&path).unwrap().audit_key_id(), None);

    let started = KeyRing::start_audit_chain(&path, 1520).unwrap();
    assert_eq!(started.audit_key_id(), Some("a1"));
    assert_eq!(started.audit_unkeyed_until(), Some(1520));
    let link = started.audit_mac("a1", b"record").unwrap();
    let again = KeyRing::start_audit_chain(&path, 9999).unwrap();
    assert_eq!(again.audit_unkeyed_until(), Some(1520));
    assert_eq!(again.audit_mac("a1", b"record").unwrap(), link);
    assert_eq!(mode(&path), 0o600);
}
