//! `kakehashi store backup` against the real binary while a gateway serves and clients keep
//! submitting: the copy opens as a data directory of its own (with the key it was given) and
//! holds every submission acknowledged before the backup began, finished as it was; the
//! target is refused when it is not new or empty, and without `--with-keys` the key stays out.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::exports::Exports;
use common::{Gateway, HOSPITAL, Session, kakehashi, send};
use reqwest::StatusCode;
use serde_json::Value;

const SUBMIT: &str = "/v1/submissions?mapping=hospital-a";
const ROWS: usize = 3;

async fn submit(clerk: &Session, exports: &Exports, n: usize) -> Value {
    let (status, body) = send(
        clerk
            .post(SUBMIT)
            .header("content-type", "text/csv")
            .body(exports.export(n, ROWS)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

/// Runs `kakehashi ARGS` expecting it to fail; its standard error.
fn kakehashi_fails(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .env("KAKEHASHI_LOG", "warn")
        .output()
        .expect("kakehashi runs");
    assert!(!output.status.success(), "kakehashi {args:?} succeeded");
    String::from_utf8(output.stderr).expect("UTF-8 output")
}

#[tokio::test]
async fn a_backup_taken_while_serving_opens_with_its_key_and_holds_what_was_acknowledged() {
    if common::on_postgres() {
        // `store backup` copies the embedded database; PostgreSQL is backed up with its tools.
        eprintln!("skipped on PostgreSQL: store backup is for the embedded SQLite store");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gw = Gateway::start(
        &dir.path().join("data"),
        "[security]\nrequests_per_second_per_terminal = 2000\n",
    );
    let clerk = gw.user("clerk1", HOSPITAL, "clerk", "hospital").await;
    let exports = Arc::new(Exports::hospital_a());
    let mut before = Vec::new();
    for n in 0..5 {
        before.push(submit(&clerk, &exports, n).await);
    }

    // A client keeps submitting while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (clerk, exports, stop) = (clerk.clone(), exports.clone(), stop.clone());
        async move {
            let mut n = 1000;
            while !stop.load(Ordering::Relaxed) {
                submit(&clerk, &exports, n).await;
                n += 1;
            }
            n - 1000
        }
    });
    let backup = dir.path().join("backups").join("first");
    let config = gw.config().to_owned();
    let out = tokio::task::spawn_blocking({
        let backup = backup.clone();
        move || {
            kakehashi(
                &["store", "backup", "--with-keys", backup.to_str().unwrap()],
                &config,
            )
        }
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let during = writer.await.unwrap();
    eprintln!("{out}({during} submissions acknowledged while the backup ran)");
    assert!(out.contains("kakehashi.sqlite3"), "{out}");
    assert!(out.contains("audit chain ends at record"), "{out}");
    assert!(out.contains("keys/data-keys.json"), "{out}");
    use std::os::unix::fs::PermissionsExt;
    for (path, mode) in [
        (backup.clone(), 0o700),
        (backup.join("kakehashi.sqlite3"), 0o600),
        (backup.join("keys/data-keys.json"), 0o600),
    ] {
        let actual = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(actual, mode, "{}", path.display());
    }

    // The copy is a data directory: a gateway on it (with its copied key) shows what was
    // acknowledged before the backup, and the audit chain verifies.
    let verified = kakehashi(
        &["audit", "verify", "--data-dir", backup.to_str().unwrap()],
        gw.config(),
    );
    assert!(verified.contains("intact"), "{verified}");
    let restored = Gateway::start(&backup, "");
    let clerk = restored.session("clerk1", "hospital", None).await;
    for submission in &before {
        let id = submission["id"].as_str().unwrap();
        let (status, body) = send(clerk.get(&format!("/v1/submissions/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{id}: {body}");
        assert_eq!(body["status"], "accepted", "{id}: {body}");
        assert_eq!(body["sheets"].as_array().map(Vec::len), Some(ROWS), "{id}");
    }
}

#[test]
fn the_target_must_be_new_or_empty_and_the_key_stays_out_unless_asked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::private_dir(&data);
    let config = dir.path().join("kakehashi.toml");
    std::fs::write(&config, format!("data_dir = \"{}\"\n", data.display())).unwrap();
    let backup = |target: &std::path::Path| {
        kakehashi_fails(&[
            "store",
            "backup",
            "--config",
            config.to_str().unwrap(),
            target.to_str().unwrap(),
        ])
    };

    let first = dir.path().join("first");
    let err = backup(&first);
    assert!(
        err.contains("no database at") && err.contains("data"),
        "{err}"
    );

    // The CLI makes the database as the gateway would.
    kakehashi(
        &[
            "organisations",
            "add",
            "--kind",
            "hospital",
            "--code",
            "1310000017",
            "--name",
            "test",
        ],
        &config,
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = backup(&file);
    assert!(
        err.contains("a-file exists and is not a directory"),
        "{err}"
    );
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = backup(&open);
    assert!(
        err.contains("mode 755") && err.contains("chmod 700"),
        "{err}"
    );

    let out = kakehashi(&["store", "backup", first.to_str().unwrap()], &config);
    assert!(out.contains("not copied: the data key"), "{out}");
    assert!(out.contains("keys/data-keys.json"), "{out}");
    assert!(!first.join("keys").exists());
    let written = std::fs::read(first.join("kakehashi.sqlite3")).unwrap();
    let err = backup(&first);
    assert!(err.contains("first is not empty"), "{err}");
    assert_eq!(
        std::fs::read(first.join("kakehashi.sqlite3")).unwrap(),
        written,
        "a refused backup leaves the earlier one as it was"
    );
}
