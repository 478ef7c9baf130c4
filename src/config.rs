//! `kakehashi.toml`: every field optional, every default safe. Unknown fields are refused, so a
//! typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Gateway configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the API listens on. Default `127.0.0.1:8443` (loopback only).
    pub listen: SocketAddr,
    /// Where the database and (later) generated certificates live. Default `./kakehashi-data`.
    pub data_dir: PathBuf,
    /// Largest request body accepted, in bytes. Default 32 MiB.
    pub max_body_bytes: usize,
    /// A folder of extra mapping files and disease templates (same layout as the built-in
    /// `mappings/`: `csv/NAME.toml`, `diseases/nanbyo-NNN.toml`); files replace built-in ones of
    /// the same name. Default: none.
    pub mappings_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: PathBuf::from("kakehashi-data"),
            max_body_bytes: 32 * 1024 * 1024,
            mappings_dir: None,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

impl Config {
    /// Reads a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let c: Config = toml::from_str("listen = \"0.0.0.0:9000\"").unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.data_dir, PathBuf::from("kakehashi-data"));
        let err =
            toml::from_str::<Config>("listen = \"127.0.0.1:1\"\ndata_dri = \"x\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `data_dri`"),
            "{err}"
        );
    }
}
