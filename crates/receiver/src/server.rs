//! [`Receiver`]: binds the socket, loads certificates, keys and the store, then serves
//! `kakehashi-push/1` over mutual TLS until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kakehashi_envelope::{DecryptionKey, VerifyingKey};
use kakehashi_tls::{ConnectionLimits, ServerTls};
use tokio::net::TcpListener;

use crate::intake::Intake;
use crate::protocol::{DELIVERIES_PATH, RECEIPTS_PATH, STATS_PATH};
use crate::refusal::Refusal;
use crate::schema::SheetSchema;
use crate::store::Store;
use crate::{ReceiverConfig, ReceiverError};

/// A bound, ready receiver.
pub struct Receiver {
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    local_addr: SocketAddr,
}

impl Receiver {
    /// Loads everything `config` names, opens the store and binds the listening socket; fails
    /// with the file or address at fault.
    pub async fn bind(config: ReceiverConfig) -> Result<Self, ReceiverError> {
        if config.sender_keys.is_empty() {
            return Err(ReceiverError::NoSenderKeys);
        }
        let tls = kakehashi_tls::server_config(&ServerTls {
            ca: config.client_ca.clone(),
            cert: config.cert.clone(),
            key: config.key.clone(),
            crls: Vec::new(),
        })?;
        let decryption = DecryptionKey::from_pem_file(&config.decryption_key)?;
        let senders = config
            .sender_keys
            .iter()
            .map(|path| VerifyingKey::from_pem_file(path))
            .collect::<Result<Vec<_>, _>>()?;
        let intake = Intake {
            store: Store::open(&config.data_dir).await?,
            schema: SheetSchema::load()?,
            decryption,
            senders,
            require_encryption: config.require_encryption,
        };
        let listen_error = |source| ReceiverError::Listen {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(listen_error)?;
        let local_addr = listener.local_addr().map_err(listen_error)?;
        let app = Router::new()
            .route(DELIVERIES_PATH, post(deliveries))
            .route(RECEIPTS_PATH, get(receipts))
            .route(STATS_PATH, get(stats))
            .with_state(Arc::new(intake));
        Ok(Self {
            listener,
            tls,
            app,
            local_addr,
        })
    }

    /// The address the receiver listens on (the real port when the configured one was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Prints `kakehashi receiver listening on https://ADDR` on stdout, then serves until
    /// `shutdown` completes and open connections have finished.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ReceiverError> {
        println!(
            "kakehashi receiver listening on https://{}",
            self.local_addr
        );
        kakehashi_tls::serve_tls(
            self.listener,
            self.tls,
            self.app,
            ConnectionLimits::default(),
            shutdown,
        )
        .await
        .map_err(ReceiverError::Serve)
    }
}

async fn deliveries(State(intake): State<Arc<Intake>>, headers: HeaderMap, body: Body) -> Response {
    intake.receive(&headers, body).await
}

async fn receipts(State(intake): State<Arc<Intake>>) -> Response {
    answer(intake.store.receipts().await)
}

async fn stats(State(intake): State<Arc<Intake>>) -> Response {
    answer(intake.store.stats().await)
}

fn answer<T: serde::Serialize>(result: Result<T, sqlx::Error>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the store");
            Refusal::Unavailable.into_response()
        }
    }
}
