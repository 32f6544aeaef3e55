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
    from sqlglot import exp

    from courtside.build import render

    start = start or dt.date(2000, 1, 1)
    end = end or start
    bound = render(sql, start, end)  # $start/$end as literals, $dates as the range's game dates

    try:
        tree = sqlglot.parse_one(bound, read="duckdb")
        if dialect != "duckdb":
            # DuckDB sorts NULLs last; BigQuery and Spark sort them first in ascending order.
            # Our ordering keys (dates, ids) are never NULL, so adopt the target's default
            # rather than emit a NULLS clause those engines reject inside window functions.
            for ordered in tree.find_all(exp.Ordered):
                ordered.set("nulls_first", not ordered.args.get("desc"))
            # No unsigned integers there: a UBIGINT bit set becomes a signed 64-bit one. The bit patterns,
            # shifts left, ORs, ANDs and bit counts agree (two's complement); only comparisons and
            # arithmetic above 2^63 would not, and our bit sets are only shifted, masked and counted.
            for dtype in tree.find_all(exp.DataType):
                if dtype.this == exp.DataType.Type.UBIGINT:
                    dtype.set("this", exp.DataType.Type.BIGINT)
        out = tree.sql(dialect=dialect, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise CourtsideError(f"cannot transpile to {dialect}: {exc}") from None
    return out
