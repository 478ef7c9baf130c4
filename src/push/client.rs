//! The national-DB client: reqwest over a rustls configuration of our own (TLS 1.3/1.2, the
//! restricted provider, only the configured CA, the gateway's client certificate), no
//! redirects, no proxy, the egress allow-list, a timeout per attempt and a connection pool.
//! Each delivery is one `POST` of the signed and encrypted document with its idempotency key;
//! the answer is classified as a receipt, a permanent refusal or a transient failure.

use std::time::Duration;

use kakehashi_envelope::{RecipientKey, SigningKey};
use kakehashi_receiver::protocol::{
    IDEMPOTENCY_HEADER, JOSE_CONTENT_TYPE, JSON_CONTENT_TYPE, PROTOCOL_HEADER, PROTOCOL_VERSION,
    Problem,
};
use reqwest::Url;

pub use kakehashi_receiver::protocol::Receipt;

use super::EgressPolicy;

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("push endpoint `{0}`: {1}")]
    Endpoint(String, String),
    #[error("push TLS: {0}")]
    Tls(#[from] kakehashi_tls::TlsError),
    #[error("push payload key: {0}")]
    Envelope(#[from] kakehashi_envelope::EnvelopeError),
    #[error("push HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// How the document travels inside TLS.
pub enum Envelope {
    /// Signed by the gateway and encrypted to the national DB's key (the only mode the
    /// configuration offers).
    Sealed {
        signer: SigningKey,
        recipient: RecipientKey,
    },
    /// The plain document, for measuring what the envelope costs; the reference receiver
    /// refuses it unless started with `require_encryption = false`.
    PlainForBenchmarks,
}

/// Why a delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The receiver refused the delivery for good (4xx other than 408 and 429).
    #[error("refused with {status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// Worth trying again with the same key: 5xx, 408, 429, a connection refused or never
    /// established; the document did not arrive.
    #[error("{0}")]
    Unavailable(String),
    /// Sent, but no answer came (a timeout, a connection lost, a receipt that cannot be read):
    /// worth trying again with the same key, and the document may have arrived.
    #[error("{0}")]
    Unanswered(String),
    /// The request was never sent (egress refused, the document could not be sealed).
    #[error("not sent: {0}")]
    NotSent(String),
}

impl DeliveryError {
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            DeliveryError::Unavailable(_) | DeliveryError::Unanswered(_)
        )
    }

    /// Whether the receiver may have stored the document although no receipt came back.
    pub fn may_have_arrived(&self) -> bool {
        matches!(self, DeliveryError::Unanswered(_))
    }
}

/// The push client.
pub struct NationalDbClient {
    http: reqwest::Client,
    endpoint: Url,
    egress: EgressPolicy,
    envelope: Envelope,
}

impl NationalDbClient {
    /// A client for `endpoint` over `tls`, each attempt limited to `timeout`.
    pub fn new(
        endpoint: &str,
        tls: rustls::ClientConfig,
        envelope: Envelope,
        timeout: Duration,
    ) -> Result<Self, PushError> {
        let endpoint = Url::parse(endpoint)
            .map_err(|e| PushError::Endpoint(endpoint.to_owned(), e.to_string()))?;
        let egress = EgressPolicy::for_endpoints([&endpoint]);
        egress
            .check(&endpoint)
            .map_err(|e| PushError::Endpoint(endpoint.to_string(), e))?;
        let http = super::outbound_client(tls, egress.resolver(), timeout)?;
        Ok(Self {
            http,
            endpoint,
            egress,
            envelope,
        })
    }

    /// The configured endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Delivers `document` under `idempotency_key`.
    pub async fn deliver(
        &self,
        idempotency_key: &str,
        document: &[u8],
    ) -> Result<Receipt, DeliveryError> {
        self.post(&self.endpoint, idempotency_key, document).await
    }

    async fn post(
        &self,
        url: &Url,
        idempotency_key: &str,
        document: &[u8],
    ) -> Result<Receipt, DeliveryError> {
        self.egress.check(url).map_err(DeliveryError::NotSent)?;
        let (content_type, body) = match &self.envelope {
            Envelope::Sealed { signer, recipient } => (
                JOSE_CONTENT_TYPE,
                kakehashi_envelope::seal(document, signer, recipient)
                    .map_err(|e| DeliveryError::NotSent(e.to_string()))?
                    .into_bytes(),
            ),
            Envelope::PlainForBenchmarks => (JSON_CONTENT_TYPE, document.to_vec()),
        };
        let response = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(IDEMPOTENCY_HEADER, idempotency_key)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    DeliveryError::Unavailable(describe(&e))
                } else {
                    DeliveryError::Unanswered(describe(&e))
                }
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| {
            if status.is_success() {
                DeliveryError::Unanswered(describe(&e))
            } else {
                DeliveryError::Unavailable(describe(&e))
            }
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                DeliveryError::Unanswered(format!("{status} with an unreadable receipt: {e}"))
            });
        }
        // A refusal body is `{code, message, message_ja}`, as far as it can be read.
        let refusal: Problem = serde_json::from_slice(&bytes).unwrap_or_else(|_| Problem {
            code: String::new(),
            message: String::new(),
            message_ja: String::new(),
        });
        let transient = status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        if transient {
            Err(DeliveryError::Unavailable(format!(
                "{} {}",
                status.as_u16(),
                refusal.code
            )))
        } else {
            Err(DeliveryError::Refused {
                status: status.as_u16(),
                code: refusal.code,
                message: refusal.message,
            })
        }
    }
}

/// A transport error with its causes (reqwest's own message hides them).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client for a local endpoint with the development PKI in `dir`.
    fn client(dir: &std::path::Path, endpoint: &str) -> NationalDbClient {
        kakehashi_tls::init_dev_pki(
            dir,
            &[kakehashi_tls::ClientSpec::new("gateway", "Kakehashi")],
        )
        .unwrap();
        kakehashi_envelope::generate_dev_keys(dir).unwrap();
        let tls = kakehashi_tls::client_config(
            &dir.join("ca.pem"),
            Some((&dir.join("gateway.pem"), &dir.join("gateway.key"))),
        )
        .unwrap();
        let envelope = Envelope::Sealed {
            signer: SigningKey::from_pem_file(&dir.join("payload-signing.key")).unwrap(),
            recipient: RecipientKey::from_pem_file(&dir.join("payload-encryption.pub")).unwrap(),
        };
        NationalDbClient::new(endpoint, tls, envelope, Duration::from_secs(5)).unwrap()
    }

    #[tokio::test]
    async fn never_connects_to_a_host_outside_the_allow_list() {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = client(dir.path(), "https://localhost:1/v1/deliveries");
        for elsewhere in [
            format!("https://127.0.0.1:{port}/v1/deliveries"),
            format!("https://localhost:{port}/v1/deliveries"),
        ] {
            let err = client
                .post(&Url::parse(&elsewhere).unwrap(), "k", b"{}")
                .await
                .unwrap_err();
            assert!(
                matches!(&err, DeliveryError::NotSent(m) if m.contains("not a configured")),
                "{err}"
            );
            assert!(!err.is_transient());
        }
        // Nothing reached the listener.
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection was made");
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_transient() {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = client(
            dir.path(),
            &format!("https://localhost:{port}/v1/deliveries"),
        );
        let err = client.deliver("k", b"{}").await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(err.to_string().contains("could not connect"), "{err}");
    }

    #[test]
    fn endpoints_must_be_https() {
        let dir = tempfile::tempdir().unwrap();
        kakehashi_tls::init_dev_pki(dir.path(), &[]).unwrap();
        let tls = kakehashi_tls::client_config(&dir.path().join("ca.pem"), None).unwrap();
        let err = NationalDbClient::new(
            "http://localhost:9443/v1/deliveries",
            tls,
            Envelope::PlainForBenchmarks,
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("only https"), "{err}");
    }
}
