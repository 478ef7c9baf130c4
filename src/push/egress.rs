//! The egress allow-list (seed 001: while registering, the terminal talks to no host but the
//! national DB). Two locks: every request's URL is checked against the configured endpoints
//! before anything is sent, and the client's DNS resolver answers only for those host names,
//! so that not even a bug or a redirect can reach another host by name.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The hosts and ports the push client may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressPolicy {
    allowed: Vec<(String, u16)>,
}

impl EgressPolicy {
    /// Allows exactly the hosts (and ports) of `endpoints`.
    pub fn for_endpoints<'a>(endpoints: impl IntoIterator<Item = &'a Url>) -> Self {
        Self {
            allowed: endpoints
                .into_iter()
                .filter_map(|url| {
                    Some((
                        url.host_str()?.to_ascii_lowercase(),
                        url.port_or_known_default()?,
                    ))
                })
                .collect(),
        }
    }

    /// Whether `url` is an allowed https endpoint; the error says why not.
    pub fn check(&self, url: &Url) -> Result<(), String> {
        if url.scheme() != "https" {
            return Err(format!("{url}: only https is allowed"));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let port = url.port_or_known_default().unwrap_or_default();
        if self.allowed.iter().any(|(h, p)| *h == host && *p == port) {
            Ok(())
        } else {
            Err(format!(
                "{host}:{port} is not a configured national-DB endpoint; refusing to connect"
            ))
        }
    }

    /// A DNS resolver that resolves only the allowed host names.
    pub fn resolver(&self) -> Arc<AllowListResolver> {
        Arc::new(AllowListResolver {
            names: self.allowed.iter().map(|(h, _)| h.clone()).collect(),
        })
    }
}

/// Resolves allowed names with the system resolver and refuses every other name.
#[derive(Debug)]
pub struct AllowListResolver {
    names: Vec<String>,
}

impl Resolve for AllowListResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let allowed = self.names.contains(&host);
        Box::pin(async move {
            if !allowed {
                return Err(format!("egress: {host} is not a configured national-DB host").into());
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// An HTTPS client for a host the gateway calls out to (the national DB, an app's webhook):
/// `tls`, names resolved by `resolver` alone, no redirect and no proxy (either could lead
/// elsewhere), `timeout` per request.
pub fn outbound_client(
    tls: rustls::ClientConfig,
    resolver: Arc<dyn Resolve>,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(resolver)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("kakehashi/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_https_endpoints_pass() {
        let endpoint = Url::parse("https://nanbyo-db.example.jp:8443/v1/deliveries").unwrap();
        let policy = EgressPolicy::for_endpoints([&endpoint]);
        assert!(policy.check(&endpoint).is_ok());
        assert!(
            policy
                .check(&Url::parse("https://NANBYO-DB.example.jp:8443/other").unwrap())
                .is_ok()
        );
        for refused in [
            "https://nanbyo-db.example.jp/v1/deliveries",
            "https://evil.example/v1/deliveries",
            "http://nanbyo-db.example.jp:8443/v1/deliveries",
            "https://127.0.0.1:8443/v1/deliveries",
        ] {
            let err = policy.check(&Url::parse(refused).unwrap()).unwrap_err();
            assert!(
                err.contains("refusing") || err.contains("only https"),
                "{err}"
            );
        }
    }

    #[tokio::test]
    async fn the_resolver_answers_only_for_allowed_names() {
        let endpoint = Url::parse("https://localhost:9443/").unwrap();
        let resolver = EgressPolicy::for_endpoints([&endpoint]).resolver();
        let addrs: Vec<_> = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        let err = resolver
            .resolve("example.com".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a configured"), "{err}");
    }
}
