"""The write primitive: run one model over a date range as one set-based statement whose
result replaces exactly those date partitions, in the same transaction as their ledger rows.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from courtside.errors import MissingUpstream, ModelError
from courtside.models.registry import Model, Registry


@dataclass(frozen=True)
class BuildResult:
    model: str
    start: dt.date
    end: dt.date
    dates: int
    rows: int
    expected: int
    seconds: float


def render(sql: str, start: dt.date, end: dt.date) -> str:
    """Bind the range as literals (DuckDB cannot bind parameters inside CREATE TABLE AS)."""
    return sql.replace("$start", f"DATE '{start.isoformat()}'").replace("$end", f"DATE '{end.isoformat()}'")


def game_dates(engine, start: dt.date, end: dt.date) -> list[dt.date]:
    return [r[0] for r in engine.fetchall(
        "SELECT game_date FROM raw.game_dates WHERE game_date BETWEEN ? AND ? ORDER BY 1", [start, end])]


def missing_upstream(engine, registry: Registry, model: Model, start: dt.date, end: dt.date) -> dict[str, list]:
    """(upstream model -> game dates) that the windows of `model` over [start, end] need but are absent.

    Source models are not required per date: a source with no rows on a date is a gap in the
    public data (no shots for 2021-22, no props on most dates), handled by NULLs and flags.
    """
    missing: dict[str, list] = {}
    for edge in model.edges:
        if registry[edge.upstream].kind == "source":
            continue
        rows = engine.fetchall(f"""
            SELECT DISTINCT u.game_date FROM raw.game_dates d JOIN raw.game_dates u ON {edge.window.sql('u', 'd')}
            WHERE d.game_date BETWEEN ? AND ?
              AND NOT EXISTS (SELECT 1 FROM ledger.partitions p WHERE p.model = ? AND p.game_date = u.game_date)
            ORDER BY 1""", [start, end, edge.upstream])
        if rows:
            missing.setdefault(edge.upstream, []).extend(r[0] for r in rows)
    return missing


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


def build(engine, registry: Registry, model: Model | str, start: dt.date, end: dt.date,
          run_id: str, *, context: object | None = None) -> BuildResult:
    """Replace the partitions of `model` for the game dates in [start, end] (inclusive)."""
    model = registry[model] if isinstance(model, str) else model
    if model.kind == "source":
        raise ModelError(f"`{model.name}` is a source table; load it with `courtside data load`")
    t0 = time.perf_counter()
    missing = missing_upstream(engine, registry, model, start, end)
    if missing:
        raise MissingUpstream(model.name, missing)

    tag = uuid.uuid4().hex[:8]
    new, dates = f"_cs_new_{tag}", f"_cs_dates_{tag}"
    con = engine.con
    con.execute(f"""CREATE TEMP TABLE {dates} AS SELECT game_date, season_start FROM raw.game_dates
                    WHERE game_date BETWEEN DATE '{start}' AND DATE '{end}'""")
    try:
        _materialize(engine, model, start, end, new, context)
        _check_output(engine, model, new, start, end)
        fp = engine.fingerprint_expr(new)
        expected_sql = (f"SELECT game_date, sum(expected)::BIGINT AS expected FROM ({render(model.expected, start, end)}) "
                        f"GROUP BY 1") if model.expected else f"SELECT game_date, NULL::BIGINT AS expected FROM {dates}"
        with engine.transaction() as tx:
            _ensure_table(engine, tx, model, new)
            tx.execute(f"DELETE FROM {model.table} WHERE game_date BETWEEN ? AND ?", [start, end])
            tx.execute(f"INSERT INTO {model.table} BY NAME SELECT * FROM {new}")
            tx.execute("DELETE FROM ledger.partitions WHERE model = ? AND game_date BETWEEN ? AND ?",
                       [model.name, start, end])
            tx.execute(f"""
                INSERT INTO ledger.partitions
                SELECT ?, d.game_date, coalesce(s.rows, 0), e.expected, coalesce(s.fingerprint, '0'),
                       ?, uf.upstream_fingerprint, ?, now()
                FROM {dates} d
                LEFT JOIN (SELECT game_date, count(*) AS rows, CAST(sum({fp}::HUGEINT) AS VARCHAR) AS fingerprint
                           FROM {new} t GROUP BY game_date) s ON s.game_date = d.game_date
                LEFT JOIN ({expected_sql}) e ON e.game_date = d.game_date
                LEFT JOIN ({upstream_fingerprint_sql(model, dates)}) uf ON uf.game_date = d.game_date""",
                       [model.name, model.code_version, run_id])
            rows, expected, n = tx.execute(
                "SELECT coalesce(sum(rows), 0), coalesce(sum(expected_rows), 0), count(*) FROM ledger.partitions "
                "WHERE model = ? AND game_date BETWEEN ? AND ?", [model.name, start, end]).fetchone()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {new}")
        con.execute(f"DROP TABLE IF EXISTS {dates}")
    return BuildResult(model.name, start, end, int(n), int(rows), int(expected), time.perf_counter() - t0)


def _materialize(engine, model: Model, start, end, new: str, context) -> None:
    con = engine.con
    if model.kind == "python":
        frame = model.python(context if context is not None else engine, start, end)
        view = f"{new}_df"
        con.register(view, frame)
        try:
            con.execute(f"CREATE TEMP TABLE {new} AS SELECT * FROM {view}")
        finally:
            con.unregister(view)
    else:
        con.execute(f"CREATE TEMP TABLE {new} AS {render(model.sql, start, end)}")


def _check_output(engine, model: Model, new: str, start, end) -> None:
    cols = {row[0] for row in engine.fetchall(f"DESCRIBE {new}")}
    if "game_date" not in cols:
        raise ModelError(f"model `{model.name}` produced no `game_date` column")
    outside = engine.scalar(f"SELECT count(*) FROM {new} WHERE game_date NOT BETWEEN ? AND ? OR game_date IS NULL",
                            [start, end])
    if outside:
        raise ModelError(f"model `{model.name}` produced {outside} rows outside {start}..{end}")
    if model.grain:
        keys = ", ".join(f'"{k}"' for k in model.grain)
        dup = engine.fetchone(f"SELECT {keys}, count(*) FROM {new} GROUP BY ALL HAVING count(*) > 1 LIMIT 1")
        if dup:
            raise ModelError(f"model `{model.name}` broke its grain ({', '.join(model.grain)}): "
                             f"{dup[:-1]} appears {dup[-1]} times")


def _ensure_table(engine, tx, model: Model, new: str) -> None:
    """Create the model's table from the result's shape; a changed shape resets the table and its ledger."""
    new_cols = [(c, t) for c, t, *_ in engine.fetchall(f"DESCRIBE {new}")]
    if engine.table_exists(model.table):
        if [(c, t) for c, t in engine.columns(model.table)] == new_cols:
            return
        tx.execute(f"DROP TABLE {model.table}")
        tx.execute("DELETE FROM ledger.partitions WHERE model = ?", [model.name])
    tx.execute(f"CREATE TABLE {model.table} AS SELECT * FROM {new} WHERE false")
