#!/usr/bin/env bash
# Starts the real gateway on a fresh data directory (development PKI made on the way) and runs
# scan.sh against it with the development hospital terminal's certificate. Part of
# scripts/test.sh; exits as scan.sh does.
#
# Usage: conformance/tls/gateway.sh [PATH_TO_KAKEHASHI_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-"$here/../../target/debug/kakehashi"}
work=$(mktemp -d)
gateway_pid=
cleanup() {
    [[ -n $gateway_pid ]] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

KAKEHASHI_LOG=warn "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/out" 2>"$work/err" &
gateway_pid=$!
for _ in $(seq 1 100); do
    grep -q "listening on https://" "$work/out" 2>/dev/null && break
    kill -0 "$gateway_pid" 2>/dev/null || { cat "$work/err" >&2; echo "gateway.sh: the gateway did not start" >&2; exit 2; }
    sleep 0.1
done
address=$(grep -o "https://[^ ]*" "$work/out" | head -1 | sed 's|https://||')
[[ -n $address ]] || { echo "gateway.sh: no address in the gateway's output" >&2; exit 2; }
"$here/scan.sh" "$address" "$work/data/certs/hospital.pem" "$work/data/certs/hospital.key"
