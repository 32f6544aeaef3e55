"""The raw layer's tables: the contract between the source loaders and every model.

Every raw row carries its source family, file and line, so a reload of one file replaces
exactly that file's rows and every reject can be traced back.
"""

from __future__ import annotations

PROVENANCE = "source VARCHAR NOT NULL, file VARCHAR NOT NULL, line INTEGER, loaded_at TIMESTAMP"

BOX_STATS = """
    minutes DOUBLE, pts INTEGER, fgm INTEGER, fga INTEGER, fg3m INTEGER, fg3a INTEGER,
    ftm INTEGER, fta INTEGER, oreb INTEGER, dreb INTEGER, reb INTEGER, ast INTEGER,
    stl INTEGER, blk INTEGER, tov INTEGER, pf INTEGER, plus_minus DOUBLE
"""

RAW_TABLES: dict[str, str] = {
    # One row per game (regular season, play-in, playoffs); home/away from the matchup.
    "raw.schedule": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL,            -- 'regular' | 'play-in' | 'playoffs'
        home_team VARCHAR NOT NULL, away_team VARCHAR NOT NULL,
        home_pts INTEGER, away_pts INTEGER,      -- NULL while not final
        status VARCHAR NOT NULL,                 -- 'final' | 'scheduled'
        {PROVENANCE}""",
    # One row per (game_id, team_abbr).
    "raw.team_boxscores": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL, team_abbr VARCHAR NOT NULL, opponent_abbr VARCHAR NOT NULL,
        is_home BOOLEAN NOT NULL, win BOOLEAN, team_minutes INTEGER,  -- 240, 265 with one OT ...
        {BOX_STATS}, {PROVENANCE}""",
    # Every source row of team boxes (staging, added by the loaders); raw.team_boxscores is derived from it.
    "raw.team_boxscore_sources": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL, team_abbr VARCHAR NOT NULL, opponent_abbr VARCHAR NOT NULL,
        is_home BOOLEAN NOT NULL, win BOOLEAN, team_minutes INTEGER,
        {BOX_STATS},
        source_rank INTEGER NOT NULL,            -- lower wins when sources overlap
        {PROVENANCE}""",
    # Every game of the schedule files (staging); raw.schedule is derived from it and the team boxes.
    "raw.schedule_sources": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL, home_team VARCHAR NOT NULL, away_team VARCHAR NOT NULL,
        home_pts INTEGER, away_pts INTEGER, status VARCHAR NOT NULL,
        source_rank INTEGER NOT NULL,
        {PROVENANCE}""",
    # Every source row of player boxes (staging); the canonical table is derived from it.
    "raw.player_boxscore_sources": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL, player_id BIGINT NOT NULL, player_name VARCHAR,
        player_lookup VARCHAR, team_abbr VARCHAR NOT NULL, opponent_abbr VARCHAR NOT NULL,
        is_home BOOLEAN NOT NULL, dnp BOOLEAN NOT NULL, dnp_reason VARCHAR,
        {BOX_STATS},
        completeness VARCHAR NOT NULL,           -- 'full' (attempts present) | 'reduced' (no attempts)
        source_rank INTEGER NOT NULL,            -- lower wins when sources overlap
        {PROVENANCE}""",
    # One canonical row per (game_id, player_id): the fullest source wins.
    "raw.player_boxscores": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        season_type VARCHAR NOT NULL, player_id BIGINT NOT NULL, player_name VARCHAR,
        player_lookup VARCHAR, team_abbr VARCHAR NOT NULL, opponent_abbr VARCHAR NOT NULL,
        is_home BOOLEAN NOT NULL, dnp BOOLEAN NOT NULL, dnp_reason VARCHAR,
        {BOX_STATS},
        completeness VARCHAR NOT NULL,
        has_attempts BOOLEAN NOT NULL,           -- fga/fta/fg3a present
        has_rebounds_assists BOOLEAN NOT NULL,   -- reb/ast present
        {PROVENANCE}""",
    # Every field-goal attempt (regular season only in the public data).
    "raw.shots": f"""
        game_id VARCHAR NOT NULL, game_date DATE NOT NULL, season VARCHAR NOT NULL,
        player_id BIGINT NOT NULL, team_abbr VARCHAR NOT NULL, opponent_abbr VARCHAR,
        zone VARCHAR NOT NULL,  -- 'restricted_area' | 'paint_non_ra' | 'mid_range' | 'corner_3' | 'above_break_3' | 'backcourt'
        shot_distance INTEGER, is_three BOOLEAN NOT NULL, made BOOLEAN NOT NULL,
        {PROVENANCE}""",
    # Sportsbook player props, one row per snapshot x book x line.
    "raw.player_props": f"""
        market VARCHAR NOT NULL,                 -- 'points' | 'threes' | 'pra'
        book VARCHAR NOT NULL, line_value DOUBLE NOT NULL,
        over_price INTEGER, under_price INTEGER,
        snapshot_at TIMESTAMP,                   -- when the book posted this price (UTC); NULL if the file has none
        tipoff_at TIMESTAMP,                     -- scheduled start (UTC); NULL if unknown
        game_date DATE NOT NULL, home_team VARCHAR, away_team VARCHAR, game_id VARCHAR,
        player_name VARCHAR NOT NULL, player_lookup VARCHAR, player_id BIGINT,
        {PROVENANCE}""",
    # Closing game lines; home_spread is the home team's handicap (negative = home favoured).
    "raw.game_lines": f"""
        game_date DATE NOT NULL, season VARCHAR, home_team VARCHAR NOT NULL, away_team VARCHAR NOT NULL,
        game_id VARCHAR, home_spread DOUBLE, total DOUBLE, ml_home INTEGER, ml_away INTEGER,
        {PROVENANCE}""",
    "raw.rejects": """
        file VARCHAR NOT NULL, line INTEGER, target VARCHAR, reason VARCHAR NOT NULL,
        raw_row VARCHAR, loaded_at TIMESTAMP""",
    # One row per loaded file: its content hash makes reloads idempotent.
    "raw.loaded_files": """
        file VARCHAR NOT NULL, target VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
        rows_loaded INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, loaded_at TIMESTAMP""",
}


def create_raw_tables(engine) -> None:  # noqa: D103
    for name, columns in RAW_TABLES.items():
        engine.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


# Game dates with their season and phase, from the schedule: the calendar every window uses.
GAME_DATES_VIEW = """
CREATE OR REPLACE VIEW raw.game_dates AS
SELECT game_date, season, season_type, n_games,
       min(game_date) OVER (PARTITION BY season) AS season_start,
       max(game_date) OVER (PARTITION BY season) AS season_end
FROM (
    SELECT game_date, any_value(season) AS season,
           -- a date never mixes phases in the NBA calendar; max() makes the choice explicit
           max(season_type) AS season_type, count(*) AS n_games
    FROM raw.schedule GROUP BY game_date
)
"""


def create_raw_layer(engine) -> None:
    create_raw_tables(engine)
    engine.execute(GAME_DATES_VIEW)
