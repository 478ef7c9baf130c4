//! The webhook client: reqwest over the gateway's rustls configuration (the restricted
//! provider, TLS 1.3/1.2), trusting the configured CA bundle, no redirects, no proxy, a timeout
//! per attempt. An app names its own endpoint, so the client guards the gateway's network: it
//! connects only to public addresses (a name is resolved, and every private, loopback or
//! link-local answer dropped), unless configured for development with a receiver on loopback.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::signature;
use crate::push::describe;

/// Longest endpoint URL accepted.
const MAX_URL_LENGTH: usize = 2000;

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookSetupError {
    #[error("webhook TLS: {0}")]
    Tls(#[from] kakehashi_tls::TlsError),
    #[error("webhook HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Worth trying again: the endpoint answered other than 2xx, or could not be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Never worth trying again: the endpoint is not one the gateway may reach.
    #[error("not sent: {0}")]
    NotSent(String),
}

impl WebhookError {
    pub fn is_transient(&self) -> bool {
        matches!(self, WebhookError::Unavailable(_))
    }
}

/// Whether `url` can be an app's webhook: `https`, a host, no credentials or fragment, at most
/// 2000 characters. The message says why not.
pub fn check_url(url: &str) -> Result<Url, String> {
    if url.len() > MAX_URL_LENGTH {
        return Err(format!("longer than {MAX_URL_LENGTH} characters"));
    }
    let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if parsed.scheme() != "https" {
        return Err("only https is allowed".to_owned());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("no host".to_owned());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("credentials in the URL are not allowed".to_owned());
    }
    if parsed.fragment().is_some() {
        return Err("a fragment is not allowed".to_owned());
    }
    Ok(parsed)
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (CGN),
/// documentation, multicast or unspecified.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Resolves names with the system resolver and keeps only the addresses the client may reach.
#[derive(Debug)]
struct PublicOnlyResolver {
    allow_private: bool,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The client that posts events.
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl WebhookClient {
    /// A client trusting the CA certificates in `ca` (a PEM bundle), each attempt limited to
    /// `timeout`; `allow_private` lets it reach loopback and private addresses (development).
    pub fn new(
        ca: &Path,
        timeout: Duration,
        allow_private: bool,
    ) -> Result<Self, WebhookSetupError> {
        let tls = kakehashi_tls::client_config(ca, None)?;
        let http = crate::push::outbound_client(
            tls,
            Arc::new(PublicOnlyResolver { allow_private }),
            timeout,
        )?;
        Ok(Self {
            http,
            allow_private,
        })
    }

    /// Posts `body` as event `id` to `url`, signed with `secret`.
    pub async fn post(
        &self,
        url: &str,
        secret: &str,
        id: &str,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        let url = check_url(url).map_err(WebhookError::NotSent)?;
        // An address in the URL is not resolved, so it is checked here.
        let host = url.host_str().unwrap_or_default();
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if literal.is_some_and(|ip| !self.allow_private && !is_public(ip)) {
            return Err(WebhookError::NotSent(format!(
                "{host} is not a public address"
            )));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signed = signature::sign(secret, id, timestamp, body).map_err(WebhookError::NotSent)?;
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signed)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| WebhookError::Unavailable(describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(WebhookError::Unavailable(format!(
                "the endpoint answered {}",
                status.as_u16()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_without_credentials_are_webhooks() {
        assert!(check_url("https://app.example.jp/hooks/kakehashi").is_ok());
        for (url, why) in [
            ("http://app.example.jp/hook", "only https"),
            ("https://user:pw@app.example.jp/hook", "credentials"),
            ("https://app.example.jp/hook#x", "fragment"),
            ("not a url", "not a URL"),
        ] {
            let err = check_url(url).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "133.1.2.3", "2001:4860:4860::8888"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn a_loopback_endpoint_is_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        kakehashi_tls::init_dev_pki(dir.path(), &[]).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let client =
            WebhookClient::new(&dir.path().join("ca.pem"), Duration::from_secs(2), false).unwrap();
        let secret = signature::generate_secret();
        let err = client
            .post(&format!("https://127.0.0.1:{port}/h"), &secret, "e", b"{}")
            .await
            .unwrap_err();
        assert!(!err.is_transient(), "{err}");
        let err = client
            .post(&format!("https://localhost:{port}/h"), &secret, "e", b"{}")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no public address"), "{err}");
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection was made");
    }
}
