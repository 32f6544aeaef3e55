"""analytics.player_game_summary: one row per player box score of the date, with efficiency,
usage from team totals and shot-zone attempts/makes from the shot chart where the game has one.

Each formula is written once in the SQL (a one-date batch is mostly planning, which grows with the text):
the zone code of a shot is computed once and summed twice (attempts, makes), then read field by field;
usage is computed once beside the box and tested against 100 from there.
"""

from courtside.models.analytics._fragments import ZONE_CODE, game_minutes, r4, ts_pct, zone_fields, zone_select
from courtside.models.registry import Edge, Model, Window, in_range, not_null

# usage = 100 * (FGA + 0.44 FTA + TOV) * (team_minutes / 5) / (minutes * team (FGA + 0.44 FTA + TOV)), with the
# game's real length (overtime included) instead of the original's hard-coded 48. NULL without attempts,
# without the team's row, or with 0 minutes.
USAGE = """CASE WHEN b.has_attempts AND b.minutes > 0 THEN
    100.0 * (b.fga + 0.44 * b.fta + b.tov) * t.game_minutes / nullif(b.minutes * (t.fga + 0.44 * t.fta + t.tov), 0)
END"""

SQL = f"""
WITH team AS (
    SELECT game_id, team_abbr, fga, fta, tov, {game_minutes('t')} AS game_minutes
    FROM raw.team_boxscores t WHERE game_date BETWEEN $start AND $end
),
zones AS (
    SELECT game_id, player_id, {zone_fields('a', 'm')}
    FROM (
        SELECT game_id, player_id, sum(code)::BIGINT AS a, sum(CASE WHEN made THEN code ELSE 0 END)::BIGINT AS m
        FROM (SELECT game_id, player_id, made, {ZONE_CODE} AS code FROM raw.shots
              WHERE game_date BETWEEN $start AND $end)
        GROUP BY game_id, player_id
        HAVING count(*) > 0  -- always true; lowers the row estimate so the join builds on the narrow zones
    )
),
shot_games AS (SELECT DISTINCT game_id FROM zones)
SELECT
    b.game_id, b.game_date, b.season, b.season_type, b.player_id, b.player_lookup, b.player_name,
    b.team_abbr, b.opponent_abbr, b.is_home,
    b.minutes,
    (b.dnp OR coalesce(b.minutes, 0) <= 0) AS is_dnp,
    b.dnp_reason,
    b.pts, b.reb, b.ast, b.stl, b.blk, b.tov, b.pf, b.oreb, b.dreb,
    b.fgm, b.fga, b.fg3m, b.fg3a, b.ftm, b.fta, b.plus_minus,
    {r4(f"CASE WHEN b.has_attempts THEN {ts_pct('b')} END")} AS ts_pct,
    {r4("CASE WHEN b.has_attempts THEN (b.fgm + 0.5 * b.fg3m) / nullif(b.fga, 0) END")} AS efg_pct,
    -- Above 100 only from a cameo whose minutes were rounded (e.g. 3 shots in "1" minute): not measurable, NULL.
    {r4("CASE WHEN b.usage <= 100 THEN b.usage END")} AS usage_rate,
    {zone_select('z', 'sg.game_id IS NOT NULL')},
    sg.game_id IS NOT NULL AS has_shot_zones,
    b.has_attempts, b.has_rebounds_assists, b.completeness, b.source
FROM (SELECT b.*, {USAGE} AS usage
      FROM raw.player_boxscores b LEFT JOIN team t ON t.game_id = b.game_id AND t.team_abbr = b.team_abbr
      WHERE b.game_date BETWEEN $start AND $end) b
LEFT JOIN shot_games sg ON sg.game_id = b.game_id
LEFT JOIN zones z ON z.game_id = b.game_id AND z.player_id = b.player_id
"""

# Every player box of the date; 0 on a game date with none (play-in games have no public player boxes:
# that gap belongs to raw.player_boxscores, whose own coverage shows it). One row per calendar day of the
# range (readers join it on the game dates): a day series costs a fraction of the calendar view's planning.
EXPECTED = """
SELECT d.game_date, count(b.player_id) AS expected
FROM (SELECT unnest(generate_series($start, $end, INTERVAL 1 DAY))::DATE AS game_date) d
LEFT JOIN raw.player_boxscores b ON b.game_date = d.game_date
GROUP BY d.game_date
"""

MODEL = Model(
    name="analytics.player_game_summary",
    layer="analytics",
    grain=("game_id", "player_id"),
    description="every player box score of the date: efficiency, usage, shot zones",
    sql=SQL,
    edges=(
        Edge("raw.player_boxscores", Window.same_date()),
        Edge("raw.team_boxscores", Window.same_date()),
        Edge("raw.shots", Window.same_date()),
    ),
    expected=EXPECTED,
    checks=(
        *not_null("game_id", "game_date", "player_id", "team_abbr", "opponent_abbr", "is_dnp", "has_shot_zones"),
        in_range("minutes", 0, 70),
        in_range("pts", 0, 100),
        in_range("usage_rate", 0, 100),
        in_range("ts_pct", 0, 1.5),
        in_range("efg_pct", 0, 1.5),
        in_range("paint_attempts", 0, 60),
        in_range("three_attempts_zone", 0, 40),
    ),
    key_columns=("minutes", "pts", "usage_rate", "ts_pct", "paint_attempts"),
)
