//! The development PKI on real files: layout, permissions, idempotence, issuing and revoking.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use kakehashi_tls::{
    ClientSpec, PeerIdentity, PkiError, init_dev_pki, issue_client, issue_client_with_validity,
    peer_identity, revoke,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

fn identity_of(path: &Path) -> PeerIdentity {
    let der = CertificateDer::from_pem_file(path).expect("certificate PEM");
    peer_identity(&der).expect("parsable certificate")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn creates_a_complete_pki_with_private_keys_readable_only_by_the_owner() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("pki");
    let pki = init_dev_pki(
        &dir,
        &[
            ClientSpec::new("hospital", "東京中央病院"),
            ClientSpec::new("clinic-2", "さくら診療所"),
        ],
    )
    .unwrap();

    assert!(pki.created);
    assert_eq!(pki.dir, dir);
    let names: Vec<_> = pki
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "server.key",
            "server.pem",
            "hospital.key",
            "hospital.pem",
            "clinic-2.key",
            "clinic-2.pem",
            "ca.key",
            "ca.pem"
        ],
        "ca.pem must be written last"
    );
    for file in &pki.files {
        assert!(file.is_file(), "{} missing", file.display());
    }
    // No temporary files left behind.
    let mut on_disk: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(on_disk, expected);

    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        for key in ["ca.key", "server.key", "hospital.key", "clinic-2.key"] {
            assert_eq!(mode(&dir.join(key)), 0o600, "{key}");
        }
    }

    let hospital = identity_of(&dir.join("hospital.pem"));
    assert_eq!(hospital.common_name.as_deref(), Some("hospital"));
    assert_eq!(hospital.organisation.as_deref(), Some("東京中央病院"));
    assert_eq!(hospital.uris, ["urn:kakehashi:terminal:hospital"]);
    assert_eq!(hospital.terminal_name(), Some("hospital"));
    assert_eq!(hospital.fingerprint_sha256.len(), 64);

    let server = identity_of(&dir.join("server.pem"));
    assert_eq!(server.dns_names, ["localhost"]);
    assert_ne!(server.serial_hex, hospital.serial_hex);
}

#[test]
fn validity_is_ten_years_for_the_ca_and_one_year_for_leaves() {
    let temp = tempfile::tempdir().unwrap();
    init_dev_pki(temp.path(), &[ClientSpec::new("hospital", "")]).unwrap();
    let year = |path: &str| -> i32 {
        identity_of(&temp.path().join(path)).not_after[..4]
            .parse()
            .unwrap()
    };
    let now: i32 = time_now_year();
    assert!((now + 9..=now + 10).contains(&year("ca.pem")));
    assert!((now..=now + 1).contains(&year("server.pem")));
    assert!((now..=now + 1).contains(&year("hospital.pem")));
    // An empty organisation is omitted rather than encoded as an empty O.
    assert_eq!(
        identity_of(&temp.path().join("hospital.pem")).organisation,
        None
    );
}

fn time_now_year() -> i32 {
    let seconds = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Good enough for a ±1 year window: 365.2425 days a year.
    1970 + (seconds / 31_556_952) as i32
}

#[test]
fn second_initialisation_is_a_no_op() {
    let temp = tempfile::tempdir().unwrap();
    let first = init_dev_pki(temp.path(), &[ClientSpec::new("hospital", "病院")]).unwrap();
    assert!(first.created);
    let ca_before = fs::read(temp.path().join("ca.pem")).unwrap();
    let key_before = fs::read(temp.path().join("hospital.key")).unwrap();

    let second = init_dev_pki(temp.path(), &[ClientSpec::new("other", "別")]).unwrap();
    assert!(!second.created);
    assert!(second.files.is_empty());
    assert_eq!(fs::read(temp.path().join("ca.pem")).unwrap(), ca_before);
    assert_eq!(
        fs::read(temp.path().join("hospital.key")).unwrap(),
        key_before
    );
    assert!(!temp.path().join("other.pem").exists());
}

#[test]
fn an_interrupted_initialisation_without_ca_pem_is_redone() {
    let temp = tempfile::tempdir().unwrap();
    fs::write(temp.path().join("server.key"), "half written").unwrap();
    let pki = init_dev_pki(temp.path(), &[]).unwrap();
    assert!(pki.created);
    let key = fs::read_to_string(temp.path().join("server.key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn bad_client_names_are_refused_before_anything_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("pki");
    for name in [
        "",
        "../escape",
        "a b",
        "ca",
        "server",
        ".hidden",
        "病院",
        &"x".repeat(65),
    ] {
        let error = init_dev_pki(&dir, &[ClientSpec::new(name, "O")]).unwrap_err();
        assert!(
            matches!(&error, PkiError::InvalidName { name: n, .. } if n == name),
            "{name:?}: {error}"
        );
    }
    let error = init_dev_pki(
        &dir,
        &[ClientSpec::new("twin", "A"), ClientSpec::new("twin", "B")],
    )
    .unwrap_err();
    assert!(matches!(error, PkiError::InvalidName { .. }), "{error}");
    assert!(!dir.exists());
}

#[test]
fn issue_client_adds_a_terminal_and_refuses_to_overwrite() {
    let temp = tempfile::tempdir().unwrap();
    init_dev_pki(temp.path(), &[ClientSpec::new("hospital", "")]).unwrap();

    issue_client(temp.path(), &ClientSpec::new("ward-3", "大阪北病院")).unwrap();
    let ward = identity_of(&temp.path().join("ward-3.pem"));
    assert_eq!(ward.terminal_name(), Some("ward-3"));
    assert_eq!(ward.organisation.as_deref(), Some("大阪北病院"));
    #[cfg(unix)]
    assert_eq!(mode(&temp.path().join("ward-3.key")), 0o600);

    let before = fs::read(temp.path().join("hospital.pem")).unwrap();
    let error = issue_client(temp.path(), &ClientSpec::new("hospital", "")).unwrap_err();
    match &error {
        PkiError::AlreadyExists { path } => assert_eq!(path, &temp.path().join("hospital.pem")),
        other => panic!("unexpected error: {other}"),
    }
    assert!(error.to_string().contains("hospital.pem"));
    assert_eq!(fs::read(temp.path().join("hospital.pem")).unwrap(), before);
}

#[test]
fn issuing_without_a_ca_names_the_missing_file() {
    let temp = tempfile::tempdir().unwrap();
    let error = issue_client(temp.path(), &ClientSpec::new("hospital", "")).unwrap_err();
    match error {
        PkiError::NoCa { path } => assert_eq!(path, temp.path().join("ca.pem")),
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn explicit_validity_is_honoured_and_an_empty_period_refused() {
    let temp = tempfile::tempdir().unwrap();
    init_dev_pki(temp.path(), &[]).unwrap();
    let year = Duration::from_secs(365 * 24 * 3600);
    let now = SystemTime::now();
    issue_client_with_validity(
        temp.path(),
        &ClientSpec::new("expired", ""),
        now - 2 * year,
        now - year,
    )
    .unwrap();
    let expired = identity_of(&temp.path().join("expired.pem"));
    let expected_year = time_now_year() - 1;
    let year_of_expiry: i32 = expired.not_after[..4].parse().unwrap();
    assert!((expected_year - 1..=expected_year).contains(&year_of_expiry));

    let error = issue_client_with_validity(temp.path(), &ClientSpec::new("empty", ""), now, now)
        .unwrap_err();
    assert!(matches!(error, PkiError::InvalidValidity { .. }), "{error}");
    assert!(!temp.path().join("empty.pem").exists());
}

#[test]
fn revoke_accumulates_serials_in_the_crl() {
    let temp = tempfile::tempdir().unwrap();
    init_dev_pki(
        temp.path(),
        &[
            ClientSpec::new("a", ""),
            ClientSpec::new("b", ""),
            ClientSpec::new("c", ""),
        ],
    )
    .unwrap();
    let serial = |name: &str| identity_of(&temp.path().join(format!("{name}.pem"))).serial_hex;

    let crl_path = revoke(temp.path(), "a").unwrap();
    assert_eq!(crl_path, temp.path().join("crl.pem"));
    assert_eq!(revoked_serials(&crl_path), [serial("a")]);

    revoke(temp.path(), "b").unwrap();
    revoke(temp.path(), "b").unwrap(); // twice is harmless
    assert_eq!(revoked_serials(&crl_path), [serial("a"), serial("b")]);

    let register = fs::read_to_string(temp.path().join("revoked.txt")).unwrap();
    assert_eq!(register.lines().filter(|l| !l.starts_with('#')).count(), 2);
    assert!(register.contains(&serial("a")) && register.contains(" b\n"));

    let crl = CertificateRevocationListDer::from_pem_file(&crl_path).unwrap();
    let (_, parsed) = x509_parser::parse_x509_crl(&crl).unwrap();
    let next = parsed.next_update().unwrap().timestamp();
    let this = parsed.last_update().timestamp();
    assert_eq!(next - this, 30 * 24 * 3600);
}

#[test]
fn revoking_a_certificate_from_another_ca_is_refused() {
    let ours = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    init_dev_pki(ours.path(), &[]).unwrap();
    init_dev_pki(theirs.path(), &[ClientSpec::new("stranger", "")]).unwrap();
    fs::copy(
        theirs.path().join("stranger.pem"),
        ours.path().join("stranger.pem"),
    )
    .unwrap();
    let error = revoke(ours.path(), "stranger").unwrap_err();
    assert!(
        matches!(error, PkiError::ForeignCertificate { .. }),
        "{error}"
    );
    assert!(!ours.path().join("crl.pem").exists());

    let error = revoke(ours.path(), "nobody").unwrap_err();
    assert!(error.to_string().contains("nobody.pem"), "{error}");
}

fn revoked_serials(crl_path: &Path) -> Vec<String> {
    let crl = CertificateRevocationListDer::from_pem_file(crl_path).unwrap();
    let (_, parsed) = x509_parser::parse_x509_crl(&crl).unwrap();
    parsed
        .iter_revoked_certificates()
        .map(|revoked| {
            revoked
                .user_certificate
                .to_bytes_be()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}
