"""Grading like a sportsbook: the SQL of grading.prediction_accuracy and grading.system_daily_performance,
and the Wilson interval.

Settlement rules (fixing the original's inconsistencies, section 13.14):
- did not play (DNP flag, or 0 minutes and 0 points, or no box score at all) -> void;
- a stat the box does not have (threes in reduced 2025-26 boxes) -> void ('stat_unavailable');
- push (actual == line) -> void for the pick: neither right nor wrong, and out of every denominator;
- no line -> no pick; the prediction is still graded for MAE.
`pick_correct` grades the recommendation (OVER/UNDER only); `side_correct` grades the side the edge
points to whatever its size, which is what hit rates by edge threshold are computed from.
"""

from __future__ import annotations

import math

from courtside.ml.inputs import exact_mean_sql, implied_prob_sql
from courtside.ml.markets import target_unpivot_sql
from courtside.models.registry import Edge, Model, Window, in_range, not_null

BREAK_EVEN_110 = 110 / 210          # 52.38%: win probability needed at -110
EDGE_THRESHOLDS = (0, 1, 2, 3, 5)


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    """95% Wilson score interval of a proportion; (None, None) for n = 0."""
    if n <= 0:
        return None, None
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# A prediction is graded against its own line: the consensus of snapshots proven before tip-off, which
# is the only line a prediction ever sees. A prediction without one is graded, after the game, against
# the consensus of grading.prop_lines_attested (snapshots whose pre-tip timing the source attests but
# the data cannot prove), with `line_rule` saying which; such rows have a side (edge) but never a pick,
# and reports keep them apart from the proven lines.
ACCURACY_SQL = f"""
WITH p AS (
    SELECT * FROM predictions.player_prop_predictions WHERE game_date BETWEEN $start AND $end
),
attested AS (
    SELECT c.game_date, c.player_id, c.market, c.line_value, c.snapshot_rule,
           {exact_mean_sql(f"coalesce(b.no_vig_over_prob, {implied_prob_sql('b.over_price')})")} AS over_prob,
           {exact_mean_sql(f"coalesce(1 - b.no_vig_over_prob, {implied_prob_sql('b.under_price')})")} AS under_prob
    FROM grading.prop_lines_attested c
    LEFT JOIN grading.prop_lines_attested b
      ON b.game_date = c.game_date AND b.player_id = c.player_id AND b.market = c.market
     AND NOT b.is_consensus AND b.line_value = c.line_value AND b.game_date BETWEEN $start AND $end
    WHERE c.is_consensus AND c.game_date BETWEEN $start AND $end
    GROUP BY ALL
),
lined AS (
    SELECT p.* REPLACE (
               coalesce(p.line_value, a.line_value) AS line_value,
               CASE WHEN p.line_value IS NOT NULL THEN p.edge ELSE ROUND(p.predicted_value - a.line_value, 4) END
                   AS edge,
               CASE WHEN p.line_value IS NOT NULL THEN p.line_over_prob ELSE ROUND(a.over_prob, 4) END
                   AS line_over_prob,
               CASE WHEN p.line_value IS NOT NULL THEN p.line_under_prob ELSE ROUND(a.under_prob, 4) END
                   AS line_under_prob),
           CASE WHEN p.line_value IS NOT NULL THEN 'pre_tip_verified' ELSE a.snapshot_rule END AS line_rule
    FROM p
    LEFT JOIN attested a ON a.game_date = p.game_date AND a.player_id = p.player_id AND a.market = p.market
),
box AS (
    SELECT g.game_date, g.player_id, g.is_dnp, g.minutes, g.pts, {target_unpivot_sql('g')}
    FROM analytics.player_game_summary g WHERE g.game_date BETWEEN $start AND $end
),
joined AS (
    SELECT p.*, b.player_id IS NOT NULL AS has_box, b.is_dnp, b.minutes, b.pts AS box_pts,
           CASE p.market WHEN 'points' THEN b.points WHEN 'threes' THEN b.threes WHEN 'pra' THEN b.pra END AS actual,
           bl.season_avg AS base_season_avg, bl.last5 AS base_last5, bl.last10 AS base_last10,
           bl.ewma AS base_ewma
    FROM lined p
    LEFT JOIN box b ON b.game_date = p.game_date AND b.player_id = p.player_id
    LEFT JOIN predictions.player_baselines bl
      ON bl.game_date = p.game_date AND bl.player_id = p.player_id AND bl.market = p.market
),
settled AS (
    SELECT *,
           CASE WHEN NOT has_box THEN 'no_box_score'
                WHEN coalesce(is_dnp, FALSE) THEN 'dnp'
                WHEN coalesce(minutes, 0) = 0 AND coalesce(box_pts, 0) = 0 THEN 'dnp'
                WHEN actual IS NULL THEN 'stat_unavailable' END AS void_reason
    FROM joined
),
graded AS (
    SELECT *, void_reason IS NOT NULL AS is_voided,
           void_reason IS NULL AND line_value IS NOT NULL AND actual = line_value AS is_push
    FROM settled
)
SELECT game_date, game_id, season, season_type, player_id, system, market, feature_set,
       predicted_value, confidence, recommendation, line_value, line_rule, edge,
       CASE WHEN NOT is_voided THEN actual END AS actual, minutes, is_voided, void_reason, is_push,
       CASE WHEN NOT is_voided THEN ROUND(abs(predicted_value - actual), 4) END AS absolute_error,
       CASE WHEN NOT is_voided THEN ROUND(predicted_value - actual, 4) END AS signed_error,
       CASE WHEN NOT is_voided THEN ROUND(abs(line_value - actual), 4) END AS line_absolute_error,
       CASE WHEN NOT is_voided THEN ROUND(line_value - actual, 4) END AS line_signed_error,
       CASE WHEN edge > 0 THEN 'OVER' WHEN edge < 0 THEN 'UNDER' END AS edge_side,
       -- what the books' prices said the side the edge points to was worth (no-vig where both prices
       -- exist): a hit rate only beats the market if it beats this, not just the -110 break-even
       CASE WHEN edge > 0 THEN line_over_prob WHEN edge < 0 THEN line_under_prob END AS side_implied_prob,
       CASE WHEN is_voided OR is_push OR line_value IS NULL OR edge IS NULL OR edge = 0 THEN NULL
            ELSE (actual > line_value) = (edge > 0) END AS side_correct,
       CASE WHEN is_voided OR is_push OR line_value IS NULL OR recommendation NOT IN ('OVER', 'UNDER') THEN NULL
            ELSE (actual > line_value) = (recommendation = 'OVER') END AS pick_correct,
       base_season_avg, base_last5, base_last10, base_ewma
FROM graded
"""

ACCURACY = Model(
    "grading.prediction_accuracy", "grading", ("game_date", "player_id", "system", "market"),
    "every prediction settled against the box score: errors, the line's error, pick correctness, voids",
    sql=ACCURACY_SQL,
    expected="SELECT game_date, count(*) AS expected FROM predictions.player_prop_predictions "
             "WHERE game_date BETWEEN $start AND $end GROUP BY 1",
    edges=(Edge("predictions.player_prop_predictions", Window.same_date()),
           Edge("analytics.player_game_summary", Window.same_date()),
           Edge("predictions.player_baselines", Window.same_date()),
           Edge("grading.prop_lines_attested", Window.same_date())),
    checks=(*not_null("player_id", "system", "market", "is_voided"), in_range("absolute_error", 0, None)),
)

DAILY_SQL = """
-- errors are 4-decimal values: averaged as exact decimals, so the rounding of a mean cannot depend on
-- the summation order (a double mean once differed in its 4th decimal between two builds)
SELECT game_date, any_value(season) AS season, any_value(season_type) AS season_type, system, market,
       count(*)::INTEGER AS predictions,
       count(*) FILTER (WHERE is_voided)::INTEGER AS voided,
       count(absolute_error)::INTEGER AS graded,
       ROUND(avg(absolute_error::DECIMAL(18, 4)), 4) AS mae,
       ROUND(avg(signed_error::DECIMAL(18, 4)), 4) AS bias,
       -- the line figures use proven pre-tip lines only (attested lines are in prediction_accuracy, labelled)
       count(line_absolute_error) FILTER (WHERE line_rule = 'pre_tip_verified')::INTEGER AS graded_with_line,
       ROUND(avg(absolute_error::DECIMAL(18, 4))
                 FILTER (WHERE line_absolute_error IS NOT NULL AND line_rule = 'pre_tip_verified'), 4)
           AS mae_on_line_rows,
       ROUND(avg(line_absolute_error::DECIMAL(18, 4)) FILTER (WHERE line_rule = 'pre_tip_verified'), 4) AS line_mae,
       count(*) FILTER (WHERE is_push)::INTEGER AS pushes,
       count(pick_correct)::INTEGER AS picks,
       count(*) FILTER (WHERE pick_correct)::INTEGER AS picks_won,
       -- pushes and voids are out of the denominator (the original counted them as losses)
       ROUND(avg(pick_correct::INTEGER), 4) AS win_rate,
       count(pick_correct) FILTER (WHERE recommendation = 'OVER')::INTEGER AS over_picks,
       ROUND(avg(pick_correct::INTEGER) FILTER (WHERE recommendation = 'OVER'), 4) AS over_win_rate,
       count(pick_correct) FILTER (WHERE recommendation = 'UNDER')::INTEGER AS under_picks,
       ROUND(avg(pick_correct::INTEGER) FILTER (WHERE recommendation = 'UNDER'), 4) AS under_win_rate,
       ROUND(avg((absolute_error <= 3)::INTEGER), 4) AS within_3_pct
FROM grading.prediction_accuracy
WHERE game_date BETWEEN $start AND $end
GROUP BY game_date, system, market
"""

DAILY = Model(
    "grading.system_daily_performance", "grading", ("game_date", "system", "market"),
    "per date, system and market: MAE, bias, the line's MAE on the same rows, win rates without pushes/voids",
    sql=DAILY_SQL,
    edges=(Edge("grading.prediction_accuracy", Window.same_date()),),
    checks=(*not_null("system", "market"), in_range("win_rate", 0, 1)),
)
