"""predictions.player_baselines: the simple forecasts every model must beat, per player-game and market.

Season-to-date average, last 5, last 10 and an exponentially weighted average (half-life 5 games)
of the player's *played* games this season strictly before D (DNP rows excluded: they dragged the
original's L5/L10 down), plus the spread of the last 10 used for P(over). Computed once per
player-game so that the moving-average system, the grade report and every comparison use the very
same numbers on the very same rows. A game whose stat is unknown (reduced 2025-26 boxes without
threes) is left out of that market's history rather than counted as zero.
"""

from __future__ import annotations

from courtside.ml.markets import MARKET_NAMES, markets_values_sql, target_unpivot_sql
from courtside.models.registry import Edge, Model, Window, in_range, not_null

EWMA_HALF_LIFE_GAMES = 5
_R = 0.5 ** (1 / EWMA_HALF_LIFE_GAMES)   # weight ratio of one game older

SQL = f"""
WITH scope AS (
    SELECT min(season_start) AS first_day FROM raw.game_dates WHERE game_date BETWEEN $start AND $end
),
played AS (
    SELECT g.player_id, g.season, g.game_date, {target_unpivot_sql('g')}
    FROM analytics.player_game_summary g, scope
    WHERE g.game_date >= scope.first_day AND g.game_date < $end
      AND NOT coalesce(g.is_dnp, FALSE) AND coalesce(g.minutes, 0) > 0
),
long AS (
    UNPIVOT played ON {', '.join(MARKET_NAMES)} INTO NAME market VALUE value
),
indexed AS (
    SELECT *, (row_number() OVER (PARTITION BY player_id, season, market ORDER BY game_date) - 1) AS idx
    FROM long
),
running AS (
    SELECT player_id, season, market, game_date,
           count(*) OVER season_w AS n_games,
           avg(value) OVER season_w AS season_avg,
           avg(value) OVER (PARTITION BY player_id, season, market ORDER BY game_date
                            ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS last5,
           avg(value) OVER (PARTITION BY player_id, season, market ORDER BY game_date
                            ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS last10,
           stddev_samp(value) OVER (PARTITION BY player_id, season, market ORDER BY game_date
                                    ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS std_last10,
           -- EWMA as a ratio of running sums: the r^idx factors cancel, no recursion needed
           sum(value * pow({_R}, -idx)) OVER season_w / sum(pow({_R}, -idx)) OVER season_w AS ewma
    FROM indexed
    WINDOW season_w AS (PARTITION BY player_id, season, market ORDER BY game_date
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
targets AS (
    SELECT c.game_date, c.game_id, c.season, c.player_id, mk.market
    FROM analytics.upcoming_player_game_context c CROSS JOIN {markets_values_sql()}
    WHERE c.game_date BETWEEN $start AND $end
)
SELECT t.game_date, t.game_id, t.season, t.player_id, t.market,
       coalesce(r.n_games, 0)::INTEGER AS games_in_sample,
       ROUND(r.season_avg, 4) AS season_avg, ROUND(r.last5, 4) AS last5, ROUND(r.last10, 4) AS last10,
       ROUND(r.ewma, 4) AS ewma, ROUND(r.std_last10, 4) AS std_last10, r.game_date AS last_game_date
FROM targets t
ASOF LEFT JOIN running r
  ON r.player_id = t.player_id AND r.season = t.season AND r.market = t.market AND t.game_date > r.game_date
"""

EXPECTED = f"""
SELECT game_date, {len(MARKET_NAMES)} * count(*) AS expected FROM analytics.upcoming_player_game_context
WHERE game_date BETWEEN $start AND $end GROUP BY 1
"""

MODEL = Model(
    "predictions.player_baselines", "predictions", ("game_date", "player_id", "market"),
    "season / last-5 / last-10 / EWMA averages of played games this season before D, per market",
    sql=SQL, expected=EXPECTED,
    edges=(Edge("analytics.player_game_summary", Window.season_before()),
           Edge("analytics.upcoming_player_game_context", Window.same_date())),
    checks=(*not_null("player_id", "market"), in_range("games_in_sample", 0, 120)),
    params={"ewma_half_life_games": EWMA_HALF_LIFE_GAMES},
)
