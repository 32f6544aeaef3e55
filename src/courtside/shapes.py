"""The columns a SQL model's statement produces, without binding the statement in every process.

build() needs a statement's (name, type) columns before it writes: to create the model's table, to reset it when
the shape changed, and to refuse a one-date SQL of another shape. DuckDB learns them by binding the statement
(DESCRIBE): 3-15 ms of a one-date batch, which the daily path pays for every model, since it builds each model
once per process. The columns follow from the statement's SQL (before its dates are bound), the columns of the
tables it reads and the DuckDB version, so ledger.shapes remembers them under a hash of exactly those: a later
process finds them with one DESCRIBE of the tables read (about 1.5 ms) and one lookup. A table changed in any way,
by courtside or by hand, changes the hash; nothing is trusted that the catalog does not show.
Within a process they are also kept by the code versions of the model and its ancestors: no DESCRIBE at all.
"""

from __future__ import annotations

import hashlib
import json

from courtside.errors import ModelError
from courtside.models.reads import tables_read
from courtside.models.registry import Model, Registry

Columns = list[tuple[str, str]]


def known(engine, registry: Registry, model: Model, one_date: bool) -> tuple[Columns | None, str | None]:
    """(columns, key) of the model's statement (its one-date SQL or its SQL): the columns when known without
    binding it (None: bind it), and the key to remember bound columns under (None: not to be remembered).
    Asked outside the batch's transaction: a missing table read fails the DESCRIBE, which would abort it."""
    if model.kind != "sql":
        return None, None
    in_process, process_key = _in_process(engine), _process_key(registry, model, one_date)
    cached = in_process.get(process_key)
    if cached is not None:
        return cached, None
    sql = model.one_date_sql if one_date else model.sql
    read_cols = engine.describe_tables(sorted(t for t in tables_read(sql) if "." in t))
    if read_cols is None:
        return None, None   # a table it reads is missing: binding the statement says so
    key = hashlib.sha256(json.dumps([engine.version, sql, read_cols]).encode()).hexdigest()
    row = engine.fetchone("SELECT columns FROM ledger.shapes WHERE shape_key = ?", [key])
    if row is None:
        return None, key
    cols = in_process[process_key] = [tuple(c) for c in json.loads(row[0])]
    return cols, None


def bind(engine, registry: Registry, model: Model, source: str, one_date: bool = False,
         values: dict | None = None) -> Columns:
    """(name, type) of what the statement `source` produces (`values`: of its named parameters, if it has any):
    bound, not run (kept for the process)."""
    cols = engine.describe(source, values)
    if "game_date" not in {c for c, _ in cols}:
        raise ModelError(f"model `{model.name}` produced no `game_date` column")
    if model.kind == "sql":
        _in_process(engine)[_process_key(registry, model, one_date)] = cols
    return cols


def remember(engine, key: str, model: Model, cols: Columns) -> None:
    """Keep bound columns under `key` for later processes. Best effort, after the batch's COMMIT: it is only a
    cache, and two workers remembering the same key at once conflict (one of them loses nothing but the write)."""
    engine.execute_quietly("INSERT OR REPLACE INTO ledger.shapes VALUES (?, ?, ?, now())",
                           [key, model.name, json.dumps(cols)])


def _process_key(registry: Registry, model: Model, one_date: bool) -> tuple:
    return (model.name, model.code_version, one_date,
            tuple(registry[a].code_version for a in registry.ancestors(model.name)))


def _in_process(engine) -> dict:
    return engine.__dict__.setdefault("_cs_output_columns", {})
