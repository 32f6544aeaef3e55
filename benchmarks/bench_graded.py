"""Time of `backfill --target graded` for every season, from a warehouse whose features are complete,
training of every walk-forward model included (the model store starts empty).

    python benchmarks/bench_graded.py [--features FILE] [--data DIR] [--runs 1] [--direct]

--features: a warehouse where everything up to precompute.ml_feature_store is built (made from the data
            when not given: load + build, not timed). --direct times the three model builds one after the
            other over the whole range instead of going through the planner.
Prints the wall time and the CPU time (user + sys) of the backfill process, or with --direct per model
the build seconds plus the number of models trained.
Then the daily path on that warehouse: every partition of one mid-season date (DAILY_DATE) is forgotten by the
ledger and `backfill --target graded` for that date rebuilds it through the whole DAG (stored models reused);
its process wall time, the run's own seconds and the plan's ETA.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_build import build_features, load_once  # same folder: the raw load and the builds bench_build times

GRADED_MODELS = ("predictions.player_baselines", "predictions.player_prop_predictions",
                 "grading.prop_lines_attested", "grading.prediction_accuracy", "grading.system_daily_performance")


def make_features(data: str | None, path: Path) -> None:
    load_once(data, path)
    build_features(path)


def run_direct(path: Path) -> dict:
    from courtside.build import build
    from courtside.project import Project

    out = {}
    with Project(path) as p:
        first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
        for name in GRADED_MODELS:
            t = time.perf_counter()
            r = build(p.engine, p.registry, name, first, last, "bench")
            out[name] = {"seconds": round(time.perf_counter() - t, 2), "rows": r.rows}
            stats = getattr(p.registry[name].python, "last_stats", None) if p.registry[name].python else None
            if stats:
                out[name].update(stats)
    return out


def run_cli(path: Path) -> dict:
    cmd = [sys.executable, "-m", "courtside", "backfill", "--target", "graded", "--warehouse", str(path),
           "--no-validate", "--json"]
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"backfill failed:\n{proc.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds (user + sys) as well: on a shared machine they move far less than the wall time
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"backfill": {"seconds": round(time.perf_counter() - t, 2), "cpu_seconds": round(cpu, 2)}}


DAILY_DATE = "2025-02-03"


def run_daily(path: Path, day: str = DAILY_DATE) -> dict:
    import json

    from courtside.project import Project

    with Project(path) as p:
        p.engine.execute("DELETE FROM ledger.partitions WHERE game_date = ?", [day])
    cmd = [sys.executable, "-m", "courtside", "backfill", "--target", "graded", "--warehouse", str(path),
           "--start", day, "--end", day, "--no-validate", "--json"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"daily backfill failed:\n{proc.stderr[-3000:]}")
    run = json.loads(proc.stdout)["run"]
    return {"wall": wall, "run": run["seconds"], "eta_p50": run["eta_p50"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", type=Path)
    ap.add_argument("--data")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--direct", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_graded_"))
    base = args.features
    if base is None:
        base = tmp / "features.duckdb"
        print("building a warehouse with complete features (not timed) ...", flush=True)
        make_features(args.data, base)
    walls, daily = [], []
    for i in range(args.runs):
        work = tmp / f"run{i}.duckdb"
        shutil.copy(base, work)
        t = time.perf_counter()
        detail = run_direct(work) if args.direct else run_cli(work)
        walls.append(time.perf_counter() - t)
        print(f"run {i + 1}: {walls[-1]:.1f} s  {detail}", flush=True)
        daily.append(run_daily(work))
        print(f"  daily path, {DAILY_DATE} through the whole DAG: {daily[-1]['wall']:.1f} s (run {daily[-1]['run']:.1f} s, "
              f"plan ETA p50 {daily[-1]['eta_p50']:.1f} s)", flush=True)
        work.unlink()
    print(f"backfill --target graded, all seasons, training included: median {statistics.median(walls):.1f} s "
          f"over {len(walls)} run(s) (target <= 60 s on 2 cores)")
    print(f"daily path (one date, whole DAG, models reused): median {statistics.median(d['wall'] for d in daily):.1f} s "
          f"process, {statistics.median(d['run'] for d in daily):.1f} s run; first-run ETA p50 "
          f"{statistics.median(d['eta_p50'] for d in daily):.1f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
