"""Walk-forward schedule and feature sets: the window end of D is a calendar function, never after D,
and the same in the scalar and the vectorised form; the reduced set holds no attempt-derived column."""

from __future__ import annotations

import datetime as dt

import numpy as np

from courtside.ml.feature_contract import FEATURE_NAMES
from courtside.ml.training import (ATTEMPT_DERIVED, FEATURE_SETS, RESIDUAL_BASE, RETRAIN_MONTHS, VEGAS,
                                   window_end, window_ends)


def test_window_end_is_the_period_start_on_or_before_d():
    days = [dt.date(2020, 12, 1) + dt.timedelta(days=i) for i in range(5 * 366)]
    ends = window_ends(np.array(days, dtype="datetime64[D]"))
    for d, vec in zip(days, ends):
        end = window_end(d)
        assert end <= d and end.day == 1 and (end.month - 1) % RETRAIN_MONTHS == 0
        assert (d - end).days < 31 * RETRAIN_MONTHS
        assert str(vec) == end.isoformat()


def test_feature_sets():
    full, reduced = FEATURE_SETS["full"], FEATURE_SETS["reduced"]
    assert len(set(full)) == len(full) and set(reduced) < set(full)
    assert not set(reduced) & set(ATTEMPT_DERIVED)
    assert not set(full) & VEGAS                       # the model predicts the stat, not the line
    assert {f for f in full if f in FEATURE_NAMES} <= set(FEATURE_NAMES)
    # the residual base of each market is a model input wherever the model uses it
    assert all(base in full for base in RESIDUAL_BASE.values())
