"""Grading math on crafted rows: push = void for the pick, DNP / no box = void, the line's own error,
Wilson intervals, and the report's same-rows comparison."""

from __future__ import annotations

import datetime as dt

import pytest

from courtside.build import build
from courtside.engine import Engine
from courtside.ml.grading import ACCURACY, BREAK_EVEN_110, DAILY, wilson
from courtside.ml.report import grade_report
from courtside.models.registry import Model, Registry
from courtside.project import setup_warehouse

D = dt.date(2024, 1, 10)


def test_wilson_matches_known_values():
    lo, hi = wilson(55, 100)
    assert lo == pytest.approx(0.4524, abs=1e-4) and hi == pytest.approx(0.6438, abs=1e-4)
    assert wilson(0, 0) == (None, None)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert BREAK_EVEN_110 == pytest.approx(0.5238, abs=1e-4)


# Upstream tables stand in as source models with crafted rows (their real builders are tested elsewhere).
UPSTREAMS = [Model(n, n.split(".")[0], (), kind="source") for n in
             ("predictions.player_prop_predictions", "analytics.player_game_summary", "predictions.player_baselines",
              "grading.prop_lines_attested")]


@pytest.fixture
def engine(tmp_path):
    eng = Engine(tmp_path / "g.duckdb")
    setup_warehouse(eng)
    eng.execute("INSERT INTO raw.schedule VALUES ('g1', ?, '2023-24', 'regular', 'BOS', 'NYK', 100, 90, 'final',"
                " 't', 'f', 1, now())", [D])
    eng.execute("""CREATE TABLE predictions.player_prop_predictions (game_date DATE, game_id VARCHAR, season VARCHAR,
        season_type VARCHAR, player_id BIGINT, system VARCHAR, market VARCHAR, feature_set VARCHAR,
        predicted_value DOUBLE, confidence DOUBLE, recommendation VARCHAR, line_value DOUBLE, edge DOUBLE,
        line_over_prob DOUBLE, line_under_prob DOUBLE)""")
    eng.execute("""CREATE TABLE analytics.player_game_summary (game_date DATE, player_id BIGINT, is_dnp BOOLEAN,
        minutes DOUBLE, pts INTEGER, reb INTEGER, ast INTEGER, fg3m INTEGER)""")
    eng.execute("""CREATE TABLE predictions.player_baselines (game_date DATE, player_id BIGINT, market VARCHAR,
        season_avg DOUBLE, last5 DOUBLE, last10 DOUBLE, ewma DOUBLE)""")
    eng.execute("""CREATE TABLE grading.prop_lines_attested (game_date DATE, player_id BIGINT, market VARCHAR,
        book VARCHAR, line_value DOUBLE, over_price INTEGER, under_price INTEGER, no_vig_over_prob DOUBLE,
        snapshot_rule VARCHAR, is_consensus BOOLEAN)""")
    yield eng
    eng.close()


def pred(eng, player, value, line, rec, market="points", system="lightgbm", over_prob=None, under_prob=None):
    edge = None if line is None else value - line
    eng.execute("INSERT INTO predictions.player_prop_predictions VALUES (?, 'g1', '2023-24', 'regular', ?, ?, ?,"
                " 'full', ?, 0.6, ?, ?, ?, ?, ?)",
                [D, player, system, market, value, rec, line, edge, over_prob, under_prob])


def box(eng, player, pts, minutes=30.0, dnp=False, fg3m=2):
    eng.execute("INSERT INTO analytics.player_game_summary VALUES (?, ?, ?, ?, ?, 5, 5, ?)",
                [D, player, dnp, minutes, pts, fg3m])


def graded(eng):
    reg = Registry([*UPSTREAMS, ACCURACY, DAILY])
    build(eng, reg, ACCURACY, D, D, "r")
    build(eng, reg, DAILY, D, D, "r")
    return {(r["player_id"], r["market"]): r for r in eng.fetch_dicts("SELECT * FROM grading.prediction_accuracy")}


def test_settlement_rules(engine):
    pred(engine, 1, 25.0, 20.5, "OVER"); box(engine, 1, 24)            # win, line error 3.5
    pred(engine, 2, 25.0, 20.0, "OVER"); box(engine, 2, 20)            # push: void for the pick
    pred(engine, 3, 25.0, 20.5, "OVER"); box(engine, 3, 0, minutes=0, dnp=True)   # DNP: void
    pred(engine, 4, 25.0, 20.5, "OVER")                                # no box score: void
    pred(engine, 5, 15.0, 20.5, "UNDER"); box(engine, 5, 22)           # loss
    pred(engine, 6, 15.0, None, "PASS"); box(engine, 6, 10)            # no line: graded for MAE only
    pred(engine, 7, 21.0, 20.5, "PASS"); box(engine, 7, 30)            # PASS: no pick, side still graded
    pred(engine, 1, 2.0, 1.5, "OVER", market="threes")                # player 1's box has fg3m = 2
    g = graded(engine)
    assert g[(1, "points")]["pick_correct"] is True and g[(1, "points")]["line_absolute_error"] == 3.5
    assert g[(1, "points")]["absolute_error"] == 1.0 and g[(1, "points")]["signed_error"] == 1.0
    assert g[(2, "points")]["is_push"] and g[(2, "points")]["pick_correct"] is None
    assert g[(2, "points")]["side_correct"] is None and not g[(2, "points")]["is_voided"]
    assert g[(3, "points")]["is_voided"] and g[(3, "points")]["void_reason"] == "dnp"
    assert g[(3, "points")]["absolute_error"] is None and g[(3, "points")]["pick_correct"] is None
    assert g[(4, "points")]["void_reason"] == "no_box_score"
    assert g[(5, "points")]["pick_correct"] is False
    assert g[(6, "points")]["absolute_error"] == 5.0 and g[(6, "points")]["pick_correct"] is None
    assert g[(7, "points")]["pick_correct"] is None and g[(7, "points")]["side_correct"] is True
    assert g[(1, "threes")]["actual"] == 2 and g[(1, "threes")]["pick_correct"] is True
    daily = engine.fetch_dicts("SELECT * FROM grading.system_daily_performance WHERE market = 'points'")[0]
    # 2 picks decided (1 won, 5 lost): the push, the DNP and the missing box are out of the denominator
    assert (daily["picks"], daily["picks_won"], daily["win_rate"]) == (2, 1, 0.5)
    assert daily["voided"] == 2 and daily["pushes"] == 1


def test_report_compares_on_the_same_rows(engine):
    for p, (pts, base) in enumerate([(20, 18.0), (10, 14.0), (30, None)], start=1):
        pred(engine, p, 20.0, 19.5, "PASS"); box(engine, p, pts)
        engine.execute("INSERT INTO predictions.player_baselines VALUES (?, ?, 'points', ?, ?, ?, ?)",
                       [D, p, base, base, base, base])
    graded(engine)
    row = grade_report(engine, "regular")["rows"][0]
    assert row["graded"] == 3 and row["same_rows"] == 2          # player 3 has no baseline
    assert row["mae_same_rows"] == 5.0                          # |20-20| and |20-10|
    assert row["baseline_mae"]["last5"] == 3.0                  # |18-20| and |14-10|
    assert row["improvement_vs_best_pct"] == pytest.approx(-66.67, abs=0.01)
    hr = {(h["threshold"], h["side"]): h for h in row["hit_rates"]}
    assert hr[(0, "ALL")]["picks"] == 3 and hr[(0, "ALL")]["wins"] == 2   # edge +0.5: over wins on 20 and 30
    assert (0, "UNDER") not in hr and (1, "ALL") not in hr            # no UNDER side, no edge >= 1


def test_hit_rate_is_compared_with_the_prices_of_the_side_taken(engine):
    # OVER edges priced at 0.60 / 0.40 (a favourite), an UNDER edge priced at 0.45, one pick without prices
    pred(engine, 1, 25.0, 20.5, "OVER", over_prob=0.60, under_prob=0.40); box(engine, 1, 24)   # won
    pred(engine, 2, 25.0, 20.5, "OVER", over_prob=0.60, under_prob=0.40); box(engine, 2, 18)   # lost
    pred(engine, 3, 15.0, 20.5, "UNDER", over_prob=0.55, under_prob=0.45); box(engine, 3, 12)  # won
    pred(engine, 4, 25.0, 20.5, "OVER"); box(engine, 4, 30)                                    # won, no price
    g = graded(engine)
    assert g[(1, "points")]["side_implied_prob"] == 0.60 and g[(3, "points")]["side_implied_prob"] == 0.45
    assert g[(4, "points")]["side_implied_prob"] is None
    hr = {(h["threshold"], h["side"]): h for h in grade_report(engine, "regular")["rows"][0]["hit_rates"]}
    all0 = hr[(0, "ALL")]
    assert (all0["picks"], all0["wins"], all0["priced"]) == (4, 3, 3)
    assert all0["priced_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert all0["implied_prob"] == pytest.approx((0.60 + 0.60 + 0.45) / 3, abs=1e-4)
    assert hr[(0, "OVER")]["implied_prob"] == pytest.approx(0.60) and not all0["beats_prices"]


def attested(eng, player, line, rule, book_prices=((-110, -110),), market="points"):
    for i, (over, under) in enumerate(book_prices):
        eng.execute("INSERT INTO grading.prop_lines_attested VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, FALSE)",
                    [D, player, market, f"book{i}", line, over, under, rule])
    eng.execute("INSERT INTO grading.prop_lines_attested VALUES (?, ?, ?, 'consensus', ?, NULL, NULL, NULL, ?, TRUE)",
                [D, player, market, line, rule])


def test_attested_lines_grade_sides_only_where_no_proven_line_and_report_apart(engine):
    pred(engine, 1, 25.0, 20.5, "OVER"); box(engine, 1, 24)                # proven line: graded on it
    attested(engine, 1, 30.5, "pre_tip_verified")                           # (the attested table repeats it)
    pred(engine, 2, 25.0, None, "PASS"); box(engine, 2, 26)                 # no proven line: attested one
    attested(engine, 2, 22.5, "untimed", book_prices=((-120, 100),))
    pred(engine, 3, 25.0, None, "PASS"); box(engine, 3, 26)                 # no line anywhere
    g = graded(engine)
    assert g[(1, "points")]["line_value"] == 20.5 and g[(1, "points")]["line_rule"] == "pre_tip_verified"
    two = g[(2, "points")]
    assert (two["line_value"], two["line_rule"], two["edge"]) == (22.5, "untimed", 2.5)
    assert two["side_correct"] is True and two["pick_correct"] is None     # a side, never a pick
    assert two["line_absolute_error"] == 3.5
    assert two["side_implied_prob"] == pytest.approx(120 / 220, abs=1e-4)       # no no-vig given: own price
    assert g[(3, "points")]["line_value"] is None and g[(3, "points")]["line_rule"] is None
    daily = engine.fetch_dicts("SELECT * FROM grading.system_daily_performance")[0]
    assert daily["graded_with_line"] == 1 and daily["line_mae"] == 3.5      # proven lines only
    row = grade_report(engine, "regular")["rows"][0]
    assert row["line_rows"] == 1 and row["line_mae"] == 3.5
    assert row["attested_line_rows"] == 1 and row["attested_line_mae"] == 3.5
    assert {h["picks"] for h in row["hit_rates"] if (h["threshold"], h["side"]) == (0, "ALL")} == {1}
    att = {(h["threshold"], h["side"]): h for h in row["attested_hit_rates"]}
    assert att[(0, "ALL")]["picks"] == 1 and att[(0, "ALL")]["wins"] == 1 and (1, "ALL") in att
