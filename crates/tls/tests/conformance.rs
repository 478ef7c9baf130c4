//! The conformance scanner (conformance/tls/scan.sh) against real servers.
//!
//! The scans need sslscan, python3 and (for the negative case) openssl; without them those
//! cases print a note and pass, so the crate's tests still run on a machine without them.

use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use kakehashi_tls::{
    ALLOWED_CIPHER_SUITES, ALLOWED_GROUPS, ALLOWED_PROTOCOLS, ClientSpec, ConnectionLimits,
    ServerTls, init_dev_pki, serve_tls, server_config,
};

fn scan_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/tls/scan.sh")
}

fn script_list(name: &str) -> Vec<String> {
    let script = std::fs::read_to_string(scan_script()).unwrap();
    let prefix = format!("{name}=\"");
    let line = script
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} not defined in scan.sh"));
    line.trim_end_matches('"')
        .split_whitespace()
        .map(|item| item.split('=').next().unwrap_or(item).to_owned())
        .collect()
}

#[test]
fn the_scanner_checks_exactly_the_published_lists() {
    assert_eq!(script_list("ALLOWED_PROTOCOLS"), ALLOWED_PROTOCOLS);
    assert_eq!(script_list("ALLOWED_CIPHERS"), ALLOWED_CIPHER_SUITES);
    assert_eq!(script_list("ALLOWED_GROUPS"), ALLOWED_GROUPS);
}

fn available(tools: &[&str]) -> bool {
    let missing: Vec<_> = tools
        .iter()
        .filter(|tool| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .map(|status| !status.success())
                .unwrap_or(true)
        })
        .collect();
    if !missing.is_empty() {
        println!("note: {missing:?} not installed; skipping this scan");
    }
    missing.is_empty()
}

fn scan(target: SocketAddr, client: Option<(&Path, &Path)>) -> Output {
    let mut command = Command::new("bash");
    command.arg(scan_script()).arg(target.to_string());
    if let Some((cert, key)) = client {
        command.arg(cert).arg(key);
    }
    command.output().expect("bash runs scan.sh")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_tls_passes_the_scan() {
    if !available(&["sslscan", "python3"]) {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    init_dev_pki(&dir, &[ClientSpec::new("hospital", "東京中央病院")]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = server_config(&ServerTls::from_dev_pki(&dir)).unwrap();
    let app = Router::new().route("/", get(|| async { "hello\n" }));
    let server = tokio::spawn(serve_tls(
        listener,
        config,
        app,
        ConnectionLimits::default(),
        async {
            let _ = stopped.await;
        },
    ));

    let (cert, key) = (dir.join("hospital.pem"), dir.join("hospital.key"));
    let with_cert = tokio::task::spawn_blocking(move || scan(address, Some((&cert, &key))))
        .await
        .unwrap();
    let report = text(&with_cert);
    assert_eq!(with_cert.status.code(), Some(0), "{report}");
    assert!(
        report.contains("protocols enabled: TLSv1.2 TLSv1.3"),
        "{report}"
    );
    for suite in [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ] {
        assert!(report.contains(suite), "{suite} missing from\n{report}");
    }
    assert!(report.contains("PASS"), "{report}");

    // Without a client certificate the TLS 1.2 suites cannot be seen: not a pass.
    let without_cert = tokio::task::spawn_blocking(move || scan(address, None))
        .await
        .unwrap();
    let report = text(&without_cert);
    assert_eq!(without_cert.status.code(), Some(1), "{report}");
    assert!(report.contains("UNVERIFIED: TLSv1.2"), "{report}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// Kills the openssl server even if an assertion fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permissive_server_fails_the_scan_with_each_violation_listed() {
    if !available(&["sslscan", "python3", "openssl"]) {
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().to_path_buf();
    init_dev_pki(&dir, &[]).unwrap();
    let port = StdTcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-www",
            "-quiet",
        ])
        .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
        .arg("-cert")
        .arg(dir.join("server.pem"))
        .arg("-key")
        .arg(dir.join("server.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = KillOnDrop(child);
    let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "openssl s_server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let output = tokio::task::spawn_blocking(move || scan(address, None))
        .await
        .unwrap();
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    for violation in [
        "protocol TLSv1.0 is enabled",
        "protocol TLSv1.1 is enabled",
        "cipher ECDHE-ECDSA-AES128-SHA accepted over TLSv1.2",
        "group ffdhe2048",
    ] {
        assert!(
            report.contains(violation),
            "{violation:?} not reported in\n{report}"
        );
    }
}
