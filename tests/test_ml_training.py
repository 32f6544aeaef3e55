"""Walk-forward schedule and feature sets: the window end of D is a calendar function, never after D,
and the same in the scalar and the vectorised form; the reduced set holds no attempt-derived column, and a
row is predicted by the set whose features exist for it."""

from __future__ import annotations

import datetime as dt

import numpy as np

from courtside.ml.feature_contract import FEATURE_NAMES
from courtside.ml.training import (ATTEMPT_DERIVED, FEATURE_SETS, LINE_DERIVED, NUM_ROUNDS, PARAMS, RESIDUAL_BASE,
                                   RETRAIN_MONTHS, VEGAS, preferred_sets, training_params, window_end, window_ends)


def test_window_end_is_the_period_start_on_or_before_d():
    days = [dt.date(2020, 12, 1) + dt.timedelta(days=i) for i in range(5 * 366)]
    ends = window_ends(np.array(days, dtype="datetime64[D]"))
    for d, vec in zip(days, ends):
        end = window_end(d)
        assert end <= d and end.day == 1 and (end.month - 1) % RETRAIN_MONTHS == 0
        assert (d - end).days < 31 * RETRAIN_MONTHS
        assert str(vec) == end.isoformat()


def test_feature_sets():
    full, no_lines, reduced = FEATURE_SETS["full"], FEATURE_SETS["no_lines"], FEATURE_SETS["reduced"]
    assert len(set(full)) == len(full) and set(reduced) < set(no_lines) < set(full)
    assert set(LINE_DERIVED) <= set(full) and not (set(no_lines) | set(reduced)) & set(LINE_DERIVED)
    assert set(full) - set(no_lines) == set(LINE_DERIVED)
    assert not set(reduced) & set(ATTEMPT_DERIVED)
    assert not set(full) & VEGAS                       # the model predicts the stat, not the line
    assert {f for f in full if f in FEATURE_NAMES} <= set(FEATURE_NAMES)
    # the residual base of each market is a model input wherever the model uses it
    assert all(base in full for base in RESIDUAL_BASE.values())


def test_reduced_set_has_nothing_built_from_attempts():
    # the extras built from FGA / FTA / 3PA or true shooting are attempt-derived like the store's
    for f in FEATURE_SETS["reduced"]:
        assert not f.startswith(("fga", "fta", "fg3a", "ts_", "shots_", "usage")), f


def test_training_params_per_market():
    params, rounds = training_params("points")
    assert params["objective"] == "l1" and rounds != NUM_ROUNDS and params["learning_rate"] != PARAMS["learning_rate"]
    assert training_params("threes") == (PARAMS, NUM_ROUNDS) == training_params("pra")


def test_a_first_game_of_a_season_builds_on_the_previous_season():
    from courtside.ml.training import RESIDUAL_SHARE, residual_base

    # three players: an EWMA; no EWMA yet but a previous season; neither (a rookie's first game)
    frame = {"ewma_points": np.array([20.0, np.nan, np.nan]), "prev_season_points": np.array([18.0, 24.0, np.nan])}
    base = residual_base(frame, "points", "full", np.arange(3))
    assert list(base) == [RESIDUAL_SHARE * 20.0, RESIDUAL_SHARE * 24.0, 0.0]


def test_each_row_takes_the_set_whose_features_it_has():
    from courtside.ml.training import full_set_available, lines_available

    nan = np.nan
    # attempts + line; attempts, no line; a line but no attempts (reduced box); neither; a first game of a
    # season (no history at all) with and without a line
    frame = {f: np.full(6, nan) for f in (*FEATURE_SETS["full"], "usage_rate_last_10", "ts_pct_last_10",
                                          "fg3m_avg_last_10", "fg3a_avg_last_10", "points_avg_season")}
    frame["points_avg_season"][:4] = 15.0
    frame["ts_pct_last_10"][:2] = 0.55
    frame["spread_magnitude"][[0, 2, 4]] = 3.5
    frame["game_total_line"][[0, 2, 4]] = 228.5
    frame["_full_ok"], frame["_lines_ok"] = full_set_available(frame), lines_available(frame)
    assert list(preferred_sets(frame, np.arange(6))) == ["full", "no_lines", "reduced", "reduced", "full", "no_lines"]
    # each line-derived column alone marks a line
    for f in LINE_DERIVED:
        one = {k: np.full(1, nan) for k in LINE_DERIVED}
        one[f][0] = 1.0
        assert lines_available(one)[0], f
