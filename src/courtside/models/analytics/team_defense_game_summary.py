"""analytics.team_defense_game_summary: the opponent's box seen from the defending team (flip
perspective), with defensive rating, the opponent's pace and the opponent's shooting by zone."""

from courtside.models.analytics._fragments import (
    TWO_TEAM_ROWS_PER_GAME,
    ZONE_AGGREGATES, ZONE_COLUMNS, pace, possessions, r4, ts_pct, zone_select,
)
from courtside.models.registry import Edge, Model, Window, in_range, not_null

OPP_ZONE_NAMES = ("opp_paint_attempts", "opp_paint_makes", "opp_mid_range_attempts", "opp_mid_range_makes",
                  "opp_three_attempts", "opp_three_makes")
assert len(OPP_ZONE_NAMES) == len(ZONE_COLUMNS)

SQL = f"""
WITH box AS (
    SELECT t.*, {possessions('t')} AS poss, {pace('t')} AS pace_raw
    FROM raw.team_boxscores t WHERE game_date BETWEEN $start AND $end
),
zones AS (  -- shots taken by each team; joined on the opponent they are "allowed" by the defender
    SELECT game_id, team_abbr, {ZONE_AGGREGATES}
    FROM raw.shots WHERE game_date BETWEEN $start AND $end
    GROUP BY game_id, team_abbr
),
shot_games AS (SELECT DISTINCT game_id FROM zones)  -- games with a shot chart (shots are read once)
SELECT
    d.game_id, d.game_date, d.season, d.season_type, d.team_abbr, d.opponent_abbr, d.is_home,
    coalesce(d.win, d.pts > o.pts) AS win,
    o.pts AS points_allowed, d.pts - o.pts AS margin,
    o.fgm AS opp_fgm, o.fga AS opp_fga, o.fg3m AS opp_fg3m, o.fg3a AS opp_fg3a,
    o.ftm AS opp_ftm, o.fta AS opp_fta, o.tov AS opp_tov, o.oreb AS opp_oreb,
    {r4('o.poss')} AS opp_possessions,
    {r4('100.0 * o.pts / nullif(o.poss, 0)')} AS defensive_rating,
    {r4('o.pace_raw')} AS opponent_pace,
    {r4(ts_pct('o'))} AS opponent_ts_pct,
    -- defensive actions come from the defender's own box (the original summed player boxes: same totals)
    d.stl AS steals, d.blk AS blocks, d.dreb, o.tov AS turnovers_forced,
    {zone_select('z', 'sg.game_id IS NOT NULL', names=OPP_ZONE_NAMES)},
    sg.game_id IS NOT NULL AS has_shot_zones,
    o.game_id IS NOT NULL AS has_opponent_box,
    o.fga IS NOT NULL AND o.fta IS NOT NULL AND o.tov IS NOT NULL AND o.oreb IS NOT NULL AS has_attempts
FROM box d
LEFT JOIN box o ON o.game_id = d.game_id AND o.team_abbr = d.opponent_abbr
LEFT JOIN shot_games sg ON sg.game_id = d.game_id
LEFT JOIN zones z ON z.game_id = d.game_id AND z.team_abbr = d.opponent_abbr
"""

MODEL = Model(
    name="analytics.team_defense_game_summary",
    layer="analytics",
    grain=("game_id", "team_abbr"),
    description="the opponent's box from the defending team's view: defensive rating, opponent zones",
    sql=SQL,
    edges=(
        Edge("raw.team_boxscores", Window.same_date()),
        Edge("raw.shots", Window.same_date()),
        Edge("raw.schedule", Window.same_date()),
    ),
    expected=TWO_TEAM_ROWS_PER_GAME,
    checks=(
        *not_null("game_id", "game_date", "team_abbr", "opponent_abbr", "points_allowed", "has_shot_zones"),
        in_range("points_allowed", 50, 200),
        in_range("opp_possessions", 60, 150),
        in_range("defensive_rating", 60, 180),
        in_range("opponent_pace", 70, 130),
    ),
    key_columns=("points_allowed", "opp_possessions", "defensive_rating", "opponent_pace"),
)
