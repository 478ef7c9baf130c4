//! Starting the gateway: load the catalog, open the key file and the store, finish what a
//! crash left journaled, make the development PKI on a first run, then serve the API over
//! mutual TLS until told to stop.

use std::future::Future;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::adapters::AdapterSetupError;
use crate::api::{AppState, Guard, Transport, router};
use crate::config::Config;
use crate::development;
use crate::pipeline::{Pipeline, SubmitError};
use crate::store::{Sealer, SqlStore, Store, StoreError, StoreLocation, Submissions};

/// Why the gateway could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("catalog and adapters: {0}")]
    Adapters(#[from] AdapterSetupError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("key file: {0}")]
    Keys(#[from] kakehashi_vault::VaultError),
    #[error("development certificates: {0}")]
    Pki(#[from] kakehashi_tls::PkiError),
    #[error("development payload keys: {0}")]
    PayloadKeys(#[from] kakehashi_envelope::EnvelopeError),
    #[error("TLS: {0}")]
    Tls(#[from] kakehashi_tls::TlsError),
    #[error("font for printed documents: {0}")]
    Font(#[from] kakehashi_pdf::PdfError),
    #[error("{0}")]
    Copayment(#[from] kakehashi_adapter_municipal::CopaymentError),
    #[error("{0}")]
    Push(#[from] crate::push::PushError),
    #[error("{0}")]
    Webhook(#[from] crate::webhook::WebhookSetupError),
    #[error("resuming journaled submissions: {0}")]
    Resume(#[from] SubmitError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0} is held by a running gateway; stop it first")]
    Busy(String),
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Holds the data directory for one gateway (or one key rotation) at a time: an exclusive
/// lock on `<data_dir>/gateway.lock`, released when dropped.
pub fn lock_data_dir(config: &Config) -> Result<std::fs::File, ServeError> {
    crate::store::private_data_dir(&config.data_dir)?;
    let path = config.data_dir.join("gateway.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(ServeError::Serve)?;
    file.try_lock()
        .map_err(|_| ServeError::Busy(path.display().to_string()))?;
    Ok(file)
}

/// This gateway instance's name among those sharing a database (its outbox claims deliveries
/// under it): made on first run in `<data_dir>/instance-id`, so that it stays the same across
/// restarts and differs between instances, each of which has its own data directory.
pub fn instance_name(config: &Config) -> Result<String, ServeError> {
    let path = config.data_dir.join("instance-id");
    match std::fs::read_to_string(&path) {
        Ok(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
        _ => {
            let name = format!("gateway-{}", uuid::Uuid::new_v4().simple());
            std::fs::write(&path, &name).map_err(ServeError::Serve)?;
            Ok(name)
        }
    }
}

/// The worker posting apps' webhook events; none when the CA bundle cannot be read (the events
/// wait, pending, and the log says why).
fn webhook_worker(
    config: &Config,
    store: &Arc<dyn Store>,
) -> Result<Option<crate::webhook::WebhookWorker>, ServeError> {
    let webhooks = &config.webhooks;
    let ca = webhooks.server_ca();
    if !ca.is_file() {
        tracing::warn!(ca = %ca.display(), "no CA bundle for apps' webhooks: their events wait; set [webhooks] server_ca");
        return Ok(None);
    }
    if webhooks.allow_private_networks {
        tracing::warn!(
            "[webhooks] allow_private_networks: webhooks may reach loopback and private addresses (development only)"
        );
    }
    let timeout = Duration::from_secs(webhooks.timeout_seconds);
    let client = crate::webhook::WebhookClient::new(&ca, timeout, webhooks.allow_private_networks)?;
    Ok(Some(crate::webhook::WebhookWorker {
        store: store.clone(),
        client: Arc::new(client),
        policy: webhooks.retry_policy(),
        concurrency: webhooks.concurrency.max(1),
        owner: instance_name(config)?,
        lease: timeout
            .saturating_mul(2)
            .saturating_add(Duration::from_secs(30)),
    }))
}

/// Opens the key file (made on first run) and the store sealed with it.
pub async fn open_store(config: &Config) -> Result<Arc<SqlStore>, ServeError> {
    let key_file = config.key_file();
    let (keys, created) = kakehashi_vault::KeyRing::load_or_create(&key_file)?;
    if created {
        println!(
            "made a new data key for encryption at rest: {} (back it up apart from the database)",
            key_file.display()
        );
    }
    let keys = match keys.audit_key_id() {
        Some(_) => keys,
        None => {
            // A key file from before the audit chain was keyed: the chain so far keeps its
            // unkeyed links, every record from the next one on is keyed.
            let unkeyed_until = SqlStore::audit_head_seq(&StoreLocation::of(config)).await?;
            let keys = kakehashi_vault::KeyRing::start_audit_chain(&key_file, unkeyed_until)?;
            tracing::info!(
                unkeyed_until,
                "made an audit key: the audit chain is keyed from the next record on"
            );
            keys
        }
    };
    let store = SqlStore::open(&StoreLocation::of(config), Sealer::new(Arc::new(keys))).await?;
    Ok(Arc::new(store))
}

/// Runs the gateway until `shutdown` completes. Prints the address it listens on (useful with
/// port 0) on standard output once it accepts connections.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    Gateway::bind(config).await?.run(shutdown).await
}

/// A gateway ready to serve: everything opened and checked, the socket bound.
pub struct Gateway {
    config: Config,
    listener: TcpListener,
    app: axum::Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    guard: Arc<Guard>,
    outbox: Option<crate::push::Outbox>,
    webhooks: Option<crate::webhook::WebhookWorker>,
    pipeline: Pipeline,
    lock: std::fs::File,
}

/// How often a running gateway looks for journaled submissions that were never finished.
const RESUME_EVERY_SECONDS: u64 = 30;

impl Gateway {
    /// Opens everything and binds the socket; serving starts with [`Gateway::run`].
    pub async fn bind(config: Config) -> Result<Self, ServeError> {
        let lock = lock_data_dir(&config)?;
        let (catalog, adapters) =
            crate::adapters::load(config.mappings_dir.as_deref(), &config.adapters)?;
        // Read once and checked at start-up: the officer's view of every app's application
        // prices its proposed tier from them.
        let copayment = Arc::new(kakehashi_adapter_municipal::CopaymentTables::from_mappings(
            &catalog.mappings,
        )?);
        let catalog = Arc::new(catalog);
        let font = Arc::new(kakehashi_pdf::Font::load(std::path::Path::new(
            kakehashi_pdf::DEFAULT_FONT_PATH,
        ))?);
        let store = open_store(&config).await?;
        let resealed = store.reseal().await?;
        if resealed > 0 {
            tracing::info!(
                rows = resealed,
                "sealed rows that were not under the current data key"
            );
        }
        let transport = if config.tls.plain_http_for_development {
            Transport::PlainDevelopment
        } else {
            Transport::MutualTls
        };
        if transport == Transport::MutualTls && config.tls.cert.is_none() {
            development::prepare(&config, store.as_ref()).await?;
        }
        let store: Arc<dyn Store> = store;
        let waker = crate::push::OutboxWaker::default();
        let outbox = match config.push_client()? {
            Some(client) => {
                tracing::info!(endpoint = %client.endpoint(), "delivering consented sheets to the national DB");
                Some(crate::push::Outbox {
                    store: store.clone(),
                    client: Arc::new(client),
                    policy: config.retry_policy(),
                    concurrency: config.push.concurrency.max(1),
                    waker: waker.clone(),
                    owner: instance_name(&config)?,
                    lease: std::time::Duration::from_secs(
                        config
                            .push
                            .timeout_seconds
                            .saturating_mul(2)
                            .saturating_add(30),
                    ),
                })
            }
            None => {
                tracing::warn!(
                    "no [push] endpoint configured: consented sheets wait in the outbox"
                );
                None
            }
        };
        let webhooks = webhook_worker(&config, &store)?;
        let pipeline = Pipeline::new(
            store,
            catalog.clone(),
            Arc::new(adapters),
            config.decoding.budget(),
        );
        let resumed = pipeline.resume_pending().await?;
        if resumed > 0 {
            tracing::info!(
                resumed,
                "finished submissions journaled before the last stop"
            );
        }
        let tls = match transport {
            Transport::MutualTls => Some(kakehashi_tls::server_config(&config.server_tls())?),
            Transport::PlainDevelopment => None,
        };
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ServeError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let public_url = config.public_url(listener.local_addr().map_err(ServeError::Serve)?);
        if config.public_url.is_none() && config.listen.ip().is_unspecified() {
            tracing::warn!(
                %public_url,
                "no public_url configured and the API listens on every address: FHIR output names Questionnaires at an address clients cannot reach; set public_url"
            );
        }
        let security = Arc::new(config.security.clone());
        let guard = Arc::new(Guard::new(
            &security,
            &config.access_keys,
            pipeline.store().clone(),
        ));
        let app = router(AppState {
            pipeline: pipeline.clone(),
            max_body_bytes: config.max_body_bytes,
            transport,
            security,
            access_keys: Arc::new(config.access_keys.clone()),
            guard: guard.clone(),
            font,
            outbox: waker,
            public_url: public_url.into(),
            copayment,
        });
        tracing::info!(
            data_dir = %config.data_dir.display(),
            diseases = catalog.diseases.len(),
            templates = catalog.templates.len(),
            "kakehashi ready"
        );
        Ok(Self {
            config,
            listener,
            app,
            tls,
            guard,
            outbox,
            webhooks,
            pipeline,
            lock,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Result<std::net::SocketAddr, ServeError> {
        self.listener.local_addr().map_err(ServeError::Serve)
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.local_addr()?;
        let security = &self.config.security;
        let client_timeout = Duration::from_secs(security.client_timeout_seconds);
        let limits = kakehashi_tls::ConnectionLimits {
            handshake_timeout: client_timeout,
            header_read_timeout: client_timeout,
            max_connections: security.max_connections,
            max_connections_per_address: security.max_connections_per_address,
            ..kakehashi_tls::ConnectionLimits::default()
        };
        let data_dir = self.config.data_dir.display().to_string();
        let guard = self.guard.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Err(e) = guard.sweep().await {
                    tracing::warn!(error = %e, "could not sweep the intrusion counters");
                }
            }
        });
        let _anchoring = self.config.audit.anchor_every().map(|every| {
            AbortOnDrop(tokio::spawn(crate::audit_anchor::keep_anchoring(
                self.pipeline.store().clone(),
                self.config.anchor_dir(),
                every,
            )))
        });
        // Anything journaled but left unfinished (a task that died) is finished while serving,
        // not only at the next start.
        let _resuming = AbortOnDrop(tokio::spawn(
            self.pipeline
                .keep_resuming(Duration::from_secs(RESUME_EVERY_SECONDS)),
        ));
        let _lock = self.lock;
        // Dropped (and so stopped) with this function; an attempt cut short is repeated at the
        // next start under the same idempotency key.
        let _outbox = self
            .outbox
            .map(|outbox| AbortOnDrop(tokio::spawn(outbox.run())));
        let _webhooks = self
            .webhooks
            .map(|worker| AbortOnDrop(tokio::spawn(worker.run())));
        match self.tls {
            Some(tls) => {
                println!(
                    "kakehashi listening on https://{addr} (client certificate required; data in {data_dir})"
                );
                let configs = crate::revocation::follow(&self.config, tls);
                kakehashi_tls::serve_tls_reloading(self.listener, configs, self.app, limits, shutdown)
                    .await
            }
            None => {
                tracing::warn!(
                    "PLAIN HTTP DEVELOPMENT MODE: no TLS, no terminal certificates; never use this with real patient data or off loopback"
                );
                println!(
                    "kakehashi listening on http://{addr} (PLAIN HTTP, development only; data in {data_dir})"
                );
                kakehashi_tls::serve_plain(self.listener, self.app, limits, shutdown).await
            }
        }
        .map_err(ServeError::Serve)
    }
}
