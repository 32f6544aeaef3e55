"""ETA: how long a batch will take, learned per model from the timings in ledger.batches.

Per model, seconds = overhead + rate x units, fitted on its recent successful batches, where units are
the batch's expected rows when the model declares them (else its dates). The spread of actual/fitted
over those batches gives p50 and p90. A model with no history uses the stated default below.
A plan's ETA is a simulated schedule of its batches on N workers (dependencies and one batch per
model at a time, as the executor runs them), so it is wall-clock time, not a sum. Two statements at
once on a small machine do not run at full speed each, and a run has costs outside its batches: the
simulation is scaled by the median ratio of wall time to simulated makespan of recent runs (each run
records both; 1.0 without history).
"""

from __future__ import annotations

import heapq
import statistics
from dataclasses import dataclass

# First-run default, stated in the plan output: a batch costs 0.05 s (SQL model) or 1.5 s (Python model) plus,
# per date, 1 ms for a SQL model and 30 ms for a Python (ML) one. Measured on a 2-core machine over every
# season: the SQL models cost 0.1-1.2 ms a date, predictions with their walk-forward training ~30 ms (the flat
# 4 ms once made a first features backfill's ETA 3.5x its run time). A one-date predictions batch costs about
# 1.5 s whatever its size (LightGBM's import, the model frame's statement, loading the stored models): with
# 0.05 s, a first daily run after a season-long backfill was estimated at 0.5 s and took 7.8 s.
DEFAULT_OVERHEAD_S = {"sql": 0.05, "python": 1.5}
DEFAULT_PER_DATE_S = {"sql": 0.001, "python": 0.03}
HISTORY = 60  # most recent successful batches per model used for the fit
# A statement over dates scattered across a span reads its windows over most of that span, so it costs more
# than its output says. While a model's history has one size only (say, its season-long builds), such a
# statement is priced as if this share of its cost were the build of the whole span (the game dates from its
# first to its last date) and the rest its own output: 50 scattered dates over five seasons were estimated at
# 0.1 s and took 1.8 s (benchmarks/bench_backfill.py).
SPAN_READ_SHARE = 0.5
RUN_HISTORY = 5  # recent runs that calibrate the schedule


@dataclass(frozen=True)
class Fit:
    model: str
    unit: str          # 'rows' or 'dates'
    overhead: float
    rate: float        # seconds per unit
    q50: float         # median of actual / fitted
    q90: float
    samples: int
    obs: tuple[tuple[float, float], ...] = ()   # (units, seconds) of the history
    rows_per_date: float = 0.0                   # of the history, for a batch whose expected rows are unknown

    def predict(self, n_dates: int, rows: int | None, span_dates: int | None = None) -> tuple[float, float]:
        """p50 and p90 seconds of one statement over n_dates game dates (`rows` expected rows), whose first and
        last date enclose `span_dates` game dates (more than n_dates: scattered dates)."""
        if self.unit == "dates":
            units = n_dates
        else:   # a missing partition's expected rows may be unknown: priced as the history's rows per date
            units = rows if rows is not None else n_dates * self.rows_per_date
        base = max(self.overhead + self.rate * units, 0.001)
        # Batches of a similar size (within 3x) say more about this one than the global fit does:
        # a one-date batch pays a fixed cost a season-long one hides (and reads whole windows).
        near = [y / max(self.overhead + self.rate * x, 1e-6) for x, y in self.obs
                if x > 0 and units > 0 and 1 / 3 <= units / x <= 3]
        if len(near) >= 2:
            near.sort()
            q50 = statistics.median(near)
            q90 = near[min(len(near) - 1, int(round(0.9 * (len(near) - 1))))]
            return base * q50, base * max(q90, q50)
        # (only while the history has a single size: a fit over several sizes already prices what they read)
        if span_dates and n_dates and span_dates > n_dates and len({x for x, _ in self.obs}) == 1:
            span_units = units * span_dates / n_dates
            base = max(self.overhead + self.rate * (units + SPAN_READ_SHARE * (span_units - units)), 0.001)
        return base * self.q50, base * max(self.q90, self.q50)


class Estimator:
    def __init__(self, fits: dict[str, Fit], schedule_factor: float = 1.0, kinds: dict[str, str] | None = None):
        self.fits = fits
        self.schedule_factor = schedule_factor
        self.kinds = kinds or {}   # model -> 'sql' | 'python': which default a model without history gets

    @classmethod
    def from_ledger(cls, engine, models: list[str], kinds: dict[str, str] | None = None) -> "Estimator":
        # One observation per statement that ran: the batches the executor built together were
        # recorded in one INSERT (same run, model and finished_at), each with its share of the time.
        rows = engine.fetchall("""
            SELECT model, n_dates, expected_rows, seconds FROM (
              SELECT *, row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) AS k FROM (
                SELECT run_id, model, finished_at, sum(n_dates) AS n_dates,
                       CASE WHEN count(expected_rows) = count(*) THEN sum(expected_rows) END AS expected_rows,
                       sum(seconds) AS seconds
                FROM ledger.batches WHERE outcome = 'ok' AND seconds IS NOT NULL AND list_contains(?, model)
                GROUP BY ALL))
            WHERE k <= ? ORDER BY model""", [models, HISTORY])
        by_model: dict[str, list[tuple[int, int | None, float]]] = {}
        for model, n, exp, sec in rows:
            by_model.setdefault(model, []).append((int(n or 0), None if exp is None else int(exp), float(sec)))
        ratios = [r[0] for r in engine.fetchall("""
            SELECT wall_s / simulated_s FROM ledger.runs
            WHERE outcome = 'ok' AND simulated_s > 0.2 AND wall_s > 0 ORDER BY ended_at DESC LIMIT ?""",
                                                [RUN_HISTORY])]
        factor = min(max(statistics.median(ratios), 0.5), 3.0) if ratios else 1.0
        return cls({m: _fit(m, obs, _kind(kinds, m)) for m, obs in by_model.items()}, factor, kinds)

    def default(self, model: str) -> Fit:
        kind = _kind(self.kinds, model)
        return Fit(model, "dates", DEFAULT_OVERHEAD_S[kind], DEFAULT_PER_DATE_S[kind], 1.0, 1.5, 0)

    def batch(self, model: str, n_dates: int, rows: int | None, span_dates: int | None = None) -> tuple[float, float]:
        return self.fits.get(model, self.default(model)).predict(n_dates, rows, span_dates)

    def source(self, model: str) -> str:
        f = self.fits.get(model)
        return f"{f.samples} past batches" if f else "default (no history)"


def _kind(kinds: dict[str, str] | None, model: str) -> str:
    """Which default a model gets: its kind's, SQL's when the kind is unknown."""
    kind = (kinds or {}).get(model, "sql")
    return kind if kind in DEFAULT_PER_DATE_S else "sql"


def _fit(model: str, obs: list[tuple[int, int | None, float]], kind: str = "sql") -> Fit:
    use_rows = all(e is not None for _, e, _ in obs) and any(e for _, e, _ in obs)
    xs = [float(e if use_rows else n) for n, e, _ in obs]
    ys = [s for _, _, s in obs]
    unit = "rows" if use_rows else "dates"
    if len(set(xs)) >= 2:
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
        overhead = my - rate * mx
        if rate < 0 or overhead < 0:  # noisy history: fall back to a line through the origin + min overhead
            overhead = max(min(ys), 0.0) * 0.5
            rate = max(sum(ys) - overhead * len(ys), 0.0) / max(sum(xs), 1.0)
    else:
        # One size seen (often one statement over every date): the fixed cost cannot be told apart from
        # the rate. Assume the stated default overhead, not a share of a season-long statement (which
        # made a first gap fill of 144 one-date batches look 5x longer than it was).
        overhead = min(DEFAULT_OVERHEAD_S[kind], min(ys) * 0.5)
        rate = (statistics.fmean(ys) - overhead) / max(xs[0], 1.0)
    ratios = sorted(y / max(overhead + rate * x, 1e-6) for x, y in zip(xs, ys))
    q50 = statistics.median(ratios)
    q90 = ratios[min(len(ratios) - 1, int(round(0.9 * (len(ratios) - 1))))]
    rows_per_date = sum(e for _, e, _ in obs) / max(sum(n for n, _, _ in obs), 1) if use_rows else 0.0
    return Fit(model, unit, overhead, rate, q50, q90, len(obs), tuple(zip(xs, ys)), rows_per_date)


def simulate(durations: dict[int, float], deps: dict[int, tuple[int, ...]], model_of: dict[int, str],
             workers: int) -> float:
    """Makespan of a list schedule: batches in id order, as soon as deps are done, a worker is free
    and no other batch of the same model runs."""
    if not durations:
        return 0.0
    finish: dict[int, float] = {}
    pending = sorted(durations)
    running: list[tuple[float, int]] = []
    busy_models: dict[str, float] = {}
    now = 0.0
    while pending or running:
        started = True
        while started and len(running) < max(workers, 1):
            started = False
            for b in pending:
                if all(d in finish and finish[d] <= now for d in deps.get(b, ())) and \
                        busy_models.get(model_of[b], 0.0) <= now:
                    end = now + durations[b]
                    heapq.heappush(running, (end, b))
                    busy_models[model_of[b]] = end
                    pending.remove(b)
                    started = True
                    break
        if not running:  # deps outside the set: treat as done
            for b in pending:
                finish[b] = now
            break
        now, b = heapq.heappop(running)
        finish[b] = now
    return max(finish.values())
