"""The LightGBM model's input frame: one row per player-game of the upcoming context over a date range,
with the feature store's columns plus a few pre-game extras, and (for played games) the targets.

One set-based statement serves both training (rows before a window end, played games only) and
prediction (the batch's rows), so the two can never compute a feature differently.

Extras, all from games strictly before D (the feature contract, shared with the precompute models, stays
as it is; these live with the model that uses them):
- ewma_points / ewma_threes / ewma_pra: predictions.player_baselines, the same EWMA the grade report
  compares with; the model predicts the residual over its market's EWMA (training.py);
- minutes_ewma, minutes_last_3, minutes_max_last_5: the minutes expectation, which drives every count stat;
- prev_season_*: the player's previous-season averages - the only information early in a season, when
  the in-season averages rest on one to five games (the feature store has no previous-season priors);
- days_since_last_game: returns from absence.
"""

from __future__ import annotations

import datetime as dt

from courtside.ml.baselines import EWMA_HALF_LIFE_GAMES
from courtside.ml.markets import MARKET_NAMES, target_unpivot_sql

EXTRA_FEATURES = ("ewma_points", "ewma_threes", "ewma_pra", "minutes_ewma", "minutes_last_3",
                  "minutes_max_last_5", "prev_season_points", "prev_season_minutes", "prev_season_games",
                  "prev_season_pra", "prev_season_threes", "days_since_last_game")
_R = 0.5 ** (1 / EWMA_HALF_LIFE_GAMES)


def frame_sql(features: tuple[str, ...], lo: dt.date, hi: dt.date) -> str:
    """Rows of the upcoming context with game_date in [lo, hi]; targets NULL unless the player played."""
    cols = ", ".join(f'f."{c}"::DOUBLE AS "{c}"' for c in features)
    ewma = ", ".join(f"max(ewma) FILTER (WHERE market = '{m}') AS ewma_{m}" for m in MARKET_NAMES)
    lo_s, hi_s = f"DATE '{lo.isoformat()}'", f"DATE '{hi.isoformat()}'"
    return f"""
WITH ctx AS (
    SELECT game_date, player_id, season, last_appearance_date
    FROM analytics.upcoming_player_game_context WHERE game_date BETWEEN {lo_s} AND {hi_s}
),
seasons AS (
    SELECT season, lag(season) OVER (ORDER BY season) AS prev_season, min_start
    FROM (SELECT season, min(game_date) AS min_start FROM raw.game_dates GROUP BY season)
),
played AS (   -- every played game before the range's end (strictly before each row's D, see the joins)
    SELECT player_id, season, game_date, minutes::DOUBLE AS minutes, pts::DOUBLE AS pts,
           (pts + reb + ast)::DOUBLE AS pra, fg3m::DOUBLE AS fg3m
    FROM analytics.player_game_summary
    WHERE game_date < {hi_s} AND NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0
),
prev AS (     -- whole previous seasons: they ended before any D of the next season
    SELECT player_id, season, avg(pts) AS points, avg(minutes) AS minutes, count(*) AS games,
           avg(pra) AS pra, avg(fg3m) AS threes
    FROM played GROUP BY player_id, season
),
this_season AS (
    SELECT p.*, row_number() OVER (PARTITION BY p.player_id, p.season ORDER BY p.game_date) - 1 AS idx
    FROM played p
    WHERE p.game_date >= (SELECT min(s.min_start) FROM seasons s
                          WHERE s.season IN (SELECT DISTINCT season FROM ctx))
),
running AS (  -- as of each played game, inclusive; the ASOF join below takes the last one before D
    SELECT player_id, season, game_date,
           sum(minutes * pow({_R}, -idx)) OVER w / sum(pow({_R}, -idx)) OVER w AS minutes_ewma,
           avg(minutes) OVER (PARTITION BY player_id, season ORDER BY game_date ROWS 2 PRECEDING) AS minutes_last_3,
           max(minutes) OVER (PARTITION BY player_id, season ORDER BY game_date ROWS 4 PRECEDING)
               AS minutes_max_last_5
    FROM this_season
    WINDOW w AS (PARTITION BY player_id, season ORDER BY game_date ROWS UNBOUNDED PRECEDING)
),
base AS (
    SELECT game_date, player_id, {ewma}
    FROM predictions.player_baselines WHERE game_date BETWEEN {lo_s} AND {hi_s}
    GROUP BY game_date, player_id
)
SELECT c.game_date, c.player_id, {cols},
       b.ewma_points, b.ewma_threes, b.ewma_pra,
       r.minutes_ewma, r.minutes_last_3, r.minutes_max_last_5,
       pv.points AS prev_season_points, pv.minutes AS prev_season_minutes,
       pv.games::DOUBLE AS prev_season_games, pv.pra AS prev_season_pra, pv.threes AS prev_season_threes,
       date_diff('day', c.last_appearance_date, c.game_date)::DOUBLE AS days_since_last_game,
       {target_unpivot_sql('g')}
FROM ctx c
JOIN precompute.ml_feature_store f ON f.game_date = c.game_date AND f.player_id = c.player_id
LEFT JOIN base b ON b.game_date = c.game_date AND b.player_id = c.player_id
LEFT JOIN seasons s ON s.season = c.season
LEFT JOIN prev pv ON pv.player_id = c.player_id AND pv.season = s.prev_season
ASOF LEFT JOIN running r ON r.player_id = c.player_id AND r.season = c.season AND c.game_date > r.game_date
LEFT JOIN (SELECT * FROM analytics.player_game_summary
           WHERE game_date BETWEEN {lo_s} AND {hi_s}
             AND NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0) g
  ON g.game_date = c.game_date AND g.player_id = c.player_id
ORDER BY c.game_date, c.player_id
"""
