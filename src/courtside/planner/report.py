"""Plain data for the console and --json: the status matrix and the plan tables."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from courtside.dates import season_of
from courtside.planner.coverage import STATUSES, Coverage
from courtside.planner.estimate import DEFAULT_OVERHEAD_S, DEFAULT_PER_DATE_S
from courtside.planner.plan import Plan, execution_groups

MAX_BATCH_ROWS = 40


def status_matrix(cov: Coverage, models: list[str], by: str = "season",
                  empty: list[dt.date] = ()) -> list[dict]:
    """One entry per (model, season|month): counts per status, total and % complete."""
    def key(day: dt.date, season: str | None = None) -> str:
        return day.strftime("%Y-%m") if by == "month" else (season or season_of(day))

    empty_by: Counter = Counter(key(d) for d in empty)
    out = []
    for m in models:
        groups: dict[str, Counter] = {}
        for c in cov.of(m):
            groups.setdefault(key(c.game_date, c.season), Counter())[c.status] += 1
        for k in sorted(set(groups) | set(empty_by)):
            counts = groups.get(k, Counter())
            if empty_by.get(k):
                counts["empty_by_design"] = empty_by[k]
            games = sum(v for s, v in counts.items() if s != "empty_by_design")
            out.append({"model": m, by: k, **{s: counts.get(s, 0) for s in STATUSES}, "game_dates": games,
                        "pct_complete": round(100.0 * counts.get("complete", 0) / games, 1) if games else None})
    return out


def matrix_table(entries: list[dict], models: list[str], by: str = "season") -> tuple[list[str], list[list]]:
    keys = sorted({e[by] for e in entries})
    cols = ["model", *keys]
    index = {(e["model"], e[by]): e for e in entries}
    rows = []
    for m in models:
        row = [m]
        for k in keys:
            e = index.get((m, k))
            if not e:
                row.append("")
                continue
            text = f"{e['complete']}/{e['game_dates']}"
            if e["pct_complete"] is not None:
                text += f" {e['pct_complete']:.0f}%"
            extra = [f"{e[s]} {s}" for s in STATUSES if s != "complete" and e[s]]
            row.append(text + (" (" + ", ".join(extra) + ")" if extra else ""))
        rows.append(row)
    return cols, rows


def plan_summary_rows(plan: Plan) -> list[list]:
    counts = plan.reason_counts()
    rows = []
    for m in plan.models:
        bs = [b for b in plan.batches if b.model == m]
        reasons = counts.get(m, {})
        rows.append([m, sum(b.n_dates for b in bs), len(bs),
                     ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])) or "up to date",
                     f"{sum(b.p50 for b in bs):.2f}s"])
    return rows


PLAN_SUMMARY_COLUMNS = ["model", "dates", "batches", "reasons", "p50 (serial)"]
BATCH_COLUMNS = ["#", "model", "season", "dates", "n", "reasons", "after", "p50", "p90"]


def batch_rows(plan: Plan, limit: int = MAX_BATCH_ROWS) -> list[list]:
    rows = []
    for b in plan.batches[:limit]:
        after = ",".join(str(d) for d in b.depends_on[:6]) + ("…" if len(b.depends_on) > 6 else "")
        rows.append([b.id, b.model, b.season, f"{b.start}..{b.end}", b.n_dates,
                     ", ".join(f"{k} {v}" for k, v in b.reasons), after, f"{b.p50:.2f}s", f"{b.p90:.2f}s"])
    if len(plan.batches) > limit:
        rows.append(["…", f"{len(plan.batches) - limit} more batches (see --json)", "", "", "", "", "", "", ""])
    return rows


def plan_headline(plan: Plan) -> str:
    if not plan.batches:
        return (f"Nothing to do for `{plan.target}`: {plan.skipped_complete} partitions in scope are complete "
                "(or partial with unchanged inputs).")
    defaults = [m for m, s in plan.estimate_source.items() if s.startswith("default")]
    rates = ", ".join(f"{kind} model {DEFAULT_OVERHEAD_S[kind]:g} s/batch + {1000 * r:g} ms/date"
                      for kind, r in DEFAULT_PER_DATE_S.items())
    est = f"; ETA for {', '.join(defaults)} from the default ({rates}; no history yet)" if defaults else ""
    groups = len(execution_groups(plan.batches))
    together = f" (run as {groups} statements: batches of a model run together where they can)" \
        if groups < len(plan.batches) else ""
    text = (f"Plan for `{plan.target}` ({', '.join(plan.target_models)}): {len(plan.batches)} batches{together}, "
            f"{plan.n_partitions} partitions to build, {plan.skipped_complete} already complete. "
            f"ETA p50 {plan.eta_p50:.1f}s, p90 {plan.eta_p90:.1f}s on {plan.workers} worker(s){est}.")
    if plan.outside_scope:
        text += f" Pre-flight added {plan.outside_scope} upstream partitions outside the scope that windows read."
    if plan.stale_after:
        text += f" {plan.stale_after} complete partitions outside the scope will be stale afterwards."
    return text
