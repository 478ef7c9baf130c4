#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: formatting, lints, unit, end-to-end (real TLS
# handshakes against the real binary) and conformance tests, then a TLS scan of a running
# gateway. Needs the Rust toolchain and the Debian packages scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null; then
  echo "scripts/test.sh: cargo not found; install Rust with rustup first" >&2
  exit 1
fi
for tool in sslscan pdftotext pdftoppm tesseract openssl python3 certutil pk12util chromium chromedriver; do
  command -v "$tool" >/dev/null || { echo "scripts/test.sh: $tool not found; run scripts/setup.sh first" >&2; exit 1; }
done
[[ -f tests/browser/node_modules/axe-core/axe.min.js ]] || { echo "scripts/test.sh: axe-core not found; run scripts/setup.sh first" >&2; exit 1; }
[[ -x .venv/bin/schemathesis ]] || { echo "scripts/test.sh: .venv/bin/schemathesis not found; run scripts/setup.sh first" >&2; exit 1; }
[[ -r /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ]] || {
  echo "scripts/test.sh: the IPAex Gothic font is missing; run scripts/setup.sh first" >&2
  exit 1
}
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# The first pass is on SQLite, whatever the caller names; the PostgreSQL pass below uses this.
postgres_url=${KAKEHASHI_TEST_DATABASE_URL:-}
unset KAKEHASHI_TEST_DATABASE_URL
# libtesseract's OpenMP threads only slow OCR down on a small machine.
export OMP_THREAD_LIMIT=1

# The public FHIR examples are read in place (their licences do not all allow copying them).
fhir_corpus=${KAKEHASHI_FHIR_CORPUS:-../shared/testdata/fhir}
[[ -d $fhir_corpus ]] || fhir_corpus=/work/shared/testdata/fhir
[[ -d $fhir_corpus ]] || { echo "scripts/test.sh: FHIR corpus not found; set KAKEHASHI_FHIR_CORPUS to shared/testdata/fhir" >&2; exit 1; }
# The tests read it too (adapters/fhir/tests/round_trip.rs), from a clone anywhere.
export KAKEHASHI_FHIR_CORPUS=$(realpath "$fhir_corpus")
# Where the time goes: each step's end, in seconds from the start.
done_with() { echo "scripts/test.sh: $1 done at $SECONDS s" >&2; }
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
done_with clippy
cargo test --workspace --locked -- --skip the_independent_set --skip handwriting_style
done_with "tests on SQLite"
# The gateway's tests again on PostgreSQL when a server is named (CI names the machine's own,
# see .ci/run): the store's, the end-to-end ones, and the multi-instance kill test, which runs
# on PostgreSQL only. Each test makes a database of its own; the last run's are dropped first.
if [[ -n $postgres_url ]]; then
  command -v psql >/dev/null || { echo "scripts/test.sh: psql not found; run scripts/setup.sh first" >&2; exit 1; }
  for db in $(psql "$postgres_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'kakehashi\_test\_%'"); do
    psql "$postgres_url" -qc "DROP DATABASE \"$db\" WITH (FORCE)"
  done
  # The gateway's own test binaries as the workspace run above built them: `cargo test -p
  # kakehashi` would resolve features for that package alone (the adapters' dev-dependencies
  # drop out), rebuild the gateway and relink every test binary — minutes of CI for nothing.
  mapfile -t gateway_tests < <(
    cargo test --workspace --locked --no-run --message-format=json | python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") \
            and message["profile"]["test"] \
            and message["package_id"].rpartition("#")[2].startswith("kakehashi@"):
        print(message["executable"])'
  )
  ((${#gateway_tests[@]} > 10)) || { echo "scripts/test.sh: the gateway's test binaries were not found" >&2; exit 1; }
  for binary in "${gateway_tests[@]}"; do
    echo "scripts/test.sh: on PostgreSQL: ${binary#"$PWD/"}" >&2
    KAKEHASHI_TEST_DATABASE_URL=$postgres_url "$binary" --skip the_independent_set --skip handwriting_style
  done
  done_with "tests on PostgreSQL"
fi
# The scan adapter's independent test set, with its per-type table and review load in the log.
# `--workspace`, as above: the same features, so nothing is built again (`-p` rebuilt some 70
# crates). The gateway binary below is the one that run built too.
cargo test --workspace --locked --test independent -- --nocapture --test-threads 1
done_with "independent scan set"
target/debug/kakehashi conformance run --corpus "$fhir_corpus" --kit conformance/fhir
# Every shipped mapping held to its examples, as an integrator's CI holds theirs.
target/debug/kakehashi mapping test conformance/mappings
conformance/tls/gateway.sh target/debug/kakehashi
done_with "conformance and TLS scan"
# The API against its own OpenAPI document as clerk, doctor, officer, administrator and an app
# (schemathesis, all checks, negative data too; allow-list in conformance/api/schemathesis.toml).
.venv/bin/python conformance/api/fuzz.py target/debug/kakehashi .venv/bin/schemathesis
done_with "API fuzzing"
