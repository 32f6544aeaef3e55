"""Bad input, in the real formats, in small crafted data folders: bad rows to raw.rejects with file, line
and reason; structurally broken files refused whole; nothing already loaded is lost."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from courtside.errors import CourtsideError, SourceError
from courtside.project import Project
from courtside.sources import team_boxes
from courtside.sources.files import read_text_table
from courtside.sources.load import load_all

GAMES_HEADER = ("SEASON_ID,TEAM_ID,TEAM_ABBREVIATION,TEAM_NAME,GAME_ID,GAME_DATE,MATCHUP,WL,MIN,PTS,FGM,FGA,FG_PCT,"
                "FG3M,FG3A,FG3_PCT,FTM,FTA,FT_PCT,OREB,DREB,REB,AST,STL,BLK,TOV,PF,PLUS_MINUS,SEASON")
GAMES = [
    "22023,1610612738,BOS,Boston Celtics,0022300001,2023-10-24,BOS @ NYK,W,240,108,40,90,0.44,10,30,0.33,18,20,0.9,10,35,45,20,7,5,12,18,4.0,2023-24",
    "22023,1610612752,NYK,New York Knicks,0022300001,2023-10-24,NYK vs. BOS,L,240,104,39,88,0.44,9,28,0.32,17,22,0.77,11,30,41,19,6,4,13,20,-4.0,2023-24",
    "22023,1610612747,LAL,Los Angeles Lakers,0022300002,2023-10-24,LAL @ DEN,L,240,107,41,91,0.45,8,30,0.27,17,22,0.77,9,33,42,23,5,3,12,19,-12.0,2023-24",
    "22023,1610612743,DEN,Denver Nuggets,0022300002,2023-10-24,DEN vs. LAL,W,240,119,48,90,0.53,8,29,0.28,15,18,0.83,10,32,42,29,9,6,12,15,12.0,2023-24",
]
PLAYER_HEADER = ("SEASON_ID,PLAYER_ID,PLAYER_NAME,TEAM_ID,TEAM_ABBREVIATION,TEAM_NAME,GAME_ID,GAME_DATE,MATCHUP,WL,MIN,"
                 "FGM,FGA,FG_PCT,FG3M,FG3A,FG3_PCT,FTM,FTA,FT_PCT,OREB,DREB,REB,AST,STL,BLK,TOV,PF,PTS,PLUS_MINUS,"
                 "FANTASY_PTS,VIDEO_AVAILABLE,SEASON")


def player_row(pid: int, name: str, team: str = "BOS", minutes: str = "30", pts: str = "20", gid: str = "0022300001",
               matchup: str = "BOS @ NYK") -> str:
    return (f"22023,{pid},{name},1610612738,{team},Boston Celtics,{gid},2023-10-24,{matchup},W,{minutes},"
            f"8,15,0.5,2,5,0.4,2,2,1.0,1,5,6,4,1,0,2,3,{pts},5,30.0,1,2023-24")


def write_gz(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join([header, *rows]) + "\n").encode()))
    return path


DJP = "nbaapi_regular_season_donjuanpond"


@pytest.fixture
def data(tmp_path) -> Path:
    root = tmp_path / "nba-data"
    write_gz(root / DJP / "games_2023-24.csv.gz", GAMES_HEADER, GAMES)
    write_gz(root / DJP / "player_gamelogs_2023-24.csv.gz", PLAYER_HEADER,
             [player_row(1, "Good One"), player_row(2, "Good Two"), player_row(3, "Good Three")])
    return root


def _load(wh: Path, data: Path):
    with Project(wh, data) as p:
        report = load_all(p.engine, data)
        rejects = p.engine.fetch_dicts("SELECT file, line, target, reason FROM raw.rejects ORDER BY file, line")
        players = p.engine.fetchall("SELECT player_id FROM raw.player_boxscores ORDER BY 1")
        teams = p.engine.scalar("SELECT count(*) FROM raw.team_boxscores")
    return report, rejects, [r[0] for r in players], teams


def test_clean_small_folder_loads(tmp_path, data):
    report, rejects, players, teams = _load(tmp_path / "w.duckdb", data)
    assert not report.errors and rejects == []
    assert players == [1, 2, 3] and teams == 4
    # absent folders and files are simply skipped
    assert {f.file for f in report.files} == {f"{DJP}/games_2023-24.csv.gz", f"{DJP}/player_gamelogs_2023-24.csv.gz"}


def test_a_missing_data_folder_is_an_error_and_keeps_what_was_loaded(tmp_path, data):
    wh = tmp_path / "w.duckdb"
    _load(wh, data)
    with Project(wh) as p, pytest.raises(CourtsideError, match=r"data folder `.*nba-dta` does not exist"):
        load_all(p.engine, tmp_path / "nba-dta")          # a typo: not an empty load that looks like success
    _, _, players, teams = _load(wh, data)                 # nothing loaded before is lost
    assert players == [1, 2, 3] and teams == 4


@pytest.mark.parametrize("bad_row, reason", [
    (player_row(4, "Bad Minutes", minutes="abc"), "MIN 'abc' is not a number"),
    (player_row(4, "Negative Points", pts="-3"), "PTS is negative (-3)"),
    (player_row(4, "Corrupt Points", pts="4100"), "PTS 4100 is above 200: not a player's game"),
    (player_row(4, "Unknown Team", team="XYZ"), "unknown team 'XYZ'"),
    (player_row(4, "No Team", team=""), "TEAM_ABBREVIATION is missing"),
    (player_row(1, "Good One"), "duplicate row: same (game_id, player_id) as line 2"),
])
def test_bad_row_goes_to_rejects_and_the_rest_loads(tmp_path, data, bad_row, reason):
    rel = f"{DJP}/player_gamelogs_2023-24.csv.gz"
    write_gz(data / rel, PLAYER_HEADER, [player_row(1, "Good One"), player_row(2, "Good Two"), bad_row,
                                         player_row(3, "Good Three")])
    report, rejects, players, _ = _load(tmp_path / "w.duckdb", data)
    assert not report.errors
    assert players == [1, 2, 3]
    assert rejects == [{"file": rel, "line": 4, "target": "raw.player_boxscore_sources", "reason": reason}]


def test_playoff_minutes_not_mmss_is_rejected(tmp_path, data):
    header = ("season_year,game_date,gameId,teamId,teamCity,teamName,teamTricode,teamSlug,personId,personName,position,"
              "comment,jerseyNum,minutes,fieldGoalsMade,fieldGoalsAttempted,fieldGoalsPercentage,threePointersMade,"
              "threePointersAttempted,threePointersPercentage,freeThrowsMade,freeThrowsAttempted,freeThrowsPercentage,"
              "reboundsOffensive,reboundsDefensive,reboundsTotal,assists,steals,blocks,turnovers,foulsPersonal,points,"
              "plusMinusPoints")
    playoffs = "22023,1610612738,BOS,Boston Celtics,0042300101,2024-04-21,BOS vs. MIA,W,240,114,40,90,0.44,10,30,0.33,24,27,0.9,10,35,45,20,7,5,12,18,20.0,2023-24"
    mia = "22023,1610612748,MIA,Miami Heat,0042300101,2024-04-21,MIA @ BOS,L,240,94,39,88,0.44,9,28,0.32,7,9,0.77,11,30,41,19,6,4,13,20,-20.0,2023-24"
    write_gz(data / "betting_mylesthomas" / "team_gamelogs_2023_24.csv.gz", GAMES_HEADER, [playoffs.replace("22023", "42023", 1), mia.replace("22023", "42023", 1)])
    base = "2023-24,2024-04-21,42300101,1610612738,Boston,Celtics,BOS,celtics,{pid},{name},F,{comment},0,{mins},5,10,0.5,1,3,0.3,2,2,1,1,4,5,3,1,0,1,2,{pts},10"
    rows = [base.format(pid=10, name="Played", comment="", mins="35:12", pts=13),
            base.format(pid=11, name="Benched", comment="DNP - Coach's Decision", mins="", pts=0),
            base.format(pid=12, name="Broken", comment="", mins="abc", pts=4)]
    rel = "playoffs_nocturnebear/play_off_box_scores_2010_2024.csv.gz"
    write_gz(data / rel, header, rows)
    with Project(tmp_path / "w.duckdb", data) as p:
        load_all(p.engine, data)
        got = p.engine.fetchall("""SELECT player_id, dnp, dnp_reason, minutes, is_home, opponent_abbr FROM raw.player_boxscores
                                   WHERE source = 'nocturnebear' ORDER BY 1""")
        rejects = p.engine.fetchall("SELECT line, reason FROM raw.rejects WHERE file = ?", [rel])
    assert got == [(10, False, None, round(35 + 12 / 60, 4), True, "MIA"), (11, True, "DNP - Coach's Decision", 0.0, True, "MIA")]
    assert rejects == [(4, "minutes 'abc' is not MM:SS")]


def _first_load_then_replace(tmp_path, data, rel: str, new_bytes: bytes):
    wh = tmp_path / "w.duckdb"
    _load(wh, data)
    (data / rel).write_bytes(new_bytes)
    return _load(wh, data)


def test_truncated_gzip_is_refused_and_earlier_rows_survive(tmp_path, data):
    rel = f"{DJP}/player_gamelogs_2023-24.csv.gz"
    good = (data / rel).read_bytes()
    report, rejects, players, teams = _first_load_then_replace(tmp_path, data, rel, good[: len(good) // 2])
    assert len(report.errors) == 1 and rel in report.errors[0] and "truncated" in report.errors[0]
    assert players == [1, 2, 3] and teams == 4  # nothing already loaded is lost
    assert rejects[0]["file"] == rel and rejects[0]["reason"].startswith("file refused: corrupt or truncated")


def test_missing_required_column_refuses_the_file_naming_it(tmp_path, data):
    rel = f"{DJP}/games_2023-24.csv.gz"
    header = GAMES_HEADER.replace(",PTS,", ",")
    rows = [",".join(v for i, v in enumerate(r.split(",")) if i != 9) for r in GAMES]
    buf = gzip.compress(("\n".join([header, *rows]) + "\n").encode())
    report, rejects, players, teams = _first_load_then_replace(tmp_path, data, rel, buf)
    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{rel}, line 1: missing required column(s) PTS")
    assert teams == 4  # the earlier version's rows are intact
    with pytest.raises(SourceError, match="missing required column"):
        read_text_table(rel, gzip.decompress(buf), team_boxes.SPECS[0].required)


def test_empty_file_is_refused_with_a_reason(tmp_path, data):
    rel = f"{DJP}/games_2023-24.csv.gz"
    report, rejects, players, teams = _first_load_then_replace(tmp_path, data, rel, gzip.compress(b""))
    assert any(rel in e and "empty file" in e for e in report.errors)
    assert teams == 4
    assert {"file": rel, "line": None, "target": "raw.team_boxscore_sources",
            "reason": "file refused: empty file: no header and no rows"} in rejects


def test_changed_file_replaces_exactly_its_rows(tmp_path, data):
    wh = tmp_path / "w.duckdb"
    _load(wh, data)
    rel = f"{DJP}/player_gamelogs_2023-24.csv.gz"
    write_gz(data / rel, PLAYER_HEADER, [player_row(1, "Good One"), player_row(5, "New Five")])
    report, rejects, players, teams = _load(wh, data)
    assert [f.status for f in report.files] == ["unchanged", "loaded"]
    assert players == [1, 5] and teams == 4
    # and an identical reload touches nothing
    report, *_ = _load(wh, data)
    assert report.changed == 0 and sum(report.ledger_changed.values()) == 0


def test_row_with_wrong_column_count_is_rejected_with_its_physical_line(tmp_path, data):
    # A short row and a blank line: later rows keep their physical line numbers (the threaded CSV
    # reader does not know row numbers; the loader re-reads such a file serially).
    rel = f"{DJP}/player_gamelogs_2023-24.csv.gz"
    short = ",".join(player_row(4, "Short Row").split(",")[:10])
    write_gz(data / rel, PLAYER_HEADER, [player_row(1, "Good One"), short, "", player_row(2, "Good Two"),
                                         player_row(3, "Good Three")])
    with Project(tmp_path / "w.duckdb", data) as p:
        report = load_all(p.engine, data)
        lines = p.engine.fetchall("SELECT player_id, line FROM raw.player_boxscore_sources ORDER BY 1")
        rejects = p.engine.fetchall("SELECT line, reason, raw_row FROM raw.rejects WHERE file = ?", [rel])
    assert not report.errors
    assert lines == [(1, 2), (2, 5), (3, 6)]
    assert rejects == [(3, "expected 33 columns, found 10", short)]


def test_broken_file_in_a_batch_does_not_cost_its_siblings_their_rows(tmp_path, data):
    # Files of one family are staged and written together; a truncated sibling is refused alone.
    good = f"{DJP}/player_gamelogs_2022-23.csv.gz"
    broken = f"{DJP}/player_gamelogs_2023-24.csv.gz"
    write_gz(data / good, PLAYER_HEADER, [player_row(7, "Other File")])
    whole = (data / broken).read_bytes()
    (data / broken).write_bytes(whole[: len(whole) // 2])
    report, rejects, players, teams = _load(tmp_path / "w.duckdb", data)
    assert [(f.file, f.status) for f in report.files if "player_" in f.file] == [(good, "loaded"), (broken, "refused")]
    assert players == [7] and teams == 4
    assert [(r["file"], r["reason"][:40]) for r in rejects] == [(broken, "file refused: corrupt or truncated compr")]


def test_a_file_failing_in_sql_is_refused_by_name_and_the_others_load(tmp_path, data):
    """The fallback when a batch fails in the database (not a parse error): each file alone, the culprit refused."""
    from courtside.sources.files import FileSpec
    from courtside.sources.stage import load_files, read_file

    # a strict CAST (not TRY_CAST) fails the whole statement on a bad value
    select = team_boxes._team_log_select(1)
    game_id = '"GAME_ID#gid" AS game_id'
    assert game_id in select
    strict = select.replace(game_id, "CAST(CAST(GAME_ID AS BIGINT) AS VARCHAR) AS game_id")
    spec = FileSpec("strict", f"{DJP}/games_*.csv.gz", "raw.team_boxscore_sources", team_boxes.SPECS[0].required,
                    lambda s: strict, team_boxes.KEY)
    ok_rel, bad_rel = f"{DJP}/games_2022-23.csv.gz", f"{DJP}/games_2023-24.csv.gz"
    write_gz(data / ok_rel, GAMES_HEADER, [r.replace("0022300", "0022200") for r in GAMES])
    wh = tmp_path / "w.duckdb"
    with Project(wh, data) as p:
        load_all(p.engine, data)  # bad_rel's good version is loaded first
        write_gz(data / bad_rel, GAMES_HEADER, [GAMES[0].replace("0022300001", "00223X0001"), *GAMES[1:]])
        files = [read_file(spec, data / rel, rel, None) for rel in (ok_rel, bad_rel)]
        results = load_files(p.engine, spec, files)
        per_file = dict(p.engine.fetchall("SELECT file, count(*) FROM raw.team_boxscore_sources GROUP BY 1"))
        refusal = p.engine.fetchall("SELECT reason FROM raw.rejects WHERE file = ?", [bad_rel])
    assert [(r.file, r.status) for r in results] == [(ok_rel, "loaded"), (bad_rel, "refused")]
    assert bad_rel in results[1].error and "Conversion Error" in results[1].error
    assert per_file == {ok_rel: 4, bad_rel: 4}  # the refused file keeps its earlier rows
    assert len(refusal) == 1 and refusal[0][0].startswith("file refused: cannot load (ConversionException")


def test_game_line_with_an_impossible_date_is_rejected_and_the_rest_loads(tmp_path, data):
    # "SEASON-MMDD" dates: month 13 must reject the row (it used to fail the whole file in make_date)
    rel = "game_odds_kyleskom_sbr/odds_2022-23.csv.gz"
    header = "index,Date,Home,Away,OU,Spread,ML_Home,ML_Away,Points,Win_Margin,Days_Rest_Home,Days_Rest_Away"
    write_gz(data / rel, header, ["0,2022-23-1019,Boston Celtics,Philadelphia 76ers,215.5,3.5,-150,130,243,9,0,0",
                                  "1,2022-23-1345,Denver Nuggets,LA Clippers,220.0,2.0,-130,110,215,5,1,1"])
    with Project(tmp_path / "w.duckdb", data) as p:
        report = load_all(p.engine, data)
        lines = p.engine.fetchall("SELECT game_date, home_team, home_spread FROM raw.game_lines")
        rejects = p.engine.fetchall("SELECT line, reason FROM raw.rejects WHERE file = ?", [rel])
    assert not report.errors
    assert [(str(d), h, s) for d, h, s in lines] == [("2022-10-19", "BOS", -3.5)]
    assert rejects == [(3, "Date '2022-23-1345' is not a date")]
