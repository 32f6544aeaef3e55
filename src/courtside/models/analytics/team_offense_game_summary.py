"""analytics.team_offense_game_summary: one row per team box score of the date, with possessions,
pace, offensive rating and the team's shot zones."""

from courtside.models.analytics._fragments import (
    TWO_TEAM_ROWS_PER_GAME,
    ZONE_AGGREGATES, game_minutes, overtime_periods, pace, possessions, r4, ts_pct, zone_select,
)
from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = f"""
WITH box AS (
    SELECT t.*, {overtime_periods('t')} AS ot, {possessions('t')} AS poss, {pace('t')} AS pace_raw
    FROM raw.team_boxscores t WHERE game_date BETWEEN $start AND $end
),
zones AS (
    SELECT game_id, team_abbr, {ZONE_AGGREGATES}
    FROM raw.shots WHERE game_date BETWEEN $start AND $end
    GROUP BY game_id, team_abbr
),
shot_games AS (SELECT DISTINCT game_id FROM zones)  -- games with a shot chart (shots are read once)
SELECT
    b.game_id, b.game_date, b.season, b.season_type, b.team_abbr, b.opponent_abbr, b.is_home,
    -- the original's win_flag was hard-coded FALSE; here it is the box's W/L, else the score
    coalesce(b.win, b.pts > o.pts) AS win,
    b.pts AS points, o.pts AS opponent_points, b.pts - o.pts AS margin,
    b.fgm, b.fga, b.fg3m, b.fg3a, b.ftm, b.fta, b.oreb, b.dreb,
    coalesce(b.reb, b.oreb + b.dreb) AS reb, b.ast, b.stl, b.blk, b.tov, b.pf,
    b.team_minutes, b.ot AS overtime_periods,
    {r4('b.poss')} AS possessions,
    {r4('b.pace_raw')} AS pace,
    {r4('100.0 * b.pts / nullif(b.poss, 0)')} AS offensive_rating,
    {r4(ts_pct('b'))} AS ts_pct,
    {zone_select('z', 'sg.game_id IS NOT NULL')},
    sg.game_id IS NOT NULL AS has_shot_zones,
    -- reduced boxes (points only): possessions, pace and ratings are NULL, never estimated
    b.fga IS NOT NULL AND b.fta IS NOT NULL AND b.tov IS NOT NULL AND b.oreb IS NOT NULL AS has_attempts,
    b.source
FROM box b
LEFT JOIN box o ON o.game_id = b.game_id AND o.team_abbr = b.opponent_abbr
LEFT JOIN shot_games sg ON sg.game_id = b.game_id
LEFT JOIN zones z ON z.game_id = b.game_id AND z.team_abbr = b.team_abbr
"""

MODEL = Model(
    name="analytics.team_offense_game_summary",
    layer="analytics",
    grain=("game_id", "team_abbr"),
    description="team box per game: possessions, pace, offensive rating, shot zones",
    sql=SQL,
    edges=(
        Edge("raw.team_boxscores", Window.same_date()),
        Edge("raw.shots", Window.same_date()),
        Edge("raw.schedule", Window.same_date()),
    ),
    expected=TWO_TEAM_ROWS_PER_GAME,
    checks=(
        *not_null("game_id", "game_date", "team_abbr", "opponent_abbr", "points", "has_shot_zones"),
        in_range("points", 50, 200),
        in_range("possessions", 60, 150),
        in_range("pace", 70, 130),
        in_range("offensive_rating", 60, 180),
        in_range("overtime_periods", 0, 6),
        in_range("ts_pct", 0, 1),
    ),
    key_columns=("points", "possessions", "pace", "offensive_rating"),
)
