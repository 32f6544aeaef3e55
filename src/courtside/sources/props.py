"""Player props -> raw.player_props: threes (The Odds API snapshots, mylesthomas) and PRA (silvercrocus).

threes: columns are read by name (the two files order them differently). snapshot_at is
`bookmaker_last_update` when the file has it, else NULL: the early 2024-25 snapshot files carry
no update time and we will not invent one (file_date is the day the file was pulled, not a time).
tipoff_at = game_time. game_date = the US calendar date of tip-off.

PRA: snapshot_at = timestamp; tipoff_at from events_2023-24.json by event id where it is
listed, else NULL; game_date = event_date.

player_id and game_id are resolved after loading (resolve_ids), set-based: the player by
player_lookup(name) among that game's box-score players, else a unique match among the season's
box-score players; the game by date + home + away in raw.schedule.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from courtside.sources.files import FileSpec, lookup, missing, num, reasons

TARGET = "raw.player_props"
KEY = ("book", "player_name", "game_date", "home_team", "line_value", "snapshot_at")

# US tip-offs fall between noon and midnight Eastern, i.e. 16:00-05:00 UTC: shifting the UTC time by
# 6 hours lands on the US calendar date in both summer and winter time.
_US_DATE = "CAST(({ts}) - INTERVAL 6 HOUR AS DATE)"


def _threes(spec: FileSpec) -> str:
    line, line_check = num("line", "DOUBLE", nonneg=True)
    over, over_check = num("over_odds")
    under, under_check = num("under_odds")
    tip = "TRY_CAST(replace(replace(game_time, 'T', ' '), 'Z', '') AS TIMESTAMP)"
    snap = "TRY_CAST(replace(replace(bookmaker_last_update, 'T', ' '), 'Z', '') AS TIMESTAMP)"
    away = "_abbr(trim(split_part(game, ' @ ', 1)))"
    home = "_abbr(trim(split_part(game, ' @ ', 2)))"
    return f"""
        SELECT 'threes' AS market, bookmaker AS book, {line} AS line_value, {over} AS over_price, {under} AS under_price,
               {snap} AS snapshot_at, {tip} AS tipoff_at, {_US_DATE.format(ts=tip)} AS game_date,
               {home} AS home_team, {away} AS away_team, CAST(NULL AS VARCHAR) AS game_id,
               player AS player_name, {lookup('player')} AS player_lookup, CAST(NULL AS BIGINT) AS player_id,
               _line,
               {reasons(missing('player'), missing('bookmaker'), missing('line'), line_check, over_check, under_check,
                        f"CASE WHEN {tip} IS NULL THEN 'game_time ''' || coalesce(game_time, '') || ''' is not a timestamp' END",
                        f"CASE WHEN {home} IS NULL OR {away} IS NULL THEN 'unknown team in game ''' || coalesce(game, '') || '''' END")} AS _reason,
               coalesce(market <> 'player_threes', FALSE) AS _skip
        FROM src"""


def _pra(spec: FileSpec) -> str:
    line, line_check = num("line", "DOUBLE", nonneg=True)
    over, over_check = num("over_price")
    under, under_check = num("under_price")
    snap = "TRY_CAST(replace(replace(timestamp, 'T', ' '), 'Z', '') AS TIMESTAMP)"
    gd = "TRY_CAST(event_date AS DATE)"
    return f"""
        SELECT 'pra' AS market, bookmaker AS book, {line} AS line_value, {over} AS over_price, {under} AS under_price,
               {snap} AS snapshot_at, e.commence_at AS tipoff_at, {gd} AS game_date,
               _abbr(home_team) AS home_team, _abbr(away_team) AS away_team, CAST(NULL AS VARCHAR) AS game_id,
               player_name, {lookup('player_name')} AS player_lookup, CAST(NULL AS BIGINT) AS player_id,
               _line,
               {reasons(missing('player_name'), missing('bookmaker'), missing('line'), line_check, over_check, under_check,
                        f"CASE WHEN {gd} IS NULL THEN 'event_date ''' || coalesce(event_date, '') || ''' is not a date' END",
                        "CASE WHEN _abbr(home_team) IS NULL OR _abbr(away_team) IS NULL THEN 'unknown team ''' || coalesce(home_team, '') || ''' / ''' || coalesce(away_team, '') || '''' END")} AS _reason,
               FALSE AS _skip
        FROM src LEFT JOIN _pra_events e ON e.event_id = src.event_id"""


SPECS = (
    FileSpec("mylesthomas", "betting_mylesthomas/props_player_threes_*.csv.gz", TARGET,
             ("player", "game", "game_time", "market", "line", "bookmaker", "over_odds", "under_odds"), _threes, KEY,
             optional=("bookmaker_last_update",)),
    FileSpec("silvercrocus", "pra_props_silvercrocus/pra_odds_*.csv.gz", TARGET,
             ("player_name", "event_id", "event_date", "home_team", "away_team", "bookmaker", "line", "timestamp",
              "over_price", "under_price"), _pra, KEY),
)


def load_events(engine, data_dir: Path) -> None:
    """Tip-off times of The Odds API events (temp table `_pra_events`; empty when the file is absent/broken)."""
    engine.execute("CREATE OR REPLACE TEMP TABLE _pra_events (event_id VARCHAR PRIMARY KEY, commence_at TIMESTAMP)")
    rows = []
    for path in sorted(data_dir.glob("pra_props_silvercrocus/events_*.json.gz")):
        try:
            events = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, EOFError, ValueError):
            continue  # tip-off times are optional: without them tipoff_at stays NULL
        for e in events if isinstance(events, list) else []:
            if isinstance(e, dict) and e.get("id") and e.get("commence_time"):
                rows.append((e["id"], e["commence_time"].replace("T", " ").replace("Z", "")))
    if rows:  # one set-based insert (row-by-row executemany is slow in DuckDB)
        import pyarrow as pa

        engine.register_df("_events_src", pa.table({"id": [r[0] for r in rows], "t": [r[1] for r in rows]}))
        engine.execute("""INSERT INTO _pra_events SELECT id, max(CAST(t AS TIMESTAMP)) FROM _events_src GROUP BY id""")
        engine.unregister("_events_src")


def resolve_ids(engine) -> None:
    """Fill game_id and player_id set-based (identical values on a reload leave fingerprints unchanged)."""
    with engine.transaction() as con:
        con.execute("""
            UPDATE raw.player_props p SET game_id = s.game_id
            FROM raw.schedule s
            WHERE s.game_date = p.game_date AND s.home_team = p.home_team AND s.away_team = p.away_team
              AND p.game_id IS DISTINCT FROM s.game_id""")
        # 1) among the box-score players of that game (either team); 2) a unique name in that season.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _prop_player AS
            WITH keys AS (SELECT DISTINCT game_id, game_date, player_lookup FROM raw.player_props WHERE player_lookup IS NOT NULL),
            in_game AS (
                SELECT k.game_id, k.player_lookup, min(b.player_id) AS player_id
                FROM keys k JOIN raw.player_boxscores b ON b.game_id = k.game_id AND b.player_lookup = k.player_lookup
                GROUP BY ALL HAVING count(DISTINCT b.player_id) = 1),
            season_players AS (
                SELECT season, player_lookup, min(player_id) AS player_id FROM raw.player_boxscores
                GROUP BY ALL HAVING count(DISTINCT player_id) = 1)
            SELECT k.game_id, k.game_date, k.player_lookup, coalesce(g.player_id, s.player_id) AS player_id
            FROM keys k
            LEFT JOIN in_game g ON g.game_id = k.game_id AND g.player_lookup = k.player_lookup
            LEFT JOIN season_players s ON s.season = _season(k.game_date) AND s.player_lookup = k.player_lookup""")
        con.execute("""
            UPDATE raw.player_props p SET player_id = r.player_id FROM _prop_player r
            WHERE r.game_id IS NOT DISTINCT FROM p.game_id AND r.game_date = p.game_date
              AND r.player_lookup = p.player_lookup AND p.player_id IS DISTINCT FROM r.player_id""")


def resolution_rates(engine) -> list[dict]:
    return engine.fetch_dicts("""
        SELECT file, market, count(*) AS rows,
               count(player_id) AS player_resolved, round(count(player_id) / count(*), 4) AS player_rate,
               count(game_id) AS game_resolved, round(count(game_id) / count(*), 4) AS game_rate
        FROM raw.player_props GROUP BY file, market ORDER BY file""")
