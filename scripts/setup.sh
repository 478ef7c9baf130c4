#!/usr/bin/env bash
# Installs the Debian packages Kakehashi needs besides the Rust toolchain: the Japanese font
# printed documents embed, the tools the tests use (a TLS scanner, pdftotext, openssl), and
# OpenSSL's headers with pkg-config, which josekit (the delivery envelope's tests) links
# against; and Tesseract with its Japanese data (the scan adapter's OCR; the headers and clang
# for bindgen); then a Python virtualenv (.venv/) with schemathesis, which fuzzes the API in scripts/test.sh,
# and fhir.resources, which tests/fhir_r4.rs validates the FHIR output with;
# and the fonts the scan adapter's independent test set prints with (Noto Sans CJK, VL Gothic,
# IPA Mincho, and the handwriting-style Klee and Kiloji); NSS's certutil and pk12util, which
# open the terminals' PKCS#12 bundles in the tests as Chrome and Firefox do; and headless
# Chromium with chromedriver and axe-core (npm), which the browser tests (tests/browser.rs)
# drive the console and check its accessibility with; cargo-fuzz, which scripts/fuzz.sh
# fuzzes the adapters with; cargo-deb, which builds the Debian package
# (scripts/package-test.sh); and psql, with which scripts/test.sh clears the test databases of
# its PostgreSQL pass.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(fonts-ipaexfont-gothic sslscan poppler-utils openssl python3 python3-venv libssl-dev
  pkg-config tesseract-ocr tesseract-ocr-jpn libtesseract-dev libleptonica-dev clang
  fonts-noto-cjk fonts-vlgothic fonts-ipafont-mincho fonts-klee fonts-kiloji libnss3-tools
  chromium chromium-driver postgresql-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The API fuzzer, and fhir.resources, which tests/fhir_r4.rs validates the FHIR output with as
# R4 JSON (tests/fhir_r4/validate.py; 6.4.0 is a release whose top-level models are R4, and it
# needs pydantic 1), pinned, in a virtualenv of their own (never the system's site-packages).
schemathesis_version=4.32.5
fhir_resources_version=6.4.0
if [[ "$(.venv/bin/schemathesis --version 2>/dev/null)" != *"$schemathesis_version"* ]] ||
  [[ "$(.venv/bin/python -c 'import fhir.resources; print(fhir.resources.__version__)' 2>/dev/null)" != "$fhir_resources_version" ]]; then
  /usr/bin/python3 -m venv --clear .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version" \
    "fhir.resources==$fhir_resources_version" "pydantic<2"
fi

# fhirpath.js (npm), which tests/fhir_forms.rs runs the Questionnaires' calculated expressions
# in, pinned by tests/fhirpath/package-lock.json; Node.js from Debian when the machine has none.
if ! command -v npm >/dev/null; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
fhirpath_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/fhirpath"
if [[ ! -d $fhirpath_dir/node_modules/fhirpath ]]; then
  (cd "$fhirpath_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# axe-core (npm), which tests/browser/ injects into the console's pages, pinned by
# tests/browser/package-lock.json.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
if [[ ! -f $browser_dir/node_modules/axe-core/axe.min.js ]]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

# cargo-fuzz, pinned, built from crates.io (scripts/fuzz.sh; it builds with the nightly
# toolchain when rustup has one, else with stable and RUSTC_BOOTSTRAP=1).
cargo_fuzz_version=0.13.2
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]]; then
  cargo install --locked "cargo-fuzz@$cargo_fuzz_version"
fi

# cargo-deb, pinned, built from crates.io (`cargo deb`; scripts/package-test.sh).
cargo_deb_version=3.8.0
if [[ "$(cargo deb --version 2>/dev/null)" != *"$cargo_deb_version"* ]]; then
  cargo install --locked "cargo-deb@$cargo_deb_version"
fi
