"""The prediction systems behind one interface, and the one rule that turns a prediction into a pick.

Every system is a `System` whose `run(batch)` fills the batch's output table with one row per
(game_date, player_id, market): predicted_value (NULL only when the system has nothing to stand on),
confidence on one 0-1 scale, the feature set it used and a short JSON of the factors behind it.
`decide()` then adds, identically for all systems: the consensus line, edge = predicted - line,
P(over) and OVER / UNDER / PASS. No line -> PASS with a NULL line (never a placeholder).

The heuristic systems are set-based SQL over the batch's input table (inputs.py): one statement per
system for the whole date range. Section 8 of the original, with its defects fixed on purpose:
- fatigue: fatigue_score is 0-100 with 100 = fully rested; the original subtracted points above 70,
  penalising rested players. Here the penalty applies to LOW scores (tired).
- rest: days_rest follows the one contract convention (back-to-back = 0); similarity buckets use it as is.
- zone matchup used the opponent's overall defensive rating for every zone; here each zone uses the
  opponent's allowed FG% in that zone vs the league where shot data exists (the proxy only otherwise),
  weighted by the player's share of attempts from that zone, so it is bounded.
Adjustments are in points; for threes and PRA they are scaled by the player's market/points ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from courtside.ml.markets import MARKETS

# Confidence: sample adequacy (10+ games = full) x consistency (spread relative to the level).
BASE_CONFIDENCE = ("least(i.games_in_sample, 10) / 10.0 "
                   "* (1.0 / (1.0 + i.sigma / greatest(abs(coalesce(i.season_avg, 0)), i.sigma_floor)))")
# Points-scale adjustments carried into other markets in proportion to the player's own ratio.
MARKET_SCALE = ("CASE WHEN i.market = 'points' THEN 1.0 "
                "ELSE coalesce(i.season_avg / nullif(i.pts_season_avg, 0), 0) END")
FATIGUE_FIXED = ("CASE WHEN i.fatigue_score < 30 THEN -2.5 WHEN i.fatigue_score < 50 THEN -1.0 ELSE 0 END")


@dataclass(frozen=True)
class System:
    name: str
    description: str
    run: Callable[["object"], None]   # fn(batch) -> inserts into batch.outputs


def _insert(batch, select_sql: str) -> None:
    batch.engine.execute(f"INSERT INTO {batch.outputs} BY NAME {select_sql}")


def moving_average(batch) -> None:
    adj = (f"({FATIGUE_FIXED} + 0.3 * coalesce(i.shot_zone_mismatch_score, 0) "
           "+ CASE WHEN i.back_to_back THEN -1.5 ELSE 0 END + 0.3 * coalesce(i.pace_score, 0) "
           "+ CASE WHEN i.is_home THEN 0.5 ELSE -0.5 END + 0.4 * coalesce(i.usage_spike_score, 0))")
    _insert(batch, f"""
        SELECT i.game_date, i.player_id, i.market, 'moving_average' AS system,
               CASE WHEN i.last5 IS NOT NULL THEN ROUND(greatest(0,
                    0.5 * i.last5 + 0.3 * coalesce(i.last10, i.last5) + 0.2 * coalesce(i.season_avg, i.last5)
                    + {MARKET_SCALE} * {adj}), 4) END AS predicted_value,
               ROUND({BASE_CONFIDENCE}, 4) AS confidence,
               'box_history+composite' AS feature_set, NULL AS model_key,
               json_object('l5', i.last5, 'l10', i.last10, 'season', i.season_avg,
                           'adjustment', ROUND({MARKET_SCALE} * {adj}, 3),
                           'fatigue_score', i.fatigue_score, 'back_to_back', i.back_to_back)::VARCHAR AS factors
        FROM {batch.inputs} i""")


def zone_matchup(batch) -> None:
    zone_term = ("least(3, greatest(-3, {vs} * 0.5 * {mult}))")
    has_zones = ("i.paint_rate_last_10 IS NOT NULL AND i.paint_defense_vs_league_avg IS NOT NULL "
                 "AND i.three_defense_vs_league_avg IS NOT NULL")
    zones = " + ".join(
        f"coalesce(i.{rate}, 0) / 100.0 * " + zone_term.format(vs=f"coalesce(i.{vs}, 0)", mult=mult)
        for rate, vs, mult in (("paint_rate_last_10", "paint_defense_vs_league_avg", 1.2),
                               ("mid_range_rate_last_10", "mid_range_defense_vs_league_avg", 1.0),
                               ("three_rate_last_10", "three_defense_vs_league_avg", 1.1)))
    proxy = "least(3, greatest(-3, (coalesce(i.opp_def_rating, i.opponent_def_rating_last_10, 114) - 114) * 0.15))"
    adj = (f"(CASE WHEN {has_zones} THEN {zones} ELSE {proxy} END + 0.4 * coalesce(i.pace_score, 0) "
           "+ CASE WHEN i.is_home THEN 0.8 ELSE -0.8 END "
           "+ CASE WHEN i.fatigue_score < 30 THEN -1.5 WHEN i.fatigue_score < 50 THEN -0.8 ELSE 0 END)")
    _insert(batch, f"""
        SELECT i.game_date, i.player_id, i.market, 'zone_matchup' AS system,
               CASE WHEN i.season_avg IS NOT NULL
                    THEN ROUND(greatest(0, i.season_avg + {MARKET_SCALE} * {adj}), 4) END AS predicted_value,
               ROUND({BASE_CONFIDENCE} * CASE WHEN {has_zones} THEN 0.9 ELSE 0.75 END, 4) AS confidence,
               CASE WHEN {has_zones} THEN 'zones' ELSE 'def_rating_proxy' END AS feature_set, NULL AS model_key,
               json_object('season', i.season_avg, 'zone_source',
                           CASE WHEN {has_zones} THEN 'zone_fg_vs_league' ELSE 'def_rating_proxy' END,
                           'adjustment', ROUND({MARKET_SCALE} * {adj}, 3))::VARCHAR AS factors
        FROM {batch.inputs} i""")


def similarity(batch) -> None:
    """Similarity-weighted mean of the player's own games (365 days before D) in similar circumstances.

    Score 0-100: opponent tier by defensive rating (40 same / 20 adjacent), rest bucket 0/1/2/3+
    (30 / 15), venue 15, form (L5 vs season in units of spread: hot / neutral / cold) 15. Games with
    score >= 70, best 20, at least 5 - else the season average, marked as the fallback.
    """
    def buckets(alias: str) -> str:
        return (f"CASE WHEN {alias}.opp_rating < 110 THEN 0 WHEN {alias}.opp_rating < 115 THEN 1 ELSE 2 END AS tier, "
                f"least(coalesce({alias}.days_rest, 2), 3) AS rest, {alias}.is_home AS home, "
                f"CASE WHEN {alias}.l5 - {alias}.szn >= 0.5 * {alias}.sd THEN 1 "
                f"WHEN {alias}.l5 - {alias}.szn <= -0.5 * {alias}.sd THEN -1 ELSE 0 END AS form")
    e = batch.engine
    tmp = f"{batch.outputs}_sim"
    e.execute(f"""
        CREATE OR REPLACE TEMP TABLE {tmp} AS
        WITH tgt AS (
            SELECT game_date, player_id, {buckets('x')} FROM (
                SELECT game_date, player_id, coalesce(opp_def_rating, opponent_def_rating_last_10) AS opp_rating,
                       days_rest, is_home, last5 AS l5, season_avg AS szn, greatest(coalesce(std_last10, 6), 3) AS sd
                FROM {batch.inputs} WHERE market = 'points') x
        ),
        hist AS (
            SELECT x.game_date, x.player_id, g.points, g.threes, g.pra, {buckets('x')} FROM (
                SELECT c.game_date, c.player_id, c.opponent_def_rating_last_10 AS opp_rating, c.days_rest,
                       c.is_home, b.last5 AS l5, b.season_avg AS szn, greatest(coalesce(b.std_last10, 6), 3) AS sd
                FROM analytics.upcoming_player_game_context c
                LEFT JOIN predictions.player_baselines b
                  ON b.game_date = c.game_date AND b.player_id = c.player_id AND b.market = 'points'
                WHERE c.game_date >= DATE '{batch.start}' - INTERVAL 365 DAY AND c.game_date < DATE '{batch.end}'
            ) x
            JOIN (SELECT game_date, player_id, pts::DOUBLE AS points, fg3m::DOUBLE AS threes,
                         (pts + reb + ast)::DOUBLE AS pra
                  FROM analytics.player_game_summary
                  WHERE game_date >= DATE '{batch.start}' - INTERVAL 365 DAY AND game_date < DATE '{batch.end}'
                    AND NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0) g
              ON g.game_date = x.game_date AND g.player_id = x.player_id
        ),
        pairs AS (
            SELECT t.game_date, t.player_id, h.points, h.threes, h.pra,
                   (CASE WHEN h.tier = t.tier THEN 40 WHEN abs(h.tier - t.tier) = 1 THEN 20 ELSE 0 END
                    + CASE WHEN h.rest = t.rest THEN 30 WHEN abs(h.rest - t.rest) = 1 THEN 15 ELSE 0 END
                    + CASE WHEN h.home = t.home THEN 15 ELSE 0 END
                    + CASE WHEN h.form = t.form THEN 15 ELSE 0 END) AS score,
                   h.game_date AS hist_date
            FROM tgt t JOIN hist h
              ON h.player_id = t.player_id AND h.game_date < t.game_date
             AND h.game_date >= t.game_date - INTERVAL 365 DAY
        ),
        best AS (
            SELECT * FROM pairs WHERE score >= 70
            QUALIFY row_number() OVER (PARTITION BY game_date, player_id ORDER BY score DESC, hist_date DESC) <= 20
        )
        SELECT game_date, player_id, count(*) AS n_similar, avg(score) AS avg_score,
               sum(score * points) / sum(score) AS points,
               sum(score * threes) FILTER (WHERE threes IS NOT NULL)
                 / nullif(sum(score) FILTER (WHERE threes IS NOT NULL), 0) AS threes,
               count(threes) AS n_threes,
               sum(score * pra) FILTER (WHERE pra IS NOT NULL)
                 / nullif(sum(score) FILTER (WHERE pra IS NOT NULL), 0) AS pra,
               count(pra) AS n_pra
        FROM best GROUP BY game_date, player_id""")
    value = ("CASE i.market WHEN 'points' THEN s.points WHEN 'threes' THEN s.threes ELSE s.pra END")
    n_market = ("CASE i.market WHEN 'points' THEN s.n_similar WHEN 'threes' THEN s.n_threes ELSE s.n_pra END")
    enough = f"coalesce({n_market}, 0) >= 5"
    _insert(batch, f"""
        SELECT i.game_date, i.player_id, i.market, 'similarity' AS system,
               ROUND(CASE WHEN {enough} THEN {value} ELSE i.season_avg END, 4) AS predicted_value,
               ROUND(CASE WHEN {enough}
                          THEN {BASE_CONFIDENCE} * (least({n_market}, 20) / 20.0) * (s.avg_score / 100.0)
                          ELSE {BASE_CONFIDENCE} * 0.5 END, 4) AS confidence,
               CASE WHEN {enough} THEN 'similar_games' ELSE 'fallback_season_avg' END AS feature_set,
               NULL AS model_key,
               json_object('similar_games', coalesce({n_market}, 0), 'avg_similarity', ROUND(s.avg_score, 1),
                           'season', i.season_avg)::VARCHAR AS factors
        FROM {batch.inputs} i
        LEFT JOIN {tmp} s ON s.game_date = i.game_date AND s.player_id = i.player_id""")
    e.execute(f"DROP TABLE IF EXISTS {tmp}")


# Chosen on 2022-23 points (the season before the evaluation seasons), weights in steps of 0.1: with the
# residual LightGBM, adding the moving average or zone matchup only made the mean worse; a little of the
# similarity system helped (MAE 4.581 vs 4.588 for LightGBM alone, vs 4.606 with the old 0.5/0.2/0.2/0.1).
# Not re-tuned for the current LightGBM (teammate-absence and form extras); on 2022-23 the ensemble still
# beats it (2.47% vs 2.37% better than the EWMA).
ENSEMBLE_WEIGHTS = {"lightgbm": 0.85, "similarity": 0.15}
WEIGHTS_TEXT = ",".join(f"{k}:{v}" for k, v in sorted(ENSEMBLE_WEIGHTS.items()))


def ensemble(batch) -> None:
    """Fixed-weight mean of the systems that produced a value (weights renormalised over those; `systems`
    in the factors says how many did); confidence = their weighted confidence x agreement (spread of
    predictions relative to sigma)."""
    w = "CASE o.system " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in ENSEMBLE_WEIGHTS.items()) + " END"
    systems = ", ".join(f"'{k}'" for k in ENSEMBLE_WEIGHTS)
    _insert(batch, f"""
        SELECT i.game_date, i.player_id, i.market, 'ensemble' AS system,
               ROUND(e.value, 4) AS predicted_value,
               ROUND(coalesce(e.conf * (1.0 / (1.0 + coalesce(e.spread, 0) / i.sigma)), 0), 4) AS confidence,
               'ensemble' AS feature_set, NULL AS model_key,
               json_object('systems', e.n_systems, 'spread', ROUND(e.spread, 3),
                           'weights', '{WEIGHTS_TEXT}')::VARCHAR AS factors
        FROM {batch.inputs} i
        LEFT JOIN (
            SELECT o.game_date, o.player_id, o.market,
                   sum({w} * o.predicted_value) / sum({w}) AS value, sum({w} * o.confidence) / sum({w}) AS conf,
                   -- the population SD from exact decimal sums (values have 4 decimals): stddev_pop's running
                   -- update depends on the order it meets the values, and a rebuild of one date met them in
                   -- another order than the season's build (spread 0.094 vs 0.093 on 3 rows of a date)
                   sqrt((count(*) * sum(o.pv * o.pv) - sum(o.pv) * sum(o.pv))::DOUBLE) / count(*) AS spread,
                   count(*) AS n_systems
            FROM (SELECT *, predicted_value::DECIMAL(18, 4) AS pv FROM {batch.outputs}) o
            WHERE o.system IN ({systems}) AND o.predicted_value IS NOT NULL
            GROUP BY ALL) e
          ON e.game_date = i.game_date AND e.player_id = i.player_id AND e.market = i.market""")


def decide_sql(batch) -> str:
    """The one pick rule, for every system: the final rows of predictions.player_prop_predictions."""
    pick_edge = "CASE i.market " + " ".join(f"WHEN '{m.name}' THEN {m.pick_edge}" for m in MARKETS.values()) + " END"
    return f"""
        SELECT i.game_date, i.game_id, i.season, i.season_type, i.player_id, i.player_lookup, i.team_abbr,
               i.opponent_abbr, o.system, i.market,
               o.predicted_value, o.confidence, o.feature_set, o.model_key,
               i.line_value, i.line_books, i.line_source_books, i.line_snapshot_rule,
               i.line_over_prob, i.line_under_prob,
               ROUND(o.predicted_value - i.line_value, 4) AS edge,
               -- P(over) under a logistic approximation of a normal error with the player's spread
               ROUND(1.0 / (1.0 + exp(-1.702 * (o.predicted_value - i.line_value) / i.sigma)), 4) AS prob_over,
               CASE WHEN i.line_value IS NULL OR o.predicted_value IS NULL THEN 'PASS'
                    WHEN o.confidence < 0.3 THEN 'PASS'
                    WHEN o.predicted_value - i.line_value >= {pick_edge} THEN 'OVER'
                    WHEN o.predicted_value - i.line_value <= -{pick_edge} THEN 'UNDER'
                    ELSE 'PASS' END AS recommendation,
               o.factors
        FROM {batch.outputs} o
        JOIN {batch.inputs} i ON i.game_date = o.game_date AND i.player_id = o.player_id AND i.market = o.market
    """


HEURISTIC_SYSTEMS = (
    System("moving_average", "0.5*L5 + 0.3*L10 + 0.2*season + composite adjustments (fixed fatigue direction)",
           moving_average),
    System("zone_matchup", "season average + per-zone opponent defense weighted by the player's shot mix",
           zone_matchup),
    System("similarity", "similarity-weighted mean of the player's games in similar circumstances", similarity),
)
