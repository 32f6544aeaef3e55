"""Load every source file from scratch into a new warehouse, N times; print median wall time and peak memory.

    python benchmarks/bench_load.py [--runs 5] [--data DIR] [--json]

Each run is its own subprocess (so its peak RSS is its own) writing a fresh DuckDB file in a temp
folder. Wall time covers Project setup + load_all + close (the checkpoint to disk), not interpreter start.
Target on a 2-core machine: <= 10 s and <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from courtside.project import Project
from courtside.sources.load import load_all
t = time.perf_counter()
with Project(sys.argv[1], sys.argv[2]) as p:
    report = load_all(p.engine, p.data_dir)
seconds = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime  # includes interpreter start and imports
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "files": len(report.files),
                  "loaded": report.changed, "errors": report.errors, "phases": report.phase_seconds,
                  "rows": sum(t.rows for t in report.tables)}))
"""


def one_run(data: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / "bench.duckdb"), data],
                             check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", default=None, help="nba-data folder (default: COURTSIDE_DATA or ../shared/nba-data)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from courtside.config import data_dir

    data = str(data_dir(args.data).resolve())
    runs = [one_run(data) for _ in range(args.runs)]
    summary = {
        "runs": args.runs,
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 2),
        "max_seconds": round(max(r["seconds"] for r in runs), 2),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
        "load_average": list(os.getloadavg()),
        "median_peak_mb": round(statistics.median(r["peak_mb"] for r in runs)),
        "max_peak_mb": round(max(r["peak_mb"] for r in runs)),
        "files": runs[0]["files"], "rows": runs[0]["rows"], "errors": runs[0]["errors"],
        "per_run_seconds": [round(r["seconds"], 2) for r in runs],
        "per_run_cpu_seconds": [round(r["cpu_seconds"], 2) for r in runs],
        # where the time went inside load_all (median per phase): files = read, stage and write every file
        "median_phase_seconds": {k: round(statistics.median(r["phases"].get(k, 0.0) for r in runs), 2)
                                 for k in runs[0]["phases"]},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"load from scratch: median {summary['median_seconds']} s (max {summary['max_seconds']} s), "
              f"CPU (user+sys, all threads) median {summary['median_cpu_seconds']} s, "
              f"peak RSS median {summary['median_peak_mb']} MB (max {summary['max_peak_mb']} MB) over {args.runs} runs; "
              f"{summary['files']} files, {summary['rows']:,} rows; runs: {summary['per_run_seconds']}; "
              f"machine load average at the end {summary['load_average'][0]:.1f}")
        print("median seconds per phase: " + ", ".join(f"{k} {v}" for k, v in summary["median_phase_seconds"].items()))


if __name__ == "__main__":
    main()
