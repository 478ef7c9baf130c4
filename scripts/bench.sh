#!/usr/bin/env bash
# Every benchmark of the project, in release, each figure beside its baseline from the same run,
# and one table: figure, baseline, ratio, peak memory. The criterion benches (CSV rows, sealing,
# API submissions, push, console list, FHIR, OCR, the delivery envelope) run with short
# measurement times; then the instances bench (SQLite against 1–3 instances on PostgreSQL)
# prints its own table.
#
#   scripts/bench.sh                  everything (about 15 minutes on two cores, after the build)
#   scripts/bench.sh push fhir        only the benches named (target names)
#
# KAKEHASHI_BENCH_MEASURE sets criterion's measurement seconds per figure (default 5). Peak
# memory is the largest resident set of the bench process or any process it waited for (the
# gateway, for the API benches), from /usr/bin/time. Run it on an idle machine: everything here
# shares the cores, and the table says which machine it ran on.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "scripts/bench.sh: $tool not found; run scripts/setup.sh first" >&2; exit 1; }
done
measure=${KAKEHASHI_BENCH_MEASURE:-5}
out=$PWD/target/bench
rm -rf "$out" target/criterion
mkdir -p "$out"
export CRITERION_HOME=$PWD/target/criterion OMP_THREAD_LIMIT=1

echo "bench.sh: building the benches in release …" >&2
cargo bench --locked --no-run --message-format=json \
  -p kakehashi -p kakehashi-adapter-fhir -p kakehashi-adapter-scan -p kakehashi-envelope \
  2>"$out/build.log" \
  | python3 -c '
import json, sys, os
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and "bench" in m["target"]["kind"] and m.get("executable"):
        print(m["target"]["name"], os.path.dirname(m["manifest_path"]), m["executable"])
' > "$out/benches" || { tail -30 "$out/build.log" >&2; exit 1; }

while read -r name dir executable; do
  if [[ $# -gt 0 && ! " $* " == *" $name "* ]]; then continue; fi
  echo "bench.sh: $name …" >&2
  if [[ $name == instances ]]; then
    (cd "$dir" && /usr/bin/time -f %M -o "$out/$name.rss" "$executable" --bench) \
      > "$out/$name.table"
  else
    (cd "$dir" && /usr/bin/time -f %M -o "$out/$name.rss" "$executable" --bench \
      --warm-up-time 1 --measurement-time "$measure" --noplot) > "$out/$name.log" 2>&1 \
      || { tail -30 "$out/$name.log" >&2; exit 1; }
  fi
done < "$out/benches"

python3 scripts/bench_table.py "$CRITERION_HOME" "$out"
