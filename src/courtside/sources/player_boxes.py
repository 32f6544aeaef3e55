"""Player box scores: four sources -> raw.player_boxscore_sources; canonical raw.player_boxscores.

Source ranks (lower = fuller, wins per (game_id, player_id)):
1 donjuanpond player_gamelogs (regular season, full) and nocturnebear playoff box scores
  (full, minutes "MM:SS", DNP comment rows kept with dnp=TRUE; seasons before 2020-21 skipped);
2 rodgers20 full-box subset (197 players, GAME_DATE like "Feb 05, 2026", 0-minute rows kept);
3 meharpalbasi reduced logs (no game id: resolved from team + date, a team plays once a day; attempts NULL).
"""

from __future__ import annotations

from courtside.sources.files import (GAME_INDEX_JOIN, NO_GAME_REASON, FileSpec, lookup, missing, num, per_value, q,
                                     reasons)
from courtside.sources.teams import unknown_team

TARGET = "raw.player_boxscore_sources"
KEY = ("game_id", "player_id")

# target column -> source column, per naming style
NBA_COLS = {"fgm": "FGM", "fga": "FGA", "fg3m": "FG3M", "fg3a": "FG3A", "ftm": "FTM", "fta": "FTA",
            "oreb": "OREB", "dreb": "DREB", "reb": "REB", "ast": "AST", "stl": "STL", "blk": "BLK",
            "tov": "TOV", "pf": "PF"}
V3_COLS = {"fgm": "fieldGoalsMade", "fga": "fieldGoalsAttempted", "fg3m": "threePointersMade",
           "fg3a": "threePointersAttempted", "ftm": "freeThrowsMade", "fta": "freeThrowsAttempted",
           "oreb": "reboundsOffensive", "dreb": "reboundsDefensive", "reb": "reboundsTotal", "ast": "assists",
           "stl": "steals", "blk": "blocks", "tov": "turnovers", "pf": "foulsPersonal"}
REDUCED_COLS = {"reb": "REB", "ast": "AST", "stl": "STL", "blk": "BLK", "tov": "TOV"}
ALL = tuple(NBA_COLS)
# No player has had 101 points, 64 shots or 56 rebounds in a game: a count above 200 is a corrupt row. The bound
# also keeps the bit-packed sums of the precompute models exact (their fields hold 200 a game, and more).
MOST_PER_GAME = 200
_PLAUSIBLE = {"most": MOST_PER_GAME, "what": "a player's game"}


def _stats(mapping: dict[str, str], pts_col: str, pm_col: str) -> tuple[str, list[str]]:
    items, checks = [], []
    for col in ALL:
        if col in mapping:
            expr, check = num(mapping[col], nonneg=True, **_PLAUSIBLE)
            items.append(f"{expr} AS {col}")
            checks.append(check)
        else:
            items.append(f"CAST(NULL AS INTEGER) AS {col}")
    pts, pts_check = num(pts_col, nonneg=True, **_PLAUSIBLE)
    pm, pm_check = num(pm_col, "DOUBLE")
    return f"{pts} AS pts, {', '.join(items)}, {pm} AS plus_minus", [pts_check, pm_check, *checks]


def _minutes_int(col: str) -> tuple[str, str]:
    return num(col, "DOUBLE", nonneg=True)


def _nba_log(rank: int, *, id_col: str, pid: str, name: str, date_expr: str, date_col: str,
             team_expr: str, team_check: str) -> str:
    """NBA.com LeagueGameLog/PlayerGameLog rows (game id present, full box)."""
    stats, checks = _stats(NBA_COLS, "PTS", "PLUS_MINUS")
    mins, mins_check = _minutes_int("MIN")
    pid_expr, pid_check = num(pid, "BIGINT")
    gid, opp = per_value(id_col, "gid"), per_value("MATCHUP", "opp")
    return f"""
        SELECT {gid} AS game_id, {date_expr} AS game_date, _season({date_expr}) AS season,
               coalesce(_season_type({gid}), '?') AS season_type,
               {pid_expr} AS player_id, {q(name)} AS player_name, {lookup(name)} AS player_lookup,
               {team_expr} AS team_abbr, {opp} AS opponent_abbr, _matchup_home(MATCHUP) AS is_home,
               FALSE AS dnp, CAST(NULL AS VARCHAR) AS dnp_reason, {mins} AS minutes, {stats},
               'full' AS completeness, {rank} AS source_rank, _line,
               {reasons(missing(id_col), missing(pid), pid_check,
                        f"CASE WHEN {date_expr} IS NULL THEN '{date_col} ''' || coalesce({q(date_col)}, '') || ''' is not a date' END",
                        team_check, f"CASE WHEN {opp} IS NULL THEN 'MATCHUP ''' || coalesce(MATCHUP, '') || ''' names no known opponent' END",
                        mins_check, *checks)} AS _reason,
               coalesce(_season_type({gid}) IS NULL, FALSE) AS _skip
        FROM src"""


def _donjuanpond(spec: FileSpec) -> str:
    return _nba_log(1, id_col="GAME_ID", pid="PLAYER_ID", name="PLAYER_NAME",
                    date_expr="TRY_CAST(GAME_DATE AS DATE)", date_col="GAME_DATE",
                    team_expr=per_value("TEAM_ABBREVIATION", "abbr"),
                    team_check=reasons(missing("TEAM_ABBREVIATION"),
                                       unknown_team("TEAM_ABBREVIATION", per_value("TEAM_ABBREVIATION", "abbr"))))


def _rodgers(spec: FileSpec) -> str:
    return _nba_log(2, id_col="Game_ID", pid="Player_ID", name="PLAYER_NAME",
                    date_expr="CAST(try_strptime(GAME_DATE, '%b %d, %Y') AS DATE)", date_col="GAME_DATE",
                    team_expr=per_value("MATCHUP", "mteam"),
                    team_check=f"CASE WHEN {per_value('MATCHUP', 'mteam')} IS NULL THEN 'MATCHUP ''' || coalesce(MATCHUP, '') || ''' names no known team' END")


# "MM:SS" (or a bare number of minutes) -> decimal minutes; blank on DNP rows.
_MMSS = r"'^\d+(:\d{1,2})?(\.\d+)?$'"


def _nocturnebear(spec: FileSpec) -> str:
    stats, checks = _stats(V3_COLS, "points", "plusMinusPoints")
    pid_expr, pid_check = num("personId", "BIGINT")
    m = "s.minutes"
    minutes = f"""CASE WHEN {m} IS NULL THEN 0.0
                       WHEN contains({m}, ':') THEN TRY_CAST(split_part({m}, ':', 1) AS DOUBLE) + TRY_CAST(split_part({m}, ':', 2) AS DOUBLE) / 60
                       ELSE TRY_CAST({m} AS DOUBLE) END"""
    return f"""
        SELECT g.game_id, TRY_CAST(s.game_date AS DATE) AS game_date, s.season_year AS season,
               coalesce(_season_type(_gid(s.gameId)), '?') AS season_type,
               {pid_expr} AS player_id, s.personName AS player_name, {lookup('personName')} AS player_lookup,
               _abbr(s.teamTricode) AS team_abbr, g.opponent_abbr, g.is_home,
               ({m} IS NULL AND s.comment IS NOT NULL) AS dnp,
               CASE WHEN {m} IS NULL THEN s.comment END AS dnp_reason, round({minutes}, 4) AS minutes, {stats},
               'full' AS completeness, 1 AS source_rank, s._line,
               {reasons(missing('gameId'), missing('personId'), pid_check, unknown_team('teamTricode'),
                        f"CASE WHEN {m} IS NOT NULL AND NOT regexp_matches({m}, {_MMSS}) THEN 'minutes ''' || {m} || ''' is not MM:SS' END",
                        "CASE WHEN TRY_CAST(s.game_date AS DATE) IS NULL THEN 'game_date is not a date' END",
                        "CASE WHEN g.game_id IS NULL THEN 'game ' || _gid(s.gameId) || ' for ' || coalesce(s.teamTricode, '?') || ' not in the team logs (opponent and home side unknown)' END",
                        *checks)} AS _reason,
               coalesce(_season_type(_gid(s.gameId)) IS NULL, FALSE) AS _skip
        FROM src s LEFT JOIN _game_index g ON g.game_id = _gid(s.gameId) AND g.team_abbr = _abbr(s.teamTricode)
        WHERE s.season_year >= '2020-21'"""


def _meharpalbasi(spec: FileSpec) -> str:
    stats, checks = _stats(REDUCED_COLS, "PTS", "PLUS_MINUS")
    mins, mins_check = _minutes_int("MIN")
    pid_expr, pid_check = num("PLAYER_ID", "BIGINT")
    return f"""
        SELECT g.game_id, g.game_date, g.season, g.season_type,
               {pid_expr} AS player_id, s.PLAYER_NAME AS player_name, {lookup('PLAYER_NAME')} AS player_lookup,
               g.team_abbr, g.opponent_abbr, g.is_home, FALSE AS dnp, CAST(NULL AS VARCHAR) AS dnp_reason,
               {mins} AS minutes, {stats}, 'reduced' AS completeness, 3 AS source_rank, s._line,
               {reasons(missing('PLAYER_ID'), pid_check, unknown_team('TEAM_ABBREVIATION', per_value('TEAM_ABBREVIATION', 'abbr')), mins_check, *checks,
                        NO_GAME_REASON)} AS _reason,
               FALSE AS _skip
        {GAME_INDEX_JOIN}
"""


_NBA_REQ = ("MATCHUP", "MIN", "PTS", "PLUS_MINUS", *NBA_COLS.values())

SPECS = (
    FileSpec("donjuanpond", "nbaapi_regular_season_donjuanpond/player_gamelogs_*.csv.gz", TARGET,
             ("PLAYER_ID", "PLAYER_NAME", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE", *_NBA_REQ), _donjuanpond, KEY),
    FileSpec("nocturnebear", "playoffs_nocturnebear/play_off_box_scores_*.csv.gz", TARGET,
             ("season_year", "game_date", "gameId", "teamTricode", "personId", "personName", "comment", "minutes",
              "points", "plusMinusPoints", *V3_COLS.values()), _nocturnebear, KEY),
    FileSpec("rodgers20", "player_logs_subset_rodgers20/player_game_logs_*.csv.gz", TARGET,
             ("Player_ID", "Game_ID", "GAME_DATE", "PLAYER_NAME", *_NBA_REQ), _rodgers, KEY),
    FileSpec("meharpalbasi", "nbastats_meharpalbasi/player_game_logs_*.csv.gz", TARGET,
             ("PLAYER_ID", "PLAYER_NAME", "TEAM_ABBREVIATION", "GAME_DATE", "MATCHUP", "MIN", "PTS", "PLUS_MINUS",
              *REDUCED_COLS.values()), _meharpalbasi, KEY),
)


def build_canonical(con) -> None:
    """raw.player_boxscores: per (game_id, player_id) the fullest source row; flags say which stat groups exist."""
    con.execute("DELETE FROM raw.player_boxscores")
    con.execute("""
        INSERT INTO raw.player_boxscores BY NAME
        SELECT * EXCLUDE (source_rank),
               (fga IS NOT NULL AND fta IS NOT NULL AND fg3a IS NOT NULL) AS has_attempts,
               (reb IS NOT NULL AND ast IS NOT NULL) AS has_rebounds_assists
        FROM raw.player_boxscore_sources
        -- the winner's rowid per key (an aggregate over narrow columns, not a window sort of wide rows);
        -- (file, line) is unique, so the choice is deterministic
        WHERE rowid IN (SELECT arg_min(rowid, (source_rank, file, line)) FROM raw.player_boxscore_sources
                        GROUP BY game_id, player_id)""")
    # Side and opponent follow the canonical team box (it has the neutral-site fix-up).
    con.execute("""
        UPDATE raw.player_boxscores p SET is_home = t.is_home, opponent_abbr = t.opponent_abbr
        FROM raw.team_boxscores t
        WHERE t.game_id = p.game_id AND t.team_abbr = p.team_abbr
          AND (p.is_home <> t.is_home OR p.opponent_abbr <> t.opponent_abbr)""")
