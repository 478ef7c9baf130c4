//! Starting the gateway: load the catalog, open the store, finish what a crash left journaled,
//! then serve the API until told to stop.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::api::{AppState, router};
use crate::catalog::{Catalog, CatalogError};
use crate::config::Config;
use crate::pipeline::{Pipeline, SubmitError};
use crate::store::{SqliteStore, StoreError};

/// Why the gateway could not start or keep serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("catalog: {0}")]
    Catalog(#[from] CatalogError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("resuming journaled submissions: {0}")]
    Resume(#[from] SubmitError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// Runs the gateway until `shutdown` completes. Prints the address it listens on (useful with
/// port 0) on standard output once it accepts connections.
pub async fn serve(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let catalog = Arc::new(Catalog::load(config.mappings_dir.as_deref())?);
    let store = Arc::new(SqliteStore::open(&config.data_dir).await?);
    let pipeline = Pipeline::new(store, catalog.clone());
    let resumed = pipeline.resume_pending().await?;
    if resumed > 0 {
        tracing::info!(
            resumed,
            "finished submissions journaled before the last stop"
        );
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Serve)?;
    tracing::warn!(
        "serving plain HTTP: terminal certificates and TLS are not built yet, so listen on loopback only"
    );
    tracing::info!(
        %addr,
        data_dir = %config.data_dir.display(),
        diseases = catalog.diseases.len(),
        templates = catalog.templates.len(),
        "kakehashi listening"
    );
    println!(
        "kakehashi listening on http://{addr} (data in {})",
        config.data_dir.display()
    );
    let app = router(AppState {
        pipeline,
        max_body_bytes: config.max_body_bytes,
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Serve)
}
