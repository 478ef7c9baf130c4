//! The reliability suite: the audit trail against someone with write access to the database but
//! not to the key file. Each case takes a data directory the real binary wrote, has
//! `kakehashi audit anchor` write an anchor, then tampers with the real database (SQLite, or PostgreSQL when the
//! suite runs on it) — drops the
//! append-only guards, edits, deletes or inserts records, recomputes the chain with unkeyed
//! SHA-256 links (renumbering it after a deletion), cuts off the newest records, edits the
//! anchor to fit — and `kakehashi audit verify --anchor` must exit 1 and say what was done.
//! The gateway writes anchors on its own.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Gateway, kakehashi, private_dir};
use kakehashi::store::AuditEvent;
use kakehashi::store::audit::record_hash;
use sqlx::Row;

/// A data directory with a few audited changes made by the command line, and an anchor of its
/// chain; its configuration, the anchor's path and the anchored record.
fn audited_data(dir: &Path) -> (PathBuf, PathBuf, i64) {
    let data = dir.join("data");
    private_dir(&data);
    let config = dir.join("kakehashi.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n{}",
            data.display(),
            common::store_line(&data)
        ),
    )
    .unwrap();
    for (code, name) in [
        ("2710000029", "北病院"),
        ("2710000037", "南病院"),
        ("2710000045", "東病院"),
        ("2710000052", "西病院"),
        ("2710000060", "中央病院"),
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
    let anchor = dir.join("anchor.json");
    let out = kakehashi(
        &["audit", "anchor", "--out", anchor.to_str().unwrap()],
        &config,
    );
    assert!(out.contains("anchored record"), "{out}");
    let anchored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&anchor).unwrap()).unwrap();
    let head = anchored["seq"].as_i64().unwrap();
    assert!(head >= 5, "{head} records");
    let out = kakehashi(
        &["audit", "verify", "--anchor", anchor.to_str().unwrap()],
        &config,
    );
    assert!(out.contains("the chain is intact"), "{out}");
    (config, anchor, head)
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

/// `audit verify`, with the anchor when given: it must fail (exit 1) and say `expected`.
fn assert_broken(config: &Path, anchor: Option<&Path>, expected: &str) {
    let mut args = vec!["audit", "verify"];
    if let Some(anchor) = anchor {
        args.extend(["--anchor", anchor.to_str().unwrap()]);
    }
    let verified = run(&args, config);
    let out = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{args:?}: {out}");
    assert!(
        out.contains(expected),
        "{args:?} does not say `{expected}`:\n{out}"
    );
}

/// A read-write connection to the database, as an intruder has.
async fn database(config: &Path) -> sqlx::AnyConnection {
    common::database(&config.parent().unwrap().join("data")).await
}

async fn execute(conn: &mut sqlx::AnyConnection, statement: &str) {
    sqlx::query(statement).execute(&mut *conn).await.unwrap();
}

/// Drops one of the append-only guards.
async fn drop_guard(conn: &mut sqlx::AnyConnection, trigger: &str) {
    let on = if common::on_postgres() {
        " ON audit_events"
    } else {
        ""
    };
    execute(conn, &format!("DROP TRIGGER {trigger}{on}")).await;
}

/// Puts back a guard the intruder dropped, as the migration wrote it (`lets_through`: one
/// of the same name that lets every change through instead).
async fn put_back_guard(conn: &mut sqlx::AnyConnection, trigger: &str, lets_through: bool) {
    let event = if trigger.ends_with("update") {
        "UPDATE"
    } else {
        "DELETE"
    };
    let statement = match (common::on_postgres(), lets_through) {
        (false, false) => format!(
            "CREATE TRIGGER {trigger} BEFORE {event} ON audit_events\nBEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        ),
        (false, true) => {
            format!("CREATE TRIGGER {trigger} BEFORE {event} ON audit_events BEGIN SELECT 1; END")
        }
        (true, false) => format!(
            "CREATE TRIGGER {trigger} BEFORE {event} ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        ),
        (true, true) => format!(
            "CREATE TRIGGER {trigger} BEFORE {event} ON audit_events FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()"
        ),
    };
    execute(conn, &statement).await;
}

/// The database with the append-only guards dropped, as an intruder would first do.
async fn intruder(config: &Path) -> sqlx::AnyConnection {
    let mut conn = database(config).await;
    for trigger in ["audit_events_no_update", "audit_events_no_delete"] {
        drop_guard(&mut conn, trigger).await;
    }
    conn
}

/// Links every record anew from the first with unkeyed SHA-256, as the chain was before it was
/// keyed and as anyone can compute it; the key ids are cleared unless `keep_key_ids`.
async fn relink_with_sha256(conn: &mut sqlx::AnyConnection, keep_key_ids: bool) {
    if !keep_key_ids {
        execute(conn, "UPDATE audit_events SET key_id = NULL").await;
    }
    let rows = sqlx::query("SELECT * FROM audit_events ORDER BY seq")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
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
        sqlx::query("UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn a_dropped_append_only_guard_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, _) = audited_data(dir.path());
    let mut conn = database(&config).await;
    drop_guard(&mut conn, "audit_events_no_delete").await;
    drop(conn);
    assert_broken(
        &config,
        Some(&anchor),
        "BROKEN: the append-only guard audit_events_no_delete is missing",
    );
    // A guard replaced by one that lets everything through is no guard either.
    let mut conn = database(&config).await;
    drop_guard(&mut conn, "audit_events_no_update").await;
    put_back_guard(&mut conn, "audit_events_no_update", true).await;
    drop(conn);
    assert_broken(
        &config,
        None,
        "BROKEN: the append-only guard audit_events_no_update is missing",
    );
}

#[tokio::test]
async fn an_edited_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, _) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    execute(
        &mut conn,
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2",
    )
    .await;
    drop(conn);
    assert_broken(&config, Some(&anchor), "BROKEN: record 2 was edited");
}

#[tokio::test]
async fn a_deleted_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, _) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    execute(&mut conn, "DELETE FROM audit_events WHERE seq = 3").await;
    drop(conn);
    assert_broken(
        &config,
        Some(&anchor),
        "BROKEN: 1 record(s) after record 2 were deleted",
    );
}

#[tokio::test]
async fn a_record_rewritten_with_recomputed_sha256_links_breaks_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, _) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    execute(
        &mut conn,
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2",
    )
    .await;
    relink_with_sha256(&mut conn, false).await;
    drop(conn);
    assert_broken(&config, None, "BROKEN: record 1 has an unkeyed link");
    // The anchor names a record whose link is not there any more.
    assert_broken(
        &config,
        Some(&anchor),
        "is not the record the anchor names (its link differs): the chain was rewritten",
    );

    // With the key ids left in place, the unkeyed links do not match the keyed ones.
    let dir = tempfile::tempdir().unwrap();
    let (config, _, _) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    execute(
        &mut conn,
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2",
    )
    .await;
    relink_with_sha256(&mut conn, true).await;
    drop(conn);
    assert_broken(&config, None, "BROKEN: record 1 was edited");
}

#[tokio::test]
async fn a_record_deleted_and_the_chain_renumbered_and_relinked_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, head) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    execute(&mut conn, "DELETE FROM audit_events WHERE seq = 2").await;
    for seq in 3..=head {
        sqlx::query("UPDATE audit_events SET seq = $1 WHERE seq = $2")
            .bind(seq - 1)
            .bind(seq)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    relink_with_sha256(&mut conn, false).await;
    drop(conn);
    assert_broken(&config, None, "BROKEN: record 1 has an unkeyed link");
    assert_broken(
        &config,
        Some(&anchor),
        &format!(
            "BROKEN: the chain ends at record {} but the anchor names record {head}",
            head - 1
        ),
    );
}

#[tokio::test]
async fn a_record_appended_with_an_unkeyed_link_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, head) = audited_data(dir.path());
    let mut conn = database(&config).await;
    let last = sqlx::query("SELECT * FROM audit_events WHERE seq = $1")
        .bind(head)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let event = AuditEvent {
        actor: "admin1".into(),
        action: "sheet.read".into(),
        outcome: "ok".into(),
        ..AuditEvent::default()
    };
    let at: String = last.get("at");
    let prev: String = last.get("hash");
    let hash = record_hash(&prev, head + 1, &at, &event);
    sqlx::query(
        "INSERT INTO audit_events (seq, at, actor, action, outcome, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(head + 1)
    .bind(&at)
    .bind(&event.actor)
    .bind(&event.action)
    .bind(&event.outcome)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);
    assert_broken(
        &config,
        Some(&anchor),
        &format!("BROKEN: record {} has an unkeyed link", head + 1),
    );
}

#[tokio::test]
async fn cutting_off_the_newest_records_is_caught_by_an_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let (config, anchor, head) = audited_data(dir.path());
    let mut conn = intruder(&config).await;
    sqlx::query("DELETE FROM audit_events WHERE seq > $1")
        .bind(head - 2)
        .execute(&mut conn)
        .await
        .unwrap();
    // Put back the guards: what is left looks untouched.
    put_back_guard(&mut conn, "audit_events_no_update", false).await;
    put_back_guard(&mut conn, "audit_events_no_delete", false).await;
    drop(conn);

    // What is left is a consistent chain: only the anchor tells.
    let out = kakehashi(&["audit", "verify"], &config);
    assert!(out.contains("the chain is intact"), "{out}");
    let expected = format!(
        "BROKEN: the chain ends at record {} but the anchor names record {head}",
        head - 2
    );
    assert_broken(&config, Some(&anchor), &expected);

    // Nor can the anchor be made to fit: it is signed with the audit key.
    let mut edited: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&anchor).unwrap()).unwrap();
    let mut conn = database(&config).await;
    let new_head: String = sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
        .bind(head - 2)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    drop(conn);
    edited["seq"] = (head - 2).into();
    edited["link"] = new_head.into();
    std::fs::write(&anchor, serde_json::to_vec(&edited).unwrap()).unwrap();
    assert_broken(
        &config,
        Some(&anchor),
        "BROKEN: the anchor's signature does not verify with this key file",
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
