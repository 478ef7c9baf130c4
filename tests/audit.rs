//! The audit chain against someone with write access to the database but not to the key file:
//! a record rewritten and the chain recomputed with unkeyed SHA-256 links is named, and the
//! newest records cut off are caught by an anchor written before; the gateway writes anchors
//! on its own.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Gateway, kakehashi, private_dir};
use kakehashi::store::AuditEvent;
use kakehashi::store::audit::record_hash;
use sqlx::Row;

/// A data directory with a few audited changes made by the command line; its configuration.
fn audited_data(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    private_dir(&data);
    let config = dir.join("kakehashi.toml");
    std::fs::write(&config, format!("data_dir = \"{}\"\n", data.display())).unwrap();
    for (code, name) in [
        ("2710000029", "北病院"),
        ("2710000037", "南病院"),
        ("2710000045", "東病院"),
    ] {
        kakehashi(
            &[
                "organisations",
                "add",
                "--kind",
                "hospital",
                "--code",
                code,
                "--name",
                name,
            ],
            &config,
        );
    }
    config
}

/// `kakehashi ARGS --config CONFIG`, whatever its exit status.
fn run(args: &[&str], config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("KAKEHASHI_LOG", "warn")
        .output()
        .unwrap()
}

/// A read-write connection to the database, with the append-only guards dropped, as an
/// intruder would first do.
async fn intruder(config: &Path) -> sqlx::SqliteConnection {
    let data = config.parent().unwrap().join("data");
    let url = format!("sqlite://{}", data.join("kakehashi.sqlite3").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    for trigger in ["audit_events_no_update", "audit_events_no_delete"] {
        sqlx::query(&format!("DROP TRIGGER {trigger}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn
}

#[tokio::test]
async fn a_record_rewritten_with_recomputed_sha256_links_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let config = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    sqlx::query("UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    // The whole chain recomputed from the start with unkeyed SHA-256 links, and any mark of a
    // keyed link cleared.
    let keyed =
        sqlx::query("SELECT 1 FROM pragma_table_info('audit_events') WHERE name = 'key_id'")
            .fetch_optional(&mut conn)
            .await
            .unwrap()
            .is_some();
    if keyed {
        sqlx::query("UPDATE audit_events SET key_id = NULL")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let rows = sqlx::query("SELECT * FROM audit_events ORDER BY seq")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(rows.len() >= 3, "{} records", rows.len());
    let mut prev = kakehashi::store::audit::GENESIS.to_owned();
    for row in &rows {
        let seq: i64 = row.get("seq");
        let at: String = row.get("at");
        let event = AuditEvent {
            actor: row.get("actor"),
            terminal: row.get("terminal"),
            organisation: row.get("organisation"),
            source: row.get("source"),
            action: row.get("action"),
            object_type: row.get("object_type"),
            object_id: row.get("object_id"),
            patient_ref: row.get("patient_ref"),
            outcome: row.get("outcome"),
            detail: row.get("detail"),
        };
        let hash = record_hash(&prev, seq, &at, &event);
        sqlx::query("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(&mut conn)
            .await
            .unwrap();
        prev = hash;
    }
    drop(conn);

    let verified = run(&["audit", "verify"], &config);
    let out = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{out}");
    assert!(out.contains("BROKEN: record 1 "), "{out}");
}

#[tokio::test]
async fn cutting_off_the_newest_records_is_caught_by_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let config = audited_data(dir.path());
    let anchor = dir.path().join("anchor.json");
    let out = kakehashi(
        &["audit", "anchor", "--out", anchor.to_str().unwrap()],
        &config,
    );
    assert!(out.contains("anchored record"), "{out}");
    let anchored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&anchor).unwrap()).unwrap();
    let head = anchored["seq"].as_i64().unwrap();

    let mut conn = intruder(&config).await;
    sqlx::query("DELETE FROM audit_events WHERE seq > ?")
        .bind(head - 2)
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);

    // What is left is a consistent chain: only the anchor tells.
    let out = kakehashi(&["audit", "verify"], &config);
    assert!(out.contains("the chain is intact"), "{out}");
    let verified = run(
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
        &config,
    );
    let out = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "BROKEN: the chain ends at record {} but the anchor names record {head}",
            head - 2
        )),
        "{out}"
    );
}

#[tokio::test]
async fn the_gateway_anchors_the_chain_when_it_starts_and_every_few_minutes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    audited_data(dir.path());
    let data = dir.path().join("data");
    let gw = Gateway::start(&data, "");
    let started = std::time::Instant::now();
    let anchor = loop {
        let written = std::fs::read_dir(data.join("anchors"))
            .into_iter()
            .flatten()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|e| e == "json"));
        if let Some(path) = written {
            break path;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{}",
            gw.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let mode = std::fs::metadata(&anchor).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = kakehashi(
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
        gw.config(),
    );
    assert!(out.contains("the chain is intact"), "{out}");
}
