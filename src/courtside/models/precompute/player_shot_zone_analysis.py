"""precompute.player_shot_zone_analysis: where each upcoming player shoots, from his games before D.

Original section 5.2, fixed on purpose:
- the driver is analytics.upcoming_player_game_context (every player expected on D), not "every player
  with season games", so the grain matches the models that join it;
- the sample is the player's last 10 games *with shot zones* strictly before D in D's season (DNP games
  excluded). Shot data does not exist for 2021-22, any playoffs or 2025-26: there the window holds only
  the regular-season games that do have it (a playoff date uses the end of the regular season), or none,
  in which case every zone column is NULL and `has_zone_data` false — never invented;
- no bootstrap holes: every driver row is written; `sample_quality` says how thin the sample is
  (high >= 10 games, medium >= 7, low >= 1, none).
Rates are percentages of the zone attempts (paint + mid-range + three); FG% are fractions.
Primary zone: paint if paint rate >= 40, else three if three rate >= 40, else mid_range if mid rate >= 35,
else balanced (the original's code thresholds; its `perimeter` is called `three` here).

Cost at one date: the rolling sums are one window function over one packed value (plus lead() for the next
zone game's date), and each target takes the window row of its last zone game before D through an equi-join
on (player, season) whose date range is (that game, the next one] - instead of an ASOF join, which at one
date cost as much as the window itself (single-date SELECT ~35 -> ~25 ms; the full range is faster too).
"""

from courtside.models.bits import hugeint_field, packed_hugeint
from courtside.models.registry import Edge, Model, Window, in_range, not_null

# The six zone counts of a game and a 1 (the game count), packed into one HUGEINT (models/bits.py): one window sum
# instead of seven. 16-bit fields, as before: <= 600 each in 10 games (player_game_summary checks a game's paint
# attempts <= 60, three <= 40; the most zone attempts in any game of the data is 47), never NULL in a game with zones.
_ZONES = (("paint_att", 16), ("paint_mk", 16), ("mid_att", 16), ("mid_mk", 16), ("three_att", 16), ("three_mk", 16),
          ("games", 15))
_ZONE_VALUES = {"paint_att": "paint_attempts", "paint_mk": "paint_makes", "mid_att": "mid_range_attempts",
                "mid_mk": "mid_range_makes", "three_att": "three_attempts_zone", "three_mk": "three_makes_zone",
                "games": "1"}
Z = lambda name: hugeint_field("zones", _ZONES, name)  # noqa: E731

SQL = f"""
WITH targets AS (
    SELECT u.game_date, u.season, u.player_id, u.team_abbr, u.opponent_abbr
    FROM analytics.upcoming_player_game_context u
    WHERE u.game_date BETWEEN $start AND $end
),
zone_games AS (  -- the last 10 games with zones (and the date of the next one, for the join below)
    SELECT player_id, season, game_date, next_zone_date,
           {Z('games')} AS zone_games, {Z('paint_att')} AS paint_att, {Z('paint_mk')} AS paint_mk,
           {Z('mid_att')} AS mid_att, {Z('mid_mk')} AS mid_mk, {Z('three_att')} AS three_att, {Z('three_mk')} AS three_mk
    FROM (
        SELECT player_id, season, game_date, lead(game_date) OVER w AS next_zone_date,
               sum({packed_hugeint(_ZONES, _ZONE_VALUES)}) OVER w AS zones
        FROM analytics.player_game_summary
        WHERE game_date < $end AND (player_id, season) IN (SELECT player_id, season FROM targets)
          AND has_shot_zones AND NOT is_dnp
        WINDOW w AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
    )
),
joined AS (
    SELECT t.*, coalesce(z.zone_games, 0) AS games_in_sample,
           z.paint_att, z.paint_mk, z.mid_att, z.mid_mk, z.three_att, z.three_mk,
           nullif(z.paint_att + z.mid_att + z.three_att, 0) AS total_att
    FROM targets t
    LEFT JOIN zone_games z  -- the last zone game before D: D falls after it and no later than the next one
      ON z.player_id = t.player_id AND z.season = t.season AND t.game_date > z.game_date
     AND (t.game_date <= z.next_zone_date OR z.next_zone_date IS NULL)
),
rates AS (
    SELECT *,
           100.0 * paint_att / total_att AS paint_rate,
           100.0 * mid_att / total_att AS mid_rate,
           100.0 * three_att / total_att AS three_rate
    FROM joined
)
SELECT game_date, player_id, season, team_abbr, opponent_abbr,
       ROUND(paint_rate, 4) AS paint_rate_last_10,
       ROUND(mid_rate, 4) AS mid_range_rate_last_10,
       ROUND(three_rate, 4) AS three_rate_last_10,
       ROUND(paint_mk / nullif(paint_att, 0), 4) AS paint_pct_last_10,
       ROUND(mid_mk / nullif(mid_att, 0), 4) AS mid_range_pct_last_10,
       ROUND(three_mk / nullif(three_att, 0), 4) AS three_pct_last_10,
       ROUND(total_att / nullif(games_in_sample, 0), 4) AS zone_attempts_per_game,
       total_att::INTEGER AS total_shots_last_10,
       CASE WHEN total_att IS NULL THEN NULL
            WHEN paint_rate >= 40 THEN 'paint'
            WHEN three_rate >= 40 THEN 'three'
            WHEN mid_rate >= 35 THEN 'mid_range'
            ELSE 'balanced' END AS primary_scoring_zone,
       games_in_sample::INTEGER AS games_in_sample,
       total_att IS NOT NULL AS has_zone_data,
       CASE WHEN games_in_sample >= 10 THEN 'high' WHEN games_in_sample >= 7 THEN 'medium'
            WHEN games_in_sample >= 1 THEN 'low' ELSE 'none' END AS sample_quality
FROM rates
"""

MODEL = Model(
    name="precompute.player_shot_zone_analysis",
    layer="precompute",
    grain=("game_date", "player_id"),
    description="per upcoming player: zone shot rates and FG% over his last 10 games with shot data before D",
    sql=SQL,
    edges=(
        Edge("analytics.upcoming_player_game_context", Window.same_date()),
        Edge("analytics.player_game_summary", Window.season_before()),
    ),
    expected="""SELECT game_date, count(*) AS expected FROM analytics.upcoming_player_game_context
                WHERE game_date BETWEEN $start AND $end GROUP BY 1""",
    checks=(
        *not_null("game_date", "player_id", "games_in_sample", "has_zone_data", "sample_quality"),
        in_range("paint_rate_last_10", 0, 100),
        in_range("mid_range_rate_last_10", 0, 100),
        in_range("three_rate_last_10", 0, 100),
        in_range("paint_pct_last_10", 0, 1),
        in_range("mid_range_pct_last_10", 0, 1),
        in_range("three_pct_last_10", 0, 1),
        in_range("games_in_sample", 0, 10),
    ),
    key_columns=("paint_rate_last_10", "three_rate_last_10", "primary_scoring_zone"),
)
