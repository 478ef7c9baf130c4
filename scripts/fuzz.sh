#!/usr/bin/env bash
# Fuzzes every adapter's input path and the delivery envelope's opening (the cargo-fuzz
# targets in fuzz/fuzz_targets/) for a bounded time each — SECONDS_PER_TARGET, 60 by default —
# starting from the committed seeds in fuzz/corpus/TARGET/. What a run learns goes to
# fuzz/grown/TARGET/ (not committed), so local runs carry on where the last one stopped. Exits
# non-zero when any target crashes, leaks, runs out of memory or hangs on an input, naming the
# saved input and the command that replays it.
#
# cargo-fuzz needs nightly's sanitizer flags: the `nightly` toolchain when rustup has one, else
# the stable toolchain with RUSTC_BOOTSTRAP=1. Needs cargo-fuzz (scripts/setup.sh installs it).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2; }

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
"${fuzz[@]}" --version >/dev/null 2>&1 || { echo "scripts/fuzz.sh: cargo-fuzz not found; run scripts/setup.sh first" >&2; exit 1; }

# Leaks, memory and hangs count as failures too: a gateway reads these inputs from the network.
# -rss_limit_mb bounds the whole process (sanitizer shadow included), -malloc_limit_mb one
# allocation, -timeout one input.
options=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=60 -print_final_stats=1)

started=$SECONDS
"${fuzz[@]}" build
echo "scripts/fuzz.sh: fuzz targets built in $((SECONDS - started)) s"

mapfile -t targets < <("${fuzz[@]}" list)
logs=fuzz/logs
mkdir -p "$logs"
passed=0
failed=()
for target in "${targets[@]}"; do
  [[ -d fuzz/corpus/$target ]] || { echo "scripts/fuzz.sh: no seeds in fuzz/corpus/$target" >&2; exit 1; }
  mkdir -p "fuzz/grown/$target"
  log=$logs/$target.log
  echo "scripts/fuzz.sh: $target for ${seconds} s"
  # The first corpus directory takes what the run finds; the seeds are only read.
  if "${fuzz[@]}" run "$target" "fuzz/grown/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" "${options[@]}" >"$log" 2>&1; then
    passed=$((passed + 1))
  else
    failed+=("$target")
    tail -n 60 "$log" >&2
    artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | cut -d' ' -f5 || true)
    if [[ -n $artifact ]]; then
      echo "scripts/fuzz.sh: $target FAILED; the input is $artifact — replay it with: ${fuzz[*]} run $target $artifact" >&2
    else
      echo "scripts/fuzz.sh: $target FAILED without a saved input; the whole log is $log" >&2
    fi
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  coverage=$(grep -oE '(pulse|DONE|NEW|REDUCE) +cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 |
    grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || echo 'no coverage line')
  echo "scripts/fuzz.sh: $target: $execs executions, $coverage"
done
echo "scripts/fuzz.sh: ${#targets[@]} targets in $((SECONDS - started)) s"
echo "fuzz: $passed passed, ${#failed[@]} failed"
((${#failed[@]} == 0)) || { echo "scripts/fuzz.sh: failed: ${failed[*]}" >&2; exit 1; }
