//! `kakehashi.toml`: every field optional, every default safe. Unknown fields are refused, so a
//! typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Gateway configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the API listens on. Default `127.0.0.1:8443` (loopback only).
    pub listen: SocketAddr,
    /// The address clients reach the gateway at, such as `https://kakehashi.example.lg.jp`
    /// (a path after the host is kept; no query, no fragment; a trailing `/` is dropped). The
    /// FHIR output names the Questionnaires its responses answer under it
    /// (`{public_url}/fhir/Questionnaire/nanbyo-049`), where the gateway serves them. Default
    /// `https://` and the address the API listens on (`https://127.0.0.1:8443`; `http://` with
    /// `plain_http_for_development`): set it whenever clients use a host name, a proxy or an
    /// address other than `listen`.
    pub public_url: Option<PublicUrl>,
    /// Where the database and (later) generated certificates live. Default `./kakehashi-data`.
    pub data_dir: PathBuf,
    /// Largest request body accepted, in bytes: an upload, or an app's application with its
    /// attachments base64-encoded (a 10 MB attachment is 13.4 MiB of it). Default 32 MiB.
    pub max_body_bytes: usize,
    /// A folder of extra mapping files and disease templates (same layout as the built-in
    /// `mappings/`: `csv/NAME.toml`, `diseases/nanbyo-NNN.toml`); files replace built-in ones of
    /// the same name. Default: none.
    pub mappings_dir: Option<PathBuf>,
    /// The data-key file for encryption at rest. Default `<data_dir>/keys/data-keys.json`,
    /// made on first run. Keep a backup apart from the database: without it nothing opens.
    pub key_file: Option<PathBuf>,
    /// Transport security.
    pub tls: TlsConfig,
    /// Sessions, lockout and intrusion protection.
    pub security: SecurityConfig,
    /// Delivery of consented sheets to the national DB.
    pub push: PushConfig,
    /// Apps' webhooks: status changes of their applications posted to them.
    pub webhooks: WebhooksConfig,
    /// Access keys (アクセスキー) that hand confirmed sheets to municipalities.
    pub access_keys: AccessKeyConfig,
    /// Anchors of the audit chain (監査証跡).
    pub audit: AuditConfig,
    /// The memory budget documents are read within.
    pub decoding: DecodingConfig,
    /// Where the data is stored: SQLite in the data directory, or a shared PostgreSQL.
    pub store: StoreConfig,
    /// `[adapters.NAME]`: one table per adapter, read by its registration in
    /// `src/adapters.rs` (today `[adapters.scan]`: `workers`, `box_timeout_seconds`;
    /// `[adapters.mynaportal]`: `max_inflated_mib`). A section naming no registered adapter is
    /// refused.
    pub adapters: crate::adapters::AdapterSettings,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: None,
            data_dir: PathBuf::from("kakehashi-data"),
            max_body_bytes: 32 * 1024 * 1024,
            mappings_dir: None,
            key_file: None,
            tls: TlsConfig::default(),
            security: SecurityConfig::default(),
            push: PushConfig::default(),
            webhooks: WebhooksConfig::default(),
            access_keys: AccessKeyConfig::default(),
            audit: AuditConfig::default(),
            decoding: DecodingConfig::default(),
            store: StoreConfig::default(),
            adapters: Default::default(),
        }
    }
}

/// `[tls]`: HTTPS with client certificates. Paths default to the development PKI that the
/// first `kakehashi serve` makes in `<data_dir>/certs/`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// CA that issues terminal (client) certificates. Default `<data_dir>/certs/ca.pem`.
    pub client_ca: Option<PathBuf>,
    /// Server certificate chain. Default `<data_dir>/certs/server.pem`.
    pub cert: Option<PathBuf>,
    /// Server private key. Default `<data_dir>/certs/server.key`.
    pub key: Option<PathBuf>,
    /// Certificate revocation lists to honour. Default `<data_dir>/certs/crl.pem` when it
    /// exists.
    pub crls: Vec<PathBuf>,
    /// How often the revocation lists are read again, in seconds: a change applies to new
    /// connections without a restart. Default 30.
    pub crl_check_seconds: Option<u64>,
    /// Serve plain HTTP without client certificates. Development only: every start logs a
    /// warning, and requests carry no terminal identity.
    pub plain_http_for_development: bool,
}

/// `[security]`: sessions, lockout and intrusion protection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Lifetime of a login token, in minutes. Default 30.
    pub token_minutes: u32,
    /// Wrong passwords in a row that lock an account. Default 5.
    pub lockout_after: u32,
    /// How long a locked account stays locked, in minutes. Default 15.
    pub lockout_minutes: u32,
    /// Requests per second allowed from one terminal (bursts of twice that). Default 50: a
    /// person's browser never comes near it.
    pub requests_per_second_per_terminal: u32,
    /// Requests per second allowed from one network address (bursts of twice that). Default 100.
    pub requests_per_second_per_address: u32,
    /// Terminals with a rate of their own, by terminal name, instead of
    /// `requests_per_second_per_terminal` (bursts of twice that): an integration engine that
    /// sends a hospital's whole export needs far more than a person's browser. A terminal listed
    /// here is held to its own rate alone, not also to the address rate. Default none.
    ///
    /// ```toml
    /// [security.terminal_requests_per_second]
    /// "ehr-gateway" = 2000
    /// ```
    pub terminal_requests_per_second: BTreeMap<String, u32>,
    /// Authentication failures from one address within `block_minutes` that block it for
    /// `block_minutes`, with an audit alert. Default 20.
    pub block_after_failures: u32,
    /// Default 15.
    pub block_minutes: u32,
    /// Sheets one user may read in an hour before an audit alert flags unusual bulk reading.
    /// Default 200.
    pub bulk_read_alert_per_hour: u32,
    /// Time allowed for a TLS handshake and for a request's headers, in seconds (slow-client
    /// protection). Default 10.
    pub client_timeout_seconds: u64,
    /// Time allowed for a whole request, in seconds. Default 120.
    pub request_timeout_seconds: u64,
    /// Open connections at most, in all and from one address. Defaults 1024 and 64.
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// A web console session (`/console/`) ends after this many seconds without a request.
    /// Default 1800 (30 minutes).
    pub console_idle_seconds: u64,
    /// A web console session ends this many seconds after its login, however busy. Default
    /// 43200 (12 hours).
    pub console_absolute_seconds: u64,
    /// How long the console's upload waits for a document to be read before it shows the
    /// upload's progress page instead (which shows the result when reading ends), in
    /// milliseconds. Default 2000.
    pub console_result_wait_ms: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            token_minutes: 30,
            lockout_after: 5,
            lockout_minutes: 15,
            requests_per_second_per_terminal: 50,
            requests_per_second_per_address: 100,
            terminal_requests_per_second: BTreeMap::new(),
            block_after_failures: 20,
            block_minutes: 15,
            bulk_read_alert_per_hour: 200,
            client_timeout_seconds: 10,
            request_timeout_seconds: 120,
            max_connections: 1024,
            max_connections_per_address: 64,
            console_idle_seconds: 30 * 60,
            console_absolute_seconds: 12 * 60 * 60,
            console_result_wait_ms: 2000,
        }
    }
}

/// `[push]`: delivery of consented, confirmed sheets to the national DB over mutual TLS, the
/// document signed by the gateway and encrypted to the national DB's key. File paths default to
/// the development PKI in `<data_dir>/certs/`, where `kakehashi receiver` finds the other half.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// The national DB's delivery endpoint, e.g. `https://localhost:9443/v1/deliveries` for the
    /// reference receiver. Default none: deliveries are enqueued and wait (pending) until one is
    /// configured. The gateway connects to no other host.
    pub endpoint: Option<String>,
    /// PEM file of the CA certificate(s) that may sign the national DB's server certificate.
    /// Only these are trusted; to trust the system store, name its bundle here (for example
    /// `/etc/ssl/certs/ca-certificates.crt`). Default `<data_dir>/certs/ca.pem`.
    pub server_ca: Option<PathBuf>,
    /// The gateway's client certificate (chain) and key for the national DB. Default
    /// `<data_dir>/certs/gateway.pem` and `gateway.key`.
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// The national DB's public payload-encryption key (PEM). Default
    /// `<data_dir>/certs/payload-encryption.pub`.
    pub recipient_key: Option<PathBuf>,
    /// The gateway's payload-signing key (PKCS#8 PEM). Default
    /// `<data_dir>/certs/payload-signing.key`.
    pub signing_key: Option<PathBuf>,
    /// Time allowed for one attempt, in seconds. Default 30.
    pub timeout_seconds: u64,
    /// Deliveries in flight at once. Default 8.
    pub concurrency: usize,
    /// Wait after the first failed attempt, in milliseconds; it doubles (with jitter) up to
    /// `max_backoff_seconds`. Defaults 2000 and 300.
    pub initial_backoff_ms: u64,
    pub max_backoff_seconds: u64,
    /// Attempts before a transiently failing delivery becomes a dead letter. Default 48
    /// (about four hours with the default backoff).
    pub max_attempts: u32,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            server_ca: None,
            client_cert: None,
            client_key: None,
            recipient_key: None,
            signing_key: None,
            timeout_seconds: 30,
            concurrency: 8,
            initial_backoff_ms: 2000,
            max_backoff_seconds: 300,
            max_attempts: 48,
        }
    }
}

/// `[webhooks]`: apps' webhooks (`PUT /v1/intake/webhook`, `kakehashi apps webhook`). Each
/// status change of an app's application is posted to the app's HTTPS endpoint, signed, and
/// retried with backoff like a national-DB delivery.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// PEM bundle of the CA certificates an endpoint's server certificate may chain to.
    /// Default the system's bundle, `/etc/ssl/certs/ca-certificates.crt`; when it cannot be
    /// read, events wait (pending) and the gateway says so at start.
    pub server_ca: Option<PathBuf>,
    /// Development and tests only: let endpoints be on loopback and private addresses. Default
    /// false: the gateway posts only to public addresses, whatever a name resolves to, so that
    /// an app cannot make it reach into the network it stands in.
    pub allow_private_networks: bool,
    /// Time allowed for one attempt, in seconds. Default 10.
    pub timeout_seconds: u64,
    /// Events in flight at once. Default 4.
    pub concurrency: usize,
    /// Wait after the first failed attempt, in milliseconds; it doubles (with jitter) up to
    /// `max_backoff_seconds`. Defaults 2000 and 300.
    pub initial_backoff_ms: u64,
    pub max_backoff_seconds: u64,
    /// Attempts before an event stays failed (shown to the app and the administrator).
    /// Default 24 (about an hour and a half with the default backoff).
    pub max_attempts: u32,
}

/// The system's CA bundle on Debian and its kin.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

impl Default for WebhooksConfig {
    fn default() -> Self {
        Self {
            server_ca: None,
            allow_private_networks: false,
            timeout_seconds: 10,
            concurrency: 4,
            initial_backoff_ms: 2000,
            max_backoff_seconds: 300,
            max_attempts: 24,
        }
    }
}

impl WebhooksConfig {
    /// The CA bundle endpoints are checked against.
    pub fn server_ca(&self) -> PathBuf {
        self.server_ca
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE))
    }

    /// The retry policy of events.
    pub fn retry_policy(&self) -> crate::push::RetryPolicy {
        crate::push::RetryPolicy::new(
            self.initial_backoff_ms,
            self.max_backoff_seconds,
            self.max_attempts,
        )
    }
}

/// `[access_keys]`: the アクセスキー a designated doctor's confirmation issues for the patient to
/// take to their municipality, and how hard guessing one is made.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessKeyConfig {
    /// How long a key opens its sheet after it was issued, in seconds. Default 31536000
    /// (365 days: a recipient certificate's 有効期間 is at most a year); more than 100 years
    /// counts as 100 years.
    pub validity_seconds: u64,
    /// Wrong keys (mistyped or unknown) one person, or one terminal, may present within
    /// `block_minutes` before their lookups are refused for `block_minutes` (429 with
    /// `Retry-After`, and an audit alert). Default 10.
    pub failures_before_block: u32,
    /// Default 15.
    pub block_minutes: u32,
}

impl Default for AccessKeyConfig {
    fn default() -> Self {
        Self {
            validity_seconds: 365 * 24 * 60 * 60,
            failures_before_block: 10,
            block_minutes: 15,
        }
    }
}

impl AccessKeyConfig {
    /// How long a key is valid.
    pub fn validity(&self) -> chrono::Duration {
        const CENTURY: u64 = 100 * 366 * 24 * 60 * 60;
        let seconds = i64::try_from(self.validity_seconds.min(CENTURY)).unwrap_or(0);
        chrono::Duration::seconds(seconds)
    }
}

/// `[audit]`: the gateway writes the audit chain's head, signed with the audit key, to a file
/// outside the database every few minutes, for `kakehashi audit verify --anchor FILE`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Minutes between anchors; 0 writes none. Default 10.
    pub anchor_every_minutes: u64,
    /// Where anchors are written. Default `<data_dir>/anchors`; better a directory the
    /// database's owner cannot rewrite (another disk, a mount copied off the machine).
    pub anchor_dir: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            anchor_every_minutes: 10,
            anchor_dir: None,
        }
    }
}

impl AuditConfig {
    /// How often the gateway anchors the chain; `None` when it does not.
    pub fn anchor_every(&self) -> Option<std::time::Duration> {
        (self.anchor_every_minutes > 0)
            .then(|| std::time::Duration::from_secs(self.anchor_every_minutes.saturating_mul(60)))
    }
}

/// `[decoding]`: one memory budget (解析メモリ予算) that every document being read draws from
/// — archives inflated, scanned pages decoded, text parsed into records — so that a few
/// large or hostile documents at once cannot exhaust the gateway. Before a document is read,
/// the most its adapter says reading it may take is reserved; a request that finds the budget
/// spent waits, and is then answered 503 `busy` with `Retry-After`. A document that alone
/// may need more than the whole budget reserves all of it and is read alone.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecodingConfig {
    /// The budget, in MiB. Default 256. The gateway's resident memory stays within about its
    /// idle size plus this plus the request bodies in flight (`max_body_bytes` each).
    pub memory_mib: u32,
    /// Longest wait for the budget, in seconds, before a request is answered `busy`; also the
    /// `Retry-After` it is given. Default 5.
    pub wait_seconds: u64,
}

impl Default for DecodingConfig {
    fn default() -> Self {
        Self {
            memory_mib: 256,
            wait_seconds: 5,
        }
    }
}

impl DecodingConfig {
    /// The budget the pipeline reads documents within.
    pub fn budget(&self) -> crate::decode_budget::DecodeBudget {
        crate::decode_budget::DecodeBudget::new(
            u64::from(self.memory_mib.max(1)) * 1024 * 1024,
            std::time::Duration::from_secs(self.wait_seconds.max(1)),
        )
    }
}

/// `[store]`: where sheets, the journal, the outbox and the audit chain are kept.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// A PostgreSQL database shared by every gateway instance of a deployment
    /// (`postgres://user@host:5432/kakehashi`, with `?sslmode=verify-full` across a network).
    /// Default: none, which keeps the embedded SQLite file in `data_dir`. Each instance still
    /// has its own `data_dir` for its certificates; all of them need the same data-key file.
    pub url: Option<PostgresUrl>,
}

/// A `postgres://` (or `postgresql://`) URL; anything else is refused when the file is read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct PostgresUrl(String);

impl PostgresUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PostgresUrl {
    type Error = String;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self(url))
        } else {
            Err("a shared store is PostgreSQL: `url` starts with postgres:// (leave it out to keep SQLite in data_dir)".to_owned())
        }
    }
}

/// An `http://` or `https://` URL with a host and no query or fragment, kept without a trailing
/// `/`; anything else is refused when the file is read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        let refused = |why: &str| {
            Err(format!(
                "public_url `{url}` {why}: give the address clients reach the gateway at, such as https://kakehashi.example.lg.jp"
            ))
        };
        let Some(rest) = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
        else {
            return refused("does not start with https:// (or http://)");
        };
        if rest.split('/').next().is_none_or(str::is_empty) {
            return refused("names no host");
        }
        if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refused("has a query, a fragment or a space");
        }
        Ok(Self(url.trim_end_matches('/').to_owned()))
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Where the development PKI lives.
    pub fn certs_dir(&self) -> PathBuf {
        self.data_dir.join("certs")
    }

    /// The address clients reach the gateway at: `public_url`, else the scheme the gateway
    /// serves and `bound`, the address it listens on.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().to_owned(),
            None if self.tls.plain_http_for_development => format!("http://{bound}"),
            None => format!("https://{bound}"),
        }
    }

    /// Where audit anchors are written.
    pub fn anchor_dir(&self) -> PathBuf {
        self.audit
            .anchor_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("anchors"))
    }

    /// The data-key file.
    pub fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("data-keys.json"))
    }

    /// The server's TLS files: the development PKI's unless configured.
    pub fn server_tls(&self) -> kakehashi_tls::ServerTls {
        let dev = kakehashi_tls::ServerTls::from_dev_pki(&self.certs_dir());
        let tls = &self.tls;
        kakehashi_tls::ServerTls {
            ca: tls.client_ca.clone().unwrap_or(dev.ca),
            cert: tls.cert.clone().unwrap_or(dev.cert),
            key: tls.key.clone().unwrap_or(dev.key),
            crls: if tls.crls.is_empty() {
                dev.crls
            } else {
                tls.crls.clone()
            },
        }
    }

    /// The push client for the configured endpoint, or `None` when push is off.
    pub fn push_client(
        &self,
    ) -> Result<Option<crate::push::NationalDbClient>, crate::push::PushError> {
        let push = &self.push;
        let Some(endpoint) = &push.endpoint else {
            return Ok(None);
        };
        let certs = self.certs_dir();
        let or_dev =
            |path: &Option<PathBuf>, file: &str| path.clone().unwrap_or_else(|| certs.join(file));
        let tls = kakehashi_tls::client_config(
            &or_dev(&push.server_ca, "ca.pem"),
            Some((
                &or_dev(&push.client_cert, "gateway.pem"),
                &or_dev(&push.client_key, "gateway.key"),
            )),
        )?;
        let envelope = crate::push::Envelope::Sealed {
            signer: kakehashi_envelope::SigningKey::from_pem_file(&or_dev(
                &push.signing_key,
                kakehashi_envelope::SIGNING_KEY_FILE,
            ))?,
            recipient: kakehashi_envelope::RecipientKey::from_pem_file(&or_dev(
                &push.recipient_key,
                kakehashi_envelope::ENCRYPTION_PUBLIC_FILE,
            ))?,
        };
        crate::push::NationalDbClient::new(
            endpoint,
            tls,
            envelope,
            std::time::Duration::from_secs(push.timeout_seconds),
        )
        .map(Some)
    }

    /// The retry policy of deliveries.
    pub fn retry_policy(&self) -> crate::push::RetryPolicy {
        crate::push::RetryPolicy::new(
            self.push.initial_backoff_ms,
            self.push.max_backoff_seconds,
            self.push.max_attempts,
        )
    }

    /// Reads a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: Config = toml::from_str("listen = \"0.0.0.0:9000\"").unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("kakehashi-data"));
        let err =
            toml::from_str::<Config>("listen = \"127.0.0.1:1\"\ndata_dri = \"x\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `data_dri`"),
            "{err}"
        );
    }

    #[test]
    fn the_public_url_is_the_listening_address_unless_configured() {
        let bound = SocketAddr::from(([127, 0, 0, 1], 40123));
        let c: Config = toml::from_str("").unwrap();
        assert_eq!(c.public_url(bound), "https://127.0.0.1:40123");
        let c: Config = toml::from_str("[tls]\nplain_http_for_development = true").unwrap();
        assert_eq!(c.public_url(bound), "http://127.0.0.1:40123");
        let c: Config =
            toml::from_str("public_url = \"https://kakehashi.example.lg.jp/gateway/\"").unwrap();
        assert_eq!(
            c.public_url(bound),
            "https://kakehashi.example.lg.jp/gateway"
        );
        for (bad, why) in [
            ("kakehashi.example.lg.jp", "does not start with https://"),
            (
                "ftp://kakehashi.example.lg.jp",
                "does not start with https://",
            ),
            ("https:///fhir", "names no host"),
            ("https://kakehashi.example.lg.jp/?a=1", "has a query"),
        ] {
            let err = toml::from_str::<Config>(&format!("public_url = \"{bad}\""))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn access_keys_last_a_year_unless_configured() {
        let c: Config = toml::from_str("").unwrap();
        assert_eq!(c.access_keys.validity(), chrono::Duration::days(365));
        let c: Config = toml::from_str("[access_keys]\nvalidity_seconds = 2").unwrap();
        assert_eq!(c.access_keys.validity(), chrono::Duration::seconds(2));
        assert_eq!(c.access_keys.failures_before_block, 10);
    }
}
