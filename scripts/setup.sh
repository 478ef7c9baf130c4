#!/usr/bin/env bash
# Installs the Debian packages Kakehashi needs besides the Rust toolchain: the Japanese font
# printed documents embed, the tools the tests use (a TLS scanner, pdftotext, openssl), and
# OpenSSL's headers with pkg-config, which josekit (the delivery envelope) links against; and
# Tesseract with its Japanese data (the scan adapter's OCR; the headers and clang for bindgen);
# and the fonts the scan adapter's independent test set prints with (Noto Sans CJK, VL Gothic,
# IPA Mincho, and the handwriting-style Klee and Kiloji).
set -euo pipefail
packages=(fonts-ipaexfont-gothic sslscan poppler-utils openssl python3 libssl-dev pkg-config
  tesseract-ocr tesseract-ocr-jpn libtesseract-dev libleptonica-dev clang
  fonts-noto-cjk fonts-vlgothic fonts-ipafont-mincho fonts-klee fonts-kiloji)
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
