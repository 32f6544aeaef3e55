"""The LightGBM system: walk-forward models (training.py) applied to the feature store rows of the batch.

Per row: the month's `full` model where every attempt/zone-derived feature exists, else the month's
`reduced` model; the row records which one (feature_set) and the stored model's key. Rows for which no
model exists yet (not enough history before the month) get a NULL prediction and say why.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from courtside.ml.systems import BASE_CONFIDENCE
from courtside.ml.training import FULL, FEATURE_SETS, WalkForward, full_set_available


def lightgbm(batch) -> None:
    e = batch.engine
    cols = ", ".join(f'f."{c}"::DOUBLE AS "{c}"' for c in FULL)
    table = e.con.sql(f"""
        SELECT i.game_date, i.player_id, i.market, {cols}
        FROM {batch.inputs} i
        LEFT JOIN precompute.ml_feature_store f ON f.game_date = i.game_date AND f.player_id = i.player_id
        ORDER BY i.game_date, i.player_id, i.market""").to_arrow_table()
    n = table.num_rows
    if n == 0:
        return
    data = {c: table.column(c).to_numpy(zero_copy_only=False).astype("float64") for c in FULL}
    dates = table.column("game_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    markets = np.asarray(table.column("market").to_pylist(), dtype=object)
    months = dates.astype("datetime64[M]").astype("datetime64[D]")   # first day of the game's month
    full_ok = full_set_available(data)

    month_list = sorted({_date(m) for m in np.unique(months)})
    has_history = ~np.isnan(data["points_avg_season"])
    groups = {}
    for m in month_list:
        for market in np.unique(markets):
            sel = (months == np.datetime64(m)) & (markets == market)
            if sel.any():
                groups[(market, m)] = sel
    needs = set()
    for (market, m), sel in groups.items():
        needs.add((market, "full", m))
        # the reduced model only where rows with history lack every attempt-derived feature
        if (sel & ~full_ok & has_history).any():
            needs.add((market, "reduced", m))
    trainer = batch.trainer or WalkForward(e)
    trainer.plan_window(month_list[0], month_list[-1])
    fitted = trainer.models(needs)

    pred = np.full(n, np.nan)
    fset = np.full(n, "none", dtype=object)
    key = np.full(n, None, dtype=object)
    train_end = np.full(n, None, dtype=object)
    train_rows = np.zeros(n, dtype=np.int64)
    for (market, m), sel in groups.items():
        full, reduced = fitted.get((market, "full", m)), fitted.get((market, "reduced", m))
        full_ready = full is not None and full.booster is not None
        reduced_ready = reduced is not None and reduced.booster is not None
        use_reduced = sel & ~full_ok & reduced_ready if reduced_ready else np.zeros(n, dtype=bool)
        if not full_ready and reduced_ready:
            use_reduced = sel.copy()
        use_full = sel & ~use_reduced if full_ready else np.zeros(n, dtype=bool)
        for set_name, fit, rows in (("full", full, use_full), ("reduced", reduced, use_reduced)):
            if not rows.any():
                continue
            X = np.column_stack([data[f][rows] for f in FEATURE_SETS[set_name]])
            pred[rows] = np.maximum(fit.booster.predict(X, num_threads=2), 0.0)
            fset[rows], key[rows] = set_name, fit.key
            train_end[rows], train_rows[rows] = fit.stored.train_end, fit.stored.n_rows

    frame = pd.DataFrame({
        "game_date": dates.astype("datetime64[ns]"), "player_id": table.column("player_id").to_numpy(),
        "market": markets, "lgb_value": np.round(pred, 4), "lgb_set": fset, "lgb_key": key,
        "lgb_train_end": pd.to_datetime(pd.Series(train_end, dtype=object)), "lgb_train_rows": train_rows})
    view = f"{batch.outputs}_lgb"
    e.register_df(view, frame)
    try:
        e.execute(f"""
            INSERT INTO {batch.outputs} BY NAME
            SELECT i.game_date, i.player_id, i.market, 'lightgbm' AS system,
                   CASE WHEN isnan(g.lgb_value) THEN NULL ELSE g.lgb_value END AS predicted_value,
                   ROUND(CASE g.lgb_set WHEN 'full' THEN {BASE_CONFIDENCE}
                                        WHEN 'reduced' THEN 0.85 * {BASE_CONFIDENCE} ELSE 0 END, 4) AS confidence,
                   g.lgb_set AS feature_set, g.lgb_key AS model_key,
                   json_object('feature_set', g.lgb_set, 'trained_before', g.lgb_train_end::DATE,
                               'train_rows', g.lgb_train_rows,
                               'reason', CASE WHEN g.lgb_set = 'none' THEN 'too little history before the month' END,
                               'l5', i.last5, 'season', i.season_avg)::VARCHAR AS factors
            FROM {batch.inputs} i
            JOIN {view} g ON g.game_date = i.game_date AND g.player_id = i.player_id AND g.market = i.market""")
    finally:
        e.unregister(view)


def _date(v) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime_as_string(v, unit="D")))
