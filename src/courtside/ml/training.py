"""Walk-forward LightGBM: for a game on D, a model trained only on games strictly before D's window end.

Window ends lie on a fixed calendar grid - January 1 and July 1 - so the model used for D depends on
the calendar only, never on which data exists on or after D: the July model (every game of the
previous season) predicts October to December, the January model January to the finals.
Retraining twice a year instead of every quarter cost little accuracy on 2022-23, the season before
the evaluation seasons (points MAE 4.588 vs 4.587, PRA 6.017 vs 6.015), and with a third fewer
trainings it is what brings the full backfill near the 60 s target on two cores. The three
markets of one window share one binned LightGBM Dataset (the binning costs as much as a training).
Models are trained only for the (market, feature set, window end) triples some prediction
in the batch needs, and stored in predictions.trained_models (model_store.py) so a rebuild reuses them.

What the model learns: the residual of the stat over half the player's EWMA for that market (the
strongest baseline; RESIDUAL_SHARE below says why half), with the L1 objective (the median: what MAE
and an over/under call both want), on every played game of the two years before the window end - the full window, not a sample: on 2022-23 a
15,000-row sample cost about 0.9 points of the percentage gain over the EWMA. Rows without an EWMA yet
(a player's first game of a season) learn the level itself (base 0).

Three feature sets, chosen per row by what exists at prediction time (preferred_sets): `full` where the
attempt markers are present and the game has a closing line; `no_lines` where the attempts are there but
the line is not (the game odds end on 2024-11-15: most of 2024-25); `reduced`, without the attempt/three-
derived columns and the line ones, where the boxes have no attempts (2025-26). Never a model fed defaults
it did not see in training: the `full` model of January 2025 had lines on 92% of its rows and was fed
none on all of its 2024-25 rows; its own no-lines model took the points gain over the EWMA on 2024-25
from 2.30% to 2.41% (PRA 1.93 -> 1.98%, threes 4.52 -> 4.38%; 2025-26 up 0.07-0.11 points in all three
markets, the other seasons within 0.04). No shot-zone data for 2021-22 is a pattern every set saw in training.
Vegas player-prop features are left out of all three: the model predicts the stat, the line is what it
is compared with.
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
from courtside.ml.markets import MARKET_NAMES
from courtside.ml.model_frame import EXTRA_FEATURES, frame_sql

VEGAS = {"vegas_points_line", "vegas_opening_line", "vegas_line_move", "has_vegas_line",
         "vegas_threes_line", "vegas_pra_line"}
# Features that need shot attempts, threes or shot zones: absent in reduced boxes and seasons without shots.
ATTEMPT_DERIVED = ("usage_rate_last_10", "ts_pct_last_10", "pct_free_throw", "pct_paint", "pct_mid_range",
                   "pct_three", "shot_zone_mismatch_score", "fg3m_avg_last_10", "fg3a_avg_last_10",
                   "fg3m_avg_season", "ewma_threes", "fga_ewma", "fta_ewma", "fg3a_ewma", "ts_season",
                   "shots_x_ts")
STORE_FEATURES = tuple(f for f in FEATURE_NAMES if f not in VEGAS)   # read from precompute.ml_feature_store
# Left out of the model (not of the feature store): each had < 0.5% of the gain of points and PRA models
# trained on games before 2022-10, and leaving them out did not change the 2022-23 MAE (4.587 either way),
# while every feature costs training time.
NOT_IN_MODEL = ("pct_paint", "pct_mid_range", "pct_three", "breakout_flag", "home_away", "minutes_change",
                "games_vs_opponent", "games_in_last_7_days", "fatigue_score", "days_rest", "back_to_back",
                "shot_zone_mismatch_score", "rest_advantage", "recent_trend", "points_avg_last_3",
                "usage_rate_last_10")
# Features read off the game's closing spread and total: absent where no game line was published (the odds
# end on 2024-11-15, so most of 2024-25 and all of 2025-26).
LINE_DERIVED = ("game_total_line", "spread_magnitude", "implied_team_total", "spread_surprise", "team_total_surprise")
FULL = (*(f for f in STORE_FEATURES if f not in NOT_IN_MODEL), *EXTRA_FEATURES)
NO_LINES = tuple(f for f in FULL if f not in LINE_DERIVED)
REDUCED = tuple(f for f in NO_LINES if f not in ATTEMPT_DERIVED)
FEATURE_SETS: dict[str, tuple[str, ...]] = {"full": FULL, "no_lines": NO_LINES, "reduced": REDUCED}
# The residual base per market: that market's EWMA, when the feature set has it (else the level, base 0),
# times RESIDUAL_SHARE. Half the EWMA, chosen on 2022-23 points (150 rounds at 0.05 in that comparison):
# the residual over the whole EWMA leans on the EWMA's noise (gain over the EWMA 2.26%), a model of the
# level itself needs many rounds (2.33%; 2.40% at 300); half the EWMA gave 2.42%, nearly what averaging
# the two models gave (2.48%) at half the training time. Also better for PRA (1.89% -> 2.17%) and threes
# (5.40% -> 5.68% vs the EWMA) at their 40 rounds.
RESIDUAL_BASE = {m: f"ewma_{m}" for m in MARKET_NAMES}
# A player's first game of a season has no EWMA yet: his previous-season average stands in (the model
# otherwise learned the whole level from a base of 0 on ~1.5% of rows, and predicted 2.7 points on average
# for such games against 9.7 scored).
RESIDUAL_PRIOR = {m: f"prev_season_{m}" for m in MARKET_NAMES}
RESIDUAL_SHARE = 0.5

PARAMS = {
    "objective": "l1",
    "learning_rate": 0.15, "num_leaves": 15, "min_data_in_leaf": 300, "feature_fraction": 0.8,
    "bagging_fraction": 0.7, "bagging_freq": 1, "max_bin": 63, "lambda_l2": 1.0,
    # one thread per model, two models at a time: small data trains faster that way than with
    # two OpenMP threads on one model (and does not spin-wait on a busy machine)
    "num_threads": 1, "seed": 7, "deterministic": True, "force_row_wise": True, "verbose": -1,
}
NUM_ROUNDS = 40
TRAIN_WINDOW_DAYS = 730           # two years of history per model (drift, and speed)
RETRAIN_MONTHS = 6                # window ends on Jan 1 and Jul 1 (3 = quarters, also tested)
MIN_TRAIN_ROWS = 2000
# Points (the market the boosted model is judged on against the baselines) learns a little slower and
# longer. On 2022-23 (half-EWMA base, all extras): 40 rounds at 0.15 gained 2.28% over the EWMA, 50 at
# 0.125 2.41%, 100 at 0.075 about 2.5% but at 2.7x the training time (L1 refits every leaf's median each
# round), which the graded backfill's 60 s budget does not have; threes and PRA keep 40 at 0.15.
MARKET_TRAINING = {"points": {"learning_rate": 0.125, "num_boost_round": 50}}


def training_params(market: str) -> tuple[dict, int]:
    """LightGBM params and number of rounds of a market's model."""
    extra = dict(MARKET_TRAINING.get(market, {}))
    rounds = extra.pop("num_boost_round", NUM_ROUNDS)
    return {**PARAMS, **extra}, rounds


PARALLEL_TRAININGS = 2


def window_end(d: dt.date) -> dt.date:
    """The window end (exclusive) of the model that predicts D: the first day of D's half-year
    (RETRAIN_MONTHS-month period). Always <= D, and a function of the calendar only."""
    month0 = (d.month - 1) // RETRAIN_MONTHS * RETRAIN_MONTHS
    return dt.date(d.year, month0 + 1, 1)


def window_ends(dates: np.ndarray) -> np.ndarray:
    """window_end() over an array of datetime64[D]."""
    months = dates.astype("datetime64[M]").astype(np.int64)          # months since 1970-01
    return ((months // RETRAIN_MONTHS) * RETRAIN_MONTHS).astype("datetime64[M]").astype("datetime64[D]")


def code_version() -> str:
    import courtside.ml.model_frame as frame
    import courtside.ml.training as me

    blob = json.dumps([inspect.getsource(me), inspect.getsource(frame), FEATURE_VERSION, PARAMS, NUM_ROUNDS,
                       MARKET_TRAINING, RESIDUAL_SHARE, RESIDUAL_PRIOR],
                      sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


# Present only where the box history has shot attempts / threes: they decide full vs reduced.
# (pct_free_throw is not used to decide: the feature store returns 0 instead of NULL without FT data.)
ATTEMPT_MARKERS = ("usage_rate_last_10", "ts_pct_last_10", "fg3m_avg_last_10", "fg3a_avg_last_10")


def full_set_available(frame: dict[str, np.ndarray]) -> np.ndarray:
    """Rows whose box history has attempts (any attempt marker present) -> a set with attempt features.

    Rows without any (2025-26 reduced boxes) take the reduced model. NaN in some features (no shot
    zones in 2021-22, short early-season history) is a pattern the other models saw in their own training rows.
    """
    return _any_present(frame, ATTEMPT_MARKERS)


def lines_available(frame: dict[str, np.ndarray]) -> np.ndarray:
    """Rows whose game has a closing line (any line-derived feature present)."""
    return _any_present(frame, LINE_DERIVED)


def _any_present(frame: dict[str, np.ndarray], columns) -> np.ndarray:
    ok = np.zeros(len(next(iter(frame.values()))), dtype=bool)
    for f in columns:
        ok |= ~np.isnan(frame[f])
    return ok


def preferred_sets(frame: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
    """The feature set each row's prediction comes from: the one whose features exist for it.
    `full` needs attempts and a game line, `no_lines` attempts only, else `reduced` (neither). A row with no
    history this season (every history feature NULL, as in each model's own first-game training rows) is
    judged by its line only."""
    attempts = frame["_full_ok"][rows] | np.isnan(frame["points_avg_season"][rows])
    lines = frame["_lines_ok"][rows]
    return np.where(attempts, np.where(lines, "full", "no_lines"), "reduced")


def residual_base(frame: dict[str, np.ndarray], market: str, fset: str, rows) -> np.ndarray:
    """What the model's output is added to: RESIDUAL_SHARE x the market's EWMA, else x the previous
    season's average (a first game of a season), else 0."""
    col, prior = RESIDUAL_BASE[market], RESIDUAL_PRIOR[market]
    if col not in FEATURE_SETS[fset]:
        return np.zeros(len(frame[col][rows]))
    level = frame[col][rows]
    if prior in FEATURE_SETS[fset]:
        level = np.where(np.isnan(level), frame[prior][rows], level)
    return RESIDUAL_SHARE * np.nan_to_num(level, nan=0.0)


@dataclass
class Fitted:
    key: str
    booster: object | None        # lightgbm.Booster, None when too little history
    stored: model_store.StoredModel | None
    reason: str = ""


class WalkForward:
    """Loads the model frame of a batch once, then finds or trains the models its predictions need."""

    def __init__(self, engine):
        self.engine = engine
        self.code_version = code_version()
        self.trained = 0
        self.reused = 0
        self.train_seconds = 0.0
        self.frame: dict[str, np.ndarray] | None = None
        model_store.ensure_store(engine)

    def load(self, lo: dt.date, hi: dt.date) -> dict[str, np.ndarray]:
        """The model frame of [lo, hi] (training rows, the batch's own rows, or both in one read); the
        frame training uses until the next load."""
        table = self.engine.arrow(frame_sql(STORE_FEATURES, lo, hi))
        data = {c: table.column(c).to_numpy(zero_copy_only=False).astype("float64")
                for c in (*STORE_FEATURES, *EXTRA_FEATURES, *MARKET_NAMES)}
        data["game_date"] = table.column("game_date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
        data["player_id"] = table.column("player_id").to_numpy(zero_copy_only=False)
        data["_full_ok"] = full_set_available(data)
        data["_lines_ok"] = lines_available(data)
        self.frame = data
        return data

    def models(self, needs: set[tuple[str, str, dt.date]],
               history: tuple[dt.date, dt.date] | None = None) -> dict[tuple[str, str, dt.date], Fitted]:
        """The models the needs name: stored ones reused, the rest trained on the loaded frame, or on the
        frame of `history` (lo, hi), read only if something must be trained."""
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

            if history is not None:
                self.load(*history)

            groups: dict[tuple[str, dt.date], list[str]] = {}
            for market, fset, end in todo:
                groups.setdefault((fset, end), []).append(market)
            with ThreadPoolExecutor(PARALLEL_TRAININGS) as pool:   # LightGBM releases the GIL
                results = list(pool.map(lambda g: self._train_window(g[0], g[1], keys), groups.items()))
            for (fset, end), trained in zip(groups, results):
                for market, (fitted, seconds) in trained.items():
                    need = (market, fset, end)
                    if fitted.stored is not None:       # the store is written from this thread only
                        model_store.save_model(self.engine, fitted.key, self.code_version, fps[end],
                                               fitted.stored, seconds)
                        self.trained += 1
                        self.train_seconds += seconds
                    out[need] = fitted
        return out

    def _train_window(self, group: tuple[str, dt.date], markets: list[str], keys) -> dict[str, tuple[Fitted, float]]:
        """Every market of one (feature set, window end): markets whose training rows are the same share
        one binned Dataset, only the label changes."""
        import lightgbm as lgb

        fset, train_end = group
        data = self.frame
        start = train_end - dt.timedelta(days=TRAIN_WINDOW_DAYS)
        # strictly before the window end (<= D): the walk-forward guarantee
        window = (data["game_date"] < np.datetime64(train_end)) & (data["game_date"] >= np.datetime64(start))
        if fset != "reduced":        # the sets with attempt-derived features learn from rows that have them
            window &= data["_full_ok"]
        own = {m: window & ~np.isnan(data[m]) for m in markets}   # played games with that stat
        shared = np.logical_and.reduce(list(own.values()))
        feats = FEATURE_SETS[fset]
        out: dict[str, tuple[Fitted, float]] = {}
        datasets: dict[bytes, tuple[np.ndarray, np.ndarray, object]] = {}
        for market in markets:
            key = keys[(market, fset, train_end)]
            # a market that would lose more than 2% of its rows to the shared set keeps its own
            mask = shared if shared.sum() >= 0.98 * own[market].sum() else own[market]
            idx = np.flatnonzero(mask)
            if len(idx) < MIN_TRAIN_ROWS:
                out[market] = (Fitted(key, None, None,
                                      f"{len(idx)} training rows before {train_end} (< {MIN_TRAIN_ROWS})"), 0.0)
                continue
            t0 = time.perf_counter()
            sig = mask.tobytes()
            if sig not in datasets:
                X = np.column_stack([data[f][idx] for f in feats])
                # bin boundaries from a fixed 20,000-row sample instead of all ~50,000 rows: a third
                # less binning time, quantile bins of 63 that do not move measurably
                ds = lgb.Dataset(X, feature_name=list(feats), free_raw_data=False,
                                 params={"max_bin": PARAMS["max_bin"], "bin_construct_sample_cnt": 20000,
                                         "data_random_seed": 7, "verbose": -1})
                datasets[sig] = (idx, X, ds)
            idx, X, ds = datasets[sig]
            base = residual_base(data, market, fset, idx)
            y = data[market][idx]
            ds.set_label(y - base)
            params, rounds = training_params(market)
            booster = lgb.train(params, ds, num_boost_round=rounds, keep_training_booster=False)
            seconds = time.perf_counter() - t0
            out[market] = (Fitted(key, booster, self._stored(key, market, fset, train_end, idx, booster, X, y, base)),
                           seconds)
        return out

    def _stored(self, key, market, fset, train_end, idx, booster, X, y, base) -> model_store.StoredModel:
        feats = FEATURE_SETS[fset]
        params, rounds = training_params(market)
        fit = np.maximum(booster.predict(X, num_threads=1) + base, 0.0)
        dates = self.frame["game_date"][idx]
        gain = booster.feature_importance("gain")
        top = sorted(zip(feats, gain), key=lambda t: -t[1])[:8]
        metrics = {"train_mae": round(float(np.mean(np.abs(fit - y))), 4),
                   "train_mae_ewma": round(float(np.mean(np.abs(base / RESIDUAL_SHARE - y))), 4),
                   "target_mean": round(float(np.mean(y)), 4),
                   "top_gain": {f: round(float(g / max(gain.sum(), 1e-9)), 4) for f, g in top}}
        return model_store.StoredModel(
            key, market, fset, _to_date(dates.min()), train_end, _to_date(dates.max()), len(idx), list(feats),
            {**params, "num_boost_round": rounds, "train_window_days": TRAIN_WINDOW_DAYS,
             "retrain_months": RETRAIN_MONTHS, "target": f"residual over {RESIDUAL_SHARE} x {RESIDUAL_BASE[market]}"},
            metrics, booster.model_to_string())


def _to_date(v) -> dt.date:
    return dt.date.fromisoformat(str(np.datetime_as_string(v, unit="D")))
