"""Validation per model and season on the toy league, and what changed since the previous validation."""

from __future__ import annotations

import datetime as dt

import pytest

import planner_toys as T
from courtside.engine import Engine
from courtside.executor import execute
from courtside.planner.estimate import Estimator
from courtside.planner.plan import make_plan
from courtside.project import setup_warehouse
from courtside.scope import Scope
from courtside.validation import as_dict, validate


@pytest.fixture
def built(tmp_path):
    eng = Engine(tmp_path / "w.duckdb")
    setup_warehouse(eng)
    T.load_league(eng)
    reg = T.registry()
    assert execute(eng, reg, make_plan(eng, reg, [T.COMP], Scope())).outcome == "ok"
    yield eng, reg
    eng.close()


def by_key(report):
    return {(r.model, r.season): r for r in report}


def test_report_per_model_and_season(built):
    engine, reg = built
    rep = by_key(validate(engine, reg, [T.PG, T.AVG, T.COMP], Scope()))
    pg = rep[(T.PG, "2022-23")]
    assert (pg.dates, pg.rows, pg.expected, pg.players, pg.duplicates) == (30, 360, 360, 12, 0)
    assert pg.null_rates == {"player_id": 0.0, "pts": 0.0} and pg.violations == {"player_id not null": 0, "pts in [0, 80]": 0}
    assert pg.changes == ("first validation",) and pg.healthy
    assert set(rep) == {(m, s) for m in (T.PG, T.AVG, T.COMP) for s in ("2022-23", "2023-24")}
    # season_before: the first date of a season has no history, so pts_avg is NULL there only
    assert rep[(T.AVG, "2023-24")].rows == 360
    playoffs = by_key(validate(engine, reg, [T.PG], Scope(phase="playoffs")))
    assert playoffs[(T.PG, "2023-24")].dates == 6 and playoffs[(T.PG, "2023-24")].changes == ("first validation",)
    assert as_dict(pg)["pct"] == 100.0


def test_duplicates_violations_nulls_and_changes_vs_previous(built):
    engine, reg = built
    validate(engine, reg, [T.PG], Scope())
    day = dt.date(2023, 11, 2)
    engine.execute(f"INSERT INTO {T.PG} SELECT * FROM {T.PG} WHERE game_date = ? LIMIT 2", [day])
    engine.execute(f"UPDATE {T.PG} SET pts = 99 WHERE game_date = ? AND player_id = 100", [day])
    engine.execute(f"UPDATE {T.PG} SET pts = NULL WHERE game_date = ? AND player_id = 101", [day])
    rep = by_key(validate(engine, reg, [T.PG], Scope()))
    now = rep[(T.PG, "2023-24")]
    assert now.duplicates == 2 and now.rows == 362
    assert now.violations["pts in [0, 80]"] >= 1
    assert now.null_rates["pts"] == round(now.null_rates["pts"], 4) > 0
    assert not now.healthy
    assert any(c.startswith("rows 360 -> 362") for c in now.changes) and "values changed" in now.changes
    assert rep[(T.PG, "2022-23")].changes == ("unchanged",)
    assert engine.scalar("SELECT count(*) FROM ledger.validation_history") == 4


def test_estimator_learns_from_recorded_batches(built):
    engine, reg = built
    est = Estimator.from_ledger(engine, [T.PG, T.AVG, T.HIST])
    assert est.source(T.PG).endswith("past batches") and est.source(T.HIST).startswith("default")
    p50, p90 = est.batch(T.PG, 30, 360)
    assert 0 < p50 <= p90
    plan = make_plan(engine, reg, T.HIST, Scope())
    assert plan.eta_p50 > 0 and plan.eta_p90 >= plan.eta_p50
    assert plan.estimate_source[T.HIST].startswith("default")
