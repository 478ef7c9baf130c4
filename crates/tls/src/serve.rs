//! The accept loop: TCP → (TLS) → HTTP/1.1 → axum, with limits and graceful shutdown.
//!
//! axum's own `serve` cannot require client certificates or hand them to handlers, so the
//! gateway serves connections here by hand with tokio-rustls and hyper. Each request gets the
//! remote address (`ConnectInfo<SocketAddr>`) and, over TLS, the client's [`PeerIdentity`] in
//! its extensions.
//!
//! Resource limits keep one misbehaving or hostile client from starving the rest: the TLS
//! handshake and every request header must arrive within their timeouts (slow-loris), the
//! number of open connections is capped overall and per remote IP address, and when the cap is
//! reached the loop stops accepting until a connection closes.
//!
//! On shutdown the loop stops accepting, asks open connections to finish their current
//! request, and waits at most [`ConnectionLimits::shutdown_grace`] before closing the rest.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::identity::{PeerIdentity, peer_identity};

/// Pause after an accept error that is not about one connection (e.g. out of file
/// descriptors), so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(250);

/// Timeouts and connection caps for [`serve_tls`] and [`serve_plain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time a client has to send a complete request header, counted from when the server
    /// starts waiting for it (also bounds idle keep-alive connections).
    pub header_read_timeout: Duration,
    /// Maximum open connections; at the cap the loop stops accepting. At least 1.
    pub max_connections: usize,
    /// Maximum open connections from one IP address; further ones are closed at once.
    pub max_connections_per_address: usize,
    /// After shutdown is requested, time in-flight connections get to finish.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_connections_per_address: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` over mutual TLS on `listener` until `shutdown` completes.
///
/// Handlers find the client's [`PeerIdentity`] and `ConnectInfo<SocketAddr>` in the request
/// extensions (`Extension<PeerIdentity>`, `ConnectInfo<SocketAddr>`). Failed handshakes are
/// logged and do not affect other connections. Returns an error only if `limits` is unusable
/// or the listener's address cannot be read.
pub async fn serve_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (_fixed, configs) = watch::channel(config);
    serve_tls_reloading(listener, configs, app, limits, shutdown).await
}

/// Serves like [`serve_tls`], each handshake under the configuration `configs` holds when the
/// connection is accepted: a new one (a revocation list changed) applies from the next
/// connection on, while open connections keep the one they began with.
pub async fn serve_tls_reloading(
    listener: TcpListener,
    configs: watch::Receiver<Arc<rustls::ServerConfig>>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    accept_loop(listener, Transport::Tls(configs), app, limits, shutdown).await
}

/// Serves `app` over plain HTTP — the explicit development mode, never for patient data on a
/// network. Same limits as [`serve_tls`]; requests carry `ConnectInfo<SocketAddr>` but no
/// [`PeerIdentity`].
pub async fn serve_plain(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    accept_loop(listener, Transport::Plain, app, limits, shutdown).await
}

#[derive(Clone)]
enum Transport {
    Tls(watch::Receiver<Arc<rustls::ServerConfig>>),
    Plain,
}

async fn accept_loop(
    listener: TcpListener,
    transport: Transport,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    if limits.max_connections == 0 || limits.max_connections_per_address == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "connection limits must be at least 1",
        ));
    }
    let local = listener.local_addr()?;
    let capacity = Arc::new(Semaphore::new(limits.max_connections));
    let per_address = PerAddress::new(limits.max_connections_per_address);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = pin!(shutdown);

    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = capacity.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
        };
        let (tcp, remote) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%local, %error, "accept failed");
                    if !is_connection_error(&error) {
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    }
                    continue;
                }
            },
        };
        let Some(slot) = per_address.try_acquire(remote.ip()) else {
            tracing::info!(peer = %remote, limit = limits.max_connections_per_address,
                "too many connections from this address; closing");
            continue;
        };
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(peer = %remote, %error, "cannot set TCP_NODELAY");
        }
        let connection = Connection {
            remote,
            app: app.clone(),
            limits,
            stopping: stopping.clone(),
            _permit: permit,
            _slot: slot,
        };
        connections.spawn(connection.run(tcp, transport.clone()));
    }

    drop(listener);
    stop.send_replace(true);
    let open = connections.len();
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            %local,
            remaining = connections.len(),
            "connections still open after the shutdown grace period; closing them"
        );
        connections.shutdown().await;
    }
    tracing::info!(%local, open_at_shutdown = open, "server stopped");
    Ok(())
}

/// Errors about one connection that was reset before it was accepted; the next accept works.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One accepted connection and what it holds until it closes.
struct Connection {
    remote: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    _slot: AddressSlot,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream, transport: Transport) {
        let acceptor = match transport {
            Transport::Plain => return self.serve_http(tcp, None).await,
            Transport::Tls(configs) => TlsAcceptor::from(configs.borrow().clone()),
        };
        let remote = self.remote;
        let handshake = tokio::select! {
            handshake = tokio::time::timeout(self.limits.handshake_timeout, acceptor.accept(tcp)) => handshake,
            () = stopped(&mut self.stopping) => return,
        };
        let stream = match handshake {
            Ok(Ok(stream)) => stream,
            Ok(Err(error)) => {
                tracing::info!(peer = %remote, %error, "TLS handshake failed");
                return;
            }
            Err(_elapsed) => {
                tracing::info!(peer = %remote, timeout = ?self.limits.handshake_timeout,
                    "TLS handshake timed out");
                return;
            }
        };
        let certificate = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first());
        let identity = match certificate.map(peer_identity) {
            Some(Ok(identity)) => identity,
            Some(Err(error)) => {
                tracing::warn!(peer = %remote, %error, "unreadable client certificate; closing");
                return;
            }
            None => {
                tracing::warn!(peer = %remote, "no client certificate after handshake; closing");
                return;
            }
        };
        tracing::debug!(peer = %remote, terminal = ?identity.terminal_name(),
            serial = %identity.serial_hex, "TLS client authenticated");
        self.serve_http(stream, Some(identity)).await;
    }

    async fn serve_http<I>(mut self, io: I, identity: Option<PeerIdentity>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let remote = self.remote;
        let app = self.app.clone();
        let service = service_fn(move |mut request: Request<Incoming>| {
            let extensions = request.extensions_mut();
            extensions.insert(ConnectInfo(remote));
            if let Some(identity) = &identity {
                extensions.insert(identity.clone());
            }
            app.clone().oneshot(request)
        });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout);
        let mut connection = pin!(builder.serve_connection(TokioIo::new(io), service));
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = stopped(&mut self.stopping) => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = result {
            tracing::debug!(peer = %remote, %error, "connection closed with an error");
        }
    }
}

/// Completes once shutdown has been requested (or the accept loop is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // Either outcome means stop; the guard `wait_for` returns must not live across an await.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// Open-connection counts per remote IP address.
#[derive(Clone)]
struct PerAddress {
    limit: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddress {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            counts: Arc::default(),
        }
    }

    /// Counts one more connection from `address`, unless it is at the limit.
    fn try_acquire(&self, address: IpAddr) -> Option<AddressSlot> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(address).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            address,
            counts: self.counts.clone(),
        })
    }
}

/// One counted connection; uncounts itself when dropped.
struct AddressSlot {
    address: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}
