"""Time to build every analytics and precompute model (and the prop lines the feature store reads) over every season from a loaded warehouse,
and the time of one extra single-date batch of each model (on a mid-season date, game date #400): repeated in the
process that built everything, and once per model in a freshly opened warehouse (the daily path's case).

    python benchmarks/bench_build.py [--runs 5] [--singles 5] [--data DIR]

Each run starts from a copy of the same freshly loaded warehouse; figures are medians (a model's
single-date figure: over every run and every repeat of it). A single-date batch is timed as the executor
runs one inside a backfill: build() given the game calendar the run read once (not re-read per batch).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

def load_once(data: str | None, path: Path) -> None:
    from courtside.project import Project
    from courtside.sources.load import load_all

    with Project(path, data) as p:
        load_all(p.engine, p.data_dir)


def build_features(path: Path) -> None:
    """Build every model the feature store needs over every game date (untimed set-up for other benchmarks)."""
    from courtside.build import build
    from courtside.ledger import new_run_id
    from courtside.project import Project

    with Project(path) as p:
        first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
        for name in p.registry.ancestors("precompute.ml_feature_store"):
            if p.registry[name].kind != "source":
                build(p.engine, p.registry, name, first, last, new_run_id(), context=p)


def build_all(path: Path, singles: int = 1) -> tuple[float, dict[str, float], dict[str, list[float]]]:
    from courtside.build import build, read_calendar
    from courtside.ledger import new_run_id
    from courtside.project import Project

    with Project(path) as p:
        first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
        # Every model the feature store needs (the ten analytics/precompute models and the prop lines it reads).
        needed = p.registry.ancestors("precompute.ml_feature_store")
        models = [p.registry[n] for n in needed if p.registry[n].kind != "source"]
        per_model: dict[str, float] = {}
        t0 = time.perf_counter()
        for m in models:
            t = time.perf_counter()
            build(p.engine, p.registry, m, first, last, new_run_id(), context=p)
            per_model[m.name] = time.perf_counter() - t
        total = time.perf_counter() - t0
        # Extra single-date batches of every model, on a mid-season date (each replaces a partition the
        # full build wrote: the daily path's rebuild of one date). Repeats interleave the models.
        day = p.engine.scalar("SELECT game_date FROM raw.game_dates WHERE season_type = 'regular' "
                              "ORDER BY game_date LIMIT 1 OFFSET 400")
        single: dict[str, list[float]] = {m.name: [] for m in models}
        calendar = read_calendar(p.engine)
        for _ in range(singles):
            for m in models:
                t = time.perf_counter()
                build(p.engine, p.registry, m, day, day, new_run_id(), context=p, calendar=calendar)
                single[m.name].append(time.perf_counter() - t)
    # The daily path: the warehouse opened afresh, one batch of each model in DAG order, each the first of its
    # model in the process (nothing bound or cached yet, as in `courtside run` for one date).
    first: dict[str, float] = {}
    with Project(path) as p:
        calendar, registry = read_calendar(p.engine), p.registry   # (the registry loads once per process)
        for m in models:
            t = time.perf_counter()
            build(p.engine, registry, m.name, day, day, new_run_id(), context=p, calendar=calendar)
            first[m.name] = time.perf_counter() - t
    return total, per_model, single, first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--singles", type=int, default=5, help="single-date batches of each model per run")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "loaded.duckdb"
        load_once(args.data, base)
        totals: list[float] = []
        singles: dict[str, list[float]] = {}
        firsts: dict[str, list[float]] = {}
        per: dict[str, list[float]] = {}
        for i in range(args.runs):
            copy = Path(tmp) / f"run{i}.duckdb"
            shutil.copy(base, copy)
            total, per_model, single, first = build_all(copy, args.singles)
            totals.append(total)
            for k, v in single.items():
                singles.setdefault(k, []).extend(v)
            for k, v in first.items():
                firsts.setdefault(k, []).append(v)
            for k, v in per_model.items():
                per.setdefault(k, []).append(v)
            copy.unlink()
    print(f"models built: {len(per)} (ancestors of the feature store), runs: {args.runs}")
    for name, values in per.items():
        print(f"  {name:<45} median {statistics.median(values):6.2f} s")
    print(f"all models, every season: median {statistics.median(totals):.2f} s "
          f"(min {min(totals):.2f}, max {max(totals):.2f})   target <= 5 s")
    print(f"one extra single-date batch of each model (median of {args.runs} x {args.singles}):   target <= 50 ms")
    worst = _per_model(singles)
    print(f"one extra single-date batch, slowest model: median {1000 * statistics.median(singles[worst]):.0f} ms "
          f"({worst}; 90th percentile of its batches {1000 * _p90(singles[worst]):.0f} ms)   target <= 50 ms")
    print(f"the daily path: the first single-date batch of each model in a freshly opened warehouse "
          f"(median of {args.runs})")
    worst = _per_model(firsts)
    print(f"first single-date batch in a fresh process, slowest model: median "
          f"{1000 * statistics.median(firsts[worst]):.0f} ms ({worst})")


def _per_model(seconds: dict[str, list[float]]) -> str:
    """Print each model's median in ms; return the slowest model (the target holds for every model, so the
    summary lines are the slowest model's)."""
    for name, values in seconds.items():
        print(f"  {name:<45} median {1000 * statistics.median(values):6.0f} ms")
    return max(seconds, key=lambda k: statistics.median(seconds[k]))


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


if __name__ == "__main__":
    main()
