"""Walk-forward LightGBM: for a game in month M, a model trained only on games strictly before M's first day.

Monthly retraining is enough for player props (the original settled on weekly-to-monthly cadences) and
keeps the whole four-and-a-half-season backfill to a few dozen trainings per market. Models are trained
only for the (market, feature set, month) triples some prediction in the batch needs, and stored in
predictions.trained_models (model_store.py) so a rebuild reuses them.

Two feature sets, chosen per row by what exists at prediction time (the 2025-26 boxes have no shot
attempts or threes; no shot-zone data exists for 2021-22): `full` where every attempt/zone-derived
feature is present, else `reduced`, a model trained without them - never a model fed defaults it did
not see in training. Vegas features are left out of both: the model predicts the stat, the line is what
it is compared with (and real points lines do not exist in the data).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import time
from dataclasses import dataclass

import numpy as np

from courtside.ml import model_store
from courtside.ml.feature_contract import FEATURE_NAMES, FEATURE_VERSION
from courtside.ml.markets import MARKETS, target_unpivot_sql

VEGAS = {"vegas_points_line", "vegas_opening_line", "vegas_line_move", "has_vegas_line",
         "vegas_threes_line", "vegas_pra_line"}
# Features that need shot attempts, threes or shot zones: absent in reduced boxes and seasons without shots.
ATTEMPT_DERIVED = ("usage_rate_last_10", "ts_pct_last_10", "pct_free_throw", "pct_paint", "pct_mid_range",
                   "pct_three", "shot_zone_mismatch_score", "fg3m_avg_last_10", "fg3a_avg_last_10",
                   "fg3m_avg_season")
FULL = tuple(f for f in FEATURE_NAMES if f not in VEGAS)
REDUCED = tuple(f for f in FULL if f not in ATTEMPT_DERIVED)
FEATURE_SETS: dict[str, tuple[str, ...]] = {"full": FULL, "reduced": REDUCED}

PARAMS = {
    "objective": "l1",            # the median: what MAE and an over/under call both want
    "learning_rate": 0.12, "num_leaves": 31, "min_data_in_leaf": 80, "feature_fraction": 0.8,
    "bagging_fraction": 0.7, "bagging_freq": 1, "max_bin": 63, "lambda_l2": 1.0,
    # one thread per model, two models at a time: small data trains faster that way than with
    # two OpenMP threads on one model (and does not spin-wait on a busy machine)
    "num_threads": 1, "seed": 7, "deterministic": True, "force_row_wise": True, "verbose": -1,
}
NUM_ROUNDS = 60
TRAIN_WINDOW_DAYS = 730           # at most two years of history per model (drift, and speed)
MAX_TRAIN_ROWS = 15000            # a fixed-seed sample of the window beyond that (speed: <= 60 s for it all)
MIN_TRAIN_ROWS = 2000
PARALLEL_TRAININGS = 2


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def code_version() -> str:
    import courtside.ml.training as me

    blob = json.dumps([inspect.getsource(me), FEATURE_VERSION, PARAMS, NUM_ROUNDS], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


# Present only where the box history has shot attempts / threes: they decide full vs reduced.
# (pct_free_throw is not used to decide: the feature store returns 0 instead of NULL without FT data.)
ATTEMPT_MARKERS = ("usage_rate_last_10", "ts_pct_last_10", "fg3m_avg_last_10", "fg3a_avg_last_10")


def full_set_available(frame: dict[str, np.ndarray]) -> np.ndarray:
    """Rows whose box history has attempts (any attempt marker present) -> the full model.

    Rows without any (2025-26 reduced boxes) take the reduced model. NaN in some features (no shot
    zones in 2021-22, short early-season history) is a pattern the full model saw in its own training rows.
    """
    ok = np.zeros(len(next(iter(frame.values()))), dtype=bool)
    for f in ATTEMPT_MARKERS:
        ok |= ~np.isnan(frame[f])
    return ok


@dataclass
class Fitted:
    key: str
    booster: object | None        # lightgbm.Booster, None when too little history
    stored: model_store.StoredModel | None
    reason: str = ""


class WalkForward:
    """Finds or trains the models a batch of predictions needs."""

    def __init__(self, engine):
        self.engine = engine
        self.code_version = code_version()
        self.trained = 0
        self.reused = 0
        self.train_seconds = 0.0
        self._training: dict[str, np.ndarray] | None = None
        model_store.ensure_store(engine)

    def models(self, needs: set[tuple[str, str, dt.date]]) -> dict[tuple[str, str, dt.date], Fitted]:
        import lightgbm as lgb

        fps = model_store.data_fingerprints(self.engine, [n[2] for n in needs])
        keys = {n: model_store.model_key(n[0], n[1], n[2], self.code_version, fps[n[2]]) for n in needs}
        stored = model_store.load_models(self.engine, list(keys.values()))
        out: dict[tuple[str, str, dt.date], Fitted] = {}
        todo = []
        for need in sorted(needs, key=lambda n: (n[2], n[0], n[1])):
            key = keys[need]
            if key in stored:
                s = stored[key]
                self.reused += 1
                out[need] = Fitted(key, lgb.Booster(model_str=s.model_text), s)
            else:
                todo.append(need)
        if todo:
            from concurrent.futures import ThreadPoolExecutor

            self._training_frame(max_end=max(n[2] for n in todo))
            with ThreadPoolExecutor(PARALLEL_TRAININGS) as pool:   # LightGBM releases the GIL
                results = list(pool.map(lambda n: self._train(n, keys[n]), todo))
            for need, (fitted, seconds) in zip(todo, results):
                if fitted.stored is not None:       # the store is written from this thread only
                    model_store.save_model(self.engine, fitted.key, self.code_version, fps[need[2]],
                                           fitted.stored, seconds)
                    self.trained += 1
                    self.train_seconds += seconds
                out[need] = fitted
        return out

    def _train(self, need, key: str) -> tuple[Fitted, float]:
        import lightgbm as lgb

        market, fset, train_end = need
        data = self._training
        start = train_end - dt.timedelta(days=TRAIN_WINDOW_DAYS)
        y = data[market]
        mask = (data["game_date"] < np.datetime64(train_end)) & (data["game_date"] >= np.datetime64(start))
        mask &= ~np.isnan(y)
        if fset == "full":
            mask &= data["_full_ok"]
        idx = np.flatnonzero(mask)
        if len(idx) < MIN_TRAIN_ROWS:
            return Fitted(key, None, None, f"{len(idx)} training rows before {train_end} (< {MIN_TRAIN_ROWS})"), 0.0
        if len(idx) > MAX_TRAIN_ROWS:   # fixed seed per window end: the same data gives the same model
            rng = np.random.default_rng(int(train_end.strftime("%Y%m%d")))
            idx = np.sort(rng.choice(idx, MAX_TRAIN_ROWS, replace=False))
        feats = FEATURE_SETS[fset]
        X = np.column_stack([data[f][idx] for f in feats])
        t0 = time.perf_counter()
        ds = lgb.Dataset(X, label=y[idx], feature_name=list(feats), free_raw_data=True,
                         params={"max_bin": PARAMS["max_bin"], "verbose": -1})
        booster = lgb.train(PARAMS, ds, num_boost_round=NUM_ROUNDS)
        seconds = time.perf_counter() - t0
        mask = idx
        fit = booster.predict(X, num_threads=1)
        dates = data["game_date"][mask]
        gain = booster.feature_importance("gain")
        top = sorted(zip(feats, gain), key=lambda t: -t[1])[:8]
        metrics = {"train_mae": round(float(np.mean(np.abs(fit - y[mask]))), 4),
                   "target_mean": round(float(np.mean(y[mask])), 4),
                   "top_gain": {f: round(float(g / max(gain.sum(), 1e-9)), 4) for f, g in top}}
        stored = model_store.StoredModel(
            key, market, fset, _to_date(dates.min()), train_end, _to_date(dates.max()), len(idx), list(feats),
            {**PARAMS, "num_boost_round": NUM_ROUNDS, "train_window_days": TRAIN_WINDOW_DAYS,
             "max_train_rows": MAX_TRAIN_ROWS}, metrics, booster.model_to_string())
        return Fitted(key, booster, stored), seconds

    def _training_frame(self, max_end: dt.date) -> dict[str, np.ndarray]:
        """Feature-store rows joined to what the player then did (played games only), loaded once."""
        if self._training is not None and self._loaded_end >= max_end:
            return self._training
        # load up to the latest window end any caller can ask for in this batch, once
        end = max(max_end, getattr(self, "_want_end", max_end))
        cols = ", ".join(f'f."{c}"::DOUBLE AS "{c}"' for c in FULL)
        markets = ", ".join(MARKETS)
        lo = getattr(self, "_want_start", end) - dt.timedelta(days=TRAIN_WINDOW_DAYS + 31)
        rel = self.engine.con.sql(f"""
            SELECT f.game_date, {cols}, {target_unpivot_sql('g')}
            FROM precompute.ml_feature_store f
            JOIN analytics.player_game_summary g ON g.game_date = f.game_date AND g.player_id = f.player_id
            WHERE f.game_date < DATE '{end.isoformat()}' AND f.game_date >= DATE '{lo.isoformat()}'
              AND NOT coalesce(g.is_dnp, FALSE) AND coalesce(g.minutes, 0) > 0
            ORDER BY f.game_date, f.player_id""")
        table = rel.to_arrow_table()
        data = {c: table.column(c).to_numpy(zero_copy_only=False).astype("float64")
                for c in (*FULL, *markets.split(", "))}
        data["game_date"] = table.column("game_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        data["_full_ok"] = full_set_available(data)
        self._training, self._loaded_end = data, end
        return data

    def plan_window(self, first_end: dt.date, last_end: dt.date) -> None:
        """Tell the loader the span of window ends this batch needs, so it reads the data once."""
        self._want_start, self._want_end = first_end, last_end


def _to_date(v) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime_as_string(v, unit="D")))
