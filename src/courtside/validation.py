"""Validation: per model and season, what is there and whether it is sound, and what changed since the
previous validation of the same partitions.

One set-based query per model: dates and expected rows from the ledger; rows, distinct players,
duplicates on the grain, null rates of key columns, check violations and a data fingerprint from the
table itself. Each report is kept in ledger.validation_history so the next one can say what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from courtside.models.registry import Model, Registry
from courtside.scope import Scope

HISTORY_DDL = """CREATE TABLE IF NOT EXISTS ledger.validation_history (
    validated_at TIMESTAMP NOT NULL, model VARCHAR NOT NULL, season VARCHAR NOT NULL, scope VARCHAR NOT NULL,
    dates BIGINT, rows BIGINT, expected BIGINT, players BIGINT, duplicates BIGINT, violations BIGINT,
    fingerprint VARCHAR)"""


@dataclass(frozen=True)
class ModelSeason:
    model: str
    season: str
    dates: int
    rows: int
    expected: int | None
    players: int | None
    duplicates: int
    null_rates: dict[str, float] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    fingerprint: str = ""
    previous: dict | None = None
    changes: tuple[str, ...] = ()

    @property
    def pct(self) -> float | None:
        return round(100.0 * self.rows / self.expected, 1) if self.expected else None

    @property
    def n_violations(self) -> int:
        return sum(self.violations.values())

    @property
    def healthy(self) -> bool:
        return self.duplicates == 0 and self.n_violations == 0 and (not self.expected or self.rows >= self.expected)


def validate(engine, registry: Registry, models: list[str], scope: Scope, *, record: bool = True) -> list[ModelSeason]:
    engine.execute(HISTORY_DDL)
    key = scope.describe()
    out: list[ModelSeason] = []
    for name in models:
        model = registry[name]
        if model.kind == "source" or not engine.table_exists(model.table):
            continue
        out.extend(_validate_model(engine, model, scope, key))
    if record and out:
        engine.execute("INSERT INTO ledger.validation_history SELECT * FROM (VALUES "
                       + ", ".join(["(now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(out)) + ")",
                       [v for r in out for v in (r.model, r.season, key, r.dates, r.rows, r.expected, r.players,
                                                 r.duplicates, r.n_violations, r.fingerprint)])
    return out


def _key_columns(engine, model: Model) -> tuple[list[str], bool]:
    cols = [c for c, _ in engine.columns(model.table)]
    keys = list(model.key_columns) or [c.column for c in model.checks if c.kind == "not_null"] or list(model.grain)
    return [k for k in dict.fromkeys(keys) if k in cols], "player_id" in cols


def _validate_model(engine, model: Model, scope: Scope, key: str) -> list[ModelSeason]:
    cond, params = scope.where("g")
    keys, has_player = _key_columns(engine, model)
    cols = {c for c, _ in engine.columns(model.table)}
    checks = [c for c in model.checks if c.column in cols]
    grain = ", ".join(f't."{k}"' for k in dict.fromkeys(("game_date", *model.grain)))
    fp = engine.fingerprint_expr(model.table)
    select = [
        "count(*) AS rows",
        "count(DISTINCT t.player_id) AS players" if has_player else "NULL AS players",
        f"count(*) - count(DISTINCT ({grain})) AS duplicates" if model.grain else "0 AS duplicates",
        f"CAST(coalesce(sum({fp}::HUGEINT), 0) AS VARCHAR) AS fingerprint",
    ]
    select += [f'avg(CASE WHEN t."{k}" IS NULL THEN 1.0 ELSE 0.0 END) AS "null_{i}"' for i, k in enumerate(keys)]
    select += [f"count(*) FILTER (WHERE {c.violation_sql().replace(chr(34) + c.column, 't.' + chr(34) + c.column)}) "
               f'AS "check_{i}"' for i, c in enumerate(checks)]
    rows = engine.fetch_dicts(f"""
        WITH led AS (SELECT g.season, count(*) AS dates, sum(p.expected_rows) AS expected
                     FROM ledger.partitions p JOIN raw.game_dates g ON g.game_date = p.game_date
                     WHERE p.model = ? AND {cond} GROUP BY 1),
             tab AS (SELECT g.season, {', '.join(select)}
                     FROM {model.table} t JOIN raw.game_dates g ON g.game_date = t.game_date
                     WHERE {cond} GROUP BY 1)
        SELECT led.season, led.dates, led.expected, tab.* EXCLUDE (season)
        FROM led LEFT JOIN tab ON tab.season = led.season ORDER BY led.season""", [model.name, *params, *params])
    prev = _previous(engine, model.name, key)
    out = []
    for r in rows:
        ms = ModelSeason(
            model=model.name, season=r["season"], dates=int(r["dates"]), rows=int(r["rows"] or 0),
            expected=None if r["expected"] is None else int(r["expected"]),
            players=None if r["players"] is None else int(r["players"]), duplicates=int(r["duplicates"] or 0),
            null_rates={k: round(float(r[f"null_{i}"] or 0.0), 4) for i, k in enumerate(keys)},
            violations={c.label(): int(r[f"check_{i}"] or 0) for i, c in enumerate(checks)},
            fingerprint=r["fingerprint"] or "0")
        p = prev.get(r["season"])
        out.append(ms.__class__(**{**ms.__dict__, "previous": p, "changes": _changes(ms, p)}))
    return out


def _previous(engine, model: str, key: str) -> dict[str, dict]:
    rows = engine.fetch_dicts("""
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY season ORDER BY validated_at DESC) AS k
                       FROM ledger.validation_history WHERE model = ? AND scope = ?) WHERE k = 1""", [model, key])
    return {r["season"]: r for r in rows}


def _changes(now: ModelSeason, prev: dict | None) -> tuple[str, ...]:
    if prev is None:
        return ("first validation",)
    out = []
    for label, a, b in (("dates", prev["dates"], now.dates), ("rows", prev["rows"], now.rows),
                        ("duplicates", prev["duplicates"], now.duplicates),
                        ("violations", prev["violations"], now.n_violations)):
        if a != b:
            out.append(f"{label} {a} -> {b} ({b - (a or 0):+d})")
    if prev["fingerprint"] != now.fingerprint and not out:
        out.append("same counts, different values")
    elif prev["fingerprint"] != now.fingerprint:
        out.append("values changed")
    return tuple(out) or ("unchanged",)


def summary_rows(report: list[ModelSeason]) -> list[list]:
    """Rows for a console table."""
    rows = []
    for r in report:
        worst_null = max(r.null_rates.items(), key=lambda kv: kv[1], default=None)
        rows.append([r.model, r.season, r.dates, r.rows, r.expected if r.expected is not None else "",
                     f"{r.pct:.1f}%" if r.pct is not None else "", r.players if r.players is not None else "",
                     r.duplicates, f"{worst_null[0]} {100 * worst_null[1]:.1f}%" if worst_null and worst_null[1] else "0",
                     r.n_violations, "; ".join(r.changes)])
    return rows


SUMMARY_COLUMNS = ["model", "season", "dates", "rows", "expected", "%", "players", "dups", "worst null",
                   "violations", "vs previous"]


def as_dict(r: ModelSeason) -> dict:
    d = dict(r.__dict__)
    d["pct"] = r.pct
    d["healthy"] = r.healthy
    if d["previous"]:
        d["previous"] = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
                         for k, v in d["previous"].items() if k != "k"}
    return d
