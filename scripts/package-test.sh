#!/usr/bin/env bash
# The Debian package, end to end: builds it (`cargo deb`, a release build), installs it with
# dpkg (apt-get for missing dependencies) and again (the maintainer scripts are idempotent),
# checks the installed unit with systemd-analyze when there is one, starts the installed
# binary as its system user on the installed configuration (no systemd needed: runuser),
# waits for /v1/healthz over mutual TLS with the development PKI the first start makes, and
# removes the package, then purges it, its user and its data directory, so the machine is left
# as it was (apart from dependencies apt installed). As root (CI is root). It refuses a
# machine where the package, its user, /etc/kakehashi or /var/lib/kakehashi already exist: it
# deletes them afterwards.
#
# `--debug-build` packages the debug binary already built (target/debug/kakehashi) instead of
# making a release build, which takes most of an hour on two cores: CI uses it to test the
# packaging, the maintainer scripts and serving from the installed files in minutes. Releases
# are built without it. (cargo-deb warns that it will refuse the dev profile one day.)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
build=(cargo deb --locked)
if [[ ${1:-} == --debug-build ]]; then
  [[ -x target/debug/kakehashi ]] || { echo "package-test: --debug-build needs target/debug/kakehashi (cargo build --bin kakehashi)" >&2; exit 2; }
  build=(cargo deb --locked --profile dev --no-build)
elif [[ -n ${1:-} ]]; then
  echo "usage: scripts/package-test.sh [--debug-build]" >&2
  exit 2
fi
say() { echo "package-test: $* ($((SECONDS - started)) s)"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "package-test: run as root: it installs and removes a package" >&2
  exit 2
fi
state=$(dpkg-query -W -f='${db:Status-Status}' kakehashi 2>/dev/null || true)
if [[ -n $state && $state != not-installed ]]; then
  echo "package-test: kakehashi is already on this machine ($state); refusing to remove it" >&2
  exit 2
fi
for path in /etc/kakehashi /var/lib/kakehashi; do
  if [[ -e $path ]]; then
    echo "package-test: $path exists; refusing to delete it afterwards" >&2
    exit 2
  fi
done
if getent passwd kakehashi >/dev/null || getent group kakehashi >/dev/null; then
  echo "package-test: the user or group kakehashi exists; refusing to delete it afterwards" >&2
  exit 2
fi

work=$(mktemp -d)
server=""
cleanup() {
  status=$?
  if [[ -n $server ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if [[ $status -ne 0 && -f $work/serve.log ]]; then
    echo "package-test: the gateway's log:" >&2
    cat "$work/serve.log" >&2
  fi
  dpkg --purge kakehashi >/dev/null 2>&1 || true
  rm -rf /var/lib/kakehashi
  if getent passwd kakehashi >/dev/null; then deluser --quiet --system kakehashi 2>/dev/null || true; fi
  if getent group kakehashi >/dev/null; then delgroup --quiet --system kakehashi 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

"${build[@]}"
deb=$(ls -t target/debian/kakehashi_*.deb | head -n 1)
say "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | grep -E '^ (Depends|Version):'

if ! dpkg -i "$deb"; then
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq --no-install-recommends
fi
say "installed"
[[ $(stat -c '%U %a' /var/lib/kakehashi) == "kakehashi 700" ]] ||
  { echo "package-test: /var/lib/kakehashi is $(stat -c '%U %a' /var/lib/kakehashi)" >&2; exit 1; }
if command -v systemd-analyze >/dev/null; then
  # After installing: verify also checks that ExecStart's binary is there.
  systemd-analyze verify --man=no "$(dpkg -L kakehashi | grep '/kakehashi\.service$')"
  say "systemd-analyze verify: the unit is valid"
fi
# Installing again runs the maintainer scripts again: they must be idempotent.
dpkg -i "$deb" >/dev/null
say "installed again"

(cd / && exec runuser -u kakehashi -- /usr/bin/kakehashi serve \
  --config /etc/kakehashi/kakehashi.toml --listen 127.0.0.1:0) >"$work/serve.out" 2>"$work/serve.log" &
server=$!
base=""
for _ in $(seq 1 300); do
  base=$(grep -o 'https://[0-9.]*:[0-9]*' "$work/serve.out" || true)
  [[ -n $base ]] && break
  kill -0 "$server" 2>/dev/null || { echo "package-test: the gateway exited" >&2; exit 1; }
  sleep 0.2
done
[[ -n $base ]] || { echo "package-test: the gateway did not listen within 60 s" >&2; exit 1; }
certs=/var/lib/kakehashi/certs
health=$(curl --silent --show-error --fail --cacert "$certs/ca.pem" \
  --cert "$certs/hospital.pem" --key "$certs/hospital.key" "$base/v1/healthz")
[[ $health == '{"status":"ok"}' ]] || { echo "package-test: healthz said $health" >&2; exit 1; }
say "the installed gateway answers $base/v1/healthz over mutual TLS: $health"
# Without a terminal certificate the handshake itself is refused.
if curl --silent --cacert "$certs/ca.pem" "$base/v1/healthz" >/dev/null 2>&1; then
  echo "package-test: the gateway answered a client without a certificate" >&2
  exit 1
fi
[[ $(stat -c '%U' /var/lib/kakehashi/kakehashi.sqlite3) == kakehashi ]]

kill "$server"
wait "$server" || true
server=""
dpkg -r kakehashi >/dev/null
[[ ! -e /usr/bin/kakehashi && -e /etc/kakehashi/kakehashi.toml ]] ||
  { echo "package-test: dpkg -r should remove the binary and keep the conffile" >&2; exit 1; }
say "removed (the configuration stays until purge; cleaning up)"
