//! Development PKI: a local CA, a server certificate and client certificates for terminals.
//!
//! Mutual TLS is the gateway's default, so a developer needs working certificates before the
//! first request. This module makes them with rcgen (ECDSA P-256), lays them out in one
//! directory, and can later issue one more terminal certificate or revoke one through a CRL.
//! It is not a production CA: keys sit unencrypted on disk (mode 0600) and the CRL is only
//! published as a file.
//!
//! Layout of the directory: `ca.pem`/`ca.key`, `server.pem`/`server.key`,
//! `<name>.pem`/`<name>.key` per terminal, and after a revocation `revoked.txt` (the register)
//! and `crl.pem`. `ca.pem` is written last, so its presence means the PKI is complete.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::atomic_file::{self, PRIVATE, PUBLIC};
use crate::error::PkiError;

/// Prefix of the SAN URI that carries a terminal's name: `urn:kakehashi:terminal:<name>`.
pub const TERMINAL_URI_PREFIX: &str = "urn:kakehashi:terminal:";

/// File name of the CA certificate inside a PKI directory.
pub const CA_CERT_FILE: &str = "ca.pem";
/// File name of the server certificate inside a PKI directory.
pub const SERVER_CERT_FILE: &str = "server.pem";
/// File name of the server key inside a PKI directory.
pub const SERVER_KEY_FILE: &str = "server.key";
/// File name of the CRL that [`revoke`] writes.
pub const CRL_FILE: &str = "crl.pem";

const CA_KEY_FILE: &str = "ca.key";
const REVOKED_FILE: &str = "revoked.txt";
/// Names that would collide with the CA's own files.
const RESERVED_NAMES: &[&str] = &["ca", "server", "crl", "revoked"];
const MAX_NAME_LENGTH: usize = 64;

const CA_VALIDITY: Duration = Duration::days(3650);
const LEAF_VALIDITY: Duration = Duration::days(365);
const CRL_VALIDITY: Duration = Duration::days(30);
/// Leaf certificates start a little in the past so a terminal whose clock runs slightly behind
/// the CA's still accepts them.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A terminal (client) certificate to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// Terminal name: subject CN, SAN URI `urn:kakehashi:terminal:<name>` and the file stem.
    /// ASCII letters, digits, `-`, `_` and `.`, at most 64 characters.
    pub name: String,
    /// Subject O, typically the hospital (Japanese is fine, e.g. `東京中央病院`). Empty omits O.
    pub organisation: String,
}

impl ClientSpec {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, organisation: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            organisation: organisation.into(),
        }
    }
}

/// Result of [`init_dev_pki`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevPki {
    /// `false` when `ca.pem` already existed and nothing was generated.
    pub created: bool,
    /// The PKI directory.
    pub dir: PathBuf,
    /// Files written, in the order they were written (empty when `created` is `false`).
    pub files: Vec<PathBuf>,
}

/// Creates a development PKI in `dir` unless `dir/ca.pem` already exists.
///
/// Writes the CA (10 years), a server certificate for `localhost`, `127.0.0.1` and `::1`
/// (1 year, serverAuth) and one client certificate per entry of `clients` (1 year,
/// clientAuth). Keys are ECDSA P-256 with mode 0600; the directory is created with mode 0700.
pub fn init_dev_pki(dir: &Path, clients: &[ClientSpec]) -> Result<DevPki, PkiError> {
    let ca_path = dir.join(CA_CERT_FILE);
    if exists(&ca_path)? {
        return Ok(DevPki {
            created: false,
            dir: dir.to_path_buf(),
            files: Vec::new(),
        });
    }
    let mut seen = BTreeSet::new();
    for client in clients {
        validate_name(&client.name)?;
        if !seen.insert(client.name.as_str()) {
            return Err(PkiError::InvalidName {
                name: client.name.clone(),
                reason: "listed twice",
            });
        }
    }
    atomic_file::create_private_dir(dir)?;

    let now = OffsetDateTime::now_utc();
    let ca_key_path = dir.join(CA_KEY_FILE);
    let ca_key = generate_key(&ca_key_path)?;
    let ca_params = ca_params(now);
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(generate_error(&ca_path))?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let mut files = Vec::new();
    let not_before = now - CLOCK_SKEW;
    let not_after = now + LEAF_VALIDITY;
    let server_cert = dir.join(SERVER_CERT_FILE);
    let server_key = dir.join(SERVER_KEY_FILE);
    let server = leaf_params(
        server_subject(),
        server_names().map_err(generate_error(&server_cert))?,
        ExtendedKeyUsagePurpose::ServerAuth,
        not_before,
        not_after,
    );
    write_leaf(&server, &issuer, &server_cert, &server_key, &mut files)?;
    for client in clients {
        let (cert_path, key_path) = client_paths(dir, &client.name);
        let params = client_params(client, not_before, not_after)?;
        write_leaf(&params, &issuer, &cert_path, &key_path, &mut files)?;
    }
    write_file(
        &ca_key_path,
        ca_key.serialize_pem().as_bytes(),
        PRIVATE,
        &mut files,
    )?;
    write_file(&ca_path, ca_cert.pem().as_bytes(), PUBLIC, &mut files)?;
    atomic_file::sync_dir(dir)?;
    Ok(DevPki {
        created: true,
        dir: dir.to_path_buf(),
        files,
    })
}

/// Issues one more client certificate (valid from now for one year) from the CA in `dir`.
///
/// Refuses to overwrite an existing `<name>.pem`.
pub fn issue_client(dir: &Path, spec: &ClientSpec) -> Result<(), PkiError> {
    let now = OffsetDateTime::now_utc();
    issue(dir, spec, now - CLOCK_SKEW, now + LEAF_VALIDITY)
}

/// Issues a client certificate with an explicit validity period, for example an already
/// expired one for tests. Otherwise like [`issue_client`].
pub fn issue_client_with_validity(
    dir: &Path,
    spec: &ClientSpec,
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<(), PkiError> {
    let not_before = to_offset_date_time(not_before)?;
    let not_after = to_offset_date_time(not_after)?;
    if not_after <= not_before {
        return Err(PkiError::InvalidValidity {
            reason: format!("not_after ({not_after}) is not later than not_before ({not_before})"),
        });
    }
    issue(dir, spec, not_before, not_after)
}

/// Revokes the client certificate `<name>.pem` in `dir`.
///
/// Adds its serial to the register `revoked.txt` (revoking twice is harmless) and rewrites
/// `crl.pem` with every serial revoked so far, next update in 30 days. Returns the CRL's path.
pub fn revoke(dir: &Path, name: &str) -> Result<PathBuf, PkiError> {
    validate_name(name)?;
    let (ca_pem, ca_key) = load_ca(dir)?;
    let ca_path = dir.join(CA_CERT_FILE);
    let ca_der = parse_certificate_pem(&ca_path, ca_pem.as_bytes())?;
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der)
        .map_err(|e| unparsable(&ca_path, format!("not an X.509 certificate: {e}")))?;

    let (cert_path, _) = client_paths(dir, name);
    let pem = fs::read(&cert_path).map_err(io_error(&cert_path))?;
    let der = parse_certificate_pem(&cert_path, &pem)?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| unparsable(&cert_path, format!("not an X.509 certificate: {e}")))?;
    if cert.issuer().as_raw() != ca.subject().as_raw()
        || cert.verify_signature(Some(ca.public_key())).is_err()
    {
        return Err(PkiError::ForeignCertificate { path: cert_path });
    }
    let serial = hex(&cert.tbs_certificate.serial.to_bytes_be());

    let register_path = dir.join(REVOKED_FILE);
    let mut register = read_register(&register_path)?;
    let now = OffsetDateTime::now_utc();
    if !register.iter().any(|entry| entry.serial_hex == serial) {
        register.push(RevokedEntry {
            serial_hex: serial,
            revoked_at: now,
            name: name.to_owned(),
        });
    }
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key)
        .map_err(|e| unparsable(&ca_path, format!("cannot use as issuer: {e}")))?;
    let crl_path = dir.join(CRL_FILE);
    let revoked_certs = register
        .iter()
        .map(|entry| {
            Ok(RevokedCertParams {
                serial_number: SerialNumber::from_slice(&unhex(&entry.serial_hex).ok_or_else(
                    || unparsable(&register_path, format!("bad serial {:?}", entry.serial_hex)),
                )?),
                revocation_time: entry.revoked_at,
                reason_code: None,
                invalidity_date: None,
            })
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    let crl = CertificateRevocationListParams {
        this_update: now,
        next_update: now + CRL_VALIDITY,
        crl_number: crl_number(now),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .and_then(|crl| crl.pem())
    .map_err(generate_error(&crl_path))?;

    let mut written = Vec::new();
    write_file(
        &register_path,
        format_register(&register).as_bytes(),
        PUBLIC,
        &mut written,
    )?;
    write_file(&crl_path, crl.as_bytes(), PUBLIC, &mut written)?;
    atomic_file::sync_dir(dir)?;
    Ok(crl_path)
}

fn issue(
    dir: &Path,
    spec: &ClientSpec,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<(), PkiError> {
    validate_name(&spec.name)?;
    let (cert_path, key_path) = client_paths(dir, &spec.name);
    if exists(&cert_path)? {
        return Err(PkiError::AlreadyExists { path: cert_path });
    }
    let (ca_pem, ca_key) = load_ca(dir)?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key).map_err(|e| {
        unparsable(
            &dir.join(CA_CERT_FILE),
            format!("cannot use as issuer: {e}"),
        )
    })?;
    let params = client_params(spec, not_before, not_after)?;
    let mut files = Vec::new();
    write_leaf(&params, &issuer, &cert_path, &key_path, &mut files)?;
    atomic_file::sync_dir(dir)
}

fn load_ca(dir: &Path) -> Result<(String, KeyPair), PkiError> {
    let ca_path = dir.join(CA_CERT_FILE);
    let ca_pem = match fs::read_to_string(&ca_path) {
        Ok(pem) => pem,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(PkiError::NoCa { path: ca_path });
        }
        Err(e) => return Err(io_error(&ca_path)(e)),
    };
    let key_path = dir.join(CA_KEY_FILE);
    let key_pem = fs::read_to_string(&key_path).map_err(io_error(&key_path))?;
    let key = KeyPair::from_pem(&key_pem)
        .map_err(|e| unparsable(&key_path, format!("not a usable private key: {e}")))?;
    Ok((ca_pem, key))
}

fn ca_params(now: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut subject = DistinguishedName::new();
    subject.push(DnType::OrganizationName, "Kakehashi (development)");
    subject.push(DnType::CommonName, "Kakehashi development CA");
    params.distinguished_name = subject;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + CA_VALIDITY;
    params
}

fn server_subject() -> DistinguishedName {
    let mut subject = DistinguishedName::new();
    subject.push(DnType::OrganizationName, "Kakehashi (development)");
    subject.push(DnType::CommonName, "localhost");
    subject
}

fn server_names() -> Result<Vec<SanType>, rcgen::Error> {
    let localhost = "localhost".try_into()?;
    Ok(vec![
        SanType::DnsName(localhost),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ])
}

fn client_params(
    spec: &ClientSpec,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertificateParams, PkiError> {
    let mut subject = DistinguishedName::new();
    if !spec.organisation.is_empty() {
        subject.push(DnType::OrganizationName, spec.organisation.as_str());
    }
    subject.push(DnType::CommonName, spec.name.as_str());
    let uri = format!("{TERMINAL_URI_PREFIX}{}", spec.name);
    let uri = uri.try_into().map_err(|_| PkiError::InvalidName {
        name: spec.name.clone(),
        reason: "not usable in a URI",
    })?;
    Ok(leaf_params(
        subject,
        vec![SanType::URI(uri)],
        ExtendedKeyUsagePurpose::ClientAuth,
        not_before,
        not_after,
    ))
}

fn leaf_params(
    subject: DistinguishedName,
    names: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = subject;
    params.subject_alt_names = names;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

/// Generates a key and signs the certificate, then writes the key before the certificate, so
/// a certificate on disk always has its key beside it.
fn write_leaf(
    params: &CertificateParams,
    issuer: &Issuer<'_, &KeyPair>,
    cert_path: &Path,
    key_path: &Path,
    files: &mut Vec<PathBuf>,
) -> Result<(), PkiError> {
    let key = generate_key(key_path)?;
    let cert = params
        .signed_by(&key, issuer)
        .map_err(generate_error(cert_path))?;
    write_file(key_path, key.serialize_pem().as_bytes(), PRIVATE, files)?;
    write_file(cert_path, cert.pem().as_bytes(), PUBLIC, files)
}

fn generate_key(path: &Path) -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(generate_error(path))
}

fn write_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    files: &mut Vec<PathBuf>,
) -> Result<(), PkiError> {
    atomic_file::write(path, contents, mode)?;
    files.push(path.to_path_buf());
    Ok(())
}

fn client_paths(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    )
}

pub(crate) fn validate_name(name: &str) -> Result<(), PkiError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > MAX_NAME_LENGTH {
        Some("longer than 64 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Some("only ASCII letters, digits, '-', '_' and '.' are allowed")
    } else if name.starts_with(['.', '-']) {
        Some("must not start with '.' or '-'")
    } else if RESERVED_NAMES.contains(&name) {
        Some("reserved for the CA's own files")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PkiError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn parse_certificate_pem(path: &Path, pem: &[u8]) -> Result<CertificateDer<'static>, PkiError> {
    CertificateDer::from_pem_slice(pem)
        .map_err(|e| unparsable(path, format!("no PEM certificate: {e}")))
}

/// One line of `revoked.txt`: `<serial hex> <revoked at, RFC 3339> <name>`.
struct RevokedEntry {
    serial_hex: String,
    revoked_at: OffsetDateTime,
    name: String,
}

fn read_register(path: &Path) -> Result<Vec<RevokedEntry>, PkiError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(path)(e)),
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let bad = |what: &str| unparsable(path, format!("line {}: {what}", index + 1));
            let mut fields = line.split_whitespace();
            let (Some(serial_hex), Some(revoked_at), Some(name)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected: serial, revocation time, name"));
            };
            if unhex(serial_hex).is_none() {
                return Err(bad("serial is not hexadecimal"));
            }
            let revoked_at = OffsetDateTime::parse(revoked_at, &Rfc3339)
                .map_err(|_| bad("revocation time is not RFC 3339"))?;
            Ok(RevokedEntry {
                serial_hex: serial_hex.to_owned(),
                revoked_at,
                name: name.to_owned(),
            })
        })
        .collect()
}

fn format_register(entries: &[RevokedEntry]) -> String {
    let mut text = String::from("# serial (hex)  revoked at (RFC 3339)  terminal name\n");
    for entry in entries {
        // Formatting an in-range UTC time as RFC 3339 cannot fail; fall back to the Unix time
        // rather than panic.
        let revoked_at = entry
            .revoked_at
            .format(&Rfc3339)
            .unwrap_or_else(|_| entry.revoked_at.unix_timestamp().to_string());
        text.push_str(&format!(
            "{} {} {}\n",
            entry.serial_hex, revoked_at, entry.name
        ));
    }
    text
}

/// CRL numbers must increase with every CRL issued; the issue time in nanoseconds does.
fn crl_number(now: OffsetDateTime) -> SerialNumber {
    let bytes = now.unix_timestamp_nanos().to_be_bytes();
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - 1);
    SerialNumber::from_slice(&bytes[first..])
}

fn to_offset_date_time(time: SystemTime) -> Result<OffsetDateTime, PkiError> {
    let out_of_range = || PkiError::InvalidValidity {
        reason: format!("{time:?} is out of range"),
    };
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).map_err(|_| out_of_range())?,
        Err(before) => i64::try_from(before.duration().as_secs())
            .map(|s| -s)
            .map_err(|_| out_of_range())?,
    };
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| out_of_range())
}

fn exists(path: &Path) -> Result<bool, PkiError> {
    path.try_exists().map_err(io_error(path))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    let digit = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| match *pair {
            [high, low] => Some(digit(high)? << 4 | digit(low)?),
            _ => None,
        })
        .collect()
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> PkiError + use<> {
    let path = path.to_path_buf();
    move |source| PkiError::Io { path, source }
}

fn generate_error(path: &Path) -> impl FnOnce(rcgen::Error) -> PkiError + use<> {
    let path = path.to_path_buf();
    move |source| PkiError::Generate { path, source }
}

fn unparsable(path: &Path, reason: String) -> PkiError {
    PkiError::Unparsable {
        path: path.to_path_buf(),
        reason,
    }
}
