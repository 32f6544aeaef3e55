"""The LightGBM system: walk-forward models (training.py) applied to the batch's rows.

Per row: the model of the row's window end whose features exist for it (`full`, `no_lines` or
`reduced`: training.preferred_sets); the row records which one (feature_set) and the stored model's
key. Rows for which no model exists yet (not enough history before the window end) get a NULL
prediction and say why.
The model frame (model_frame.py) is read once per batch and serves training and prediction; the rows
are grouped by (window end, market) with integer codes, so the cost does not grow with the number of
windows times the number of rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from courtside.ml.markets import MARKET_NAMES
from courtside.ml.systems import BASE_CONFIDENCE
from courtside.ml.training import (FEATURE_SETS, TRAIN_WINDOW_DAYS, WalkForward, preferred_sets, residual_base,
                                   window_end, window_ends)

# Where a row's preferred model could not be trained (too few rows before its window end), the nearest set that was.
FALLBACK = {"full": ("full", "no_lines", "reduced"), "no_lines": ("no_lines", "full", "reduced"),
            "reduced": ("reduced", "no_lines", "full")}


def lightgbm(batch) -> None:
    e = batch.engine
    trainer = batch.trainer or WalkForward(e)
    start, end = _as_date(batch.start), _as_date(batch.end)
    first_end = window_end(start)
    history = (first_end - dt.timedelta(days=TRAIN_WINDOW_DAYS), first_end - dt.timedelta(days=1))
    # A batch inside one half-year (the daily path) reads only its own rows: its models are normally stored,
    # and their two years of training rows, all before the window end, are read only to train one (a one-date
    # batch spent about 2 of its 3.7 s reading them). A longer batch reads training and own rows in one frame.
    one_window = window_end(end) == first_end
    data = trainer.load(start, end) if one_window else trainer.load(history[0], end)
    rows = np.flatnonzero(data["game_date"] >= np.datetime64(start))   # the batch's player-games
    if len(rows) == 0:
        return
    dates = data["game_date"][rows]
    ends = window_ends(dates)
    preferred = preferred_sets(data, rows)
    end_list, end_code = np.unique(ends, return_inverse=True)
    needs = {(market, str(fset), _date(end_list[k]))
             for k, fset in set(zip(end_code.tolist(), preferred.tolist())) for market in MARKET_NAMES}
    fitted = trainer.models(needs, history if one_window else None)

    n = len(rows)
    # the rows of each (window end, preferred set), the same for every market
    groups = [(we, want, use) for k, we in enumerate(end_list) for want in FEATURE_SETS
              if (use := (end_code == k) & (preferred == want)).any()]
    out = []
    for market in MARKET_NAMES:
        pred = np.full(n, np.nan)
        fset = np.full(n, "none", dtype=object)
        key = np.full(n, None, dtype=object)
        train_end = np.full(n, None, dtype=object)
        train_rows = np.zeros(n, dtype=np.int64)
        for we, want, use in groups:
            ready = {name: f for name in FALLBACK[want]
                     if (f := fitted.get((market, name, _date(we)))) is not None and f.booster is not None}
            # the preferred model, else (too little history for it) the nearest one trained for this window
            set_name = next((s for s in FALLBACK[want] if s in ready), None)
            if set_name is None:
                continue
            fit, at = ready[set_name], rows[use]
            X = np.column_stack([data[f][at] for f in FEATURE_SETS[set_name]])
            value = fit.booster.predict(X, num_threads=1) + residual_base(data, market, set_name, at)
            pred[use] = np.maximum(value, 0.0)
            fset[use], key[use] = set_name, fit.key
            train_end[use], train_rows[use] = fit.stored.train_end, fit.stored.n_rows
        out.append(pd.DataFrame({
            "game_date": dates.astype("datetime64[ns]"), "player_id": data["player_id"][rows],
            "market": market, "lgb_value": np.round(pred, 4), "lgb_set": fset, "lgb_key": key,
            "lgb_train_end": pd.to_datetime(pd.Series(train_end, dtype=object)), "lgb_train_rows": train_rows}))
    frame = pd.concat(out, ignore_index=True)
    view = f"{batch.outputs}_lgb"
    e.register_df(view, frame)
    try:
        e.execute(f"""
            INSERT INTO {batch.outputs} BY NAME
            SELECT i.game_date, i.player_id, i.market, 'lightgbm' AS system,
                   CASE WHEN isnan(g.lgb_value) THEN NULL ELSE g.lgb_value END AS predicted_value,
                   ROUND(CASE WHEN g.lgb_set IN ('full', 'no_lines') THEN {BASE_CONFIDENCE}
                              WHEN g.lgb_set = 'reduced' THEN 0.85 * {BASE_CONFIDENCE} ELSE 0 END, 4) AS confidence,
                   coalesce(g.lgb_set, 'none') AS feature_set, g.lgb_key AS model_key,
                   json_object('feature_set', coalesce(g.lgb_set, 'none'), 'trained_before', g.lgb_train_end::DATE,
                               'train_rows', g.lgb_train_rows,
                               'reason', CASE WHEN coalesce(g.lgb_set, 'none') = 'none'
                                              THEN 'too little history before the window end' END,
                               'l5', i.last5, 'season', i.season_avg)::VARCHAR AS factors
            FROM {batch.inputs} i
            LEFT JOIN {view} g ON g.game_date = i.game_date AND g.player_id = i.player_id AND g.market = i.market""")
    finally:
        e.unregister(view)


def _date(v) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime_as_string(v, unit="D")))


def _as_date(v) -> dt.date:
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))
