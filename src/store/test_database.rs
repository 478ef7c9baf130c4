//! A store of its own for every test, on either database: SQLite in the test's directory, or —
//! when `KAKEHASHI_TEST_DATABASE_URL` names a PostgreSQL server — a fresh database on that
//! server, so that the same tests prove both stores (`scripts/test.sh` runs them twice). Test
//! databases are named `kakehashi_test_…`; the test script drops the last run's before it starts.

use std::path::Path;
use std::str::FromStr;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::{StoreError, StoreLocation};

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
    super::private_data_dir(dir)?;
    let remembered = dir.join(REMEMBERED);
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
