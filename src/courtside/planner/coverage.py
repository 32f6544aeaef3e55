"""Coverage: the status of every (model, game date), reconciled with the ledger AND the tables.

One set-based query per model compares, for every date at once:
  * the ledger row (rows, fingerprint, code version, upstream fingerprint at write time),
  * the table itself now (row count, fingerprint recomputed with engine.fingerprint_expr, duplicates on
    the grain) — so rows deleted or duplicated behind the ledger's back are caught,
  * the expected row count recomputed from `model.expected`,
  * the upstream fingerprint recomputed from the ledger now (same value as build.upstream_fingerprint_sql,
    computed with prefix sums: planner/upstream.py),
  * the last batch that covered the date (ledger.batches).
Only ledger metadata (a few rows per date) comes back to Python to be classified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field

from courtside.build import render
from courtside.planner.upstream import upstream_fingerprint_fast_sql
from courtside.models.registry import Model, Registry, tables_read

STATUSES = ("complete", "partial", "missing", "stale", "failed", "blocked", "empty_by_design")


@dataclass(frozen=True)
class Cell:
    """The state of one (model, game date)."""

    model: str
    game_date: dt.date
    season: str
    season_type: str
    status: str              # one of STATUSES
    code: str                # ok | missing | partial | tampered | duplicated | code_changed | upstream_changed | failed | blocked
    detail: str              # human reason, e.g. "partial 63% (120 of 190 rows)"
    rebuild: bool            # would rebuilding change anything?
    rows: int | None = None  # rows in the table now
    expected: int | None = None
    pct: float | None = None

    @property
    def ok(self) -> bool:
        """Usable as an upstream: complete, or partial with inputs unchanged since built (a source gap)."""
        return not self.rebuild


@dataclass(frozen=True)
class CalendarDay:
    game_date: dt.date
    season: str
    season_type: str
    season_start: dt.date


@dataclass
class Coverage:
    cells: dict[tuple[str, dt.date], Cell]
    calendar: dict[dt.date, CalendarDay]
    models: list[str]
    fingerprints: dict[tuple[str, dt.date], str] = field(default_factory=dict)

    def cell(self, model: str, day: dt.date) -> Cell:
        return self.cells[(model, day)]

    def of(self, model: str) -> list[Cell]:
        """Cells of one model in date order."""
        if not hasattr(self, "_by_model"):
            by: dict[str, list[Cell]] = {}
            for (m, _), c in sorted(self.cells.items()):
                by.setdefault(m, []).append(c)
            self._by_model = by
        return self._by_model.get(model, [])

    def digest(self, until: dt.date | None = None) -> str:
        """A hash of everything a plan depends on: every cell's status and the data state behind it."""
        h = hashlib.sha256()
        for key in sorted(self.fingerprints):
            if until is None or key[1] <= until:
                h.update(f"{key[0]}|{key[1]}|{self.fingerprints[key]}\n".encode())
        return h.hexdigest()[:20]


def load_calendar(engine, until: dt.date | None = None) -> dict[dt.date, CalendarDay]:
    cond, params = ("WHERE game_date <= ?", [until]) if until else ("", [])
    return {r[0]: CalendarDay(*r) for r in engine.fetchall(
        f"SELECT game_date, season, season_type, season_start FROM raw.game_dates {cond} ORDER BY 1", params)}


def compute_coverage(engine, registry: Registry, models: list[str], dates: list[dt.date] | None = None,
                     *, until: dt.date | None = None, deep: bool = False) -> Coverage:
    """Coverage of `models` on `dates` (default: every game date, up to `until` if given).

    The table is always recounted per date (rows deleted or duplicated behind the ledger's back change
    the count). `deep` also recomputes every partition's data fingerprint and grain duplicates (catches
    values edited in place) and the expected rows (otherwise taken from the ledger: they can only
    differ when the code or an upstream changed, which makes the partition stale anyway).
    """
    calendar = load_calendar(engine, until)
    days = sorted(calendar if dates is None else [d for d in dates if d in calendar])
    cov = Coverage({}, calendar, list(models))
    if not days:
        return cov
    tag = uuid.uuid4().hex[:8]
    dtab = f"_cs_cov_{tag}"
    con = engine.con
    con.execute(f"CREATE TEMP TABLE {dtab} AS SELECT game_date, season, season_type, season_start "
                f"FROM raw.game_dates WHERE list_contains(?::DATE[], game_date)", [days])
    try:
        built = [registry[n] for n in models if registry[n].kind != "source"]
        # One statement for every model: one round trip, and DuckDB runs the parts in parallel.
        union = " UNION ALL ".join(f"({_probe_sql(engine, m, dtab, days[0], days[-1], deep)})" for m in built)
        by_model: dict[str, list[dict]] = {m.name: [] for m in built}
        if built:
            for r in engine.fetch_dicts(f"SELECT * FROM ({union}) ORDER BY model, game_date"):
                by_model[r["model"]].append(r)
        for model in built:
            rows = by_model[model.name]
            explain = _explain(engine, registry, model, dtab, rows)
            for r in rows:
                cell, fp = _classify(model, r, explain.get(r["game_date"], {}), deep)
                cov.cells[(model.name, r["game_date"])] = cell
                cov.fingerprints[(model.name, r["game_date"])] = fp
    finally:
        con.execute(f"DROP TABLE IF EXISTS {dtab}")
    return cov


def _probe_sql(engine, model: Model, dtab: str, first: dt.date, last: dt.date, deep: bool) -> str:
    """One row per date: ledger vs table vs expected vs upstream now vs last batch."""
    name = "'" + model.name.replace("'", "''") + "'"
    code = f"'{model.code_version}'"
    if engine.table_exists(model.table) and not deep:
        tab = (f"SELECT t.game_date, count(*) AS n, NULL::VARCHAR AS fp, NULL::BIGINT AS dups "
               f"FROM {model.table} t WHERE t.game_date BETWEEN DATE '{first}' AND DATE '{last}' GROUP BY 1")
    elif engine.table_exists(model.table):
        fp = engine.fingerprint_expr(model.table)
        grain = ", ".join(f't."{k}"' for k in model.grain)
        dups = f"count(*) - count(DISTINCT ({grain}))" if grain else "0"
        tab = (f"SELECT t.game_date, count(*) AS n, CAST(sum({fp}::HUGEINT) AS VARCHAR) AS fp, {dups} AS dups "
               f"FROM {model.table} t WHERE t.game_date BETWEEN DATE '{first}' AND DATE '{last}' GROUP BY 1")
    else:
        tab = "SELECT NULL::DATE AS game_date, NULL::BIGINT AS n, NULL::VARCHAR AS fp, NULL::BIGINT AS dups WHERE false"
    # The expected rule may read an upstream that has never been built: then expected is unknown.
    can_expect = deep and bool(model.expected) and all(
        engine.table_exists(t) for t in tables_read(model.expected) if "." in t and t != "raw.game_dates")
    exp = (f"SELECT game_date, sum(expected)::BIGINT AS expected FROM ({render(model.expected, first, last)}) GROUP BY 1"
           if can_expect else f"SELECT game_date, expected_rows AS expected FROM ledger.partitions WHERE model = {name}")
    return f"""
        WITH led AS (SELECT * FROM ledger.partitions WHERE model = {name}),
             tab AS ({tab}),
             exp AS ({exp}),
             upf AS ({upstream_fingerprint_fast_sql(model, dtab)}),
             bat AS (SELECT d.game_date, arg_max(b.error, b.finished_at) AS last_error, max(b.finished_at) AS last_at
                     FROM {dtab} d JOIN ledger.batches b
                       ON b.model = {name} AND b.outcome = 'failed' AND d.game_date BETWEEN b.start_date AND b.end_date
                     GROUP BY 1)
        SELECT {name} AS model, d.game_date, d.season, d.season_type,
               -- compared here, so only small values travel to Python
               led.rows AS led_rows, led.written_at, tab.n AS tab_rows,
               coalesce(tab.fp, '0') <> led.fingerprint AS fp_differs,
               CASE WHEN led.code_version <> {code} THEN led.code_version END AS old_code,
               coalesce(upf.upstream_fingerprint, '0') <> coalesce(led.upstream_fingerprint, '0') AS upf_differs,
               tab.dups, exp.expected, bat.last_error, bat.last_at,
               hash(led.rows, led.fingerprint, led.code_version, led.upstream_fingerprint, tab.n, tab.fp, tab.dups,
                    exp.expected, upf.upstream_fingerprint, bat.last_at) AS cell_fp
        FROM {dtab} d
        LEFT JOIN led ON led.game_date = d.game_date
        LEFT JOIN tab ON tab.game_date = d.game_date
        LEFT JOIN exp ON exp.game_date = d.game_date
        LEFT JOIN upf ON upf.game_date = d.game_date
        LEFT JOIN bat ON bat.game_date = d.game_date"""


def _explain(engine, registry: Registry, model: Model, dtab: str, rows: list[dict]) -> dict:
    """For dates that are stale by upstream or absent: which upstream changed (first date) and which
    non-source upstream partitions inside the window are missing now (-> blocked)."""
    want = [r["game_date"] for r in rows
            if r["led_rows"] is None or r["upf_differs"]]
    out: dict = {}
    if not want or not model.edges:
        return out
    # one statement for every edge of the model (each is a few ms to plan; a daily run explains every model)
    parts, params = [], []
    for i, edge in enumerate(model.edges):
        parts.append(f"""
            SELECT {i} AS edge, d.game_date,
                   min(p.game_date) FILTER (WHERE p.written_at > led.written_at) AS changed_on,
                   count(*) FILTER (WHERE p.game_date IS NULL) AS missing_up,
                   min(u.game_date) FILTER (WHERE p.game_date IS NULL) AS first_missing
            FROM {dtab} d JOIN raw.game_dates u ON {edge.window.sql('u', 'd')}
            LEFT JOIN ledger.partitions p ON p.model = ? AND p.game_date = u.game_date
            LEFT JOIN ledger.partitions led ON led.model = ? AND led.game_date = d.game_date
            WHERE list_contains(?::DATE[], d.game_date)
            GROUP BY 2""")
        params += [edge.upstream, model.name, want]
    for i, day, changed_on, missing_up, first_missing in engine.fetchall(" UNION ALL ".join(parts) + " ORDER BY 1, 2",
                                                                         params):
        edge = model.edges[i]
        e = out.setdefault(day, {"changed": [], "missing": []})
        if changed_on is not None:
            e["changed"].append((edge.upstream, changed_on, str(edge.window)))
        if missing_up and registry[edge.upstream].kind != "source":
            e["missing"].append((edge.upstream, int(missing_up), first_missing))
    return out


def _classify(model: Model, r: dict, why: dict, deep: bool) -> tuple[Cell, str]:
    day = r["game_date"]
    tab_rows = int(r["tab_rows"] or 0)
    expected = None if r["expected"] is None else int(r["expected"])
    pct = round(100.0 * tab_rows / expected, 1) if expected else None
    base = dict(model=model.name, game_date=day, season=r["season"], season_type=r["season_type"],
                rows=tab_rows, expected=expected, pct=pct)
    fp = f"{r['cell_fp']}|{model.code_version}"  # the state behind the cell, hashed in SQL

    def cell(status: str, code: str, detail: str, rebuild: bool = True) -> Cell:
        return Cell(status=status, code=code, detail=detail, rebuild=rebuild, **base)

    # Only failed batches are joined (few): one newer than the partition means the last attempt failed.
    failed_after = r["last_at"] is not None and (r["written_at"] is None or r["last_at"] > r["written_at"])
    err = (r["last_error"] or "").strip().splitlines()[0][:160] if failed_after else ""

    if r["led_rows"] is None:
        if tab_rows:
            c = cell("stale", "tampered", f"{tab_rows} rows in the table but no ledger entry")
        elif failed_after:
            c = cell("failed", "failed", f"failed last run: {err}")
        elif why.get("missing"):
            up, n, first = why["missing"][0]
            c = cell("blocked", "blocked", f"missing; upstream {up} missing on {n} date(s) in window from {first}")
        else:
            c = cell("missing", "missing", "missing")
        return c, fp

    led_rows = int(r["led_rows"])
    c: Cell | None = None
    if tab_rows != led_rows or (deep and r["fp_differs"]):
        behind = f"rows changed behind the ledger (ledger {led_rows}, table {tab_rows})"
        if r["dups"]:
            c = cell("stale", "duplicated", f"{int(r['dups'])} duplicate rows on the grain; {behind}")
        elif expected and tab_rows < expected:
            c = cell("partial", "partial", f"partial {pct:.0f}% ({tab_rows} of {expected} rows); {behind}")
        else:
            c = cell("stale", "tampered", behind)
    elif r["old_code"] is not None:
        c = cell("stale", "code_changed", f"code changed ({r['old_code']} -> {model.code_version})")
    elif r["upf_differs"]:
        changed = why.get("changed") or []
        missing = why.get("missing") or []
        if changed:
            up, on, window = min(changed, key=lambda x: x[1])
            c = cell("stale", "upstream_changed", f"upstream {up} changed on {on} (in {window} window)")
        elif missing:
            up, n, first = missing[0]
            c = cell("stale", "upstream_changed", f"upstream {up} missing on {n} date(s) in window from {first}")
        else:
            c = cell("stale", "upstream_changed", "upstream data in window changed")
    if c is not None:
        if failed_after:
            c = cell("failed", "failed", f"failed last run: {err}; before that: {c.detail}")
        return c, fp
    if expected is not None and tab_rows < expected:
        # Built with the current code from the current inputs: a rebuild would give the same rows
        # (determinism), so the shortfall is a gap in the source data, reported but not retried.
        return cell("partial", "partial", f"partial {pct:.0f}% ({tab_rows} of {expected} rows); "
                    "inputs unchanged since built (source gap)", rebuild=False), fp
    return cell("complete", "ok", "complete", rebuild=False), fp


def empty_days(calendar_dates: set[dt.date], start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in [start, end] with no game: `empty_by_design` for explicit date scopes."""
    out, d = [], start
    while d <= end:
        if d not in calendar_dates:
            out.append(d)
        d += dt.timedelta(days=1)
    return out
