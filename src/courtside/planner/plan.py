"""Plans: what to build for a target over a scope, why, in which batches and in which order.

1. coverage of the target's ancestors (coverage.py), every date up to the end of the scope;
2. every (model, date) in scope that needs a rebuild gets a Reason (or `forced`);
3. cascade: a rebuilt (U, D) makes stale exactly the dates of U's children whose window reaches D;
4. pre-flight: every planned date's upstream windows must be covered (complete) or planned; missing
   upstream dates are added (extending the scope backwards, e.g. the regular season a playoffs-only
   scope's season windows read) or, with extend=False, the plan stops naming them;
   3 and 4 repeat until nothing changes;
5. batches: contiguous game dates per model, at most one season (and max_batch_dates), ordered by
   dependency then most recent season first, each with the batches it waits for.
The planner knows only models (names, edges, windows) from the registry, never a table.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, fields

from courtside.build import uses_dates
from courtside.dates import contiguous_runs
from courtside.errors import PlanError
from courtside.models.registry import Registry, Window
from courtside.models.targets import resolve_target, target_models
from courtside.planner.coverage import Coverage, compute_coverage
from courtside.planner.estimate import Estimator, simulate
from courtside.scope import Scope

INCLUSIVE = {"same_date", "season_through"}  # windows that contain D itself


@dataclass(frozen=True)
class Reason:
    code: str     # missing | partial | tampered | duplicated | code_changed | upstream_changed | failed | blocked | forced | needed
    detail: str


@dataclass(frozen=True)
class Batch:
    id: int
    model: str
    season: str
    start: dt.date
    end: dt.date
    dates: tuple[dt.date, ...]
    expected_rows: int | None
    reasons: tuple[tuple[str, int], ...]   # reason code -> number of dates
    depends_on: tuple[int, ...]
    p50: float
    p90: float
    # The executor runs the batches of one group as ONE statement (same model; their dates together
    # are contiguous, or the model's SQL takes `$dates`): one fixed cost instead of one per batch.
    group: int | None = None

    @property
    def n_dates(self) -> int:
        return len(self.dates)

    def label(self) -> str:
        return f"{self.model} {self.start}..{self.end}"


@dataclass(frozen=True)
class Action:
    model: str
    game_date: dt.date
    status: str
    reason: Reason


@dataclass(frozen=True)
class Plan:
    target: str
    target_models: tuple[str, ...]
    models: tuple[str, ...]
    scope: dict
    force: bool
    force_models: tuple[str, ...]
    batches: tuple[Batch, ...]
    actions: tuple[Action, ...]
    coverage_hash: str
    workers: int
    eta_p50: float
    eta_p90: float
    estimate_source: dict
    skipped_complete: int           # in-scope cells already complete (or partial with unchanged inputs)
    outside_scope: int              # (model, date) the plan adds outside the scope (pre-flight)
    stale_after: int                # complete partitions outside the plan that its rebuilds will make stale
    deep: bool = False              # coverage also recomputed data fingerprints and expected rows

    @property
    def n_partitions(self) -> int:
        return sum(b.n_dates for b in self.batches)

    def reason_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter] = {}
        for a in self.actions:
            out.setdefault(a.model, Counter())[a.reason.code] += 1
        return {m: dict(c) for m, c in out.items()}

    def to_dict(self) -> dict:
        """dataclasses.asdict(self), without its deep copy of every value: a season-long plan has tens
        of thousands of actions, and asdict cost seconds of a one-minute backfill."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["batches"] = tuple(dict(vars(b)) for b in self.batches)
        out["actions"] = tuple({"model": a.model, "game_date": a.game_date, "status": a.status,
                                "reason": {"code": a.reason.code, "detail": a.reason.detail}} for a in self.actions)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=_json_default, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        raw = json.loads(text)
        try:
            batches = tuple(Batch(**{**b, "start": _d(b["start"]), "end": _d(b["end"]),
                                     "dates": tuple(_d(x) for x in b["dates"]),
                                     "reasons": tuple(tuple(r) for r in b["reasons"]),
                                     "depends_on": tuple(b["depends_on"])}) for b in raw["batches"])
            actions = tuple(Action(a["model"], _d(a["game_date"]), a["status"], Reason(**a["reason"]))
                            for a in raw["actions"])
            return cls(**{**raw, "target_models": tuple(raw["target_models"]), "models": tuple(raw["models"]),
                          "force_models": tuple(raw["force_models"]), "batches": batches, "actions": actions})
        except (KeyError, TypeError) as exc:
            raise PlanError(f"not a courtside plan file: {exc}") from None

    @functools.cached_property
    def hash(self) -> str:
        # compact JSON: the C encoder (json.dumps only uses it without indent), computed once per plan
        text = json.dumps(self.to_dict(), default=_json_default, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def scope_to_dict(scope: Scope) -> dict:
    return {"start": scope.start.isoformat() if scope.start else None,
            "end": scope.end.isoformat() if scope.end else None,
            "seasons": list(scope.seasons), "phase": scope.phase}


def scope_from_dict(d: dict) -> Scope:
    return Scope(_d(d["start"]) if d.get("start") else None, _d(d["end"]) if d.get("end") else None,
                 tuple(d.get("seasons") or ()), d.get("phase") or "all")


def plan_coverage(engine, registry: Registry, target, scope: Scope,
                  deep: bool = False) -> tuple[list[str], list[dt.date], Coverage]:
    """The coverage a plan for (target, scope) looks at: the target's ancestors, every game date up to
    the end of the scope (windows only look back, so nothing later can matter)."""
    models = target_models(registry, target)
    days = scope.game_dates(engine)
    if not days:
        raise PlanError(f"no game dates in scope ({scope.describe()}); is the schedule loaded?")
    return models, days, compute_coverage(engine, registry, models, until=days[-1], deep=deep)


def check_plan_current(engine, registry: Registry, plan: "Plan", source: str = "the plan") -> None:
    """Refuse a saved plan whose coverage (partitions, tables, code versions) changed since it was made."""
    _, days, cov = plan_coverage(engine, registry, plan.target, scope_from_dict(plan.scope), plan.deep)
    now = cov.digest(days[-1])
    if now != plan.coverage_hash:
        raise PlanError(f"{source} was made on coverage {plan.coverage_hash}, but the coverage is now {now} "
                        "(partitions, tables or model code changed since); make a new plan")


def make_plan(engine, registry: Registry, target, scope: Scope, *, force: bool = False,
              force_models: tuple[str, ...] = (), extend: bool = True, max_batch_dates: int | None = None,
              workers: int = 1, estimator: Estimator | None = None, deep: bool = False) -> Plan:
    models, days, cov = plan_coverage(engine, registry, target, scope, deep)
    force_models = tuple(registry[m].name for m in force_models)
    for m in force_models:
        if m not in models:
            raise PlanError(f"--force-model `{m}` is not an ancestor of target `{target}`")
    in_scope = set(days)
    planned: dict[str, dict[dt.date, Reason]] = {m: {} for m in models}
    skipped = 0
    for m in models:
        for d in days:
            c = cov.cell(m, d)
            if c.rebuild:
                # blocked = missing with a missing upstream; the plan builds that upstream first
                planned[m][d] = Reason("missing" if c.code == "blocked" else c.code, c.detail)
            elif force or m in force_models:
                planned[m][d] = Reason("forced", "forced via --force" + (f"-model {m}" if m in force_models else ""))
            else:
                skipped += 1
    while True:
        added = _cascade(registry, models, cov, planned, in_scope)
        added += _preflight(registry, models, cov, planned, extend)
        if not added:
            break
    batches = _batches(registry, models, cov, planned, max_batch_dates)
    batches = _group(registry, batches, cov.calendar, max_batch_dates)
    est = estimator or Estimator.from_ledger(engine, models, {m: registry[m].kind for m in models})
    batches = _estimate(est, batches, sorted(cov.calendar))
    eta50, eta90 = _eta(batches, workers)
    # the machine's own scheduling overhead and contention, learned from how past runs compared
    # with the makespan their batch timings simulate (1.0 without history)
    eta50, eta90 = eta50 * est.schedule_factor, eta90 * est.schedule_factor
    actions = tuple(Action(m, d, cov.cell(m, d).status, r) for m in models for d, r in sorted(planned[m].items()))
    outside = sum(1 for a in actions if a.game_date not in in_scope)
    return Plan(
        target=target if isinstance(target, str) else ",".join(target),
        target_models=tuple(resolve_target(registry, target)), models=tuple(models),
        scope=scope_to_dict(scope), force=force, force_models=force_models, batches=tuple(batches),
        actions=actions, coverage_hash=cov.digest(days[-1]), workers=workers, eta_p50=eta50, eta_p90=eta90,
        estimate_source={m: est.source(m) for m in models}, skipped_complete=skipped, outside_scope=outside,
        stale_after=_stale_after(registry, models, cov, planned), deep=deep)


# -- cascade and pre-flight ------------------------------------------------------------------

def _reach(window: Window, day: dt.date, upstream_sorted: list[dt.date], cal) -> dt.date | None:
    """An upstream date in `upstream_sorted` that `window` of `day` contains (the latest), else None."""
    idx = bisect.bisect_right(upstream_sorted, day) if window.kind in INCLUSIVE else \
        bisect.bisect_left(upstream_sorted, day)
    if idx == 0:
        return None
    u = upstream_sorted[idx - 1]
    return u if window.contains(day, u, cal[day].season_start) else None


def _first_reader(window: Window, up_day: dt.date, targets_sorted: list[dt.date], cal) -> dt.date | None:
    """The earliest target date whose `window` contains `up_day`, else None."""
    idx = bisect.bisect_left(targets_sorted, up_day) if window.kind in INCLUSIVE else \
        bisect.bisect_right(targets_sorted, up_day)
    if idx == len(targets_sorted):
        return None
    d = targets_sorted[idx]
    return d if window.contains(d, up_day, cal[d].season_start) else None


def _internal_edges(registry: Registry, model: str, models: list[str]):
    return [e for e in registry[model].edges if e.upstream in models]


def _cascade(registry, models, cov: Coverage, planned, in_scope: set) -> int:
    """Mark stale every date (in scope or already planned) of a child whose window reaches a
    planned upstream date. Topological order, so it propagates down the DAG in one pass."""
    added = 0
    for m in models:
        universe = sorted(in_scope | set(planned[m]))
        for e in _internal_edges(registry, m, models):
            ups = sorted(planned[e.upstream])
            if not ups:
                continue
            for d in universe:
                if d in planned[m]:
                    continue
                u = _reach(e.window, d, ups, cov.calendar)
                if u is not None:
                    planned[m][d] = Reason("upstream_changed",
                                           f"upstream {e.upstream} rebuilt on {u} (in {e.window} window)")
                    added += 1
    return added


def _preflight(registry, models, cov: Coverage, planned, extend: bool) -> int:
    """Every planned date's upstream windows covered or planned; add what is not (or stop naming it)."""
    added = 0
    problems: dict[str, list] = {}
    for m in reversed(models):
        targets = sorted(planned[m])
        if not targets:
            continue
        for e in _internal_edges(registry, m, models):
            up = e.upstream
            for x in sorted(cov.calendar):
                if x > targets[-1]:
                    break
                if x in planned[up] or cov.cell(up, x).ok:
                    continue
                reader = _first_reader(e.window, x, targets, cov.calendar)
                if reader is None:
                    continue
                status = cov.cell(up, x).status
                if extend:
                    planned[up][x] = Reason("needed", f"{status}; needed by {m} on {reader} ({e.window} window)")
                    added += 1
                else:
                    problems.setdefault(up, []).append((x, m, reader, status))
    if problems:
        parts = []
        for up, items in problems.items():
            ds = sorted(i[0] for i in items)
            span = ", ".join(str(d) for d in ds) if len(ds) <= 4 else f"{len(ds)} dates {ds[0]} .. {ds[-1]}"
            parts.append(f"`{up}` on {span} ({items[0][3]}; read by {items[0][1]} on {items[0][2]})")
        raise PlanError("pre-flight: upstream windows not covered and outside the scope: " + "; ".join(parts)
                        + ". Widen the scope, or plan without --strict-scope to add them.")
    return added


def _stale_after(registry, models, cov: Coverage, planned) -> int:
    """Complete partitions (up to the end of the scope) not in the plan that the plan's rebuilds will
    make stale: reported, not built, because they are outside the scope."""
    n = 0
    for m in models:
        for e in _internal_edges(registry, m, models):
            ups = sorted(planned[e.upstream])
            if not ups:
                continue
            for c in cov.of(m):
                if c.game_date not in planned[m] and c.ok and _reach(e.window, c.game_date, ups, cov.calendar):
                    n += 1
    return n


# -- batches ------------------------------------------------------------------------------

def _batches(registry, models, cov: Coverage, planned, max_batch_dates) -> list[Batch]:
    cal = cov.calendar
    allowed = set(cal)
    raw: list[tuple] = []
    for rank, m in enumerate(models):
        for run in contiguous_runs(planned[m], allowed):
            for chunk in _split(run, cal, max_batch_dates):
                season = cal[chunk[0]].season
                exp = [cov.cell(m, d).expected for d in chunk]
                rows = None if any(x is None for x in exp) else sum(exp)
                reasons = Counter(planned[m][d].code for d in chunk)
                raw.append((rank, -int(season[:4]), chunk[0], m, season, chunk, rows, tuple(sorted(reasons.items()))))
    raw.sort(key=lambda r: (r[0], r[1], r[2]))
    batches: list[Batch] = []
    for i, (_, _, _, m, season, chunk, rows, reasons) in enumerate(raw):
        deps = _depends(registry, m, chunk, batches, cal)
        batches.append(Batch(i, m, season, chunk[0], chunk[-1], tuple(chunk), rows, reasons, deps, 0.0, 0.0))
    return batches


def _split(run: list[dt.date], cal, max_dates: int | None) -> list[list[dt.date]]:
    """At most one season per batch (and at most max_dates dates)."""
    out: list[list[dt.date]] = []
    for d in run:
        if out and cal[d].season == cal[out[-1][0]].season and (not max_dates or len(out[-1]) < max_dates):
            out[-1].append(d)
        else:
            out.append([d])
    return out


def _depends(registry, model: str, chunk: list[dt.date], earlier: list[Batch], cal) -> tuple[int, ...]:
    """Earlier batches of upstream models holding a date some window of this batch reads."""
    deps = []
    edges = registry[model].edges
    for b in earlier:
        for e in edges:
            if e.upstream != b.model:
                continue
            lo = _lowest_read(e.window, chunk[0], cal)
            if b.end < lo or b.start > chunk[-1]:
                continue
            if any(_first_reader(e.window, u, chunk, cal) for u in b.dates if lo <= u <= chunk[-1]):
                deps.append(b.id)
                break
    return tuple(deps)


def _lowest_read(window: Window, first: dt.date, cal) -> dt.date:
    """A lower bound of the upstream dates a batch starting on `first` can read."""
    if window.kind == "same_date":
        return first
    if window.kind in ("season_before", "season_through"):
        return cal[first].season_start
    if window.kind == "days_before":
        return first - dt.timedelta(days=window.days)
    return dt.date.min


def _group(registry, batches: list[Batch], cal, max_batch_dates) -> list[Batch]:
    """Which batches the executor runs together as one statement (see Batch.group).

    Per model: every batch when its SQL takes `$dates`; else chains of batches whose dates together
    are contiguous game dates (e.g. one season's batch after the other's), Python models included (one
    call over the chain's range: the ML model reads its history once, not once per season). Not when
    the caller asked for small batches (max_batch_dates).
    """
    days = sorted(cal)
    nxt = {a: b for a, b in zip(days, days[1:])}
    group_of: dict[int, int] = {}
    by_model: dict[str, list[Batch]] = {}
    for b in batches:
        by_model.setdefault(b.model, []).append(b)
    for m, bs in by_model.items():
        model = registry[m]
        if max_batch_dates or model.kind == "source":
            continue
        if uses_dates(model):
            for b in bs:
                group_of[b.id] = bs[0].id
            continue
        chains: list[list[Batch]] = []
        for b in sorted(bs, key=lambda b: b.start):
            if chains and nxt.get(chains[-1][-1].end) == b.start:
                chains[-1].append(b)
            else:
                chains.append([b])
        for chain in chains:
            for b in chain:
                group_of[b.id] = min(x.id for x in chain)
    return [dataclasses.replace(b, group=group_of.get(b.id, b.id)) for b in batches]


def _eta(batches: list[Batch], workers: int) -> tuple[float, float]:
    """Simulated wall time of the groups (each one statement: its batches' durations add up)."""
    return (makespan(batches, {b.id: b.p50 for b in batches}, workers),
            makespan(batches, {b.id: b.p90 for b in batches}, workers))


def execution_groups(batches) -> dict[int, list[Batch]]:
    """Batches by the statement that builds them (Batch.group; a batch without a group is its own)."""
    members: dict[int, list[Batch]] = {}
    for b in batches:
        members.setdefault(b.group if b.group is not None else b.id, []).append(b)
    return members


def makespan(batches: list[Batch], seconds: dict[int, float], workers: int) -> float:
    """Simulated wall time of `batches` taking `seconds` each, scheduled as the executor runs them."""
    members = execution_groups(batches)
    group_of = {b.id: g for g, bs in members.items() for b in bs}
    deps = {g: tuple(sorted({group_of[d] for b in bs for d in b.depends_on if d in group_of} - {g}))
            for g, bs in members.items()}
    mods = {g: bs[0].model for g, bs in members.items()}
    return simulate({g: sum(seconds.get(b.id, 0.0) for b in bs) for g, bs in members.items()}, deps, mods, workers)


def _estimate(est: Estimator, batches: list[Batch], calendar: list[dt.date]) -> list[Batch]:
    """Each group is one statement: estimated once for its total size and the span of game dates its dates
    lie in, then shared by its batches in proportion to their size (as the executor records their timings)."""
    members = execution_groups(batches)
    share: dict[int, tuple[float, float]] = {}
    for bs in members.values():
        # all unknown: priced per date from the history (Fit.predict); some unknown count as 0, as the executor
        # records a statement's rows
        rows = None if all(b.expected_rows is None for b in bs) else sum(b.expected_rows or 0 for b in bs)
        first, last = min(b.start for b in bs), max(b.end for b in bs)
        span = bisect.bisect_right(calendar, last) - bisect.bisect_left(calendar, first)
        p50, p90 = est.batch(bs[0].model, sum(b.n_dates for b in bs), rows, span)
        by_rows = all(b.expected_rows for b in bs)
        size = {b.id: (b.expected_rows if by_rows else b.n_dates) for b in bs}
        total = sum(size.values()) or 1
        for b in bs:
            share[b.id] = (p50 * size[b.id] / total, p90 * size[b.id] / total)
    return [dataclasses.replace(b, p50=round(share[b.id][0], 4), p90=round(share[b.id][1], 4)) for b in batches]


def _d(x) -> dt.date:
    return x if isinstance(x, dt.date) else dt.date.fromisoformat(x)


def _json_default(o):
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o)}")
