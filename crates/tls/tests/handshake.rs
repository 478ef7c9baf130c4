//! Real handshakes on 127.0.0.1: who gets in, who is refused, and how the loop protects itself.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::{Extension, Router};
use kakehashi_tls::{
    ClientSpec, ConnectionLimits, PeerIdentity, ServerTls, client_config, init_dev_pki,
    issue_client_with_validity, revoke, serve_plain, serve_tls, server_config,
};
use rustls::ServerConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

/// Echoes what the loop put into the request: terminal, organisation and remote address.
async fn whoami(
    identity: Option<Extension<PeerIdentity>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
) -> String {
    match identity {
        Some(Extension(identity)) => format!(
            "terminal={}\norganisation={}\nremote={remote}\n",
            identity.terminal_name().unwrap_or("-"),
            identity.organisation.as_deref().unwrap_or("-"),
        ),
        None => format!("terminal=none\nremote={remote}\n"),
    }
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(400)).await;
    "finished\n"
}

fn app() -> Router {
    Router::new()
        .route("/whoami", get(whoami))
        .route("/slow", get(slow))
}

struct Server {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl Server {
    async fn tls(config: Arc<ServerConfig>, limits: ConnectionLimits) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_tls(listener, config, app(), limits, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop,
            task,
        }
    }

    async fn plain(limits: ConnectionLimits) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_plain(listener, app(), limits, async {
            let _ = stopped.await;
        }));
        Self {
            address,
            stop,
            task,
        }
    }

    async fn shut_down(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("server stops within the grace period")
            .expect("server task did not panic")
            .expect("server returned Ok");
    }
}

struct Pki {
    _temp: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl Pki {
    fn new(clients: &[ClientSpec]) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("pki");
        init_dev_pki(&dir, clients).unwrap();
        Self { _temp: temp, dir }
    }

    fn server_config(&self) -> Arc<ServerConfig> {
        server_config(&ServerTls::from_dev_pki(&self.dir)).unwrap()
    }

    fn client(&self, name: &str) -> rustls::ClientConfig {
        client_of(&self.dir, &self.dir, name)
    }

    fn anonymous_client(&self) -> rustls::ClientConfig {
        client_config(&self.dir.join("ca.pem"), None).unwrap()
    }
}

/// A client trusting the CA in `trust_dir` and presenting `<name>` from `cert_dir`.
fn client_of(trust_dir: &Path, cert_dir: &Path, name: &str) -> rustls::ClientConfig {
    let cert = cert_dir.join(format!("{name}.pem"));
    let key = cert_dir.join(format!("{name}.key"));
    client_config(&trust_dir.join("ca.pem"), Some((&cert, &key))).unwrap()
}

struct Reply {
    status: u16,
    body: String,
    local: SocketAddr,
}

/// Connects, sends one hand-written HTTP/1.1 request and reads the whole reply.
async fn request(
    address: SocketAddr,
    config: rustls::ClientConfig,
    path: &str,
) -> Result<Reply, String> {
    let tcp = TcpStream::connect(address)
        .await
        .map_err(|e| e.to_string())?;
    let local = tcp.local_addr().map_err(|e| e.to_string())?;
    let connector = TlsConnector::from(Arc::new(config));
    let name = ServerName::try_from("localhost").unwrap();
    let exchange = async {
        let mut tls = connector.connect(name, tcp).await?;
        tls.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut response = Vec::new();
        tls.read_to_end(&mut response).await?;
        Ok::<_, io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    parse_reply(&response, local)
}

fn parse_reply(response: &[u8], local: SocketAddr) -> Result<Reply, String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP response: {text:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    Ok(Reply {
        status,
        body: body.to_owned(),
        local,
    })
}

fn assert_refused(result: Result<Reply, String>, alert: &str) {
    match result {
        Ok(reply) => panic!(
            "expected refusal, got HTTP {}: {}",
            reply.status, reply.body
        ),
        Err(error) => assert!(
            error.contains(alert),
            "expected the {alert} alert, got: {error}"
        ),
    }
}

fn hospital_pki() -> Pki {
    Pki::new(&[
        ClientSpec::new("hospital", "東京中央病院"),
        ClientSpec::new("clinic", "さくら診療所"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_client_certificate_reaches_the_handler_with_its_identity() {
    let pki = hospital_pki();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;

    let reply = request(server.address, pki.client("hospital"), "/whoami")
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body,
        format!(
            "terminal=hospital\norganisation=東京中央病院\nremote={}\n",
            reply.local
        )
    );

    let reply = request(server.address, pki.client("clinic"), "/whoami")
        .await
        .unwrap();
    assert!(
        reply
            .body
            .starts_with("terminal=clinic\norganisation=さくら診療所\n")
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_certificate_is_refused() {
    let pki = hospital_pki();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    assert_refused(
        request(server.address, pki.anonymous_client(), "/whoami").await,
        "CertificateRequired",
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_another_ca_is_refused() {
    let pki = hospital_pki();
    let other = Pki::new(&[ClientSpec::new("hospital", "東京中央病院")]);
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    // Same terminal name and an identical CA name, but signed by another CA's key.
    let config = client_of(&pki.dir, &other.dir, "hospital");
    assert_refused(request(server.address, config, "/whoami").await, "alert");
    // The legitimate client still gets in.
    let reply = request(server.address, pki.client("hospital"), "/whoami")
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_is_refused() {
    let pki = hospital_pki();
    let year = Duration::from_secs(365 * 24 * 3600);
    let now = SystemTime::now();
    issue_client_with_validity(
        &pki.dir,
        &ClientSpec::new("expired", "東京中央病院"),
        now - 2 * year,
        now - year,
    )
    .unwrap();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    assert_refused(
        request(server.address, pki.client("expired"), "/whoami").await,
        "CertificateExpired",
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_certificate_is_refused_after_reloading_with_the_crl() {
    let pki = hospital_pki();
    let before = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    let reply = request(before.address, pki.client("clinic"), "/whoami")
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "clinic works before revocation");
    before.shut_down().await;

    let crl = revoke(&pki.dir, "clinic").unwrap();
    let tls = ServerTls::from_dev_pki(&pki.dir);
    assert_eq!(tls.crls, [crl]);
    let server = Server::tls(server_config(&tls).unwrap(), ConnectionLimits::default()).await;
    assert_refused(
        request(server.address, pki.client("clinic"), "/whoami").await,
        "CertificateRevoked",
    );
    let reply = request(server.address, pki.client("hospital"), "/whoami")
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "an unrevoked terminal still works");
    assert!(reply.body.starts_with("terminal=hospital\n"));
    server.shut_down().await;
}

/// A TLS 1.1 ClientHello, written by hand because rustls cannot send one. Besides the CBC
/// suites a TLS 1.1 client has, it lists an allowed AEAD suite (ECDHE-ECDSA-AES128-GCM-SHA256),
/// and a signature_algorithms extension, so that nothing but the protocol version stands in
/// the way and the server must answer with the protocol_version alert.
fn tls11_client_hello() -> Vec<u8> {
    let suites: [u16; 7] = [0xc02b, 0xc013, 0xc014, 0xc009, 0xc00a, 0x002f, 0x0035];
    let mut body = vec![0x03, 0x02]; // client_version TLS 1.1
    body.extend((0u8..32).map(|i| i.wrapping_mul(37))); // random
    body.push(0); // session id
    body.extend(((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        body.extend(suite.to_be_bytes());
    }
    body.extend([1, 0]); // compression: null
    let extensions: Vec<u8> = [
        // supported_groups: x25519, secp256r1
        &[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17][..],
        // ec_point_formats: uncompressed
        &[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00][..],
        // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pkcs1_sha256
        &[0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x04, 0x01][..],
    ]
    .concat();
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);

    let mut handshake = vec![0x01]; // ClientHello
    handshake.extend(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x02]; // handshake record, TLS 1.1
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls11_client_hello_gets_an_alert_not_a_server_hello() {
    let pki = hospital_pki();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    let mut tcp = TcpStream::connect(server.address).await.unwrap();
    tcp.write_all(&tls11_client_hello()).await.unwrap();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut response))
        .await
        .expect("server answers or closes promptly");
    match read {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("unexpected read error: {e}"),
    }
    assert_ne!(
        response.first(),
        Some(&0x16),
        "server must not send a ServerHello"
    );
    if let Some(&first) = response.first() {
        assert_eq!(first, 0x15, "expected an alert record, got {response:02x?}");
        // Alert record: level 2 (fatal), description 70 (protocol_version).
        assert_eq!(response.get(5..7), Some(&[2u8, 70][..]), "{response:02x?}");
    }
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls12_client_offering_only_a_cbc_suite_is_refused() {
    let openssl = Path::new("/usr/bin/openssl");
    if !openssl.exists() {
        println!("note: /usr/bin/openssl not found; skipping the non-allowed cipher check");
        return;
    }
    let pki = hospital_pki();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    let s_client = |cipher: &'static str| {
        let dir = pki.dir.clone();
        let address = server.address;
        tokio::task::spawn_blocking(move || {
            Command::new(openssl)
                .args(["s_client", "-connect", &address.to_string(), "-tls1_2"])
                .args(["-cipher", cipher, "-servername", "localhost"])
                .arg("-CAfile")
                .arg(dir.join("ca.pem"))
                .arg("-cert")
                .arg(dir.join("hospital.pem"))
                .arg("-key")
                .arg(dir.join("hospital.key"))
                .stdin(std::process::Stdio::null())
                .output()
                .expect("openssl runs")
        })
    };

    // Control: the same command with an allowed suite negotiates, so a failure below is the
    // server's refusal and not a broken openssl invocation.
    let allowed = s_client("ECDHE-ECDSA-AES128-GCM-SHA256").await.unwrap();
    let allowed_out = String::from_utf8_lossy(&allowed.stdout);
    assert!(
        allowed_out.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"),
        "control handshake failed: {allowed_out}\n{}",
        String::from_utf8_lossy(&allowed.stderr)
    );

    let refused = s_client("AES128-SHA").await.unwrap();
    let out = String::from_utf8_lossy(&refused.stdout);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "openssl succeeded: {out}");
    assert!(!out.contains("Cipher is AES128-SHA"), "{out}");
    assert!(
        err.contains("handshake failure") || err.contains("alert"),
        "expected a handshake alert, got: {err}"
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_dropped_after_the_handshake_timeout() {
    let pki = hospital_pki();
    let limits = ConnectionLimits {
        handshake_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let server = Server::tls(pki.server_config(), limits).await;
    let mut tcp = TcpStream::connect(server.address).await.unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buffer))
        .await
        .expect("server closes the silent connection");
    let elapsed = started.elapsed();
    assert!(matches!(read, Ok(0)) || read.is_err(), "got data: {read:?}");
    assert!(
        elapsed >= Duration::from_millis(450) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
    // The loop is still serving.
    let reply = request(server.address, pki.client("hospital"), "/whoami")
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_per_address_limit_are_closed_at_once() {
    let pki = hospital_pki();
    let limits = ConnectionLimits {
        handshake_timeout: Duration::from_secs(5),
        max_connections_per_address: 1,
        ..ConnectionLimits::default()
    };
    let server = Server::tls(pki.server_config(), limits).await;
    let holder = TcpStream::connect(server.address).await.unwrap();
    // Give the loop time to accept and count the first connection.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut second = TcpStream::connect(server.address).await.unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 8];
    let read = tokio::time::timeout(Duration::from_secs(3), second.read(&mut buffer))
        .await
        .expect("second connection is closed well before the handshake timeout");
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    drop(holder);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let reply = request(server.address, pki.client("hospital"), "/whoami")
        .await
        .unwrap();
    assert_eq!(
        reply.status, 200,
        "the slot is free again once the first closes"
    );
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_request_finish_then_stops_accepting() {
    let pki = hospital_pki();
    let server = Server::tls(pki.server_config(), ConnectionLimits::default()).await;
    let address = server.address;
    let in_flight = tokio::spawn(request(address, pki.client("hospital"), "/slow"));
    tokio::time::sleep(Duration::from_millis(150)).await;
    server.shut_down().await;

    let reply = in_flight.await.unwrap().unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "finished\n");
    let refused = TcpStream::connect(address).await;
    assert!(refused.is_err(), "listener must be closed after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_mode_gives_the_remote_address_but_no_identity_and_times_out_slow_headers() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let server = Server::plain(limits).await;

    let mut tcp = TcpStream::connect(server.address).await.unwrap();
    let local = tcp.local_addr().unwrap();
    tcp.write_all(b"GET /whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let reply = parse_reply(&response, local).unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, format!("terminal=none\nremote={local}\n"));

    // Slow-loris: half a request line, then silence.
    let mut slow = TcpStream::connect(server.address).await.unwrap();
    slow.write_all(b"GET /whoami HTTP/1.1\r\nHost:")
        .await
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut rest))
        .await
        .expect("server closes the slow connection");
    let elapsed = started.elapsed();
    if let Err(e) = read {
        assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}");
    }
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "an incomplete request must not be answered"
    );
    server.shut_down().await;
}
