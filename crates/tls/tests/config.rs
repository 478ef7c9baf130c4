//! Configuration errors name the file at fault and say what is wrong with it.

use std::fs;
use std::path::{Path, PathBuf};

use kakehashi_tls::{
    ClientSpec, ServerTls, TlsError, client_config, init_dev_pki, peer_identity, server_config,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

fn pki() -> (tempfile::TempDir, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    init_dev_pki(&dir, &[ClientSpec::new("hospital", "東京中央病院")]).unwrap();
    (temp, dir)
}

fn error_of(tls: &ServerTls) -> TlsError {
    match server_config(tls) {
        Ok(_) => panic!("configuration unexpectedly accepted: {tls:?}"),
        Err(error) => error,
    }
}

fn mentions(error: &TlsError, path: &Path) {
    let text = error.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "{text:?} does not name {}",
        path.display()
    );
}

#[test]
fn the_development_pki_makes_a_working_configuration() {
    let (_temp, dir) = pki();
    let config = server_config(&ServerTls::from_dev_pki(&dir)).unwrap();
    assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    assert!(config.ignore_client_order);
    client_config(
        &dir.join("ca.pem"),
        Some((&dir.join("hospital.pem"), &dir.join("hospital.key"))),
    )
    .unwrap();
}

#[test]
fn a_missing_file_is_named() {
    let (_temp, dir) = pki();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.ca = dir.join("nowhere.pem");
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::Missing { path } if *path == tls.ca),
        "{error}"
    );
    mentions(&error, &tls.ca);
}

#[test]
fn a_file_without_a_certificate_is_named() {
    let (_temp, dir) = pki();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.cert = dir.join("server.key");
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::NoCertificate { path } if *path == tls.cert),
        "{error}"
    );
    mentions(&error, &tls.cert);
}

#[test]
fn a_file_without_a_key_is_named() {
    let (_temp, dir) = pki();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.key = dir.join("server.pem");
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::NoPrivateKey { path } if *path == tls.key),
        "{error}"
    );
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_named() {
    let (_temp, dir) = pki();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.key = dir.join("hospital.key");
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::KeyMismatch { cert, key } if *cert == tls.cert && *key == tls.key),
        "{error}"
    );
    mentions(&error, &tls.key);

    let error = client_config(
        &dir.join("ca.pem"),
        Some((&dir.join("hospital.pem"), &dir.join("server.key"))),
    )
    .unwrap_err();
    assert!(matches!(error, TlsError::KeyMismatch { .. }), "{error}");
}

#[test]
fn malformed_pem_and_bad_crls_are_named() {
    let (_temp, dir) = pki();
    let broken = dir.join("broken.pem");
    fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.ca = broken.clone();
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::MalformedPem { path, .. } if *path == broken),
        "{error}"
    );

    let not_a_crl = dir.join("not-a-crl.pem");
    fs::write(
        &not_a_crl,
        "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    )
    .unwrap();
    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.crls = vec![not_a_crl.clone()];
    let error = error_of(&tls);
    assert!(
        matches!(&error, TlsError::MalformedPem { path, .. } if *path == not_a_crl),
        "{error}"
    );

    let mut tls = ServerTls::from_dev_pki(&dir);
    tls.crls = vec![dir.join("ca.pem")];
    let error = error_of(&tls);
    assert!(matches!(&error, TlsError::NoCrl { .. }), "{error}");
}

#[test]
fn peer_identity_reads_the_fields_and_refuses_garbage() {
    let (_temp, dir) = pki();
    let server = CertificateDer::from_pem_file(dir.join("server.pem")).unwrap();
    let identity = peer_identity(&server).unwrap();
    assert_eq!(identity.common_name.as_deref(), Some("localhost"));
    assert!(identity.uris.is_empty());
    // Without a terminal URI the CN is the terminal name.
    assert_eq!(identity.terminal_name(), Some("localhost"));
    assert!(identity.not_after.ends_with('Z'), "{}", identity.not_after);

    let error =
        peer_identity(&CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00])).unwrap_err();
    assert!(matches!(error, TlsError::PeerCertificate { .. }), "{error}");
}
