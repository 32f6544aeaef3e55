"""The LightGBM system: walk-forward models (training.py) applied to the batch's rows.

Per row: the `full` model of the row's window end where the attempt markers exist, else the `reduced`
model; the row records which one (feature_set) and the stored model's key. Rows for which no model
exists yet (not enough history before the window end) get a NULL prediction and say why.
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
from courtside.ml.training import (FEATURE_SETS, TRAIN_WINDOW_DAYS, WalkForward, residual_base, window_end,
                                   window_ends)


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
    full_ok = data["_full_ok"][rows]
    has_history = ~np.isnan(data["points_avg_season"][rows])
    end_list, end_code = np.unique(ends, return_inverse=True)
    needs = set()
    for k, we in enumerate(end_list):
        sel = end_code == k
        for market in MARKET_NAMES:
            needs.add((market, "full", _date(we)))
            # the reduced model only where rows with history lack every attempt marker
            if (sel & ~full_ok & has_history).any():
                needs.add((market, "reduced", _date(we)))
    fitted = trainer.models(needs, history if one_window else None)

    n = len(rows)
    out = []
    for market in MARKET_NAMES:
        pred = np.full(n, np.nan)
        fset = np.full(n, "none", dtype=object)
        key = np.full(n, None, dtype=object)
        train_end = np.full(n, None, dtype=object)
        train_rows = np.zeros(n, dtype=np.int64)
        for k, we in enumerate(end_list):
            sel = end_code == k
            full, reduced = fitted.get((market, "full", _date(we))), fitted.get((market, "reduced", _date(we)))
            full_ready = full is not None and full.booster is not None
            reduced_ready = reduced is not None and reduced.booster is not None
            use_reduced = sel & ~full_ok if reduced_ready else np.zeros(n, dtype=bool)
            if not full_ready and reduced_ready:
                use_reduced = sel.copy()
            use_full = sel & ~use_reduced if full_ready else np.zeros(n, dtype=bool)
            for set_name, fit, use in (("full", full, use_full), ("reduced", reduced, use_reduced)):
                if not use.any():
                    continue
                at = rows[use]
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
                   ROUND(CASE g.lgb_set WHEN 'full' THEN {BASE_CONFIDENCE}
                                        WHEN 'reduced' THEN 0.85 * {BASE_CONFIDENCE} ELSE 0 END, 4) AS confidence,
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
