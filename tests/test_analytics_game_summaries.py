"""The three per-game analytics models, built over every season of the loaded warehouse and checked
against figures recomputed in plain pandas straight from the raw CSV files."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from courtside.build import build
from courtside.project import Project

GAME_MODELS = ("analytics.team_offense_game_summary", "analytics.team_defense_game_summary",
               "analytics.player_game_summary")
SEASON = "2022-23"  # a regular season with full boxes and a shot chart


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    """A module-private copy of the loaded warehouse with the models built over every game date."""
    path = tmp_path_factory.mktemp("analytics") / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    p = Project(path, data_dir)
    first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
    for name in GAME_MODELS:
        build(p.engine, p.registry, name, first, last, "test-analytics")
    yield p
    p.close()


def _game_minutes(team_minutes: pd.Series) -> pd.Series:
    ot = np.maximum(0, np.round((team_minutes - 240) / 25.0))
    return 48 + 5 * ot


def _player_logs(data_dir, season=SEASON) -> pd.DataFrame:
    return pd.read_csv(data_dir / f"nbaapi_regular_season_donjuanpond/player_gamelogs_{season}.csv.gz",
                       dtype={"GAME_ID": str})


def _team_logs(data_dir, season=SEASON) -> pd.DataFrame:
    return pd.read_csv(data_dir / f"nbaapi_regular_season_donjuanpond/games_{season}.csv.gz", dtype={"GAME_ID": str})


def _frame(project, sql: str, params=None) -> pd.DataFrame:
    return project.engine.fetch_df(sql, params)


def test_rows_match_expected_on_every_date(project):
    """Complete wherever the raw boxes are; short (so `partial`, never `complete`) exactly where they are not."""
    raw_short = {r[0] for r in project.engine.fetchall("""
        SELECT s.game_date FROM (SELECT game_date, count(*) AS games FROM raw.schedule GROUP BY 1) s
        LEFT JOIN (SELECT game_date, count(*) AS teams FROM raw.team_boxscores GROUP BY 1) t USING (game_date)
        WHERE coalesce(t.teams, 0) < 2 * s.games""")}
    for name in GAME_MODELS:
        short = {r[0] for r in project.engine.fetchall(
            "SELECT game_date FROM ledger.partitions WHERE model = ? AND rows IS DISTINCT FROM expected_rows", [name])}
        if name == "analytics.player_game_summary":  # its expectation is the player boxes themselves
            assert not short, sorted(short)[:5]
        else:
            assert short == raw_short, sorted(short ^ raw_short)[:5]
        assert project.engine.scalar("SELECT count(*) FROM ledger.partitions WHERE model = ?", [name]) == \
            project.engine.scalar("SELECT count(*) FROM raw.game_dates")


def test_unique_grain_and_declared_checks(project):
    for name in GAME_MODELS:
        model = project.registry[name]
        keys = ", ".join(model.grain)
        assert project.engine.scalar(
            f"SELECT count(*) FROM (SELECT {keys} FROM {name} GROUP BY ALL HAVING count(*) > 1)") == 0
        for check in model.checks:
            n = project.engine.scalar(f"SELECT count(*) FROM {name} WHERE {check.violation_sql()}")
            assert n == 0, f"{name}: {n} rows violate {check.label()}"


def test_usage_rate_matches_the_raw_game_logs(project, data_dir):
    players, teams = _player_logs(data_dir), _team_logs(data_dir)
    teams["game_minutes"] = _game_minutes(teams["MIN"])
    df = players.merge(teams[["GAME_ID", "TEAM_ID", "FGA", "FTA", "TOV", "game_minutes"]],
                       on=["GAME_ID", "TEAM_ID"], suffixes=("", "_TM"))
    df = df[df["MIN"] > 0].sample(300, random_state=7)
    df["usage"] = (100 * (df.FGA + 0.44 * df.FTA + df.TOV) * df.game_minutes
                   / (df["MIN"] * (df.FGA_TM + 0.44 * df.FTA_TM + df.TOV_TM)))
    df.loc[df.usage > 100, "usage"] = np.nan
    got = _frame(project, "SELECT game_id, player_id, usage_rate FROM analytics.player_game_summary WHERE season = ?",
                 [SEASON])
    m = df.merge(got, left_on=["GAME_ID", "PLAYER_ID"], right_on=["game_id", "player_id"], how="left")
    assert len(m) == 300 and m.game_id.notna().all()
    assert np.allclose(m.usage.astype(float), m.usage_rate.astype(float), atol=1e-3, equal_nan=True)
    # overtime is honoured: a player's usage in an OT game uses the game's real length, not 48
    assert (teams.game_minutes > 48).any()


def test_team_pace_and_ratings_match_the_raw_game_logs(project, data_dir):
    teams = _team_logs(data_dir)
    teams["poss"] = teams.FGA + 0.44 * teams.FTA - teams.OREB + teams.TOV
    teams["pace"] = teams.poss * 48 / _game_minutes(teams["MIN"])
    teams["ortg"] = 100 * teams.PTS / teams.poss
    got = _frame(project, "SELECT game_id, team_abbr, pace, possessions, offensive_rating, overtime_periods, win "
                          "FROM analytics.team_offense_game_summary WHERE season = ?", [SEASON])
    m = teams.merge(got, left_on=["GAME_ID", "TEAM_ABBREVIATION"], right_on=["game_id", "team_abbr"])
    assert len(m) == len(teams) == 2460
    assert np.allclose(m["pace_x"], m["pace_y"], atol=1e-3)
    assert np.allclose(m.poss, m.possessions, atol=1e-3)
    assert np.allclose(m.ortg, m.offensive_rating, atol=1e-3)
    assert (m.win == (m.WL == "W")).all()
    assert (m.overtime_periods > 0).sum() == (m["MIN"] >= 260).sum() > 0


def test_defense_is_the_opponents_offense(project):
    diff = project.engine.scalar("""
        SELECT count(*) FROM analytics.team_defense_game_summary d
        JOIN analytics.team_offense_game_summary o ON o.game_id = d.game_id AND o.team_abbr = d.opponent_abbr
        WHERE d.points_allowed IS DISTINCT FROM o.points OR d.opp_possessions IS DISTINCT FROM o.possessions
           OR d.opponent_pace IS DISTINCT FROM o.pace
           OR d.opp_paint_attempts IS DISTINCT FROM o.paint_attempts
           OR d.opp_three_makes IS DISTINCT FROM o.three_makes_zone""")
    assert diff == 0


SHOT_ZONES = {"Restricted Area": "paint", "In The Paint (Non-RA)": "paint", "Mid-Range": "mid_range",
              "Left Corner 3": "three", "Right Corner 3": "three", "Above the Break 3": "three", "Backcourt": "three"}


def test_zone_attempts_match_the_raw_shot_chart(project, data_dir):
    with zipfile.ZipFile(data_dir / "shots_domsamangy/NBA_2023_Shots.csv.zip") as z:
        shots = pd.read_csv(z.open(z.namelist()[0]), usecols=["GAME_ID", "PLAYER_ID", "BASIC_ZONE", "SHOT_MADE"])
    shots["game_id"] = shots.GAME_ID.astype(str).str.zfill(10)
    shots["bucket"] = shots.BASIC_ZONE.map(SHOT_ZONES)
    assert shots.bucket.notna().all()
    want = shots.pivot_table(index=["game_id", "PLAYER_ID"], columns="bucket", values="SHOT_MADE",
                             aggfunc=["count", "sum"], fill_value=0)
    want.columns = [f"{b}_{'att' if a == 'count' else 'made'}" for a, b in want.columns]
    want = want.reset_index().sample(300, random_state=3)
    got = _frame(project, "SELECT game_id, player_id, paint_attempts, paint_makes, mid_range_attempts, "
                          "mid_range_makes, three_attempts_zone, three_makes_zone, has_shot_zones "
                          "FROM analytics.player_game_summary WHERE season = ?", [SEASON])
    m = want.merge(got, left_on=["game_id", "PLAYER_ID"], right_on=["game_id", "player_id"])
    assert len(m) == 300 and m.has_shot_zones.all()
    for mine, theirs in [("paint_attempts", "paint_att"), ("paint_makes", "paint_made"),
                         ("mid_range_attempts", "mid_range_att"), ("mid_range_makes", "mid_range_made"),
                         ("three_attempts_zone", "three_att"), ("three_makes_zone", "three_made")]:
        assert (m[mine] == m[theirs]).all(), mine


def test_no_shot_chart_means_null_zones_with_a_flag(project):
    # 2021-22 has no shot chart and playoffs never have one: NULL + flag, never an invented 0
    rows = project.engine.fetchone("""
        SELECT count(*), count(*) FILTER (WHERE p.has_shot_zones OR d.has_shot_zones), count(p.paint_attempts), count(d.opp_paint_attempts)
        FROM analytics.player_game_summary p
        JOIN analytics.team_defense_game_summary d ON d.game_id = p.game_id AND d.team_abbr = p.opponent_abbr
        WHERE p.season = '2021-22' OR p.season_type = 'playoffs'""")
    assert rows[0] > 20000 and rows[1:] == (0, 0, 0)
    covered = project.engine.scalar("SELECT avg(has_shot_zones::INT) FROM analytics.player_game_summary "
                                    "WHERE season = ? AND season_type = 'regular'", [SEASON])
    assert covered == 1.0


def test_reduced_boxes_get_null_rates_not_zeros(project):
    row = project.engine.fetchone("""
        SELECT count(*), count(usage_rate), count(ts_pct), count(pts)
        FROM analytics.player_game_summary WHERE NOT has_attempts AND NOT is_dnp""")
    assert row[0] > 0 and row[1] == 0 and row[2] == 0 and row[3] == row[0]
    team = project.engine.fetchone("""
        SELECT count(*), count(possessions), count(pace), count(offensive_rating), count(points)
        FROM analytics.team_offense_game_summary WHERE NOT has_attempts""")
    assert team[1:4] == (0, 0, 0) and team[4] == team[0]


def test_player_points_sum_to_team_points(project):
    n, bad = project.engine.fetchone("""
        WITH p AS (SELECT game_id, team_abbr, sum(pts) AS pts, bool_and(completeness = 'full') AS full
                   FROM analytics.player_game_summary GROUP BY ALL)
        SELECT count(*), count(*) FILTER (WHERE p.pts <> t.points)
        FROM p JOIN analytics.team_offense_game_summary t USING (game_id, team_abbr)
        WHERE p.full AND t.has_attempts""")
    assert n > 12000 and bad == 0


def test_single_date_rebuild_matches_the_full_build(project):
    day = dt.date(2023, 1, 15)
    for name in GAME_MODELS:
        before = project.engine.fetch_df(f"SELECT * FROM {name} WHERE game_date = ? ORDER BY ALL", [day])
        build(project.engine, project.registry, name, day, day, "test-one-day")
        after = project.engine.fetch_df(f"SELECT * FROM {name} WHERE game_date = ? ORDER BY ALL", [day])
        pd.testing.assert_frame_equal(before, after)
