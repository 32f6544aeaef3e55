"""A small generic DAG runner over the batches of a plan.

Batches run in dependency order; independent ones in parallel on `workers` threads (each thread uses
its own DuckDB cursor, engine.con; the write primitive makes each build one transaction), never two
builds of the same model at once. The batches of one plan group (Batch.group: same model, dates
together contiguous or the model's SQL takes `$dates`) are built by ONE statement: one fixed cost
instead of one per batch; if that statement fails, or meets another run's lease, its batches are
retried one by one so the failure is pinned on its own batch. Each build first leases its
(model, dates), then builds, then records every batch's timing and outcome in ledger.batches (a
group's time shared by size), then releases. A failed batch's dependents are skipped and reported;
the rest go on; a rerun plans again from coverage and so resumes exactly what is left.
"""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

from courtside.build import build, read_calendar, uses_dates
from courtside.console import Console, NullConsole
from courtside.errors import LeaseHeld
from courtside.ledger import end_run, new_run_id, record_batch, record_batches, start_run
from courtside.models.registry import Registry
from courtside.planner import leases
from courtside.planner.plan import Batch, Plan, execution_groups, makespan

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
    engine.__dict__.pop("_cs_run_calendar", None)
    holder = leases.holder_for(run_id)
    results: dict[int, BatchOutcome] = {}
    outcome = "interrupted"
    progress = console.progress(plan.n_partitions, f"{plan.target}: {len(plan.batches)} batches")
    groups = list(execution_groups(plan.batches).values())
    try:
        with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="courtside") as pool:
            running: dict = {}
            while True:
                _schedule(plan, groups, results, running, pool, engine, registry, run_id, holder, context,
                          lease_seconds, lease_wait, workers)
                if not running:
                    break
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    running.pop(fut)
                    for res in fut.result():
                        results[res.batch_id] = res
                        b = plan.batches[res.batch_id]
                        progress.advance(b.n_dates, f"{b.label()} {res.outcome}")
                        if res.outcome != "ok":
                            console.warn(f"{b.label()}: {res.outcome}: {res.error}")
        failed = sum(1 for r in results.values() if r.outcome in ("failed", "lease_held"))
        outcome = "failed" if failed else "ok"
    finally:
        engine.__dict__.pop("_cs_run_calendar", None)
        progress.close()
        leases.release_all(engine, holder)
        n = {k: sum(1 for r in results.values() if r.outcome == k) for k in ("ok", "failed", "skipped", "lease_held")}
        simulated = (makespan(list(plan.batches), {i: r.seconds for i, r in results.items()}, workers)
                     if outcome == "ok" else None)
        end_run(engine, run_id, outcome, n["ok"], n["failed"] + n["lease_held"], n["skipped"],
                time.perf_counter() - t0, simulated)
    ordered = tuple(results[b.id] for b in plan.batches if b.id in results)
    return RunReport(run_id, plan.target, outcome, plan.hash, time.perf_counter() - t0,
                     plan.eta_p50, plan.eta_p90, ordered)


def _schedule(plan, groups, results, running, pool, engine, registry, run_id, holder, context,
              lease_seconds, lease_wait, workers) -> None:
    """Skip what can no longer run; start what is ready (every batch of a group has its deps
    settled, the model idle, a worker free). A group runs the batches whose deps all succeeded."""
    busy = {bs[0].model for bs in running.values()}
    started = {b.id for bs in running.values() for b in bs}
    skipped = []
    for group in groups:
        todo = [b for b in group if b.id not in results and b.id not in started]
        if not todo:
            continue
        ready = []
        waiting = False
        for b in todo:
            bad = [d for d in b.depends_on if d in results and results[d].outcome != "ok"]
            if bad:
                up = plan.batches[bad[0]]
                results[b.id] = BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "skipped",
                                             error=f"upstream batch #{up.id} {up.label()} {results[bad[0]].outcome}")
                skipped.append(b)
            elif all(d in results for d in b.depends_on):
                ready.append(b)
            else:
                waiting = True
        if waiting or not ready or len(running) >= max(workers, 1) or group[0].model in busy:
            continue
        fut = pool.submit(_run_group, engine, registry, ready, run_id, holder, context, lease_seconds, lease_wait)
        running[fut] = ready
        busy.add(group[0].model)
        started.update(b.id for b in ready)
    if skipped:
        record_batches(engine, run_id, [(b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, 0.0, "skipped",
                                         results[b.id].error) for b in skipped])


def _run_group(engine, registry, batches: list[Batch], run_id, holder, context, lease_seconds,
               lease_wait) -> list[BatchOutcome]:
    """The batches of one group as one statement where the write primitive can (their dates contiguous,
    or the model takes `$dates`), else one by one. A group that fails (or meets a lease) is retried
    batch by batch, so the failure is pinned on its own batch and the others still land."""
    if len(batches) == 1:
        return [_run_batch(engine, registry, batches[0], run_id, holder, context, lease_seconds, lease_wait)]
    model = registry[batches[0].model]
    if uses_dates(model):
        sets = [batches]
    else:  # batches whose skipped neighbours left a hole: each contiguous run on its own
        sets = []
        for b in sorted(batches, key=lambda b: b.start):
            if sets and _adjacent(engine, sets[-1][-1].end, b.start):
                sets[-1].append(b)
            else:
                sets.append([b])
    out: list[BatchOutcome] = []
    for members in sets:
        if len(members) == 1:
            out.append(_run_batch(engine, registry, members[0], run_id, holder, context, lease_seconds, lease_wait))
            continue
        out.extend(_run_together(engine, registry, model, members, run_id, holder, context, lease_seconds,
                                 lease_wait))
    return out


def _adjacent(engine, end: dt.date, start: dt.date) -> bool:
    """No game date strictly between `end` and `start`."""
    return not engine.scalar("SELECT count(*) FROM raw.game_dates WHERE game_date > ? AND game_date < ?",
                             [end, start])


def _run_together(engine, registry, model, members: list[Batch], run_id, holder, context, lease_seconds,
                  lease_wait) -> list[BatchOutcome]:
    dates = sorted(d for b in members for d in b.dates)
    try:
        leases.acquire(engine, model.name, dates, holder, lease_seconds, lease_wait)
    except LeaseHeld:  # some of them are someone else's: batch by batch, each says which
        return [_run_batch(engine, registry, b, run_id, holder, context, lease_seconds, lease_wait) for b in members]
    t0 = time.perf_counter()
    try:
        res = build(engine, registry, model, dates[0], dates[-1], run_id, context=context, dates=dates,
                    calendar=_calendar(engine))
    except Exception:
        _rollback(engine)
        leases.release(engine, model.name, dates, holder)
        return [_run_batch(engine, registry, b, run_id, holder, context, lease_seconds, lease_wait) for b in members]
    secs = time.perf_counter() - t0
    try:
        per = {d: (rows, exp) for d, rows, exp in res.per_date}
        # One statement's time, shared by the batches in proportion to their size (expected rows when
        # every batch knows them, else dates), which is what the ETA fit measures batches by.
        by_rows = all(b.expected_rows for b in members)
        size = {b.id: (b.expected_rows if by_rows else b.n_dates) for b in members}
        total = sum(size.values()) or 1
        out, rows = [], []
        for b in members:
            n = sum(per.get(d, (0, 0))[0] for d in b.dates)
            exp = sum(per.get(d, (0, 0))[1] or 0 for d in b.dates)
            share = secs * size[b.id] / total
            out.append(BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "ok", n, exp, share))
            rows.append((b.model, b.start, b.end, b.n_dates, n, exp, share, "ok", None))
        record_batches(engine, run_id, rows)
        return out
    finally:
        leases.release(engine, model.name, dates, holder)


def _calendar(engine) -> list:
    """The game calendar, read once per engine and run (no load can change it while a run holds the
    warehouse); execute() clears it at the start of every run."""
    cal = engine.__dict__.get("_cs_run_calendar")
    if cal is None:
        cal = read_calendar(engine)
        engine.__dict__["_cs_run_calendar"] = cal
    return cal


def _rollback(engine) -> None:
    try:
        engine.con.execute("ROLLBACK")
    except Exception:  # no transaction open: the primitive already rolled back
        pass


def _run_batch(engine, registry, b: Batch, run_id, holder, context, lease_seconds, lease_wait) -> BatchOutcome:
    try:
        leases.acquire(engine, b.model, list(b.dates), holder, lease_seconds, lease_wait)
    except LeaseHeld as exc:
        record_batch(engine, run_id, b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, 0.0, "lease_held", str(exc))
        return BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "lease_held", error=str(exc))
    t0 = time.perf_counter()
    try:
        res = build(engine, registry, b.model, b.start, b.end, run_id, context=context, calendar=_calendar(engine))
        secs = time.perf_counter() - t0
        record_batch(engine, run_id, b.model, b.start, b.end, res.dates, res.rows, res.expected, secs, "ok")
        return BatchOutcome(b.id, b.model, b.start, b.end, res.dates, "ok", res.rows, res.expected, secs)
    except Exception as exc:  # recorded with its error; the run goes on with what does not depend on it
        secs = time.perf_counter() - t0
        err = f"{type(exc).__name__}: {exc}"
        _rollback(engine)
        record_batch(engine, run_id, b.model, b.start, b.end, b.n_dates, 0, b.expected_rows, secs, "failed", err)
        return BatchOutcome(b.id, b.model, b.start, b.end, b.n_dates, "failed", 0, b.expected_rows, secs, err)
    finally:
        leases.release(engine, b.model, list(b.dates), holder)
