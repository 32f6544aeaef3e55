"""The write primitive: run one model over a date range as one set-based statement whose
result replaces exactly those date partitions, in the same transaction as their ledger rows.

One transaction writes straight into the model's table and proves the result before COMMIT:
every row inside the target dates, the grain unique, the ledger rows (rows, expected, data
fingerprint, upstream fingerprint) counted from what was written. Any failed check rolls the
whole transaction back, so the table and the ledger are exactly as before. (Writing into the
table directly, instead of a temp table copied afterwards, saves one copy of every row.)
A batch of a few dates (the daily path) does the same proofs with fewer statements, each of which
costs milliseconds to plan: its INSERT returns every row's date, grain and hash, and one read of the
upstream ledger rows and expected counts gives the missing-upstream check and the upstream fingerprint
(see _write_small; tests/test_build_primitive.py checks both paths write the same ledger values).
A batch of one date runs the model's `one_date_sql` (and `one_date_expected`) where it has them: the same
rows without the windows a range needs (tests/test_one_date_batches.py). Its columns must be the table's:
a one-date statement of another shape is an error, never a reason to reset the table. Any model's statement for
one date keeps its dates as named parameters, so its text is the same for every date and a process parses it once
(Engine.statement): DuckDB takes 3-5 ms to parse the larger ones, 3-9 ms a batch with the INSERT around them.
A statement's columns come from shapes.py: bound once, then remembered across processes under a hash of its SQL
and of the columns of the tables it reads (the daily path builds each model once per process).

Beside: a small batch's read of its upstream ledger rows and expected counts runs on a second cursor while
its own transaction binds, deletes and inserts (Engine.read_beside): 2-6 ms less a one-date batch than
reading first, in its transaction. The read's snapshot is taken before the batch's transaction begins, so the
transaction sees all the read saw, plus anything committed in between: never less. Nothing is committed in
between to what the batch reads or writes: the executor runs a batch only after every batch writing an
upstream date its windows read, and never two builds of one model at once (other processes wait for the
file lock). Were that broken, the batch would err on the side of caution: an upstream fingerprint older than
the data read makes the partition look stale (a rebuild), not fresh; a date missing from the older snapshot
fails the batch (MissingUpstream).

`$dates`: a model's SQL may use `game_date IN $dates` beside `$start`/`$end`. It renders to the
exact target dates, so such a model can build a non-contiguous set of dates in one statement
(the executor groups scattered batches of the same model that way). A model without `$dates`
only ever builds every game date of [start, end].
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
import uuid
from concurrent.futures import Future, wait
from dataclasses import dataclass

from courtside import shapes
from courtside.errors import MissingUpstream, ModelError
from courtside.models.registry import Model, Registry, SqlRows, Window

# Above this many target dates the upstream fingerprint uses prefix sums (planner/upstream.py): the
# exact pairwise join is quadratic for long windows, but cheaper for a handful of dates.
FAST_UPSTREAM_FP_DATES = 20
INLINE_DATES = 20  # up to this many target dates are inlined in the SQL, more go to a temp table
# Up to this many target dates a SQL model's batch proves and fingerprints what it wrote in Python, from
# the rows its INSERT returns and one read of the upstream ledger rows (see _write_small): a one-date
# batch is mostly fixed statements, each 2-30 ms to plan. Larger batches do it in SQL (_write_large).
SMALL_BATCH_DATES = 5


@dataclass(frozen=True)
class BuildResult:
    model: str
    start: dt.date
    end: dt.date
    dates: int
    rows: int
    expected: int
    seconds: float
    per_date: tuple[tuple[dt.date, int, int | None], ...] = ()   # (game_date, rows, expected rows)


def _date(d: dt.date) -> str:
    return f"DATE '{d.isoformat()}'"


def dates_sql(dates: list[dt.date] | None, start: dt.date, end: dt.date) -> str:
    """`$dates`: the target game dates as an IN operand (a literal list, or the calendar of the range)."""
    if dates is None:
        return f"(SELECT game_date FROM raw.game_dates WHERE game_date BETWEEN {_date(start)} AND {_date(end)})"
    return "(" + ", ".join(_date(d) for d in dates) + ")" if dates else "(NULL::DATE)"


def render(sql: str, start: dt.date, end: dt.date, dates: list[dt.date] | None = None) -> str:
    """Bind the range as literals (DuckDB cannot bind parameters inside CREATE TABLE AS)."""
    if "$dates" in sql:
        sql = sql.replace("$dates", dates_sql(dates, start, end))
    return sql.replace("$start", _date(start)).replace("$end", _date(end))


def one_date_values(day: dt.date, season_start: dt.date, calendar: list[tuple[dt.date, dt.date]]) -> dict[str, dt.date]:
    """The parameters of a statement for the one date `day`: `$start`/`$end` are the day; `$season_start` is the
    first game date of its season and `$prior_season_start` that of the season before (its own season's when there
    is none), both read off the calendar the batch holds. As values they cost the statement nothing to plan; derived
    from the schedule in SQL they took a CTE and a scalar subquery at each use."""
    prior = max((s for _, s in calendar if s < season_start), default=season_start)
    return {"start": day, "end": day, "season_start": season_start, "prior_season_start": prior}


def one_date_statement(sql: str) -> str:
    """A model's statement for one date, its dates left as named parameters (one_date_values): the same text for
    every date, so a process parses it once (Engine.statement). `$dates` is the one date."""
    return sql.replace("$dates", "($start)")


def render_one_date(sql: str, day: dt.date, season_start: dt.date, calendar: list[tuple[dt.date, dt.date]]) -> str:
    """A one-date SQL with its parameters (one_date_values) as literals."""
    values = one_date_values(day, season_start, calendar)
    for name in ("prior_season_start", "season_start"):   # (render() does $start and $end)
        sql = sql.replace(f"${name}", _date(values[name]))
    return render(sql, day, day)


def uses_dates(model: Model) -> bool:
    """Can this model build a non-contiguous set of dates in one statement?"""
    return model.kind == "sql" and "$dates" in model.sql


def read_calendar(engine, end: dt.date | None = None) -> list[tuple[dt.date, dt.date]]:
    """(game_date, season_start) of every game date (up to `end`): the one read of the calendar view, which
    build() takes as `calendar` when a caller (the executor, once per run) already has it."""
    if end is None:
        return engine.fetchall("SELECT game_date, season_start FROM raw.game_dates ORDER BY 1")
    return engine.fetchall("SELECT game_date, season_start FROM raw.game_dates WHERE game_date <= ? ORDER BY 1", [end])


def targets_relation(targets: list[tuple[dt.date, dt.date]]) -> str:
    """The target dates as an inline relation (game_date, season_start): no temp table to create and drop."""
    if not targets:
        return "(SELECT NULL::DATE AS game_date, NULL::DATE AS season_start WHERE false)"
    rows = ", ".join(f"({_date(d)}, {_date(s)})" for d, s in targets)
    return f"(SELECT * FROM (VALUES {rows}) v(game_date, season_start))"


def _lowest_read(window: Window, first: dt.date, season_start: dt.date) -> dt.date:
    if window.kind == "same_date":
        return first
    if window.kind in ("season_before", "season_through"):
        return season_start
    if window.kind == "days_before":
        return first - dt.timedelta(days=window.days)
    return dt.date(1, 1, 1)


def _read_by_some(window: Window, up: dt.date, days: list[dt.date], season_start: dict) -> bool:
    """Does the window of some target date contain the upstream date `up`? (the earliest candidate decides)"""
    inclusive = window.kind in ("same_date", "season_through")
    i = bisect.bisect_left(days, up) if inclusive else bisect.bisect_right(days, up)
    return i < len(days) and window.contains(days[i], up, season_start[days[i]])


def missing_upstream(engine, registry: Registry, model: Model, start: dt.date, end: dt.date,
                     targets: list[tuple[dt.date, dt.date]] | None = None,
                     calendar: list[dt.date] | None = None) -> dict[str, list]:
    """(upstream model -> game dates) that the windows of `model` over the targets need but are absent.

    One query for every edge: the calendar dates inside each edge's reach that have no ledger
    partition (normally none); Python keeps those some target's window really contains.
    Source models are not required per date: a source with no rows on a date is a gap in the
    public data (no shots for 2021-22, no props on most dates), handled by NULLs and flags.
    """
    if targets is None or calendar is None:
        cal = read_calendar(engine, end)
        targets = [t for t in cal if t[0] >= start] if targets is None else targets
        calendar = [d for d, _ in cal]
    edges = [e for e in model.edges if registry[e.upstream].kind != "source"]
    if not targets or not edges:
        return {}
    days = [d for d, _ in targets]
    season_start = dict(targets)
    lows = [_lowest_read(e.window, days[0], min(season_start.values())) for e in edges]
    reach = calendar[bisect.bisect_left(calendar, min(lows)):bisect.bisect_right(calendar, days[-1])]
    rows = engine.fetchall("""
        SELECT e.model, c.game_date
        FROM (SELECT unnest(?::VARCHAR[]) AS model, unnest(?::DATE[]) AS lo) e
        JOIN (SELECT unnest(?::DATE[]) AS game_date) c ON c.game_date >= e.lo
        WHERE NOT EXISTS (SELECT 1 FROM ledger.partitions p WHERE p.model = e.model AND p.game_date = c.game_date)
        ORDER BY 1, 2""", [[e.upstream for e in edges], lows, reach])
    return _read_by_targets(((e, day) for e in edges for up, day in rows if up == e.upstream), days, season_start)


def _read_by_targets(candidates, days: list[dt.date], season_start: dict) -> dict[str, list]:
    """(upstream -> sorted dates) of the absent (edge, upstream date) candidates that some target's
    window really reads: what missing_upstream() and a small batch's own check report."""
    missing: dict[str, set] = {}
    for e, day in candidates:
        if _read_by_some(e.window, day, days, season_start):
            missing.setdefault(e.upstream, set()).add(day)
    return {k: sorted(v) for k, v in missing.items()}


def upstream_fingerprint_sql(model: Model, dates_table: str) -> str:
    """Per target date, one fingerprint of every upstream partition its windows read."""
    parts = []
    for edge in model.edges:
        parts.append(f"""
            SELECT d.game_date, hash('{edge.upstream}', u.game_date, u.fingerprint) AS h
            FROM {dates_table} d JOIN ledger.partitions u
              ON u.model = '{edge.upstream}' AND {edge.window.sql('u', 'd')}""")
    if not parts:
        return f"SELECT game_date, '0' AS upstream_fingerprint FROM {dates_table}"
    union = " UNION ALL ".join(parts)
    return (f"SELECT d.game_date, CAST(coalesce(sum(x.h::HUGEINT), 0) AS VARCHAR) AS upstream_fingerprint "
            f"FROM {dates_table} d LEFT JOIN ({union}) x ON x.game_date = d.game_date GROUP BY d.game_date")


def upstream_fingerprint_small_sql(model: Model, dates_table: str) -> str:
    """Same values as upstream_fingerprint_sql for a handful of target dates: one join whose condition
    ORs the edges' windows instead of a union of joins (DuckDB plans it in a fraction of the time,
    which is most of the cost for one date)."""
    ups = [e.upstream for e in model.edges]
    if not ups or len(set(ups)) < len(ups):  # an upstream read through two windows: sum it twice
        return upstream_fingerprint_sql(model, dates_table)
    cond = " OR ".join(f"(u.model = '{e.upstream}' AND {e.window.sql('u', 'd')})" for e in model.edges)
    return (f"SELECT d.game_date, CAST(coalesce(sum(hash(u.model, u.game_date, u.fingerprint)::HUGEINT) "
            f"FILTER (WHERE u.model IS NOT NULL), 0) AS VARCHAR) AS upstream_fingerprint FROM {dates_table} d "
            f"LEFT JOIN ledger.partitions u ON {cond} GROUP BY d.game_date")


def build(engine, registry: Registry, model: Model | str, start: dt.date, end: dt.date,
          run_id: str, *, context: object | None = None, dates: list[dt.date] | None = None,
          calendar: list[tuple[dt.date, dt.date]] | None = None) -> BuildResult:
    """Replace the partitions of `model` for the game dates in [start, end] (inclusive).

    `dates`: build only these game dates of [start, end] (a non-contiguous set needs a model whose
    SQL uses `$dates`; a set equal to every game date of the range works for any model).
    `calendar`: (game_date, season_start) of every game date, when the caller (the executor, once per
    run) already read it.
    """
    model = registry[model] if isinstance(model, str) else model
    if model.kind == "source":
        raise ModelError(f"`{model.name}` is a source table; load it with `courtside data load`")
    t0 = time.perf_counter()
    cal = read_calendar(engine, end) if calendar is None else [t for t in calendar if t[0] <= end]
    targets = [t for t in cal if t[0] >= start]
    sql_dates = None
    if dates is not None:
        wanted = set(dates)
        outside = sorted(wanted - {d for d, _ in targets})
        if outside:
            raise ModelError(f"cannot build `{model.name}` on {outside[:3]}: not game dates inside {start}..{end}")
        if len(wanted) < len(targets):
            if not uses_dates(model):
                raise ModelError(f"model `{model.name}` cannot build a non-contiguous set of dates: its SQL "
                                 "does not use `$dates`; build each contiguous range on its own")
            targets = [t for t in targets if t[0] in wanted]
            sql_dates = [d for d, _ in targets]
    small = model.kind == "sql" and len(targets) <= SMALL_BATCH_DATES
    # one date, the daily path: the model's formulation for one date, where it has one
    one_date = model.kind == "sql" and model.one_date_sql is not None and len(targets) == 1
    if not small:  # a small batch checks its upstream inside its transaction, from the same ledger read
        missing = missing_upstream(engine, registry, model, start, end, targets, [d for d, _ in cal])
        if missing:
            raise MissingUpstream(model.name, missing)
    if not targets:
        return BuildResult(model.name, start, end, 0, 0, 0, time.perf_counter() - t0)

    days = [d for d, _ in targets]
    con = engine.con
    # The target dates as a relation: inline for a few dates; a temp table when many (an inline list
    # of a season's dates costs more to parse than the temp table costs to create).
    rel = tmp = None
    if len(days) <= INLINE_DATES:
        rel = targets_relation(targets)
        # `$dates` as the literal target dates, contiguous or not: its default (the game dates of the range,
        # read from the calendar view) computes the view at every use - 7 uses in ml_feature_store, about a
        # third of its one-date batch
        date_set = dates_sql(days, start, end)
    else:
        tmp = f"_cs_dates_{uuid.uuid4().hex[:8]}"
        con.execute(f"CREATE TEMP TABLE {tmp} AS SELECT game_date, season_start FROM raw.game_dates "
                    f"WHERE game_date BETWEEN ? AND ?" + (" AND list_contains(?::DATE[], game_date)" if sql_dates else ""),
                    [days[0], days[-1]] + ([sql_dates] if sql_dates else []))
        rel = f"(SELECT game_date, season_start FROM {tmp})"
        date_set = f"(SELECT game_date FROM {tmp})" if sql_dates else None
    in_targets = (f"game_date BETWEEN {_date(days[0])} AND {_date(days[-1])}"
                  + (f" AND game_date IN {date_set}" if date_set else ""))
    view = cleanup = values = None
    try:
        if model.kind == "python":
            frame = model.python(context if context is not None else engine, start, end)
            if isinstance(frame, SqlRows):
                source, cleanup = frame.sql, frame.cleanup
            else:
                view = f"_cs_frame_{id(frame):x}"
                con.register(view, frame)
                source = f"SELECT * FROM {view}"
        elif len(days) == 1:
            # one date: the same text for every date (parsed once per process), the dates as parameter values
            source = one_date_statement(model.one_date_sql if one_date else model.sql)
            values = one_date_values(days[0], targets[0][1], cal)
        else:
            source = _render_with(model.sql, start, end, sql_dates, date_set)
        have = _table_columns(engine, model.table)
        known, shape_key = shapes.known(engine, registry, model, one_date)
        expected = model.expected
        if one_date and model.one_date_expected is not None:
            expected = render_one_date(model.one_date_expected, days[0], targets[0][1], cal)
        expected_sql = (
            f"SELECT game_date, sum(expected)::BIGINT AS expected FROM "
            f"({_render_with(expected, start, end, sql_dates, date_set)}) GROUP BY 1"
            if expected else None)
        # A small batch reads its upstream ledger rows and expected counts (the missing check and the upstream
        # fingerprint) beside its own statements: see "Beside" above.
        side = engine.read_beside(lambda cur: _read_upstream(cur, registry, model, targets, [d for d, _ in cal],
                                                           expected_sql)) if small else None
        try:
            with engine.transaction() as tx:
                cols = known if known is not None else shapes.bind(engine, registry, model, source, one_date, values)
                if one_date:
                    # a one-date shape other than the range's would reset the table: refuse it instead
                    shape = have if have is not None else shapes.bind(
                        engine, registry, model, _render_with(model.sql, start, end, sql_dates, date_set))
                    if cols != shape:
                        raise ModelError(f"model `{model.name}`: its one-date SQL produces {_shape(cols)}, "
                                         f"not the {_shape(shape)} of its table")
                _ensure_table(tx, model, cols, have)
                tx.execute(f"DELETE FROM {model.table} WHERE {in_targets}")
                # (the Python sums key rows by their date: a game_date column of another type, say a TIMESTAMP
                # from a Python model's frame, is compared by SQL's casts in _write_large)
                if small and dict(cols)["game_date"] == "DATE":
                    written = _write_small(engine, tx, model, cols, (source, values), targets, side, expected_sql,
                                           in_targets, run_id)
                else:
                    written = _write_large(engine, tx, model, cols, (source, values), days, rel, expected_sql,
                                           in_targets, run_id)
                    if side is not None:
                        side.result()   # its missing check
                rows = sum(r[1] for r in written)
                expected = sum(r[2] or 0 for r in written)
        except Exception:
            # an upstream that is not there explains any failure of the statements that read it
            if side is not None and isinstance(side.exception(), MissingUpstream):
                raise side.exception() from None
            raise
        finally:
            if side is not None:
                wait([side])   # the second cursor is this thread's: free it before this thread's next batch
        if shape_key is not None:
            shapes.remember(engine, shape_key, model, cols)
    finally:
        if view is not None:
            con.unregister(view)
        if cleanup is not None:
            cleanup()
        if tmp is not None:
            con.execute(f"DROP TABLE IF EXISTS {tmp}")
    return BuildResult(model.name, start, end, len(written), int(rows), int(expected), time.perf_counter() - t0,
                       tuple(sorted(written)))


def _read_upstream(tx, registry: Registry, model: Model, targets, calendar: list[dt.date],
                   expected_sql: str | None) -> tuple[dict[str, list], dict | None, set[dt.date]]:
    """What a small batch reads beside its writes (Engine.read_beside), in one statement on the cursor `tx`: the
    upstream ledger rows its edges can reach, as (upstream -> [(game_date, hash(model, game_date, fingerprint))]),
    the expected rows per date (None: read after the INSERT, for an expected SQL that reads the model's own
    table), and the target dates that already have a ledger row of the model. Raises MissingUpstream as
    missing_upstream() would."""
    days = [d for d, _ in targets]
    season_start = dict(targets)
    ups = sorted({e.upstream for e in model.edges})
    upstream: dict[str, list[tuple[dt.date, int]]] = {u: [] for u in ups}
    # each upstream from the lowest date its own edges reach (one long window must not widen the read of
    # every same-date upstream: the feature store read a year of ledger rows of eight models); the model's
    # own rows on the target dates
    first_season_start = min(season_start.values())
    low: dict[str, dt.date] = {model.name: days[0]}
    for e in model.edges:
        d = _lowest_read(e.window, days[0], first_season_start)
        low[e.upstream] = min(d, low.get(e.upstream, d))
    parts = ["SELECT p.model, p.game_date, hash(p.model, p.game_date, p.fingerprint)::HUGEINT AS v "
             "FROM ledger.partitions p JOIN (SELECT unnest(?::VARCHAR[]) AS model, unnest(?::DATE[]) AS lo) r "
             "ON p.model = r.model AND p.game_date BETWEEN r.lo AND ?"]
    params = [list(low), list(low.values()), days[-1]]
    expected = None
    if expected_sql is not None and model.table not in expected_sql:
        parts.append(f"SELECT NULL::VARCHAR, game_date, expected::HUGEINT FROM ({expected_sql})")
        expected = {}
    elif expected_sql is None:
        expected = {}
    own = set()
    for name, day, v in tx.execute(" UNION ALL ".join(parts), params).fetchall():
        if name is None:
            expected[day] = None if v is None else int(v)
        elif name == model.name:
            own.add(day)
        else:
            upstream[name].append((day, v))
    missing = _missing(registry, model, days, season_start, calendar, upstream)
    if missing:
        raise MissingUpstream(model.name, missing)
    return upstream, expected, own


def _write_small(engine, tx, model: Model, cols, source: tuple[str, dict | None], targets, before: Future,
                 expected_sql: str | None, in_targets: str, run_id: str) -> list[tuple]:
    """INSERT the batch and its ledger rows for a handful of target dates; the same ledger values as
    _write_large, with fewer statements: the INSERT returns each row's date, grain keys and fingerprint
    hash (summed here exactly as sum(hash::HUGEINT)); the upstream fingerprint sums the hashes of the
    upstream ledger rows each edge's window contains (Window.contains is Window.sql), as _read_upstream read
    them beside the INSERT (`before`: its future; it raises MissingUpstream here, before anything is kept)."""
    days = [d for d, _ in targets]
    season_start = dict(targets)
    fp = engine.fingerprint_expr(model.table, alias=None, columns=cols)
    keys = ", ".join(f'"{k}"' for k in model.grain)
    returned = tx.execute(*_insert(engine, model, source, f" RETURNING game_date, {fp}" + (f", {keys}" if keys else ""))
                          ).fetchall()
    upstream, expected, own = before.result()   # `own`: the target dates that had a ledger row of the model
    per_day: dict[dt.date, list[int]] = {d: [0, 0] for d in days}
    outside = 0
    for r in returned:
        acc = per_day.get(r[0])
        if acc is None:
            outside += 1
        else:
            acc[0] += 1
            acc[1] += r[1]
    if outside:
        # Rows outside the target dates (or with no game_date) would land beside other partitions.
        raise ModelError(f"model `{model.name}` produced {outside} rows outside {_describe(days)} "
                         "(or with a NULL game_date)")
    if model.grain and len(returned) > 1:
        seen: dict[tuple, int] = {}
        for r in returned:
            k = r[2:]
            seen[k] = seen.get(k, 0) + 1
        dup = next(((k, n) for k, n in seen.items() if n > 1), None)
        if dup:
            raise ModelError(f"model `{model.name}` broke its grain ({', '.join(model.grain)}): "
                             f"{dup[0]} appears {dup[1]} times")
    if expected is None:
        expected = {d: e for d, e in tx.execute(expected_sql).fetchall()}
    written = []
    values = []
    for d in days:
        up_fp = sum(h for e in model.edges for u, h in upstream[e.upstream] if e.window.contains(d, u, season_start[d]))
        rows, fingerprint = per_day[d]
        written.append((d, rows, expected.get(d)))
        values += [model.name, d, rows, expected.get(d), str(fingerprint), model.code_version, str(up_fp), run_id]
    if len(days) == 1 and days[0] in own:
        # one partition rebuilt (the daily path's rerun): one UPDATE, not DELETE + INSERT (1.3 ms against 2.2 with
        # the COMMIT). Its row may be gone since the read (_ensure_table resets a table's ledger): then INSERT.
        key, fields = values[:2], values[2:]    # (model, game_date), then the ledger columns in table order
        updated = tx.execute("UPDATE ledger.partitions SET rows = ?, expected_rows = ?, fingerprint = ?, "
                             "code_version = ?, upstream_fingerprint = ?, run_id = ?, written_at = now() "
                             "WHERE model = ? AND game_date = ?", fields + key).fetchone()[0]
        if updated == 1:
            return written
    if own:
        tx.execute("DELETE FROM ledger.partitions WHERE model = ? AND " + in_targets, [model.name])
    # plain VALUES: a third of the planning of an INSERT ... SELECT over unnested lists
    tx.execute("INSERT INTO ledger.partitions VALUES "
               + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, now())"] * len(days)), values)
    return written


def _missing(registry: Registry, model: Model, days: list[dt.date], season_start: dict, calendar: list[dt.date],
             upstream: dict[str, list[tuple[dt.date, int]]]) -> dict[str, list]:
    """missing_upstream() over upstream ledger rows already read: the calendar dates inside each
    non-source edge's reach that have no ledger partition and that some target's window contains."""
    candidates = []
    for e in model.edges:
        if registry[e.upstream].kind == "source":
            continue
        have = {u for u, _ in upstream[e.upstream]}
        lo = _lowest_read(e.window, days[0], min(season_start.values()))
        reach = calendar[bisect.bisect_left(calendar, lo):bisect.bisect_right(calendar, days[-1])]
        candidates += [(e, c) for c in reach if c not in have]
    return _read_by_targets(candidates, days, season_start)


def _write_large(engine, tx, model: Model, cols, source: tuple[str, dict | None], days: list[dt.date], rel: str,
                 expected_sql: str | None, in_targets: str, run_id: str) -> list[tuple]:
    """INSERT the batch, then prove and fingerprint it in SQL (the grain, rows inside the targets) and
    write its ledger rows from the table."""
    inserted = tx.execute(*_insert(engine, model, source)).fetchone()[0]
    _check_grain(tx, model, in_targets)
    fp = engine.fingerprint_expr(model.table, columns=cols)
    if expected_sql is None:
        expected_sql = f"SELECT game_date, NULL::BIGINT AS expected FROM {rel}"
    if len(days) > FAST_UPSTREAM_FP_DATES:
        from courtside.planner.upstream import upstream_fingerprint_fast_sql as upf
    else:
        upf = upstream_fingerprint_small_sql
    tx.execute("DELETE FROM ledger.partitions WHERE model = ? AND " + in_targets, [model.name])
    written = tx.execute(f"""
        INSERT INTO ledger.partitions
        SELECT ?, d.game_date, coalesce(s.rows, 0), e.expected, coalesce(s.fingerprint, '0'),
               ?, uf.upstream_fingerprint, ?, now()
        FROM {rel} d
        LEFT JOIN (SELECT game_date, count(*) AS rows, CAST(sum({fp}::HUGEINT) AS VARCHAR) AS fingerprint
                   FROM {model.table} t WHERE {in_targets} GROUP BY game_date) s ON s.game_date = d.game_date
        LEFT JOIN ({expected_sql}) e ON e.game_date = d.game_date
        LEFT JOIN ({upf(model, rel)}) uf ON uf.game_date = d.game_date
        RETURNING game_date, rows, expected_rows""", [model.name, model.code_version, run_id]).fetchall()
    rows = sum(r[1] for r in written)
    if rows != inserted:
        # Rows the statement produced outside the target dates (or with no game_date) landed
        # beside other partitions: roll everything back and say so.
        raise ModelError(f"model `{model.name}` produced {inserted - rows} rows outside "
                         f"{_describe(days)} (or with a NULL game_date)")
    return written


def _insert(engine, model: Model, source: tuple[str, dict | None], returning: str = "") -> tuple:
    """execute() arguments of the INSERT of `source` ((SQL, values of its named parameters: None when it has its
    dates as literals)): a one-date statement is parsed once per process."""
    sql, values = source
    statement = f"INSERT INTO {model.table} BY NAME {sql}{returning}"
    return (statement, None) if values is None else engine.statement(statement, values)


def _describe(days: list[dt.date]) -> str:
    return f"{days[0]}..{days[-1]}" if len(days) > 1 else str(days[0])


def _render_with(sql: str, start: dt.date, end: dt.date, sql_dates, date_set: str | None) -> str:
    """render(), with `$dates` pointing at the relation of the target dates when there is one."""
    if date_set is not None and "$dates" in sql:
        sql = sql.replace("$dates", date_set)
    return render(sql, start, end, sql_dates)


def _shape(cols: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{c} {t}" for c, t in cols) + ")"


def _check_grain(tx, model: Model, in_targets: str) -> None:
    """The grain is unique over the partitions just written (the rest of the table is untouched)."""
    if not model.grain:
        return
    keys = ", ".join(f'"{k}"' for k in model.grain)
    # Grouped on one 64-bit hash of the keys first: cheaper than on the keys (strings among them; 3.5M
    # prediction rows: 0.7-1.0 -> 0.5-0.6 s). Equal keys hash equal, so no duplicate is missed; a hit is confirmed
    # on the keys themselves (a hash collision is not a duplicate).
    if not tx.execute(f"SELECT 1 FROM {model.table} WHERE {in_targets} GROUP BY hash({keys}) "
                      f"HAVING count(*) > 1 LIMIT 1").fetchone():
        return
    dup = tx.execute(f"SELECT {keys}, count(*) FROM {model.table} WHERE {in_targets} "
                     f"GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchone()
    if dup:
        raise ModelError(f"model `{model.name}` broke its grain ({', '.join(model.grain)}): "
                         f"{dup[:-1]} appears {dup[-1]} times")


def _table_columns(engine, table: str) -> list[tuple[str, str]] | None:
    """(name, type) of the table, None if it does not exist. Asked outside the transaction: a failed
    statement inside one would abort it."""
    try:
        return engine.describe(table)
    except Exception as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _ensure_table(tx, model: Model, cols: list[tuple[str, str]], have: list[tuple[str, str]] | None) -> None:
    """Create the model's table from the result's shape; a changed shape resets the table and its ledger."""
    if have == cols:
        return
    if have is not None:
        tx.execute(f"DROP TABLE {model.table}")
        tx.execute("DELETE FROM ledger.partitions WHERE model = ?", [model.name])
    columns = ", ".join(f'"{c}" {t}' for c, t in cols)
    tx.execute(f"CREATE TABLE {model.table} ({columns})")
