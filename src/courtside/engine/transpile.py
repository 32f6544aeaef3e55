"""SQL is written once (DuckDB dialect) and transpiled with SQLGlot for a distributed engine.

The engine adapter of such an engine (BigQuery, Spark SQL) would own partition replace,
coverage probe and leases; the models' SELECTs travel as they are, through this function.
"""

from __future__ import annotations

import datetime as dt

from courtside.errors import CourtsideError

DIALECTS = ("duckdb", "bigquery", "spark")


def transpile(sql: str, dialect: str, start: dt.date | None = None, end: dt.date | None = None) -> str:
    """The model SQL in another dialect, with the range bound as literals (pretty-printed)."""
    import sqlglot

    if dialect not in DIALECTS:
        raise CourtsideError(f"unknown dialect `{dialect}`; choose one of {', '.join(DIALECTS)}")
    start = start or dt.date(2000, 1, 1)
    end = end or start
    bound = sql.replace("$start", f"DATE '{start.isoformat()}'").replace("$end", f"DATE '{end.isoformat()}'")
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(bound, read="duckdb")
        if dialect != "duckdb":
            # DuckDB sorts NULLs last; BigQuery and Spark sort them first in ascending order.
            # Our ordering keys (dates, ids) are never NULL, so adopt the target's default
            # rather than emit a NULLS clause those engines reject inside window functions.
            for ordered in tree.find_all(exp.Ordered):
                ordered.set("nulls_first", not ordered.args.get("desc"))
        out = tree.sql(dialect=dialect, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise CourtsideError(f"cannot transpile to {dialect}: {exc}") from None
    return out
