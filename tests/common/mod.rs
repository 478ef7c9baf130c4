//! A running `kakehashi serve` for end-to-end tests: the real binary on an ephemeral loopback
//! port over a temporary data directory, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct Gateway {
    child: Child,
    pub base: String,
}

impl Gateway {
    /// Starts the gateway on `data_dir` with extra `kakehashi.toml` lines.
    pub fn start(data_dir: &Path, config: &str) -> Self {
        let config_path = data_dir.with_extension("toml");
        std::fs::write(&config_path, format!("listen = \"127.0.0.1:0\"\n{config}")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kakehashi"))
            .args(["serve", "--config"])
            .arg(&config_path)
            .arg("--data-dir")
            .arg(data_dir)
            .env("KAKEHASHI_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("kakehashi starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a start-up line");
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in start-up line {line:?}"))
            .to_owned();
        Self { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A file of the conformance corpus.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance/corpus/csv")
        .join(name)
}
