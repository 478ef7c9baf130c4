#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: formatting, lints, then unit, end-to-end and
# conformance tests. Needs only the Rust toolchain; SQLite is built in.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "scripts/test.sh: cargo not found; install Rust with rustup first" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
