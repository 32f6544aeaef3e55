"""The columns of a model's statement are bound once and remembered across processes (courtside/shapes.py):
a fresh process builds without binding a statement it has seen, writes the same rows and ledger values, and
binds again as soon as a table the statement reads has other columns."""

from __future__ import annotations

import pytest
from small_batches import LEDGER

from courtside import shapes
from courtside.build import build
from courtside.project import Project

MODEL = "analytics.upcoming_player_game_context"   # has a one-date SQL, and reads only raw tables


@pytest.fixture()
def binds(monkeypatch):
    """The statements build() binds to learn their columns (the real bind, counted)."""
    seen: list[str] = []
    real = shapes.bind

    def counting(engine, registry, model, source, one_date=False, values=None):
        seen.append(f"{model.name} {'one-date' if one_date else 'range'}")
        return real(engine, registry, model, source, one_date, values)

    monkeypatch.setattr(shapes, "bind", counting)
    return seen


def _dates(p, offset: int, n: int):
    return [r[0] for r in p.engine.fetchall("SELECT game_date FROM raw.game_dates ORDER BY 1 LIMIT ? OFFSET ?",
                                            [n, offset])]


def _state(p, day):
    rows = sorted(p.engine.fetchall(f"SELECT * FROM {MODEL} WHERE game_date = ?", [day]), key=str)
    return rows, [r for r in p.engine.fetchall(LEDGER, [MODEL]) if r[0] == day]


def test_a_fresh_process_builds_without_binding_what_it_has_seen(loaded_copy, data_dir, binds):
    with Project(loaded_copy, data_dir) as p:
        span = _dates(p, 300, 3)
        build(p.engine, p.registry, MODEL, span[0], span[-1], "range")   # a small batch: the range SQL
        build(p.engine, p.registry, MODEL, span[1], span[1], "one")      # one date: the one-date SQL
        before = _state(p, span[1])
    assert binds == [f"{MODEL} range", f"{MODEL} one-date"]

    binds.clear()
    with Project(loaded_copy, data_dir) as p:   # a new engine: nothing kept in the process
        build(p.engine, p.registry, MODEL, span[1], span[1], "again")
        build(p.engine, p.registry, MODEL, span[0], span[-1], "again")
        assert binds == []
        assert _state(p, span[1]) == before and len(before[0]) > 100


def test_a_table_read_with_other_columns_binds_again(loaded_copy, data_dir, binds):
    with Project(loaded_copy, data_dir) as p:
        day = _dates(p, 300, 1)[0]
        build(p.engine, p.registry, MODEL, day, day, "one")
        before = _state(p, day)
    binds.clear()
    with Project(loaded_copy, data_dir) as p:
        # a column added to a table the statement reads: its remembered columns no longer count
        p.engine.execute("ALTER TABLE raw.game_lines ADD COLUMN note VARCHAR")
        build(p.engine, p.registry, MODEL, day, day, "altered")
        assert binds == [f"{MODEL} one-date"]
        assert _state(p, day)[0] == before[0]
    binds.clear()
    with Project(loaded_copy, data_dir) as p:   # and those columns are remembered in turn
        build(p.engine, p.registry, MODEL, day, day, "again")
        assert binds == []
