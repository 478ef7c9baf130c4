//! PKCS#12 bundles of terminal certificates: they open with their password and with nothing
//! else, hold the terminal's certificate, its key and the CA, and are encrypted the modern way
//! that NSS (Chrome, Firefox) and OpenSSL accept — checked with `openssl pkcs12` and NSS's
//! `pk12util`, which scripts/setup.sh installs.

use std::path::Path;
use std::process::Command;

use kakehashi_tls::{
    ClientSpec, development_password_path, init_dev_pki, issue_client, write_bundle,
    write_development_bundle,
};
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

fn der_of_certificate(path: &Path) -> Vec<u8> {
    CertificateDer::from_pem_file(path).unwrap().to_vec()
}

fn der_of_key(pem: &[u8]) -> Vec<u8> {
    PrivateKeyDer::from_pem_slice(pem)
        .unwrap()
        .secret_der()
        .to_vec()
}

/// Runs a command with the bundle's password in the environment variable `PASS`.
fn run(program: &str, args: &[&str], password: &str) -> String {
    let output = Command::new(program)
        .args(args)
        .env("PASS", password)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (scripts/setup.sh installs it): {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_bundle_opens_with_its_password_and_holds_the_terminal_certificate_key_and_ca() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("pki");
    init_dev_pki(&dir, &[]).unwrap();
    issue_client(&dir, &ClientSpec::new("ward-3", "大阪北病院")).unwrap();
    let bundle = write_bundle(&dir, "ward-3").unwrap();
    assert_eq!(bundle.path, dir.join("ward-3.p12"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bundle.path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let bytes = std::fs::read(&bundle.path).unwrap();
    let password = bundle.password.expose();

    assert!(KeyStore::from_pkcs12(&bytes, "wrong-password", Pkcs12ImportPolicy::Relaxed).is_err());
    let store = KeyStore::from_pkcs12(&bytes, password, Pkcs12ImportPolicy::Relaxed).unwrap();
    let (alias, chain) = store.private_key_chain().expect("a key entry");
    assert_eq!(alias, "ward-3");
    let certs: Vec<&[u8]> = chain.certs().iter().map(|c| c.as_der()).collect();
    assert_eq!(
        certs,
        [
            der_of_certificate(&dir.join("ward-3.pem")).as_slice(),
            der_of_certificate(&dir.join("ca.pem")).as_slice(),
        ]
    );
    let key = der_of_key(&std::fs::read(dir.join("ward-3.key")).unwrap());
    assert_eq!(chain.key().as_der(), key.as_slice());

    // Each bundle gets a password of its own.
    let again = write_bundle(&dir, "ward-3").unwrap();
    assert_ne!(again.password, bundle.password);
}

#[test]
fn openssl_and_nss_open_a_bundle_and_see_modern_encryption() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("pki");
    init_dev_pki(&dir, &[ClientSpec::new("hospital", "東京中央病院")]).unwrap();
    let bundle = write_bundle(&dir, "hospital").unwrap();
    let p12 = bundle.path.to_str().unwrap();
    let password = bundle.password.expose();

    let info = run(
        "openssl",
        &[
            "pkcs12", "-info", "-in", p12, "-passin", "env:PASS", "-noout",
        ],
        password,
    );
    assert!(info.contains("MAC: sha256"), "{info}");
    assert!(info.contains("PBES2, PBKDF2, AES-256-CBC"), "{info}");
    assert!(!info.contains("RC2") && !info.contains("3DES"), "{info}");
    let key = run(
        "openssl",
        &[
            "pkcs12", "-in", p12, "-passin", "env:PASS", "-nocerts", "-noenc",
        ],
        password,
    );
    let original = std::fs::read(dir.join("hospital.key")).unwrap();
    assert_eq!(der_of_key(key.as_bytes()), der_of_key(&original));
    let leaf = run(
        "openssl",
        &[
            "pkcs12", "-in", p12, "-passin", "env:PASS", "-nokeys", "-clcerts",
        ],
        password,
    );
    assert_eq!(
        CertificateDer::from_pem_slice(leaf.as_bytes())
            .unwrap()
            .to_vec(),
        der_of_certificate(&dir.join("hospital.pem"))
    );
    let wrong = Command::new("openssl")
        .args(["pkcs12", "-info", "-in", p12, "-noout", "-passin"])
        .arg("pass:not-the-password")
        .output()
        .unwrap();
    assert!(!wrong.status.success());

    // NSS, as Chromium and Firefox use it: a new database, the bundle imported into it.
    let nssdb = temp.path().join("nssdb");
    std::fs::create_dir(&nssdb).unwrap();
    let db = format!("sql:{}", nssdb.display());
    run("certutil", &["-N", "--empty-password", "-d", &db], "");
    run("pk12util", &["-i", p12, "-d", &db, "-W", password], "");
    let listed = run("certutil", &["-L", "-d", &db], "");
    assert!(listed.contains("hospital"), "{listed}");
    let keys = run("certutil", &["-K", "-d", &db], "");
    assert!(keys.contains("hospital"), "{keys}");
}

#[test]
fn a_development_bundle_keeps_its_password_beside_it_and_is_made_once() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("pki");
    init_dev_pki(&dir, &[ClientSpec::new("hospital", "東京中央病院")]).unwrap();
    let made = write_development_bundle(&dir, "hospital")
        .unwrap()
        .expect("made the first time");
    let password_path = development_password_path(&dir, "hospital");
    assert_eq!(password_path, dir.join("hospital.p12.password"));
    let kept = std::fs::read_to_string(&password_path).unwrap();
    assert_eq!(kept.trim_end(), made.password.expose());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&password_path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let bytes = std::fs::read(&made.path).unwrap();
    KeyStore::from_pkcs12(&bytes, kept.trim_end(), Pkcs12ImportPolicy::Strict).unwrap();

    assert!(
        write_development_bundle(&dir, "hospital")
            .unwrap()
            .is_none()
    );
    assert_eq!(std::fs::read(&made.path).unwrap(), bytes);
}
