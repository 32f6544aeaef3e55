"""Identity and calendar rules: name normalisation (Python == DuckDB macro), team aliases, seasons, date runs."""

from __future__ import annotations

import datetime as dt

import pytest

from courtside.dates import contiguous_runs, parse_date, parse_date_range, parse_season_span, season_of
from courtside.errors import UsageError
from courtside.scope import Scope
from courtside.engine.duckdb import Engine
from courtside.identity import (
    PLAYER_LOOKUP_MACRO,
    TEAMS,
    player_lookup,
    season_type_of_game_id,
    team_abbr,
    team_alias_rows,
)

D = dt.date

# (glob under the data folder, column holding a player name as that source spells it)
NAME_COLUMNS = [
    ("nbaapi_regular_season_donjuanpond/player_gamelogs_*.csv.gz", "PLAYER_NAME"),
    ("playoffs_nocturnebear/play_off_box_scores_2010_2024.csv.gz", "personName"),
    ("nbastats_meharpalbasi/player_game_logs_*.csv.gz", "PLAYER_NAME"),
    ("nbastats_meharpalbasi/player_index_*.csv.gz", "PLAYER_NAME"),
    ("nbastats_meharpalbasi/shot_zones_*.csv.gz", "PLAYER_NAME"),
    ("player_logs_subset_rodgers20/*.csv.gz", "PLAYER_NAME"),
    ("betting_mylesthomas/props_player_threes_*.csv.gz", "player"),
    ("betting_mylesthomas/player_gamelogs_subset_*.csv.gz", "player"),
    ("betting_mylesthomas/consensus_threes_props_with_results_2024_25.csv.gz", "player"),
    ("pra_props_silvercrocus/pra_odds_*.csv.gz", "player_name"),
]


@pytest.fixture(scope="module")
def engine():
    eng = Engine(":memory:")
    eng.execute(PLAYER_LOOKUP_MACRO)
    yield eng
    eng.close()


def _read(data_dir, glob: str) -> str:
    return f"read_csv('{data_dir / glob}', all_varchar = true, union_by_name = true)"


# -- player_lookup ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spellings", [
    ["Luka Dončić", "Luka Doncic", "LUKA DONCIC"],                        # accents, case
    ["Nikola Jokić", "Nikola Jokic", "Nikola Joki\u0107"],
    ["Kristaps Porziņģis", "Kristaps Porzingis"],
    ["Dennis Schröder", "Dennis Schroder"],
    ["Jonas Valančiūnas", "Jonas Valanciunas"],
    ["Jaren Jackson Jr.", "Jaren Jackson Jr", "Jaren Jackson", "jaren jackson JR."],   # suffixes
    ["Marvin Bagley III", "Marvin Bagley"],
    ["Gary Payton II", "Gary Payton"],
    ["Lonnie Walker IV", "Lonnie Walker"],
    ["Marcus Morris Sr.", "Marcus Morris"],
    ["Xavier Tillman, Sr.", "Xavier Tillman"],
    ["De'Aaron Fox", "De’Aaron Fox", "DeAaron Fox"],                      # punctuation
    ["P.J. Washington", "PJ Washington", "P. J. Washington"],
    ["Shai Gilgeous-Alexander", "Shai Gilgeous Alexander"],
    ["Royce O’Neale", "Royce O'Neale"],
    ["  LeBron   James ", "LeBron James", "Le\u00a0Bron\tJames"],           # whitespace of any kind
])
def test_spellings_of_one_player_meet(engine, spellings):
    keys = {player_lookup(s) for s in spellings}
    assert len(keys) == 1 and None not in keys, dict(zip(spellings, map(player_lookup, spellings)))
    sql = {engine.scalar("SELECT player_lookup(?)", [s]) for s in spellings}
    assert sql == keys


@pytest.mark.parametrize("a,b", [
    ("Jalen Williams", "Jaylin Williams"),
    ("Kevin Porter Jr.", "Otto Porter Jr."),
    ("Mike Conley Jr.", "Mike Conley Sr. Jr."),   # only the last suffix goes
    ("Vince Williams Jr.", "Vince Williamson"),
])
def test_different_players_stay_apart(a, b):
    assert player_lookup(a) != player_lookup(b)


def test_lookup_examples_and_empties():
    assert player_lookup("Luka Dončić") == "lukadoncic"
    assert player_lookup("Jaren Jackson Jr.") == "jarenjackson"
    assert player_lookup("De'Aaron Fox") == "deaaronfox"
    assert player_lookup("Trey Murphy  III") == "treymurphy"
    assert player_lookup("Jr.") == "jr"  # a bare suffix is a name, not nothing
    assert player_lookup(None) is None
    assert player_lookup("") is None and player_lookup("  ... ") is None


def test_python_and_sql_agree_on_every_player_name_in_the_data(engine, data_dir):
    union = " UNION ".join(f'SELECT "{col}" AS name FROM {_read(data_dir, glob)}' for glob, col in NAME_COLUMNS)
    rows = engine.fetchall(f"SELECT name, player_lookup(name) FROM ({union}) WHERE name IS NOT NULL")
    assert len(rows) > 1500, "expected every source's names"
    disagree = [(name, sql, player_lookup(name)) for name, sql in rows if sql != player_lookup(name)]
    assert disagree == []
    # the data really exercises accents and suffixes
    names = [n for n, _ in rows]
    assert any("ć" in n for n in names) and any(n.endswith(" Jr.") for n in names) and any(n.endswith(" III") for n in names)


def test_python_and_sql_agree_on_every_bmp_character(engine):
    """Each character of the Basic Multilingual Plane, inside a name and before a suffix."""
    rows = engine.fetchall("""
        SELECT name, player_lookup(name) FROM (
          SELECT 'A' || chr(cp::INTEGER) || 'b' || chr(cp::INTEGER) || 'Jr.' AS name FROM range(1, 65536) t(cp)
          WHERE cp NOT BETWEEN 55296 AND 57343                      -- surrogates are not characters
          UNION ALL
          SELECT 'Jo ' || chr(cp::INTEGER) || 'Smith' || chr(cp::INTEGER) || ' III' FROM range(1, 65536) t(cp)
          WHERE cp NOT BETWEEN 55296 AND 57343)""")
    assert len(rows) == 2 * (65535 - 2048)
    disagree = [(n, sql, player_lookup(n)) for n, sql in rows if sql != player_lookup(n)]
    assert disagree[:20] == []


def test_no_lookup_key_maps_two_nba_players_in_a_season(engine, data_dir):
    clashes = engine.fetchall(f"""
        SELECT SEASON, player_lookup(PLAYER_NAME) AS k, list(DISTINCT PLAYER_NAME), list(DISTINCT PLAYER_ID)
        FROM {_read(data_dir, 'nbaapi_regular_season_donjuanpond/player_gamelogs_*.csv.gz')}
        GROUP BY ALL HAVING count(DISTINCT PLAYER_ID) > 1""")
    assert clashes == []


# -- teams ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("alias,abbr", [
    ("BKN", "BKN"), ("BRK", "BKN"), ("PHX", "PHX"), ("PHO", "PHX"), ("CHA", "CHA"), ("CHO", "CHA"),
    ("NOH", "NOP"), ("NJN", "BKN"), ("GS", "GSW"), ("bkn", "BKN"), (" phx ", "PHX"),
    ("LA Clippers", "LAC"), ("Los Angeles Clippers", "LAC"), ("los angeles  clippers", "LAC"),
    ("Los Angeles Lakers", "LAL"), ("Charlotte Bobcats", "CHA"), ("Charlotte Hornets", "CHA"),
    ("Brooklyn Nets", "BKN"), ("Phoenix Suns", "PHX"), ("Portland Trail Blazers", "POR"),
    ("Philadelphia 76ers", "PHI"),
])
def test_team_aliases(alias, abbr):
    assert team_abbr(alias) == abbr


@pytest.mark.parametrize("unknown", [None, "", "XYZ", "Eastern", "Western", "Team LeBron", "ADL"])
def test_unknown_teams_are_none(unknown):
    assert team_abbr(unknown) is None


def test_thirty_teams_each_reachable_by_code_and_name():
    assert len(TEAMS) == 30
    for abbr, full in TEAMS.items():
        assert team_abbr(abbr) == abbr and team_abbr(full) == abbr
    assert {a for _, a in team_alias_rows()} == set(TEAMS)


def test_every_team_name_and_code_in_the_data_resolves(engine, data_dir):
    names = engine.fetchall(f"""
        SELECT DISTINCT n FROM (
          SELECT unnest(string_split(game, ' @ ')) AS n FROM {_read(data_dir, 'betting_mylesthomas/props_player_threes_*.csv.gz')}
          UNION SELECT home_team FROM {_read(data_dir, 'pra_props_silvercrocus/pra_odds_*.csv.gz')}
          UNION SELECT away_team FROM {_read(data_dir, 'pra_props_silvercrocus/pra_odds_*.csv.gz')}
          UNION SELECT "Home" FROM {_read(data_dir, 'game_odds_kyleskom_sbr/*.csv.gz')}
          UNION SELECT "Away" FROM {_read(data_dir, 'game_odds_kyleskom_sbr/*.csv.gz')})""")
    assert len(names) >= 30
    # the odds files carry the All-Star game too (East vs West): not a team, rightly unknown
    assert {n for (n,) in names if team_abbr(n) is None} <= {"Eastern", "Western"}
    # NBA.com codes in regular-season and playoff logs (preseason/All-Star rows carry foreign codes: excluded)
    codes = engine.fetchall(f"""
        SELECT DISTINCT c FROM (
          SELECT TEAM_ABBREVIATION AS c FROM {_read(data_dir, 'nbaapi_regular_season_donjuanpond/games_*.csv.gz')}
          UNION SELECT teamTricode FROM {_read(data_dir, 'playoffs_nocturnebear/play_off_box_scores_2010_2024.csv.gz')}
          UNION SELECT TEAM_ABBREVIATION FROM {_read(data_dir, 'betting_mylesthomas/team_gamelogs_*.csv.gz')}
                WHERE left(SEASON_ID, 1) IN ('2', '4', '5')
          UNION SELECT TEAM_ABBREVIATION FROM {_read(data_dir, 'nbastats_meharpalbasi/team_game_logs_*.csv.gz')})""")
    assert [c for (c,) in codes if team_abbr(c) is None] == []


# -- seasons and game ids --------------------------------------------------------------------------
@pytest.mark.parametrize("day,season", [
    (D(2020, 12, 22), "2020-21"),   # the late-starting 2020-21 season
    (D(2021, 7, 20), "2020-21"),    # ... whose Finals ended in July
    (D(2021, 8, 1), "2021-22"),
    (D(2020, 10, 11), "2019-20"),   # the bubble Finals
    (D(2020, 7, 30), "2019-20"),    # the bubble restart
    (D(2019, 10, 22), "2019-20"),
    (D(2021, 10, 19), "2021-22"),
    (D(2022, 1, 1), "2021-22"),
    (D(2024, 4, 14), "2023-24"),
    (D(2024, 6, 17), "2023-24"),
    (D(2024, 10, 4), "2024-25"),    # preseason belongs to the coming season
    (D(2025, 12, 31), "2025-26"),
    (D(2099, 11, 1), "2099-00"),
])
def test_season_of(day, season):
    assert season_of(day) == season


def test_season_of_matches_the_season_column_of_every_team_log(engine, data_dir):
    """Every regular/playoff/play-in game date in the team logs falls in the season the file says."""
    rows = engine.fetchall(f"""
        SELECT DISTINCT CAST(GAME_DATE AS DATE), SEASON
        FROM {_read(data_dir, 'betting_mylesthomas/team_gamelogs_*.csv.gz')}
        WHERE left(SEASON_ID, 1) IN ('2', '4', '5')""")
    assert len(rows) > 1000
    assert [(d, s) for d, s in rows if season_of(d) != s] == []


@pytest.mark.parametrize("game_id,kind", [
    ("0022000001", "regular"), ("0042100101", "playoffs"), ("0052300111", "play-in"),
    ("0012400001", None), ("0032300001", None), ("0062400001", None),   # preseason, All-Star, Cup final
    ("22200004", "regular"), (41100304, "playoffs"),                       # ids that lost their zeros
])
def test_season_type_of_game_id(game_id, kind):
    assert season_type_of_game_id(game_id) == kind


def test_season_type_of_game_id_matches_season_id_in_the_team_logs(engine, data_dir):
    rows = engine.fetchall(f"""
        SELECT DISTINCT GAME_ID, left(SEASON_ID, 1)
        FROM {_read(data_dir, 'betting_mylesthomas/team_gamelogs_*.csv.gz')}""")
    expected = {"2": "regular", "4": "playoffs", "5": "play-in"}
    wrong = [(g, k) for g, k in rows if season_type_of_game_id(g) != expected.get(k)]
    assert len(rows) > 6000 and wrong == []
    assert {k for _, k in rows} >= {"1", "2", "4", "5"}  # the file does hold the kinds we exclude


# -- dates ---------------------------------------------------------------------------------------
def test_parse_season_span():
    assert parse_season_span("2021-22:2023-24") == ["2021-22", "2022-23", "2023-24"]
    assert parse_season_span("2023-24") == ["2023-24"]
    assert parse_season_span("2023-24:2021-22") == ["2021-22", "2022-23", "2023-24"]
    assert parse_season_span("1999-00:2000-01") == ["1999-00", "2000-01"]


@pytest.mark.parametrize("bad", ["abc", "2023", "2023-25", "2023-24:xyz", "23-24"])
def test_parse_season_span_names_what_it_cannot_read(bad):
    with pytest.raises(UsageError, match="is not a season"):
        parse_season_span(bad)


def test_parse_date_names_what_it_cannot_read():
    assert parse_date(" 2024-01-15") == D(2024, 1, 15)
    with pytest.raises(UsageError, match="`2024-13-01` is not a date"):
        parse_date("2024-13-01")


def test_a_start_after_the_end_is_a_usage_error_not_an_empty_range():
    assert parse_date_range("2024-01-10", "2024-01-10") == (D(2024, 1, 10), D(2024, 1, 10))
    assert parse_date_range(None, "2024-01-10") == (None, D(2024, 1, 10))
    with pytest.raises(UsageError, match="--start 2024-01-12 is after --end 2024-01-10"):
        parse_date_range("2024-01-12", "2024-01-10")
    with pytest.raises(UsageError, match="is after"):
        Scope.of("2024-01-12", "2024-01-10")


def test_build_with_a_start_after_the_end_says_so_and_records_no_run(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    warehouse = tmp_path / "w.duckdb"
    cli = str(Path(sys.executable).with_name("courtside"))
    out = subprocess.run([cli, "build", "--model", "analytics.player_game_summary", "--start", "2024-01-12",
                          "--end", "2024-01-10", "--warehouse", str(warehouse)], capture_output=True, text=True)
    assert out.returncode == 1 and "--start 2024-01-12 is after --end 2024-01-10" in out.stderr
    assert not warehouse.exists()      # refused before the warehouse is opened: no run, no file


def test_contiguous_runs_split_only_at_missing_game_dates():
    games = {D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 5), D(2024, 1, 8)}
    # 1-3 is missing between 2 and 5 -> split; 6 and 7 have no games -> 5 and 8 stay together
    assert contiguous_runs([D(2024, 1, 8), D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 5), D(2024, 1, 2)], games) == [
        [D(2024, 1, 1), D(2024, 1, 2)], [D(2024, 1, 5), D(2024, 1, 8)]]
    assert contiguous_runs([], games) == []
    assert contiguous_runs([D(2024, 1, 3)], games) == [[D(2024, 1, 3)]]
    # without a calendar, only the dates themselves count: one run
    assert contiguous_runs([D(2024, 1, 1), D(2024, 3, 1)]) == [[D(2024, 1, 1), D(2024, 3, 1)]]
    # a date outside the calendar still takes part (it is placed in order)
    assert contiguous_runs([D(2024, 1, 1), D(2024, 1, 4), D(2024, 1, 5)], games) == [
        [D(2024, 1, 1)], [D(2024, 1, 4), D(2024, 1, 5)]]
    # every game date requested: one run
    assert contiguous_runs(games, games) == [sorted(games)]
