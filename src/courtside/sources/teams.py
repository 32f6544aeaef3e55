"""Team codes, seasons and game keys as SQL helpers, so every loader resolves them the same way."""

from __future__ import annotations

from courtside.identity import TEAMS, team_alias_rows


def install_helpers(engine) -> None:
    """Temp alias table + macros used by the loaders' SQL (one session, not persisted)."""
    # Code or full name -> canonical abbreviation (NULL when unknown, so the row is rejected by name).
    # An ENUM cast is a hash lookup (a MAP literal is a linear scan per row and costly to plan);
    # the enum's position indexes the list of abbreviations. The exact spelling ("BOS",
    # "Boston Celtics") is tried first, so upper(trim()) runs only for the rare other spellings.
    lookup = dict(team_alias_rows())
    for abbr, full in TEAMS.items():
        lookup.setdefault(full, abbr)
    aliases = ", ".join(f"'{_sql_str(alias)}'" for alias in lookup)
    abbrs = ", ".join(f"'{abbr}'" for abbr in lookup.values())
    engine.execute(f"CREATE OR REPLACE TEMP TYPE _team_alias AS ENUM ({aliases})")
    engine.execute(f"""CREATE OR REPLACE TEMP MACRO _abbr_exact(x) AS
                       [{abbrs}][CAST(enum_code(TRY_CAST(x AS _team_alias)) AS INTEGER) + 1]""")
    engine.execute("CREATE OR REPLACE TEMP MACRO _abbr(x) AS coalesce(_abbr_exact(x), _abbr_exact(upper(trim(x))))")
    # Same rule as dates.season_of: a season runs from August to July.
    engine.execute("""CREATE OR REPLACE TEMP MACRO _season(d) AS
                      CAST(year(d) - CAST(month(d) < 8 AS INTEGER) AS VARCHAR) || '-' ||
                      right(CAST(year(d) - CAST(month(d) < 8 AS INTEGER) + 1 AS VARCHAR), 2)""")
    # NBA.com game ids encode the type in the third digit (identity.season_type_of_game_id).
    engine.execute("""CREATE OR REPLACE TEMP MACRO _season_type(gid) AS
                      CASE substr(gid, 3, 1) WHEN '2' THEN 'regular' WHEN '4' THEN 'playoffs'
                                             WHEN '5' THEN 'play-in' END""")
    engine.execute("CREATE OR REPLACE TEMP MACRO _gid(x) AS lpad(trim(x), 10, '0')")
    # "BOS vs. PHI" = BOS at home; "BOS @ PHI" = BOS away; the opponent is the last token.
    engine.execute("CREATE OR REPLACE TEMP MACRO _matchup_home(m) AS contains(m, ' vs. ')")
    engine.execute("""CREATE OR REPLACE TEMP MACRO _matchup_opp(m) AS
                      _abbr(regexp_extract(trim(m), '(\\S+)$', 1))""")
    engine.execute("""CREATE OR REPLACE TEMP MACRO _matchup_team(m) AS
                      _abbr(regexp_extract(trim(m), '^(\\S+)', 1))""")
    refresh_game_index(engine)


def unknown_team(col: str, expr: str | None = None) -> str:
    """Check expression: the team code/name in `col` is not one we know."""
    value = expr or f'_abbr("{col}")'
    return f"""CASE WHEN "{col}" IS NOT NULL AND {value} IS NULL THEN 'unknown team ''' || "{col}" || '''' END"""


def refresh_game_index(engine) -> None:
    """Every known game from the staged team logs and schedules, once per (game_id, team).

    Sources without a game id (reduced logs) resolve theirs here from team + date (+ opponent).
    """
    engine.execute("""
        CREATE OR REPLACE TEMP TABLE _game_index AS
        SELECT game_id, any_value(game_date) AS game_date, any_value(season) AS season,
               any_value(season_type) AS season_type, team_abbr,
               -- deterministic, and never the team itself when a source names the real opponent
               -- (neutral-site games read "IND @ IND" on one team log's row)
               coalesce(min(opponent_abbr) FILTER (WHERE opponent_abbr <> team_abbr), min(opponent_abbr)) AS opponent_abbr,
               bool_or(is_home) AS is_home
        FROM (
            SELECT game_id, game_date, season, season_type, team_abbr, opponent_abbr, is_home
            FROM raw.team_boxscore_sources
            WHERE source <> 'meharpalbasi'   -- that source resolves its ids here; never from itself
            UNION ALL
            SELECT game_id, game_date, season, season_type, home_team, away_team, TRUE FROM raw.schedule_sources
            UNION ALL
            SELECT game_id, game_date, season, season_type, away_team, home_team, FALSE FROM raw.schedule_sources
        ) GROUP BY game_id, team_abbr""")


def _sql_str(text: str) -> str:
    return text.replace("'", "''")
