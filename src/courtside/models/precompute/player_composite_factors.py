"""precompute.player_composite_factors: the four active adjustment factors of original section 5.3.

The driver is always analytics.upcoming_player_game_context — there is no "synthetic context" built from
who actually played (the original's backfill path, with different rest semantics: defect 13.8).

Fatigue (score 0-100, 100 = fully rested; it only goes down for tiredness):
  start 100; back-to-back (days_rest = 0) -15; games_last_7d >= 4 -10; minutes_last_7d > 240 -10;
  minutes per game over the last 7 days > 35 -8; back-to-backs in the last 14 days: 2+ -12, 1 -5;
  rested (days_rest >= 2, i.e. two or more days off) +5; clamp to [0, 100].
  Rest convention (CONTRACT.md): days_rest = days between games minus one, so back-to-back = 0.
  The original's `days_rest >= 3` used (target - last game).days, where 3 meant two days off; under the
  one convention that is `days_rest >= 2`. The +5 can only recover penalties (the clamp keeps 100 at
  the top), so the adjustment (score - 100) / 20 lies in [-5, 0]: it never adds points for rest.
  Missing inputs (no game yet this season) add no penalty; the original's age term is dropped because
  the data has no birth dates.
Shot-zone mismatch: player's primary zone (PSZA) vs the opponent's `<zone>_defense_vs_league_avg` (TDZA):
  weight = min(zone rate / 50, 1); score = defense * weight, x1.2 if |score| > 5; clamp [-10, 10];
  0 when either side is missing (`has_zone_matchup` false) or the player is balanced.
Pace: pace_differential / 2, clamp [-3, 3]; 0 when unknown.
Usage spike: (projected usage - avg usage) * 0.3 needs a projected usage rate, which nothing provides
  (the original's was always NULL and its 25.0 default turned the factor into (25 - avg usage) * 0.3, an
  artefact). Here a missing projection gives 0, flagged by `usage_spike_available` = false.
total_composite_adjustment = fatigue_adjustment + shot_zone_mismatch_score + pace_score + usage_spike_score.
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = """
WITH ctx AS (
    SELECT u.game_date, u.game_id, u.season, u.player_id, u.team_abbr, u.opponent_abbr,
           u.days_rest, u.back_to_back, coalesce(u.games_last_7d, 0) AS games_7d,
           coalesce(u.minutes_last_7d, 0) AS minutes_7d, coalesce(u.back_to_backs_last_14d, 0) AS b2b_14d,
           u.pace_differential
    FROM analytics.upcoming_player_game_context u
    WHERE u.game_date BETWEEN $start AND $end AND u.game_date IN $dates
),
fatigue AS (
    SELECT *,
           greatest(0, least(100,
               100
               - CASE WHEN days_rest = 0 THEN 15 ELSE 0 END
               + CASE WHEN days_rest >= 2 THEN 5 ELSE 0 END
               - CASE WHEN games_7d >= 4 THEN 10 ELSE 0 END
               - CASE WHEN minutes_7d > 240 THEN 10 ELSE 0 END
               - CASE WHEN games_7d > 0 AND minutes_7d / games_7d > 35 THEN 8 ELSE 0 END
               - CASE WHEN b2b_14d >= 2 THEN 12 WHEN b2b_14d = 1 THEN 5 ELSE 0 END
           )) AS fatigue_score
    FROM ctx
),
zones AS (
    SELECT f.*, z.primary_scoring_zone,
           CASE z.primary_scoring_zone WHEN 'paint' THEN z.paint_rate_last_10
                WHEN 'mid_range' THEN z.mid_range_rate_last_10 WHEN 'three' THEN z.three_rate_last_10 END AS zone_rate,
           CASE z.primary_scoring_zone WHEN 'paint' THEN d.paint_defense_vs_league_avg
                WHEN 'mid_range' THEN d.mid_range_defense_vs_league_avg
                WHEN 'three' THEN d.three_defense_vs_league_avg END AS opp_zone_vs_league
    FROM fatigue f
    LEFT JOIN (SELECT * FROM precompute.player_shot_zone_analysis WHERE game_date BETWEEN $start AND $end AND game_date IN $dates) z ON z.game_date = f.game_date AND z.player_id = f.player_id
    LEFT JOIN (SELECT * FROM precompute.team_defense_zone_analysis WHERE game_date BETWEEN $start AND $end AND game_date IN $dates) d ON d.game_date = f.game_date AND d.team_abbr = f.opponent_abbr
),
mismatch AS (
    SELECT *, opp_zone_vs_league * CASE WHEN zone_rate IS NOT NULL THEN least(zone_rate / 50.0, 1.0) END AS raw_mismatch
    FROM zones
),
factors AS (
    SELECT *,
           (fatigue_score - 100) / 20.0 AS fatigue_adjustment,
           -- DuckDB's least/greatest skip NULLs, so a missing input is tested first (NULL -> 0, not the clamp)
           CASE WHEN raw_mismatch IS NULL THEN 0 ELSE greatest(-10, least(10,
               CASE WHEN abs(raw_mismatch) > 5 THEN raw_mismatch * 1.2 ELSE raw_mismatch END)) END AS mismatch_score,
           CASE WHEN pace_differential IS NULL THEN 0
                ELSE greatest(-3, least(3, pace_differential / 2.0)) END AS pace_score,
           0.0 AS usage_spike_score
    FROM mismatch
)
-- No ROUND where the value is already one (about 7 ms of CPU per column): the minutes, the pace differential and
-- the opponent's zone defense are 4-decimal values of the upstream models, the fatigue adjustment is a
-- multiple of 0.05 and the usage spike a constant.
SELECT game_date, player_id, game_id, season, team_abbr, opponent_abbr,
       days_rest, back_to_back, games_7d::INTEGER AS games_last_7d, minutes_7d AS minutes_last_7d,
       b2b_14d::INTEGER AS back_to_backs_last_14d,
       fatigue_score::INTEGER AS fatigue_score,
       fatigue_adjustment,
       primary_scoring_zone,
       opp_zone_vs_league AS opponent_zone_vs_league_avg,
       ROUND(mismatch_score, 4) AS shot_zone_mismatch_score,
       raw_mismatch IS NOT NULL AS has_zone_matchup,
       pace_differential,
       ROUND(pace_score, 4) AS pace_score,
       pace_differential IS NOT NULL AS has_pace,
       usage_spike_score,
       FALSE AS usage_spike_available,
       ROUND(fatigue_adjustment + mismatch_score + pace_score + usage_spike_score, 4) AS total_composite_adjustment
FROM factors
"""

MODEL = Model(
    name="precompute.player_composite_factors",
    layer="precompute",
    grain=("game_date", "player_id"),
    description="per upcoming player: fatigue, shot-zone mismatch, pace and usage-spike adjustments and their sum",
    sql=SQL,
    edges=(
        Edge("analytics.upcoming_player_game_context", Window.same_date()),
        Edge("precompute.player_shot_zone_analysis", Window.same_date()),
        Edge("precompute.team_defense_zone_analysis", Window.same_date()),
    ),
    expected="""SELECT game_date, count(*) AS expected FROM analytics.upcoming_player_game_context
                WHERE game_date BETWEEN $start AND $end AND game_date IN $dates GROUP BY 1""",
    checks=(
        *not_null("game_date", "player_id", "fatigue_score", "fatigue_adjustment", "shot_zone_mismatch_score",
                  "pace_score", "usage_spike_score", "total_composite_adjustment"),
        in_range("fatigue_score", 0, 100),
        in_range("fatigue_adjustment", -5, 0),
        in_range("shot_zone_mismatch_score", -10, 10),
        in_range("pace_score", -3, 3),
        in_range("usage_spike_score", -3, 3),
        in_range("total_composite_adjustment", -21, 13),
    ),
    key_columns=("fatigue_score", "shot_zone_mismatch_score", "pace_score", "total_composite_adjustment"),
)
