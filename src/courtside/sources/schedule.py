"""The schedule: schedule files -> raw.schedule_sources; raw.schedule = one row per game.

A game's row comes from the canonical team boxes when both teams' boxes exist (final score
from the boxes), else from a schedule file (mylesthomas schedule_all_games_*, one team's view
per game; meharpalbasi schedule_2025-26 with STAGE). Preseason, All-Star and the NBA Cup final
are skipped by design (their game-id type digit is 1, 3 or 6).
"""

from __future__ import annotations

from courtside.sources.files import FileSpec, missing, num, reasons
from courtside.sources.teams import unknown_team

TARGET = "raw.schedule_sources"
KEY = ("game_id",)


def _one_team_view(spec: FileSpec) -> str:
    """mylesthomas schedule_all_games: a team-log row per game; the other side from MATCHUP and PLUS_MINUS."""
    pts, pts_check = num("PTS", nonneg=True)
    pm, pm_check = num("PLUS_MINUS", "DOUBLE")
    return f"""
        SELECT game_id, game_date, _season(game_date) AS season, coalesce(_season_type(game_id), '?') AS season_type,
               CASE WHEN home THEN team ELSE opp END AS home_team, CASE WHEN home THEN opp ELSE team END AS away_team,
               CASE WHEN home THEN p ELSE CAST(p - m AS INTEGER) END AS home_pts,
               CASE WHEN home THEN CAST(p - m AS INTEGER) ELSE p END AS away_pts,
               CASE WHEN p IS NOT NULL AND m IS NOT NULL THEN 'final' ELSE 'scheduled' END AS status,
               11 AS source_rank, _line, _reason, coalesce(_season_type(game_id) IS NULL, FALSE) AS _skip
        FROM (SELECT _gid(GAME_ID) AS game_id, TRY_CAST(GAME_DATE AS DATE) AS game_date,
                     _abbr(TEAM_ABBREVIATION) AS team, _matchup_opp(MATCHUP) AS opp, _matchup_home(MATCHUP) AS home,
                     {pts} AS p, {pm} AS m, _line,
                     {reasons(missing('GAME_ID'), "CASE WHEN TRY_CAST(GAME_DATE AS DATE) IS NULL THEN 'GAME_DATE is not a date' END",
                              missing('TEAM_ABBREVIATION'), unknown_team('TEAM_ABBREVIATION'),
                              "CASE WHEN _matchup_opp(MATCHUP) IS NULL THEN 'MATCHUP names no known opponent' END",
                              pts_check, pm_check)} AS _reason
              FROM src)"""


def _stage_table(spec: FileSpec) -> str:
    """meharpalbasi schedule_2025-26: one row per game with home/away codes and points."""
    hp, hp_check = num("HOME_PTS", nonneg=True)
    ap, ap_check = num("AWAY_PTS", nonneg=True)
    gid = "_gid(GAME_ID)"
    return f"""
        SELECT {gid} AS game_id, TRY_CAST(GAME_DATE AS DATE) AS game_date, _season(TRY_CAST(GAME_DATE AS DATE)) AS season,
               coalesce(_season_type({gid}), '?') AS season_type,
               _abbr(HOME_ABBR) AS home_team, _abbr(AWAY_ABBR) AS away_team, {hp} AS home_pts, {ap} AS away_pts,
               -- STATUS 3 = final on NBA.com; a 0-0 "final" is a game not yet played
               CASE WHEN STATUS = '3' AND coalesce({hp}, 0) + coalesce({ap}, 0) > 0 THEN 'final' ELSE 'scheduled' END AS status,
               10 AS source_rank, _line,
               {reasons(missing('GAME_ID'), "CASE WHEN TRY_CAST(GAME_DATE AS DATE) IS NULL THEN 'GAME_DATE is not a date' END",
                        unknown_team('HOME_ABBR'), unknown_team('AWAY_ABBR'), hp_check, ap_check)} AS _reason,
               coalesce(_season_type({gid}) IS NULL, FALSE) AS _skip
        FROM src"""


SPECS = (
    FileSpec("meharpalbasi", "nbastats_meharpalbasi/schedule_*.csv.gz", TARGET,
             ("GAME_ID", "GAME_DATE", "HOME_ABBR", "AWAY_ABBR", "HOME_PTS", "AWAY_PTS", "STATUS"), _stage_table, KEY),
    FileSpec("mylesthomas", "betting_mylesthomas/schedule_all_games_*.csv.gz", TARGET,
             ("GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "MATCHUP", "PTS", "PLUS_MINUS"), _one_team_view, KEY),
)


def build_canonical(con) -> None:
    """raw.schedule from the canonical team boxes (both sides present), else the schedule files."""
    con.execute("DELETE FROM raw.schedule")
    con.execute("""
        INSERT INTO raw.schedule
        SELECT game_id, game_date, season, season_type, home_team, away_team, home_pts, away_pts, status,
               source, file, line, loaded_at
        FROM (
            SELECT h.game_id, h.game_date, h.season, h.season_type, h.team_abbr AS home_team, a.team_abbr AS away_team,
                   h.pts AS home_pts, a.pts AS away_pts, 'final' AS status,
                   h.source, h.file, h.line, h.loaded_at, 0 AS rank
            FROM raw.team_boxscores h JOIN raw.team_boxscores a ON a.game_id = h.game_id AND h.is_home AND NOT a.is_home
            UNION ALL
            SELECT game_id, game_date, season, season_type, home_team, away_team, home_pts, away_pts, status,
                   source, file, line, loaded_at, source_rank
            FROM raw.schedule_sources
        )
        QUALIFY row_number() OVER (PARTITION BY game_id ORDER BY rank, file, line) = 1""")
