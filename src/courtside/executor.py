"""A small generic DAG runner over the batches of a plan.

Batches run in dependency order; independent ones in parallel on `workers` threads (each thread uses
its own DuckDB cursor, engine.con; the write primitive makes each batch one transaction), never two
batches of the same model at once. Each batch first leases its (model, dates), then builds, then
records its timing and outcome in ledger.batches, then releases. A failed batch's dependents are
skipped and reported; the rest go on; a rerun plans again from coverage and so resumes exactly what
is left.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from courtside.build import build
from courtside.console import Console, NullConsole
from courtside.errors import LeaseHeld
from courtside.ledger import end_run, new_run_id, record_batch, start_run
from courtside.models.registry import Registry
from courtside.planner import leases
from courtside.planner.plan import Batch, Plan

LEASE_SECONDS = 600.0


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: int
    model: str
    start: dt.date
    end: dt.date
    n_dates: int
    outcome: str          # ok | failed | skipped | lease_held
    rows: int = 0
    expected: int | None = None
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    run_id: str
    target: str
    outcome: str          # ok | failed | nothing_to_do | interrupted
    plan_hash: str
    seconds: float
    eta_p50: float
    eta_p90: float
    batches: tuple[BatchOutcome, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for b in self.batches if b.outcome == outcome)

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.batches if b.outcome == "ok")


def execute(engine, registry: Registry, plan: Plan, *, context: object | None = None,
            console: Console | None = None, workers: int = 1, command: str = "backfill",
            lease_seconds: float = LEASE_SECONDS, lease_wait: float = 0.0) -> RunReport:
    console = console or NullConsole()
    run_id = new_run_id()
    t0 = time.perf_counter()
    if not plan.batches:
        return RunReport(run_id, plan.target, "nothing_to_do", plan.hash, 0.0, 0.0, 0.0, ())
    start_run(engine, run_id, command, plan.hash)
    holder = leases.holder_for(run_id)
    results: dict[int, BatchOutcome] = {}
    outcome = "interrupted"
    progress = console.progress(plan.n_partitions, f"{plan.target}: {len(plan.batches)} batches")
    try:
        with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="courtside") as pool:
            running: dict = {}
            while True:
                _schedule(plan, results, running, pool, engine, registry, run_id, holder, context,
                          lease_seconds, lease_wait, workers)
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = running.pop(fut)
                    res = fut.result()
                    results[batch.id] = res
                    progress.advance(batch.n_dates, f"{batch.label()} {res.outcome}")
                    if res.outcome != "ok":
                        console.warn(f"{batch.label()}: {res.outcome}: {res.error}")
        failed = sum(1 for r in results.values() if r.outcome in ("failed", "lease_held"))
        outcome = "failed" if failed else "ok"
    finally:
        progress.close()
        leases.release_all(engine, holder)
        n = {k: sum(1 for r in results.values() if r.outcome == k) for k in ("ok", "failed", "skipped", "lease_held")}
        end_run(engine, run_id, outcome, n["ok"], n["failed"] + n["lease_held"], n["skipped"])
    ordered = tuple(results[b.id] for b in plan.batches if b.id in results)
    return RunReport(run_id, plan.target, outcome, plan.hash, time.perf_counter() - t0,
                     plan.eta_p50, plan.eta_p90, ordered)


def _schedule(plan, results, running, pool, engine, registry, run_id, holder, context,
              lease_seconds, lease_wait, workers) -> None:
    """Skip what can no longer run; start what is ready (deps ok, model idle, a worker free)."""
    busy = {b.model for b in running.values()}
    started = {b.id for b in running.values()}
    for b in plan.batches:
        if b.id in results or b.id in started:
            continue
        bad = [d for d in b.depends_on if d in results and results[d].outcome != "ok"]
        if bad:
            up = plan.batches[bad[0]]
            results[b.id] = BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "skipped",
                                         error=f"upstream batch #{up.id} {up.label()} {results[bad[0]].outcome}")
            record_batch(engine, run_id, b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, 0.0,
                         "skipped", results[b.id].error)
            continue
        if len(running) >= max(workers, 1) or b.model in busy:
            continue
        if all(d in results for d in b.depends_on):
            fut = pool.submit(_run_batch, engine, registry, b, run_id, holder, context, lease_seconds, lease_wait)
            running[fut] = b
            busy.add(b.model)
            started.add(b.id)


def _run_batch(engine, registry, b: Batch, run_id, holder, context, lease_seconds, lease_wait) -> BatchOutcome:
    try:
        leases.acquire(engine, b.model, list(b.dates), holder, lease_seconds, lease_wait)
    except LeaseHeld as exc:
        record_batch(engine, run_id, b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, 0.0, "lease_held", str(exc))
        return BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "lease_held", error=str(exc))
    t0 = time.perf_counter()
    try:
        res = build(engine, registry, b.model, b.start, b.end, run_id, context=context)
        secs = time.perf_counter() - t0
        record_batch(engine, run_id, b.model, b.start, b.end, res.dates, res.rows, res.expected, secs, "ok")
        return BatchOutcome(b.id, b.model, b.start, b.end, res.dates, "ok", res.rows, res.expected, secs)
    except Exception as exc:  # recorded with its error; the run goes on with what does not depend on it
        secs = time.perf_counter() - t0
        err = f"{type(exc).__name__}: {exc}"
        try:
            engine.con.execute("ROLLBACK")
        except Exception:
            pass
        record_batch(engine, run_id, b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, secs, "failed", err)
        return BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "failed", 0, b.expected_rows, secs, err)
    finally:
        leases.release(engine, b.model, list(b.dates), holder)
