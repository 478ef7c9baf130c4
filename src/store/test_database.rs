//! A store of its own for every test, on either database: SQLite in the test's directory, or —
//! when `KAKEHASHI_TEST_DATABASE_URL` names a PostgreSQL server — a fresh database on that
//! server, so that the same tests prove both stores (`scripts/test.sh` runs them twice). Test
//! databases are named `kakehashi_test_…`; the test script drops the last run's before it starts.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AnyConnection, ConnectOptions, Connection};

use super::{DATABASE_FILE, StoreError, StoreLocation};

/// The variable naming the PostgreSQL server tests use (`postgres://user@host:port/db`, the
/// database being one to connect to while making the test's own).
pub const TEST_DATABASE_URL: &str = "KAKEHASHI_TEST_DATABASE_URL";

/// The file in a test's directory that remembers its PostgreSQL database, so that a test that
/// reopens its store, or restarts its gateway, finds the same data.
const REMEMBERED: &str = "test-database-url";

/// The store a test in `dir` uses: its own PostgreSQL database when [`TEST_DATABASE_URL`] is
/// set (made on the first call for `dir`), else SQLite in `dir`.
pub async fn location_for_test(dir: &Path) -> Result<StoreLocation, StoreError> {
    let Ok(server) = std::env::var(TEST_DATABASE_URL) else {
        return Ok(StoreLocation::Embedded(dir.to_path_buf()));
    };
    let remembered = dir.join(REMEMBERED);
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
    }
    if let Ok(url) = std::fs::read_to_string(&remembered) {
        return Ok(StoreLocation::Postgres(url));
    }
    let server = PgConnectOptions::from_str(&server)?;
    let name = format!(
        "kakehashi_test_{}",
        uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .get(..16)
            .unwrap_or("0")
    );
    let mut conn: PgConnection = server.connect().await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let url = server.database(&name).to_url_lossy().to_string();
    std::fs::write(&remembered, &url).map_err(|source| StoreError::DataDir {
        path: remembered.display().to_string(),
        source,
    })?;
    Ok(StoreLocation::Postgres(url))
}

/// Drops the PostgreSQL database [`location_for_test`] made for `dir`, if any (connections
/// still open to it are closed): for runs that make many, such as the instances bench.
pub async fn discard(dir: &Path) -> Result<(), StoreError> {
    let (Ok(server), Ok(url)) = (
        std::env::var(TEST_DATABASE_URL),
        std::fs::read_to_string(dir.join(REMEMBERED)),
    ) else {
        return Ok(());
    };
    let name = PgConnectOptions::from_str(&url)?
        .get_database()
        .unwrap_or_default()
        .to_owned();
    let mut conn: PgConnection = PgConnectOptions::from_str(&server)?.connect().await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// A connection to the store at `location` from outside the gateway, as an intruder with the
/// database's rights (or a failing disk) would have.
pub async fn connect(location: &StoreLocation) -> Result<AnyConnection, StoreError> {
    sqlx::any::install_default_drivers();
    let url = match location {
        StoreLocation::Embedded(dir) => format!("sqlite://{}", dir.join(DATABASE_FILE).display()),
        StoreLocation::Postgres(url) => url.clone(),
    };
    Ok(AnyConnection::connect(&url).await?)
}

/// Everything the store at `location` holds at rest: SQLite's database file and write-ahead
/// log as they are on disk, or every row of every PostgreSQL table as text (byte strings in
/// hex), to look for personal data in clear with [`contains_in_clear`].
pub async fn at_rest(location: &StoreLocation) -> Result<Vec<u8>, StoreError> {
    let read = |path: std::path::PathBuf| {
        std::fs::read(&path).map_err(|source| StoreError::DataDir {
            path: path.display().to_string(),
            source,
        })
    };
    match location {
        StoreLocation::Embedded(dir) => {
            let mut all = read(dir.join(DATABASE_FILE))?;
            let wal = dir.join(format!("{DATABASE_FILE}-wal"));
            if wal.exists() {
                all.extend(read(wal)?);
            }
            Ok(all)
        }
        StoreLocation::Postgres(_) => {
            let mut conn = connect(location).await?;
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
            )
            .fetch_all(&mut conn)
            .await?;
            let mut all = Vec::new();
            for table in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM {table} t"))
                        .fetch_all(&mut conn)
                        .await?;
                all.extend(rows.join("\n").into_bytes());
            }
            Ok(all)
        }
    }
}

/// Whether `needle` is in what [`at_rest`] read in clear: as UTF-8, or as the hex PostgreSQL
/// shows byte strings in.
pub fn contains_in_clear(haystack: &[u8], needle: &str) -> bool {
    let hex = hex::encode(needle);
    [needle.as_bytes(), hex.as_bytes()]
        .iter()
        .any(|needle| haystack.windows(needle.len()).any(|w| w == *needle))
}
