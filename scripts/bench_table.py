#!/usr/bin/env python3
"""The table scripts/bench.sh prints: every criterion figure of the run with its baseline from
the same run, the ratio, and the bench process's peak memory; then the instances bench's own
table. Arguments: criterion's output directory and bench.sh's output directory."""

import json
import os
import platform
import sys
from pathlib import Path

# Each figure's baseline (same group), and what the ratio means.
BASELINES = {
    ("rows", "hospital-a/adapter+checks"): "hospital-a/csv-records",
    ("rows", "clinic-b/adapter+checks"): "clinic-b/csv-records",
    ("rows", "hospital-a/adapter"): "hospital-a/csv-records",
    ("rows", "clinic-b/adapter"): "clinic-b/csv-records",
    ("sealing", "serialise+seal"): "serialise",
    ("api", "mtls/submit-10-rows"): "plain/submit-10-rows",
    ("api", "mtls/submit-130-rows"): "plain/submit-130-rows",
    ("push", "pooled/sealed"): "curl/sealed",
    ("push", "pooled/plain"): "curl/sealed",
    ("fhir", "synthea/adapter"): "synthea/serde_json::Value",
    ("fhir", "jp-clins-bundles/adapter"): "jp-clins-bundles/serde_json::Value",
    ("fhir-size", "synthea-50MB/adapter"): "synthea-5MB/adapter",
    ("ocr", "zone_ocr_form_of_2_pages"): "tesseract_cli_whole_pages_2",
    ("envelope", "seal"): "sha256",
    ("envelope", "open"): "sha256",
}
# The unit of each group's throughput.
UNITS = {
    "rows": "rows/s",
    "sealing": "sheets/s",
    "api": "submissions/s",
    "push": "deliveries/s",
    "fhir": "MB/s",
    "fhir-size": "MB/s",
    "envelope": "documents/s",
    "ocr": "pages/s",
    "console_list": "pages/s",
}
# Which bench target each group comes from (for its peak memory).
TARGETS = {
    "rows": "pipeline",
    "sealing": "pipeline",
    "api": "pipeline",
    "push": "push",
    "fhir": "throughput",
    "fhir-size": "throughput",
    "ocr": "ocr",
    "console_list": "console_list",
}


def figures(criterion: Path) -> dict:
    """(group, function) -> throughput per second, from criterion's estimates of this run."""
    found = {}
    for benchmark in criterion.glob("**/new/benchmark.json"):
        meta = json.loads(benchmark.read_text())
        estimates = json.loads((benchmark.parent / "estimates.json").read_text())
        seconds = estimates["mean"]["point_estimate"] / 1e9
        throughput = meta.get("throughput") or {}
        if "Bytes" in throughput:
            per_second = throughput["Bytes"] / seconds / 1e6
        elif "Elements" in throughput:
            per_second = throughput["Elements"] / seconds
        else:
            per_second = 1 / seconds
        found[(meta["group_id"], meta["function_id"])] = per_second
    return found


def peak_mib(out: Path, target: str) -> str:
    rss = out / f"{target}.rss"
    if not rss.exists():
        return ""
    return f"{int(rss.read_text().split()[-1]) / 1024:.0f} MiB"


def main() -> None:
    criterion, out = Path(sys.argv[1]), Path(sys.argv[2])
    found = figures(criterion)
    baselines = set(BASELINES.values())
    print(
        f"\nscripts/bench.sh on {platform.node()}: {os.cpu_count()} cores, "
        f"{platform.machine()}, Linux {platform.release()}\n"
    )
    print("| figure | per second | baseline | per second | ratio | peak memory |")
    print("|---|---:|---|---:|---:|---:|")
    for (group, function), value in sorted(found.items()):
        if function in baselines and (group, function) not in BASELINES:
            continue
        unit = UNITS.get(group, "/s")
        baseline = BASELINES.get((group, function))
        base_value = found.get((group, baseline)) if baseline else None
        ratio = f"{value / base_value:.2f}×" if base_value else ""
        print(
            f"| {group}/{function} | {value:,.1f} {unit} | {baseline or ''} | "
            f"{'' if base_value is None else f'{base_value:,.1f}'} | {ratio} | "
            f"{peak_mib(out, TARGETS.get(group, group))} |"
        )
    # Figures a bench prints itself (criterion's table cannot show them), such as the FHIR
    # bench's growth with size and peak memory of one conversion.
    printed = [
        line.removeprefix("figure: ").strip()
        for log in sorted(out.glob("*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if line.startswith("figure: ")
    ]
    if printed:
        print("\nfigures the benches printed:\n")
        print("\n".join(f"- {line}" for line in printed))
    instances = out / "instances.table"
    if instances.exists():
        print(f"\ninstances (peak memory of the largest process: {peak_mib(out, 'instances')}):")
        print(instances.read_text().strip())


if __name__ == "__main__":
    main()
