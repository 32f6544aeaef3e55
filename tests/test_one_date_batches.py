"""Models with a formulation for one date (Model.one_date_sql, the daily path): a batch of one date writes
exactly the rows, ledger values and expected rows of the range build, on dates of every kind (openers with last
season's roster, early-season dates, play-in, playoffs, mid-season, the reduced 2025-26 boxes, the last date);
its columns are the range's; a one-date SQL of another shape is refused before it can reset the table; and a
one-date batch is point in time (the generic test builds ranges, so it checks the range SQL only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest
from small_batches import LEDGER, assert_rebuilds_equal_full_build, built_copy

from courtside.build import build, read_calendar, render_one_date
from courtside.errors import ModelError
from courtside.models.registry import load_registry
from courtside.pit import truncate_to_before
from courtside.project import Project

ONE_DATE_MODELS = [m.name for m in load_registry(check=False) if m.one_date_sql]


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    # every model with a one-date formulation and its ancestors, built over every date with the range SQL
    p = built_copy(loaded_warehouse, data_dir, tmp_path_factory.mktemp("one_date"), "precompute.ml_feature_store")
    yield p
    p.close()


def _sample_dates(e) -> list[dt.date]:
    cal = [r[0] for r in e.fetchall("SELECT game_date FROM raw.game_dates ORDER BY 1")]
    firsts = {r[0] for r in e.fetchall("SELECT min(game_date) FROM raw.game_dates GROUP BY season, season_type")}
    seconds = {cal[cal.index(d) + 2] for d in firsts if cal.index(d) + 2 < len(cal)}   # tiny histories
    spread = set(cal[::97])                                                            # across every season
    return sorted(firsts | seconds | spread | {cal[400], cal[-1]})


def test_the_models_with_a_one_date_formulation():
    assert set(ONE_DATE_MODELS) == {"analytics.upcoming_player_game_context", "precompute.player_daily_cache",
                                    "precompute.ml_feature_store"}


@pytest.mark.parametrize("model", ONE_DATE_MODELS)
def test_one_date_batches_rewrite_the_range_build(project, model):
    e = project.engine
    days = _sample_dates(e)
    assert len(days) >= 30
    e.execute(f"CREATE OR REPLACE TEMP TABLE range_build AS SELECT * FROM {model}")
    ledger = {r[0]: r for r in e.fetchall(LEDGER, [model])}
    total = e.scalar(f"SELECT count(*) FROM {model}")
    for d in days:
        build(e, project.registry, model, d, d, "one-date")
        # the date's rows, bit for bit both ways (the table's total: nothing written elsewhere)
        diff = e.fetchone(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM range_build WHERE game_date = $d "
            f"EXCEPT ALL SELECT * FROM {model} WHERE game_date = $d)), "
            f"(SELECT count(*) FROM (SELECT * FROM {model} WHERE game_date = $d "
            f"EXCEPT ALL SELECT * FROM range_build WHERE game_date = $d)), (SELECT count(*) FROM {model})", {"d": d})
        assert diff == (0, 0, total), d
        # rows, expected rows (the one-date expected query where there is one), fingerprints
        assert [r for r in e.fetchall(LEDGER, [model]) if r[0] == d] == [ledger[d]], d
    # every date ran the same statement text, parsed once in the process (its dates are parameters)
    assert sum(f"INSERT INTO {model} " in sql for sql in e._parsed) == 1


@pytest.mark.parametrize("model", ONE_DATE_MODELS)
def test_a_range_holding_one_game_date_renders_that_date(project, model):
    # [D - 1, D] where D - 1 has no games: one target date, which is not `start`
    e = project.engine
    day = e.scalar("SELECT min(game_date) FROM raw.game_dates g WHERE season_type = 'regular' AND NOT EXISTS "
                   "(SELECT 1 FROM raw.game_dates h WHERE h.game_date = g.game_date - 1) AND game_date > "
                   "(SELECT min(game_date) + 30 FROM raw.game_dates)")
    assert_rebuilds_equal_full_build(project, model, [(day - dt.timedelta(days=1), day)])


@pytest.mark.parametrize("model", ONE_DATE_MODELS)
def test_one_date_columns_are_the_range_columns(project, model):
    e, m = project.engine, project.registry[model]
    day, season_start = e.fetchone("SELECT game_date, season_start FROM raw.game_dates "
                                   "ORDER BY game_date LIMIT 1 OFFSET 400")
    one = e.fetchall("DESCRIBE " + render_one_date(m.one_date_sql, day, season_start, read_calendar(e)))
    assert [c[:2] for c in one] == [c[:2] for c in e.fetchall(f"DESCRIBE {m.table}")]


def test_a_one_date_sql_of_another_shape_is_refused(project):
    e = project.engine
    m = project.registry["precompute.player_daily_cache"]
    bad = dataclasses.replace(m, one_date_sql=f"SELECT * EXCLUDE (small_sample) FROM ({m.one_date_sql})")
    day = e.scalar("SELECT game_date FROM raw.game_dates ORDER BY game_date LIMIT 1 OFFSET 400")
    before = e.fetchone(f"SELECT count(*), count(DISTINCT game_date) FROM {m.table}")
    with pytest.raises(ModelError, match="one-date SQL produces"):
        build(e, project.registry, bad, day, day, "bad-shape")
    assert e.fetchone(f"SELECT count(*), count(DISTINCT game_date) FROM {m.table}") == before
    assert [c for c, *_ in e.fetchall(f"DESCRIBE {m.table}")][-1] == "small_sample"


@pytest.mark.parametrize("query", [
    "season = '2023-24' AND season_type = 'regular' ORDER BY game_date LIMIT 1",             # an opener
    "season = '2022-23' AND season_type = 'regular' ORDER BY game_date LIMIT 1 OFFSET 120",  # mid-season
    "season = '2022-23' AND season_type = 'playoffs' ORDER BY game_date LIMIT 1 OFFSET 5",   # playoffs
])
def test_one_date_batches_are_point_in_time(project, loaded_warehouse, data_dir, tmp_path, query):
    # each one-date model built on D with all the data, then on a copy of the loaded data cut back to before
    # tip-off on D (its upstreams built up to D with their range SQL): the same rows
    e = project.engine
    day = e.scalar(f"SELECT game_date FROM raw.game_dates WHERE {query}")
    full = {}
    for m in ONE_DATE_MODELS:
        build(e, project.registry, m, day, day, "full")
        full[m] = sorted(e.fetchall(f"SELECT * FROM {m} WHERE game_date = ?", [day]), key=str)
    shutil.copy(loaded_warehouse, tmp_path / "cut.duckdb")
    with Project(tmp_path / "cut.duckdb", data_dir) as cut:
        truncate_to_before(cut.engine, day, cut.registry)
        first = cut.engine.scalar("SELECT min(game_date) FROM raw.game_dates")
        for name in cut.registry.ancestors("precompute.ml_feature_store"):   # upstreams first, with the range SQL
            if cut.registry[name].kind != "source":
                build(cut.engine, cut.registry, name, first, day, "cut")
        for name in ONE_DATE_MODELS:   # registry order: upstreams first
            build(cut.engine, cut.registry, name, day, day, "cut")
            rows = sorted(cut.engine.fetchall(f"SELECT * FROM {name} WHERE game_date = ?", [day]), key=str)
            assert rows == full[name] and len(rows) > 20, name
