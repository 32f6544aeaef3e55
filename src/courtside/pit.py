"""Point in time: cut a warehouse back to what was knowable before tip-off on a date.

`truncate_to_before(engine, D)` removes every raw row dated D or later, except what is known
before tip-off on D:
  - D's schedule rows stay, with the final score removed and the status set to 'scheduled';
  - D's prop snapshots stay when they were provably taken before tip-off (snapshot_at < tipoff_at, the
    tip-off taken from another row of the same game where the row lacks it); untimed snapshots go;
  - D's closing game lines stay: a closing line is the last price before tip-off and carries no
    result (raw.game_lines has no score column).
Every other raw table with a `game_date` column (box scores, shots, staging tables, and any raw
table added later) loses all rows dated D or later. Model tables lose their partitions dated D or
later, with their ledger rows, and the raw ledger partitions are refreshed from the data.

This is DESIGN.md invariant 1 made executable: rebuilding every model up to D on the result must
give the same rows for D as building on the full data (tests/test_point_in_time.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from courtside.dates import parse_date
from courtside.ledger import new_run_id, record_source_partitions

# Tables whose rows dated D are (partly) pre-game information: table -> SQL run for D's rows.
_KEEP_ON_D = {
    "schedule": "UPDATE {t} SET home_pts = NULL, away_pts = NULL, status = 'scheduled' WHERE game_date = $d",
    "schedule_sources": "UPDATE {t} SET home_pts = NULL, away_pts = NULL, status = 'scheduled' WHERE game_date = $d",
    # A tip-off missing on a row may be known from another row of the same game (a pre-game fact).
    "player_props": """DELETE FROM {t} p WHERE game_date = $d AND NOT coalesce(snapshot_at < coalesce(tipoff_at,
                         (SELECT max(o.tipoff_at) FROM {t} o WHERE o.game_date = p.game_date
                            AND o.home_team IS NOT DISTINCT FROM p.home_team
                            AND o.away_team IS NOT DISTINCT FROM p.away_team)), FALSE)""",
    "game_lines": None,  # closing lines: pre-tip prices, kept as they are
}


@dataclass
class Truncation:
    day: dt.date
    deleted: dict[str, int] = field(default_factory=dict)   # table -> rows deleted
    kept_on_day: dict[str, int] = field(default_factory=dict)  # table -> rows of D kept (pre-game)


def truncate_to_before(engine, day: dt.date | str, registry=None) -> Truncation:
    """Remove everything not knowable before tip-off on `day` (see the module docstring)."""
    day = parse_date(day)
    out = Truncation(day)
    d = f"DATE '{day.isoformat()}'"
    raw_tables = [r[0] for r in engine.fetchall("""
        SELECT table_name FROM information_schema.columns
        WHERE table_schema = 'raw' AND column_name = 'game_date'
          AND table_name IN (SELECT table_name FROM information_schema.tables
                             WHERE table_schema = 'raw' AND table_type = 'BASE TABLE')
        ORDER BY 1""")]
    with engine.transaction() as con:
        for name in raw_tables:
            table = f"raw.{name}"
            before = con.execute(f"SELECT count(*) FROM {table} WHERE game_date >= {d}").fetchone()[0]
            if name in _KEEP_ON_D:
                con.execute(f"DELETE FROM {table} WHERE game_date > {d}")
                rule = _KEEP_ON_D[name]
                if rule:
                    con.execute(rule.format(t=table).replace("$d", d))
            else:
                con.execute(f"DELETE FROM {table} WHERE game_date >= {d}")
            kept = con.execute(f"SELECT count(*) FROM {table} WHERE game_date >= {d}").fetchone()[0]
            out.deleted[table] = before - kept
            if kept:
                out.kept_on_day[table] = kept
        for model in _derived_models(engine, registry):
            n = con.execute(f"SELECT count(*) FROM {model} WHERE game_date >= {d}").fetchone()[0]
            con.execute(f"DELETE FROM {model} WHERE game_date >= {d}")
            con.execute(f"DELETE FROM ledger.partitions WHERE model = ? AND game_date >= {d}", [model])
            out.deleted[model] = n
    run_id = new_run_id()
    for model, table in _source_models(registry):
        if engine.table_exists(table):
            record_source_partitions(engine, model, table, run_id)
    return out


def post_game_models(registry) -> set[str]:
    """Models whose rows for D are made from D's results: a same-date edge to a raw table that the cut
    removes on D (box scores, shots), or to another such model. Their point-in-time rule is weaker:
    rows for D may use D's games, nothing later. Grading-only models (read only after the game) are
    held to the same rule. Everything else is pre-game."""
    results = {m.name for m in registry if m.kind == "source" and m.name.split(".", 1)[-1] not in _KEEP_ON_D}
    post: set[str] = set()
    for m in registry:  # topological order: upstreams first
        if m.kind == "source":
            continue
        if m.grading_only or any(e.window.kind == "same_date" and (e.upstream in results or e.upstream in post) for e in m.edges):
            post.add(m.name)
    return post


def _source_models(registry) -> list[tuple[str, str]]:
    if registry is None:
        from courtside.models.registry import load_registry

        registry = load_registry(check=False)
    return [(m.name, m.table) for m in registry if m.kind == "source"]


def _derived_models(engine, registry) -> list[str]:
    if registry is None:
        from courtside.models.registry import load_registry

        registry = load_registry(check=False)
    return [m.table for m in registry if m.kind != "source" and engine.table_exists(m.table)]
