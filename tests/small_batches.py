"""Shared checks of the small-batch tests: a one-date or short-range rebuild writes exactly the rows and
ledger values of the full build, and the shape of a model's one-date plan."""

from __future__ import annotations

import json

from courtside.build import build, render

LEDGER = ("SELECT game_date, rows, expected_rows, fingerprint, upstream_fingerprint FROM ledger.partitions "
          "WHERE model = ? ORDER BY game_date")


def assert_rebuilds_equal_full_build(project, model: str, spans) -> None:
    """Rebuild each (start, end) of `spans` on a warehouse where `model` is fully built; after each, the table
    (EXCEPT ALL both ways) and the model's ledger rows must be those of the full build."""
    e = project.engine
    e.execute(f"CREATE OR REPLACE TEMP TABLE full_build AS SELECT * FROM {model}")
    ledger = e.fetchall(LEDGER, [model])
    for start, end in spans:
        build(e, project.registry, model, start, end, "small")
        diff = e.fetchone(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM full_build EXCEPT ALL SELECT * FROM {model})), "
            f"(SELECT count(*) FROM (SELECT * FROM {model} EXCEPT ALL SELECT * FROM full_build))")
        assert diff == (0, 0), f"{start}..{end}"
        assert e.fetchall(LEDGER, [model]) == ledger, f"{start}..{end}: ledger values changed"


def one_date_operators(project, model: str, day) -> list[str]:
    """The physical operators of the model's one-date SELECT (EXPLAIN, depth first)."""
    sql = render(project.registry[model].sql, day, day, [day])
    return _operators(json.loads(project.engine.fetchone("EXPLAIN (FORMAT json) " + sql)[-1]))


def _operators(plan) -> list[str]:
    nodes = plan if isinstance(plan, list) else [plan]
    return [n for node in nodes for n in [node["name"], *_operators(node.get("children", []))]]


def built_copy(loaded_warehouse, data_dir, folder, target: str, start=None, end=None):
    """A Project on a private copy of the loaded warehouse with `target` and every model it reads built over
    [start, end] (default: every game date)."""
    import shutil

    from courtside.project import Project

    path = folder / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    p = Project(path, data_dir)
    first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
    for name in p.registry.ancestors(target):
        if p.registry[name].kind != "source":
            build(p.engine, p.registry, name, start or first, end or last, "full")
    return p
