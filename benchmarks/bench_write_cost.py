"""Where a full build's time goes: each model's statement over every season, computed into memory vs
written into the warehouse file.

    python benchmarks/bench_write_cost.py [--runs 3] [--data DIR] [--loaded FILE]

From a loaded warehouse, builds every model the feature store needs once (so each model's upstream
tables exist), then times each model's own statement over every game date three ways (medians of
--runs): counting its rows (nothing materialised; DuckDB prunes unread columns, so this is a floor),
into a TEMP table (in memory, uncompressed), and into a table of the warehouse file (compressed and
written as the build does). The last minus the second is what persisting the rows costs; bench_build
times the build itself, ledger and checks included.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench_build import build_features, load_once  # same folder: the raw load and the builds bench_build times


def load_and_build(data: str | None, path: Path, loaded: str | None) -> None:
    if loaded:
        shutil.copy(loaded, path)
    else:
        load_once(data, path)
    build_features(path)


def median_seconds(con, sql: str, runs: int, before: str | None = None) -> float:
    times = []
    for _ in range(runs):
        if before:
            con.execute(before)
        t = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    from courtside.build import render
    from courtside.project import Project

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", default=None)
    ap.add_argument("--loaded", default=None, help="reuse a loaded warehouse file instead of loading")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "built.duckdb"
        load_and_build(args.data, path, args.loaded)
        with Project(path, args.data) as p:
            con = p.engine.con
            first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
            print(f"{'model':<45} {'rows':>8} {'cols':>5} {'count':>7} {'memory':>7} {'file':>7} {'write':>7}  (s)")
            totals = [0.0, 0.0, 0.0]
            for name in p.registry.ancestors("precompute.ml_feature_store"):
                model = p.registry[name]
                if model.kind != "sql":
                    continue
                sql = render(model.sql, first, last)
                rows, cols = p.engine.scalar(f"SELECT count(*) FROM {model.table}"), len(p.engine.columns(model.table))
                figures = (
                    median_seconds(con, f"SELECT count(*) FROM ({sql})", args.runs),
                    median_seconds(con, f"CREATE TEMP TABLE _bench AS {sql}", args.runs, "DROP TABLE IF EXISTS temp._bench"),
                    median_seconds(con, f"CREATE TABLE main._bench AS {sql}", args.runs, "DROP TABLE IF EXISTS main._bench"),
                )
                con.execute("DROP TABLE IF EXISTS temp._bench")
                con.execute("DROP TABLE IF EXISTS main._bench")
                totals = [a + b for a, b in zip(totals, figures)]
                print(f"{name:<45} {rows:>8} {cols:>5} " + " ".join(f"{f:7.3f}" for f in figures)
                      + f" {figures[2] - figures[1]:7.3f}")
            print(f"{'sum':<60} " + " ".join(f"{f:7.3f}" for f in totals) + f" {totals[2] - totals[1]:7.3f}")
            print(f"persisting the rows: {100 * (totals[2] - totals[1]) / totals[2]:.0f}% of the statements' time")


if __name__ == "__main__":
    main()
