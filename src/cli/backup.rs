//! `kakehashi store backup DIR`: a consistent copy of the embedded database while the gateway
//! serves. SQLite's `VACUUM INTO` reads the database in one read transaction on a connection of
//! its own, so the copy is the database as of one moment, whatever the gateway writes
//! meanwhile (WAL mode lets it go on writing). The data key is left out unless asked for: a
//! backup that carries its own key protects nothing, so the key belongs in another place.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::{Context, bail};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::admin::{DataArgs, block_on, cli_actor};
use crate::store::{AuditTrail, DATABASE_FILE, SqlStore, StoreLocation};

/// Backs the embedded database up into `dir`, with the data key when `with_keys`.
pub fn backup(data: DataArgs, with_keys: bool, dir: PathBuf) -> anyhow::Result<ExitCode> {
    let config = data.config()?;
    if config.store.url.is_some() {
        bail!(
            "the store is PostgreSQL ([store] url): back it up with PostgreSQL's own tools \
             (pg_dump, or base backups with WAL archiving; see docs/DEPLOYMENT.md)"
        );
    }
    let source = config.data_dir.join(DATABASE_FILE);
    if !source
        .try_exists()
        .with_context(|| format!("reading {}", source.display()))?
    {
        bail!(
            "no database at {}: nothing to back up (is the data directory right?)",
            source.display()
        );
    }
    let dir = std::path::absolute(&dir).with_context(|| format!("resolving {}", dir.display()))?;
    empty_private_dir(&dir)?;
    let target = dir.join(DATABASE_FILE);
    let key_file = config.key_file();
    let (size, head) = block_on(async {
        let store = crate::server::open_store(&config).await?;
        let copied = copy_database(&source, &target).await;
        let audit = cli_actor("store.backup").on("backup", &dir.display().to_string());
        let (size, head) = match copied {
            Ok(size) => (
                size,
                SqlStore::audit_head_seq(&StoreLocation::Embedded(dir.clone())).await?,
            ),
            Err(e) => {
                // A partial copy is not a backup: nothing is left that looks like one.
                let _ = std::fs::remove_file(&target);
                store
                    .append_audit(&audit.outcome("failed").with_detail(format!("{e:#}")))
                    .await?;
                return Err(e);
            }
        };
        store
            .append_audit(&audit.with_detail(format!(
                "{size} bytes up to audit record {head}; data key {}",
                if with_keys { "copied" } else { "not copied" }
            )))
            .await?;
        anyhow::Ok((size, head))
    })??;
    println!(
        "wrote {} ({}), a consistent copy of {}; its audit chain ends at record {head}",
        target.display(),
        human_size(size),
        source.display()
    );
    if with_keys {
        let copy = copy_key_file(&key_file, &dir)?;
        println!(
            "wrote {}, the data key: this backup opens on its own, keep it as safe as the key",
            copy.display()
        );
    } else {
        println!(
            "not copied: the data key {} — back it up apart from the database (without it the \
             copy opens nothing), or copy it along with --with-keys",
            key_file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Makes `dir` with mode 0700 (and its missing parents), or takes an existing empty one that
/// only its owner may open; refuses anything else, so that no backup lands on top of another.
fn empty_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            let mut entries = std::fs::read_dir(dir)
                .with_context(|| format!("reading the backup directory {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "the backup directory {} is not empty: a backup goes into a new or empty directory",
                    dir.display()
                );
            }
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                bail!(
                    "the backup directory {} has mode {mode:03o}: group or others may open it (chmod 700 {})",
                    dir.display(),
                    dir.display()
                );
            }
            Ok(())
        }
        Ok(_) => bail!(
            "{} exists and is not a directory: a backup goes into a new or empty directory",
            dir.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating the backup directory {}", dir.display())),
        Err(e) => Err(e).with_context(|| format!("reading the backup directory {}", dir.display())),
    }
}

/// `VACUUM INTO` from `source` (which the gateway may be writing) into `target`, a file made
/// here with mode 0600 (SQLite keeps an empty file's mode), then flushed to disk. The bytes
/// written.
async fn copy_database(source: &Path, target: &Path) -> anyhow::Result<u64> {
    create_private_file(target)?;
    // Absolute, so that SQLite never reads the name as a `file:` URI; bound, so that no quote
    // in it needs escaping.
    let target_name = target
        .to_str()
        .with_context(|| format!("{} is not UTF-8, which SQLite needs", target.display()))?;
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(source)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target_name)
        .execute(&mut conn)
        .await
        .with_context(|| format!("copying {} into {}", source.display(), target.display()))?;
    conn.close().await?;
    sync(target)?;
    sync(target.parent().unwrap_or(Path::new("/")))?;
    Ok(std::fs::metadata(target)
        .with_context(|| format!("reading {}", target.display()))?
        .len())
}

/// Copies the key file into `<dir>/keys/` (0700), where a data directory keeps it by default,
/// with mode 0600.
fn copy_key_file(key_file: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let keys = dir.join("keys");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&keys)
        .with_context(|| format!("creating {}", keys.display()))?;
    let name = key_file
        .file_name()
        .with_context(|| format!("the key file {} has no file name", key_file.display()))?;
    let copy = keys.join(name);
    let bytes = std::fs::read(key_file)
        .with_context(|| format!("reading the key file {}", key_file.display()))?;
    create_private_file(&copy)?;
    std::fs::write(&copy, bytes).with_context(|| format!("writing {}", copy.display()))?;
    sync(&copy)?;
    sync(&keys)?;
    Ok(copy)
}

/// Creates a new, empty file with mode 0600; refuses one that exists.
fn create_private_file(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    Ok(())
}

/// Flushes a file or a directory (its entries) to disk.
fn sync(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("flushing {} to disk", path.display()))
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}
