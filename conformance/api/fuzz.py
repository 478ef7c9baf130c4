#!/usr/bin/env python3
"""Schemathesis against the gateway's own OpenAPI document, as each kind of person.

Starts the real gateway on a fresh data directory (development PKI made on the way), creates a
clerk and a designated doctor of the development hospital, an officer of the development
municipality and an administrator of the operator, logs each in through their terminal's
client certificate, seeds a few real objects (a submission, a confirmed and consented sheet, an
imported Mynaportal application) so generated requests reach real ids, and runs

    schemathesis run URL --mode all -n N --seed S -w 1
        --request-cert T.pem --request-cert-key T.key --tls-verify ca.pem
        -H "Authorization: Bearer TOKEN"

once per person — and once as an app's back end (its terminal and machine credential) — with
every check on and the allow-list in conformance/api/schemathesis.toml
(every entry says why; `--checks all` on the command line would override it).
Exits 1 when a run fails. Part of scripts/test.sh; bounded by --max-time per person.

Usage: conformance/api/fuzz.py PATH_TO_KAKEHASHI [SCHEMATHESIS]
Environment: KAKEHASHI_FUZZ_EXAMPLES (default 12), KAKEHASHI_FUZZ_SECONDS (per person, default
120), KAKEHASHI_FUZZ_SEED (default 20261121).
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import pathlib
import re
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PASSWORD = "fuzzing-passphrase-of-the-ci"
HOSPITAL = "hospital:1310000017"
MUNICIPALITY = "municipality:130001"
OPERATOR = "operator:kakehashi"


def totp(secret: str, at: float) -> str:
    """RFC 6238: SHA-1, 6 digits, 30-second steps (as src/auth/totp.rs)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


class Gateway:
    def __init__(self, binary: pathlib.Path, work: pathlib.Path):
        self.binary = binary
        self.work = work
        self.config = work / "kakehashi.toml"
        self.certs = work / "data" / "certs"
        self.config.write_text(
            f'listen = "127.0.0.1:0"\ndata_dir = "{work / "data"}"\n'
            "[security]\n"
            # Fuzzing sends thousands of requests and wrong logins on purpose.
            "requests_per_second_per_terminal = 5000\n"
            "requests_per_second_per_address = 10000\n"
            "block_after_failures = 1000000\n"
            "bulk_read_alert_per_hour = 1000000\n"
            "[access_keys]\n"
            "failures_before_block = 1000000\n"
        )
        env = dict(os.environ, KAKEHASHI_LOG="warn", OMP_THREAD_LIMIT="1")
        self.out = open(work / "out", "w")
        self.err = open(work / "err", "w")
        self.process = subprocess.Popen(
            [str(binary), "serve", "--config", str(self.config)],
            stdout=self.out,
            stderr=self.err,
            env=env,
        )
        for _ in range(600):
            text = (work / "out").read_text()
            found = re.search(r"https://([0-9.]+:[0-9]+)", text)
            if found:
                self.address = found.group(1)
                return
            if self.process.poll() is not None:
                sys.stderr.write((work / "err").read_text())
                raise SystemExit("fuzz.py: the gateway did not start")
            time.sleep(0.1)
        raise SystemExit("fuzz.py: the gateway did not say where it listens")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def connection(self, terminal: str) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.certs / "ca.pem"))
        context.load_cert_chain(
            str(self.certs / f"{terminal}.pem"), str(self.certs / f"{terminal}.key")
        )
        host, port = self.address.split(":")
        return http.client.HTTPSConnection(host, int(port), context=context)

    def call(self, terminal, method, path, body=None, token=None, content_type=None):
        connection = self.connection(terminal)
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data


def cli(gateway: Gateway, *args: str) -> str:
    """The administrator's command line against the fuzzed gateway's configuration."""
    return subprocess.run(
        [str(gateway.binary), *args, "--config", str(gateway.config)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, KAKEHASHI_LOG="warn"),
    ).stdout


def add_user(gateway: Gateway, user: str, organisation: str, role: str) -> dict:
    out = cli(
        gateway,
        "users", "add", "--user", user, "--organisation", organisation, "--role", role,
        "--name", user,
    )
    return json.loads(out)


def app(gateway: Gateway, officer: str) -> str:
    """An application vendor with its own terminal (`fuzz-app`), accepted by the development
    municipality: its machine credential, which the intake endpoints take as the bearer."""
    name = "ファズ申請アプリ"
    cli(gateway, "organisations", "add", "--kind", "app", "--code", "fuzz", "--name", name)
    cli(gateway, "certs", "issue", "fuzz-app", "--organisation", name)
    cli(gateway, "terminals", "add", "fuzz-app", "--organisation", "app:fuzz")
    issued = json.loads(cli(gateway, "apps", "credential", "--app", "app:fuzz"))
    status, body = gateway.call(
        "municipality",
        "POST",
        "/v1/applications/accepted-apps",
        {"app_id": "app:fuzz", "accepted": True},
        token=officer,
    )
    if status != 200:
        raise SystemExit(f"fuzz.py: accepting the app failed: {status} {body}")
    return issued["credential"]


def login(gateway, terminal, user, password, secret):
    for attempt in range(3):
        code = totp(secret, time.time()) if secret else None
        status, body = gateway.call(
            terminal,
            "POST",
            "/v1/auth/login",
            {"user_id": user, "password": password, "totp": code},
        )
        if status == 200:
            return body["token"]
        if secret and attempt < 2:
            time.sleep(31 - time.time() % 30)  # a TOTP code is good once: wait for the next
            continue
        raise SystemExit(f"fuzz.py: login of {user} failed: {status} {body}")


def person(gateway, user, organisation, role, terminal):
    issued = add_user(gateway, user, organisation, role)
    secret = issued.get("totp_secret")
    first = login(gateway, terminal, user, issued["initial_password"], secret)
    status, body = gateway.call(
        terminal,
        "POST",
        "/v1/auth/password",
        {"current_password": issued["initial_password"], "new_password": PASSWORD},
        token=first,
    )
    if status != 200:
        raise SystemExit(f"fuzz.py: password change of {user} failed: {status} {body}")
    return login(gateway, terminal, user, PASSWORD, secret)


def seed(gateway, clerk, doctor, officer):
    """A submission with sheets, a confirmed and consented sheet, an imported application."""
    corpus = ROOT / "conformance" / "corpus"
    status, submission = gateway.call(
        "hospital",
        "POST",
        "/v1/submissions?mapping=hospital-a&municipality=130001",
        (corpus / "csv" / "hospital-a.csv").read_bytes(),
        token=clerk,
        content_type="text/csv",
    )
    if status != 202:
        raise SystemExit(f"fuzz.py: seeding a submission failed: {status} {submission}")
    sheet = submission["sheets"][0]["id"]
    gateway.call("hospital", "POST", f"/v1/sheets/{sheet}/confirm", token=doctor)
    gateway.call(
        "municipality",
        "POST",
        f"/v1/sheets/{sheet}/consent",
        {"consented": True},
        token=officer,
    )
    gateway.call(
        "municipality",
        "POST",
        "/v1/applications/import",
        (corpus / "mynaportal" / "sample-download.zip").read_bytes(),
        token=officer,
        content_type="application/zip",
    )
    return {"submission": submission["id"], "sheet": sheet}


def main() -> int:
    binary = pathlib.Path(sys.argv[1]).resolve()
    schemathesis = (
        str(pathlib.Path(sys.argv[2]).resolve()) if len(sys.argv) > 2 else "schemathesis"
    )
    examples = os.environ.get("KAKEHASHI_FUZZ_EXAMPLES", "12")
    seconds = os.environ.get("KAKEHASHI_FUZZ_SECONDS", "120")
    seed_value = os.environ.get("KAKEHASHI_FUZZ_SEED", "20261121")
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        gateway = Gateway(binary, work)
        try:
            people = [
                ("clerk", "hospital", person(gateway, "clerk", HOSPITAL, "clerk", "hospital")),
                ("doctor", "hospital", person(gateway, "doctor", HOSPITAL, "doctor", "hospital")),
                (
                    "officer",
                    "municipality",
                    person(gateway, "officer", MUNICIPALITY, "municipal_officer", "municipality"),
                ),
                (
                    "administrator",
                    "operator",
                    person(gateway, "admin", OPERATOR, "administrator", "operator"),
                ),
            ]
            ids = seed(gateway, people[0][2], people[1][2], people[2][2])
            people.append(("app", "fuzz-app", app(gateway, people[2][2])))
            failed = []
            for name, terminal, token in people:
                print(f"--- schemathesis as the {name} ({terminal} terminal)", flush=True)
                report = work / f"{name}.json"
                run = subprocess.run(
                    [
                        schemathesis,
                        "--config-file",
                        str(HERE / "schemathesis.toml"),
                        "run",
                        f"https://{gateway.address}/v1/openapi.json",
                        "--mode",
                        "all",
                        "-n",
                        examples,
                        "--seed",
                        seed_value,
                        # One worker: with two, hypothesis's ast.parse in parallel threads trips
                        # CPython 3.11's "AST constructor recursion depth mismatch" (fixed in
                        # 3.12), a crash of the runner, not of the gateway.
                        "-w",
                        "1",
                        "--max-time",
                        seconds,
                        "--request-cert",
                        str(gateway.certs / f"{terminal}.pem"),
                        "--request-cert-key",
                        str(gateway.certs / f"{terminal}.key"),
                        "--tls-verify",
                        str(gateway.certs / "ca.pem"),
                        "-H",
                        f"Authorization: Bearer {token}",
                        "--no-color",
                    ],
                    env=dict(
                        os.environ,
                        KAKEHASHI_SHEET=ids["sheet"],
                        KAKEHASHI_SUBMISSION=ids["submission"],
                    ),
                    cwd=work,
                )
                if run.returncode != 0:
                    failed.append(name)
            status, health = gateway.call("hospital", "GET", "/v1/healthz")
            if status != 200:
                failed.append(f"health after fuzzing: {status} {health}")
        finally:
            gateway.stop()
            errors = (work / "err").read_text()
            if "panicked" in errors:
                sys.stderr.write(errors)
                failed = failed + ["a panic in the gateway's log"]
            elif failed:
                # What the gateway said about a failure (its log holds no personal data).
                sys.stderr.writelines(l for l in errors.splitlines(True) if "ERROR" in l)
    if failed:
        print(f"fuzz.py: schemathesis failed as: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"fuzz.py: schemathesis clean as {', '.join(name for name, _, _ in people)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
