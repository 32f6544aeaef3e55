"""The upstream fingerprint of every date, recomputed from the ledger in linear time.

build.upstream_fingerprint_sql (what a build records) joins every target date with every upstream
partition inside its window: quadratic for long windows (all_before, days_before(365) over five
seasons is ~10^6 pairs per edge). The value is a plain sum of per-partition hashes, so the same
number comes from prefix sums: sum over [lo, hi) = cum(< hi) - cum(< lo), each an ASOF join on
the running sum. tests/test_planner.py checks both agree on every date of every model.
"""

from __future__ import annotations

from courtside.build import upstream_fingerprint_sql
from courtside.models.registry import Edge, Model


def _cum(edge: Edge) -> str:
    return (f"SELECT game_date AS u, sum(hash('{edge.upstream}', game_date, fingerprint)::HUGEINT) "
            f"OVER (ORDER BY game_date) AS cum FROM ledger.partitions WHERE model = '{edge.upstream}'")


def _edge_sql(edge: Edge, dates_table: str) -> str | None:
    """Per target date: the sum of upstream hashes in the window (HUGEINT), or None if unsupported."""
    w = edge.window
    if w.kind == "same_date":
        return (f"SELECT d.game_date, hash('{edge.upstream}', u.game_date, u.fingerprint)::HUGEINT AS s "
                f"FROM {dates_table} d JOIN ledger.partitions u ON u.model = '{edge.upstream}' "
                f"AND u.game_date = d.game_date")
    hi_op = "<=" if w.kind == "season_through" else "<"
    if w.kind in ("season_before", "season_through"):
        lo_key = "season_start"
    elif w.kind == "days_before":
        lo_key = f"CAST(game_date - INTERVAL {int(w.days)} DAY AS DATE)"
    elif w.kind == "all_before":
        lo_key = None
    else:
        return None
    hi = (f"SELECT d.game_date, c.cum FROM {dates_table} d ASOF LEFT JOIN ({_cum(edge)}) c "
          f"ON c.u {hi_op} d.game_date")
    if lo_key is None:
        return f"SELECT game_date, coalesce(cum, 0) AS s FROM ({hi})"
    lo = (f"SELECT k.game_date, c.cum FROM (SELECT game_date, {lo_key} AS lo FROM {dates_table}) k "
          f"ASOF LEFT JOIN ({_cum(edge)}) c ON c.u < k.lo")
    return (f"SELECT h.game_date, coalesce(h.cum, 0) - coalesce(l.cum, 0) AS s "
            f"FROM ({hi}) h JOIN ({lo}) l ON l.game_date = h.game_date")


def upstream_fingerprint_fast_sql(model: Model, dates_table: str) -> str:
    """Same columns and values as build.upstream_fingerprint_sql(model, dates_table)."""
    parts = []
    for edge in model.edges:
        sql = _edge_sql(edge, dates_table)
        if sql is None:  # a window kind this module does not know: the exact (slower) join
            return upstream_fingerprint_sql(model, dates_table)
        parts.append(sql)
    if not parts:
        return f"SELECT game_date, '0' AS upstream_fingerprint FROM {dates_table}"
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return (f"SELECT d.game_date, CAST(coalesce(sum(x.s), 0) AS VARCHAR) AS upstream_fingerprint "
            f"FROM {dates_table} d LEFT JOIN ({union}) x ON x.game_date = d.game_date GROUP BY d.game_date")
