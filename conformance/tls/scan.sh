#!/usr/bin/env bash
# TLS conformance scan: checks a running Kakehashi TLS endpoint against the CRYPTREC
# 高セキュリティ型 profile that crates/tls configures (see README.md beside this file).
#
# Usage: scan.sh HOST:PORT [CLIENT_CERT CLIENT_KEY]
#
# The gateway requires client certificates. TLS 1.3 suites can be enumerated without one,
# but sslscan enumerates TLS 1.2 suites with full handshakes, so pass a terminal certificate
# and key (e.g. a development PKI's hospital.pem and hospital.key) to see them. Without one,
# an enabled TLS 1.2 whose suites cannot be seen is reported as unverified (exit 1).
#
# Exit status: 0 conformant, 1 violations (each listed), 2 usage error or the scan failed.
set -euo pipefail

# Keep these lists identical to ALLOWED_PROTOCOLS, ALLOWED_CIPHER_SUITES and ALLOWED_GROUPS in
# crates/tls/src/server.rs (crates/tls/tests/conformance.rs checks that they are).
ALLOWED_PROTOCOLS="TLSv1.3 TLSv1.2"
ALLOWED_CIPHERS="TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305"
# Group name and IANA code point; sslscan prints the code point as id="0x001d".
ALLOWED_GROUPS="x25519=0x001d secp256r1=0x0017 secp384r1=0x0018"

usage() {
    echo "usage: $0 HOST:PORT [CLIENT_CERT CLIENT_KEY]" >&2
    exit 2
}

[[ $# -eq 1 || $# -eq 3 ]] || usage
target=$1
[[ $target == *:* ]] || usage
client_args=()
if [[ $# -eq 3 ]]; then
    for file in "$2" "$3"; do
        [[ -r $file ]] || { echo "scan.sh: cannot read $file" >&2; exit 2; }
    done
    client_args=("--certs=$2" "--pk=$3")
fi
command -v sslscan >/dev/null || { echo "scan.sh: sslscan not found (apt-get install sslscan)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "scan.sh: python3 not found" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! sslscan --no-colour "${client_args[@]}" --xml="$work/scan.xml" "$target" >"$work/scan.txt" 2>&1; then
    echo "scan.sh: sslscan failed against $target:" >&2
    cat "$work/scan.txt" >&2
    exit 2
fi

ALLOWED_PROTOCOLS=$ALLOWED_PROTOCOLS ALLOWED_CIPHERS=$ALLOWED_CIPHERS ALLOWED_GROUPS=$ALLOWED_GROUPS \
TARGET=$target WITH_CLIENT_CERT=$(( $# == 3 )) \
python3 - "$work/scan.xml" "$work/scan.txt" <<'PY'
import os
import sys
import xml.etree.ElementTree as ET

xml_path, text_path = sys.argv[1], sys.argv[2]
allowed_protocols = os.environ["ALLOWED_PROTOCOLS"].split()
allowed_ciphers = os.environ["ALLOWED_CIPHERS"].split()
allowed_groups = dict(
    (code.lower(), name)
    for name, code in (item.split("=") for item in os.environ["ALLOWED_GROUPS"].split())
)
target = os.environ["TARGET"]
with_client_cert = os.environ["WITH_CLIENT_CERT"] == "1"

try:
    test = ET.parse(xml_path).getroot().find("ssltest")
except ET.ParseError as error:
    test = None
    print(f"scan.sh: unreadable sslscan XML: {error}", file=sys.stderr)
protocols = [] if test is None else test.findall("protocol")
if test is None or not protocols:
    print(f"scan.sh: sslscan could not scan {target}:", file=sys.stderr)
    with open(text_path, encoding="utf-8", errors="replace") as text:
        sys.stderr.write(text.read())
    sys.exit(2)

violations = []


def protocol_name(element):
    kind, version = element.get("type"), element.get("version")
    return f"SSLv{version}" if kind == "ssl" else f"TLSv{version}"


enabled = [protocol_name(p) for p in protocols if p.get("enabled") == "1"]
for name in enabled:
    if name not in allowed_protocols:
        violations.append(f"protocol {name} is enabled (allowed: {', '.join(allowed_protocols)})")
if not enabled:
    violations.append("no protocol is enabled: is this a TLS endpoint?")

ciphers = test.findall("cipher")
for cipher in ciphers:
    name = cipher.get("cipher")
    if name not in allowed_ciphers:
        violations.append(f"cipher {name} accepted over {cipher.get('sslversion')} (not in the allowed list)")
for version in enabled:
    if not any(c.get("sslversion") == version for c in ciphers):
        hint = "" if with_client_cert else " (the server requires a client certificate: pass CLIENT_CERT CLIENT_KEY)"
        violations.append(f"UNVERIFIED: {version} is enabled but none of its cipher suites could be enumerated{hint}")

groups = test.findall("group")
for group in groups:
    code = (group.get("id") or "").lower()
    if code not in allowed_groups:
        violations.append(
            f"group {group.get('name')} ({code}) offered over {group.get('sslversion')} (allowed: {', '.join(allowed_groups.values())})"
        )
for cipher in ciphers:
    curve = cipher.get("curve")
    if curve is not None and curve not in ("25519", "P-256", "P-384", "prime256v1", "secp384r1"):
        violations.append(f"cipher {cipher.get('cipher')} negotiated with curve {curve}")
    if cipher.get("dhebits") is not None:
        violations.append(f"cipher {cipher.get('cipher')} uses finite-field DHE (only ECDHE is allowed)")

for element, attribute, message in (
    ("heartbleed", "vulnerable", "vulnerable to Heartbleed over {sslversion}"),
    ("compression", "supported", "TLS compression is supported (CRIME)"),
):
    for found in test.findall(element):
        if found.get(attribute) == "1":
            violations.append(message.format(sslversion=found.get("sslversion")))
renegotiation = test.find("renegotiation")
if renegotiation is not None and renegotiation.get("supported") == "1" and renegotiation.get("secure") != "1":
    violations.append("insecure client-initiated renegotiation is supported")

certificate = test.find("certificates/certificate")
certificate_summary = "not shown by sslscan"
if certificate is not None:
    signature = (certificate.findtext("signature-algorithm") or "").strip()
    key = certificate.find("pk")
    key_type = key.get("type") if key is not None else "?"
    key_bits = int(key.get("bits") or 0) if key is not None else 0
    curve = key.get("curve_name") if key is not None else None
    until = (certificate.findtext("not-valid-after") or "").strip()
    if any(weak in signature.lower() for weak in ("md5", "sha1-", "sha1with", "withsha1")):
        violations.append(f"server certificate signed with {signature}")
    if key_type == "RSA" and key_bits < 2048:
        violations.append(f"server RSA key has {key_bits} bits (at least 2048 required)")
    if key_type == "EC" and key_bits < 128:
        violations.append(f"server EC key has {key_bits} bits of strength (at least 128 required)")
    if (certificate.findtext("expired") or "").strip() == "true":
        violations.append(f"server certificate expired ({until})")
    key_text = f"{key_type} {curve}" if curve else f"{key_type} {key_bits} bits"
    certificate_summary = f"{signature}, {key_text}, valid until {until}"

print(f"TLS conformance scan of {target} (CRYPTREC 高セキュリティ型 profile)")
print(f"  protocols enabled: {' '.join(enabled) or 'none'}")
print("  cipher suites accepted:")
for cipher in ciphers:
    curve = f", curve {cipher.get('curve')}" if cipher.get("curve") else ""
    print(f"    {cipher.get('sslversion'):8} {cipher.get('cipher'):32} {cipher.get('status')}, {cipher.get('bits')} bits{curve}")
print("  key-exchange groups:")
for group in groups:
    print(f"    {group.get('sslversion'):8} {group.get('name')} ({group.get('id')})")
print(f"  certificate: {certificate_summary}")

if violations:
    print(f"FAIL: {len(violations)} violation(s):")
    for violation in violations:
        print(f"  - {violation}")
    sys.exit(1)
print("PASS: only TLS 1.2/1.3, allowed AEAD/ECDHE suites and allowed groups")
PY
