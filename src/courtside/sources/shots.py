"""Shot charts: every field-goal attempt from the domsamangy zips -> raw.shots.

GAME_DATE is MM-DD-YYYY, GAME_ID an integer (left-padded to 10). The shooter's team comes from
TEAM_NAME through the identity aliases (NBA.com full names) and must be HOME_TEAM or AWAY_TEAM;
the opponent is the other one. BASIC_ZONE is normalised to six zones.
"""

from __future__ import annotations

from courtside.sources.files import FileSpec, missing, num, per_value, reasons

TARGET = "raw.shots"

ZONES = {
    "Restricted Area": "restricted_area",
    "In The Paint (Non-RA)": "paint_non_ra",
    "Mid-Range": "mid_range",
    "Left Corner 3": "corner_3",
    "Right Corner 3": "corner_3",
    "Above the Break 3": "above_break_3",
    "Backcourt": "backcourt",
}


def _zone_case(col: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ZONES.items())
    return f"CASE {col} {whens} END"


def _select(spec: FileSpec) -> str:
    pid, pid_check = num("PLAYER_ID", "BIGINT")
    dist, dist_check = num("SHOT_DISTANCE", nonneg=True)
    checks = reasons(
        missing("GAME_ID"), missing("PLAYER_ID"), pid_check,
        "CASE WHEN gd IS NULL THEN 'GAME_DATE ''' || coalesce(GAME_DATE, '') || ''' is not MM-DD-YYYY' END",
        "CASE WHEN team IS NULL THEN 'unknown team ''' || coalesce(TEAM_NAME, '') || '''' END",
        "CASE WHEN home IS NULL OR away IS NULL OR team NOT IN (home, away) THEN 'team ' || team || ' is neither"
        " HOME_TEAM ''' || coalesce(HOME_TEAM, '') || ''' nor AWAY_TEAM ''' || coalesce(AWAY_TEAM, '') || '''' END",
        "CASE WHEN zone IS NULL THEN 'unknown BASIC_ZONE ''' || coalesce(BASIC_ZONE, '') || '''' END",
        "CASE WHEN SHOT_MADE IS NULL OR upper(SHOT_MADE) NOT IN ('TRUE', 'FALSE')"
        " THEN 'SHOT_MADE ''' || coalesce(SHOT_MADE, '') || ''' is not True/False' END",
        "CASE WHEN SHOT_TYPE IS NULL OR SHOT_TYPE NOT IN ('2PT Field Goal', '3PT Field Goal')"
        " THEN 'SHOT_TYPE ''' || coalesce(SHOT_TYPE, '') || ''' unknown' END",
        dist_check)
    # Game id, date and team codes once per distinct value (850k rows a load, ~1,200 games, 30 teams).
    return f"""
        SELECT gid AS game_id, gd AS game_date, SEASON_2 AS season, {pid} AS player_id, team AS team_abbr,
               CASE WHEN team = home THEN away ELSE home END AS opponent_abbr, zone, {dist} AS shot_distance,
               (SHOT_TYPE = '3PT Field Goal') AS is_three,
               CASE upper(SHOT_MADE) WHEN 'TRUE' THEN TRUE WHEN 'FALSE' THEN FALSE END AS made,
               _line, {checks} AS _reason, FALSE AS _skip
        -- (inner names must differ from the source's columns: identifiers are case-insensitive)
        FROM (SELECT *, {per_value('GAME_ID', 'gid')} AS gid, {per_value('GAME_DATE', 'mdy')} AS gd,
                     {per_value('TEAM_NAME', 'abbr')} AS team, {per_value('HOME_TEAM', 'abbr')} AS home,
                     {per_value('AWAY_TEAM', 'abbr')} AS away,
                     {_zone_case('BASIC_ZONE')} AS zone
              FROM src)"""


SPECS = (
    FileSpec("domsamangy", "shots_domsamangy/NBA_*_Shots.csv.zip", TARGET,
             ("SEASON_2", "TEAM_NAME", "PLAYER_ID", "GAME_DATE", "GAME_ID", "HOME_TEAM", "AWAY_TEAM", "SHOT_MADE",
              "SHOT_TYPE", "BASIC_ZONE", "SHOT_DISTANCE"),
             # Two attempts by one player in the same second are real (tip-ins): no duplicate key.
             _select, (), member_suffix=".csv", only_required=True),
)
