"""Team box scores: NBA.com team game logs (regular, play-in, playoffs) -> raw.team_boxscore_sources.

Source ranks (lower wins per (game_id, team)): 1 donjuanpond games_* (regular season),
2 mylesthomas team_gamelogs_* (all types; preseason/All-Star/Cup final skipped), 3 nocturnebear
playoff totals, 4 meharpalbasi 2025-26 team logs (no game id, no attempts: id resolved from the
schedule via team + date).
"""

from __future__ import annotations

from courtside.sources.files import GAME_INDEX_JOIN, NO_GAME_REASON, FileSpec, missing, num, per_value, q, reasons
from courtside.sources.teams import unknown_team

TARGET = "raw.team_boxscore_sources"
KEY = ("game_id", "team_abbr")

FULL_STATS = ("FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF")
STAT_COLS = {"FGM": "fgm", "FGA": "fga", "FG3M": "fg3m", "FG3A": "fg3a", "FTM": "ftm", "FTA": "fta",
             "OREB": "oreb", "DREB": "dreb", "REB": "reb", "AST": "ast", "STL": "stl", "BLK": "blk",
             "TOV": "tov", "PF": "pf"}
ALL_STATS = ("fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast", "stl", "blk", "tov", "pf")


def _stats(present: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Select items for every box stat (NULL where the source lacks it) and their checks."""
    items, checks = [], []
    for src_col, col in STAT_COLS.items():
        if src_col in present:
            expr, check = num(src_col, nonneg=True)
            items.append(f"{expr} AS {col}")
            checks.append(check)
        else:
            items.append(f"CAST(NULL AS INTEGER) AS {col}")
    return items, checks


def _team_log_select(rank: int, date_col: str = "GAME_DATE", minutes_scale: bool = False, where: str = "TRUE") -> str:
    pts, pts_check = num("PTS", nonneg=True)
    pm, pm_check = num("PLUS_MINUS", "DOUBLE")
    mins, mins_check = num("MIN", "DOUBLE", nonneg=True)
    # The playoff totals give game minutes (48.0); the logs give team minutes (240).
    team_minutes = f"CAST(round(CASE WHEN {mins} < 100 THEN {mins} * 5 ELSE {mins} END) AS INTEGER)" \
        if minutes_scale else f"CAST(round({mins}) AS INTEGER)"
    stats, stat_checks = _stats(FULL_STATS)
    gd = f"TRY_CAST(substr({q(date_col)}, 1, 10) AS DATE)"
    gid, team, opp = per_value("GAME_ID", "gid"), per_value("TEAM_ABBREVIATION", "abbr"), per_value("MATCHUP", "opp")
    return f"""
        SELECT {gid} AS game_id, {gd} AS game_date, _season({gd}) AS season,
               coalesce(_season_type({gid}), '?') AS season_type,
               {team} AS team_abbr, {opp} AS opponent_abbr,
               _matchup_home(MATCHUP) AS is_home, CASE WL WHEN 'W' THEN TRUE WHEN 'L' THEN FALSE END AS win,
               {team_minutes} AS team_minutes, CAST(NULL AS DOUBLE) AS minutes, {pts} AS pts,
               {', '.join(stats)}, {pm} AS plus_minus, {rank} AS source_rank,
               _line,
               {reasons(missing('GAME_ID'), f"CASE WHEN {gd} IS NULL THEN 'GAME_DATE ''' || coalesce({q(date_col)}, '') || ''' is not a date' END",
                        missing('TEAM_ABBREVIATION'), unknown_team('TEAM_ABBREVIATION', team),
                        f"CASE WHEN {opp} IS NULL THEN 'MATCHUP ''' || coalesce(MATCHUP, '') || ''' names no known opponent' END",
                        pts_check, pm_check, mins_check, *stat_checks)} AS _reason,
               coalesce(_season_type({gid}) IS NULL, FALSE) AS _skip
        FROM src WHERE {where}"""


def _reduced_select(spec: FileSpec) -> str:
    """meharpalbasi team logs: no GAME_ID, no attempts; the game comes from the schedule index."""
    pts, pts_check = num("PTS", nonneg=True)
    pm, pm_check = num("PLUS_MINUS", "DOUBLE")
    stats, stat_checks = _stats(("REB", "AST", "STL", "BLK", "TOV"))
    return f"""
        SELECT g.game_id, g.game_date, g.season, g.season_type, g.team_abbr, g.opponent_abbr, g.is_home,
               CASE s.WL WHEN 'W' THEN TRUE WHEN 'L' THEN FALSE END AS win, CAST(NULL AS INTEGER) AS team_minutes,
               CAST(NULL AS DOUBLE) AS minutes, {pts} AS pts, {', '.join(stats)}, {pm} AS plus_minus,
               4 AS source_rank, s._line,
               {reasons(unknown_team('TEAM_ABBREVIATION', per_value('TEAM_ABBREVIATION', 'abbr')), pts_check, pm_check, *stat_checks,
                        NO_GAME_REASON)} AS _reason,
               FALSE AS _skip
        {GAME_INDEX_JOIN}
"""


_LOG_REQUIRED = ("GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "MATCHUP", "WL", "MIN", "PTS", "PLUS_MINUS", *FULL_STATS)

SPECS = (
    FileSpec("donjuanpond", "nbaapi_regular_season_donjuanpond/games_*.csv.gz", TARGET, _LOG_REQUIRED,
             lambda s: _team_log_select(1), KEY),
    FileSpec("mylesthomas", "betting_mylesthomas/team_gamelogs_*.csv.gz", TARGET, _LOG_REQUIRED,
             lambda s: _team_log_select(2), KEY),
    # Seasons before 2020-21 are outside our window: filtered before parsing, not rejects.
    FileSpec("nocturnebear", "playoffs_nocturnebear/play_off_totals_*.csv.gz", TARGET, ("SEASON_YEAR", *_LOG_REQUIRED),
             lambda s: _team_log_select(3, minutes_scale=True, where="SEASON_YEAR >= '2020-21'"), KEY),
    FileSpec("meharpalbasi", "nbastats_meharpalbasi/team_game_logs_2025-26.csv.gz", TARGET,
             ("TEAM_ABBREVIATION", "GAME_DATE", "MATCHUP", "WL", "PTS", "REB", "AST", "STL", "BLK", "TOV", "PLUS_MINUS"),
             _reduced_select, KEY),
)


def build_canonical(con) -> None:
    """raw.team_boxscores: one row per (game_id, team), the lowest source_rank wins."""
    cols = ", ".join(c for c in _canonical_columns(con))
    con.execute("DELETE FROM raw.team_boxscores")
    con.execute(f"""INSERT INTO raw.team_boxscores ({cols})
                    SELECT {cols} FROM raw.team_boxscore_sources
                    WHERE rowid IN (SELECT arg_min(rowid, (source_rank, file, line)) FROM raw.team_boxscore_sources
                                    GROUP BY game_id, team_abbr)""")
    # Neutral-site games (Paris, Mexico City, the Cup in Las Vegas) read "IND @ IND" on the designated
    # home team's row. The other row ("SAS @ IND") names the home side; the opponent is the other row's team.
    # (Also repairs a team listed as its own opponent, e.g. a resolved 2025-26 reduced row.)
    con.execute("""
        UPDATE raw.team_boxscores t SET is_home = (t.team_abbr = o.opponent_abbr), opponent_abbr = o.team_abbr
        FROM raw.team_boxscores o
        WHERE o.game_id = t.game_id AND o.team_abbr <> t.team_abbr
          AND t.game_id IN (SELECT game_id FROM raw.team_boxscores GROUP BY 1
                            HAVING count(*) = 2 AND (count(*) FILTER (WHERE is_home) <> 1
                                                     OR count(*) FILTER (WHERE team_abbr = opponent_abbr) > 0))""")


def _canonical_columns(con) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE raw.team_boxscores").fetchall()]
