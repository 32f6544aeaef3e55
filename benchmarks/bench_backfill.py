"""The planner and executor on the real data, from a freshly loaded warehouse:

  * full backfill to `ml-ready`, and (from another fresh copy) to `features`, every season;
  * a no-op plan when everything is complete;
  * filling 50 scattered missing dates (of the models nothing reads through a long window);
  * the ETA error: predicted p50 vs actual, on a second (forced) full run and on the gap fill,
    with the timings the first run recorded in ledger.batches.

    python benchmarks/bench_backfill.py [--runs 3] [--workers 2] [--data DIR] [--loaded FILE]

Each run starts from a copy of the same loaded warehouse; figures are medians. The registry is
loaded once, so every run builds the same code.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench_build import load_once  # same folder: the raw load bench_build times

GAP_MODELS = ("precompute.player_composite_factors", "precompute.player_daily_cache", "precompute.ml_feature_store")


def backfill(p, target: str, workers: int, **kw):
    from courtside.executor import execute
    from courtside.planner.plan import make_plan
    from courtside.scope import Scope

    t0 = time.perf_counter()
    plan = make_plan(p.engine, p.registry, target, Scope(), workers=workers, **kw)
    t_plan = time.perf_counter() - t0
    run = execute(p.engine, p.registry, plan, context=p, workers=workers)
    if run.outcome != "ok":
        bad = [b for b in run.batches if b.outcome != "ok"][:3]
        raise SystemExit(f"backfill to {target} failed: {bad}")
    return plan, run, t_plan, time.perf_counter() - t0


def one_run(base: Path, tmp: Path, i: int, registry, workers: int) -> dict:
    from courtside.planner.plan import make_plan
    from courtside.project import Project
    from courtside.scope import Scope

    out: dict = {}
    # 1. ml-ready from a fresh copy
    path = tmp / f"ml{i}.duckdb"
    shutil.copy(base, path)
    with Project(path, registry=registry) as p:
        plan, run, _, total = backfill(p, "ml-ready", workers)
        out["ml_ready_s"] = total
        out["ml_ready_batches"] = len(plan.batches)
    path.unlink()
    # 2. features from a fresh copy; then no-op, forced second run and gaps on it
    path = tmp / f"feat{i}.duckdb"
    shutil.copy(base, path)
    with Project(path, registry=registry) as p:
        plan, run, _, total = backfill(p, "features", workers)
        out["features_s"] = total
        out["features_rows"] = run.rows
        out["features_first_eta"] = (plan.eta_p50, run.seconds)
        noop = []
        for _ in range(5):
            t0 = time.perf_counter()
            again = make_plan(p.engine, p.registry, "features", Scope(), workers=workers)
            noop.append(time.perf_counter() - t0)
            assert not again.batches, f"not a no-op: {again.reason_counts()}"
        out["noop_s"] = statistics.median(noop)
        # second run: forced full rebuild, ETA learned from the first
        plan2, run2, _, _ = backfill(p, "features", workers, force=True)
        out["second_eta"] = (plan2.eta_p50, plan2.eta_p90, run2.seconds)
        # 50 scattered missing dates of the leaf-side models
        days = [r[0] for r in p.engine.fetchall("SELECT game_date FROM raw.game_dates ORDER BY 1")]
        gaps = sorted(random.Random(i).sample(days, 50))
        for m in GAP_MODELS:
            p.engine.execute(f"DELETE FROM {p.registry[m].table} WHERE list_contains(?::DATE[], game_date)", [gaps])
            p.engine.execute("DELETE FROM ledger.partitions WHERE model = ? AND list_contains(?::DATE[], game_date)",
                             [m, gaps])
        plan3, run3, t_plan3, total3 = backfill(p, "features", workers)
        out["gaps_s"] = total3
        out["gaps_plan_s"] = t_plan3
        out["gaps_partitions"] = plan3.n_partitions
        out["gaps_batches"] = len(plan3.batches)
        # batches the executor ran together (a model whose SQL takes $dates fills all its gaps in one)
        out["gaps_statements"] = len({b.group if b.group is not None else b.id for b in plan3.batches})
        out["gaps_eta"] = (plan3.eta_p50, plan3.eta_p90, run3.seconds)
        # the same kind of work again (other dates): now the history holds one-date batches
        gaps = sorted(random.Random(100 + i).sample([d for d in days if d not in set(gaps)], 50))
        for m in GAP_MODELS:
            p.engine.execute(f"DELETE FROM {p.registry[m].table} WHERE list_contains(?::DATE[], game_date)", [gaps])
            p.engine.execute("DELETE FROM ledger.partitions WHERE model = ? AND list_contains(?::DATE[], game_date)",
                             [m, gaps])
        plan4, run4, _, _ = backfill(p, "features", workers)
        out["gaps2_eta"] = (plan4.eta_p50, plan4.eta_p90, run4.seconds)
    path.unlink()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", default=None)
    ap.add_argument("--loaded", default=None, help="reuse a loaded warehouse file instead of loading")
    args = ap.parse_args()
    from courtside.models.registry import load_registry

    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        base = tmp / "loaded.duckdb"
        if args.loaded:
            shutil.copy(args.loaded, base)
        else:
            t0 = time.perf_counter()
            load_once(args.data, base)
            print(f"loaded the raw layer in {time.perf_counter() - t0:.1f}s")
        results = []
        for i in range(args.runs):
            results.append(one_run(base, tmp, i, registry, args.workers))
            print(f"run {i + 1}/{args.runs}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                                    for k, v in results[-1].items()), flush=True)

    def med(key, idx=None):
        vals = [r[key] if idx is None else r[key][idx] for r in results]
        return statistics.median(vals)

    def eta_err(key):
        return statistics.median([(r[key][0] - r[key][-1]) / r[key][-1] * 100 for r in results])

    print(f"runs: {args.runs}, workers: {args.workers}, models: "
          f"{len([m for m in registry if m.kind != 'source'])} buildable")
    print(f"full backfill to ml-ready ({results[0]['ml_ready_batches']} batches): median {med('ml_ready_s'):.1f} s")
    print(f"full backfill to features ({results[0]['features_rows']} rows):   median {med('features_s'):.1f} s"
          "   target <= 15 s")
    print(f"no-op plan when complete:          median {med('noop_s'):.2f} s   target <= 1 s")
    print(f"50 scattered missing dates x {len(GAP_MODELS)} models ({results[0]['gaps_partitions']} partitions, "
          f"{results[0]['gaps_batches']} batches, {results[0]['gaps_statements']} statements): median {med('gaps_s'):.1f} s (plan {med('gaps_plan_s'):.2f} s)"
          "   target <= 5 s")
    print(f"ETA on the first run (default, no history): p50 {med('features_first_eta', 0):.1f} s vs actual "
          f"{med('features_first_eta', 1):.1f} s ({eta_err('features_first_eta'):+.0f}%)")
    print(f"ETA on the second full run: p50 {med('second_eta', 0):.1f} s (p90 {med('second_eta', 1):.1f}) vs actual "
          f"{med('second_eta', 2):.1f} s: error {eta_err('second_eta'):+.0f}%   target within +-30%")
    print(f"ETA on the first gap fill (history: season batches only): p50 {med('gaps_eta', 0):.2f} s "
          f"(p90 {med('gaps_eta', 1):.2f}) vs actual {med('gaps_eta', 2):.2f} s: error {eta_err('gaps_eta'):+.0f}%")
    print(f"ETA on a second gap fill (50 other dates): p50 {med('gaps2_eta', 0):.2f} s "
          f"(p90 {med('gaps2_eta', 1):.2f}) vs actual {med('gaps2_eta', 2):.2f} s: error {eta_err('gaps2_eta'):+.0f}%")


if __name__ == "__main__":
    main()
