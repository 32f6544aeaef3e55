"""The raw layer on the real data (the session's loaded warehouse): counts, sums, resolution, idempotency."""

from __future__ import annotations

import csv
import gzip

import pytest

from courtside.engine import Engine
from courtside.project import Project
from courtside.sources.load import SOURCE_MODELS, load_all


@pytest.fixture
def engine(loaded_warehouse):
    with Engine(loaded_warehouse) as e:
        yield e


@pytest.mark.parametrize("season", ["2021-22", "2022-23", "2023-24", "2024-25"])
def test_1230_regular_season_games(engine, season):
    assert engine.scalar("SELECT count(*) FROM raw.schedule WHERE season = ? AND season_type = 'regular'", [season]) == 1230
    assert engine.scalar("SELECT count(DISTINCT game_id) FROM raw.team_boxscores WHERE season = ? AND season_type = 'regular'",
                         [season]) == 1230


def test_one_row_per_key(engine):
    for table, key in (("raw.schedule", "game_id"), ("raw.team_boxscores", "game_id, team_abbr"),
                       ("raw.player_boxscores", "game_id, player_id")):
        dups = engine.scalar(f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL HAVING count(*) > 1)")
        assert dups == 0, table


def test_every_game_has_one_home_side_even_at_neutral_sites(engine):
    bad = engine.fetchall("""SELECT game_id FROM raw.team_boxscores GROUP BY 1
                             HAVING count(*) <> 2 OR count(*) FILTER (WHERE is_home) <> 1
                                 OR count(*) FILTER (WHERE team_abbr = opponent_abbr) > 0""")
    assert bad == []
    # The Paris game of 2025-01-25: both logs read "... @ ..."; the designated home side was SAS.
    assert engine.fetchall("""SELECT team_abbr, is_home, opponent_abbr FROM raw.team_boxscores
                              WHERE game_id = '0022400633' ORDER BY 1""") == [("IND", False, "SAS"), ("SAS", True, "IND")]
    assert engine.scalar("""SELECT count(*) FROM raw.player_boxscores p JOIN raw.team_boxscores t USING (game_id, team_abbr)
                            WHERE p.is_home <> t.is_home OR p.opponent_abbr <> t.opponent_abbr""") == 0


def test_player_points_sum_to_team_points_where_both_boxes_full(engine):
    rows = engine.fetchall("""
        WITH p AS (SELECT game_id, team_abbr, sum(pts) AS pts, bool_and(completeness = 'full') AS full
                   FROM raw.player_boxscores GROUP BY ALL)
        SELECT count(*), count(*) FILTER (WHERE p.pts <> t.pts), list(t.game_id || t.team_abbr) FILTER (WHERE p.pts <> t.pts)
        FROM p JOIN raw.team_boxscores t USING (game_id, team_abbr)
        WHERE p.full AND t.fga IS NOT NULL""")
    checked, mismatched, examples = rows[0]
    assert checked > 10_000
    assert mismatched == 0, examples[:10]


def _team_log_playoff_games(data_dir, season: str) -> int:
    path = data_dir / "betting_mylesthomas" / f"team_gamelogs_{season.replace('-', '_')}.csv.gz"
    with gzip.open(path, "rt", newline="") as fh:
        return len({r["GAME_ID"] for r in csv.DictReader(fh) if r["SEASON_ID"].startswith("4")})


@pytest.mark.parametrize("season", ["2020-21", "2021-22", "2022-23", "2023-24", "2024-25"])
def test_playoff_game_counts_match_team_logs(engine, data_dir, season):
    expected = _team_log_playoff_games(data_dir, season)
    assert expected > 75
    assert engine.scalar("SELECT count(*) FROM raw.schedule WHERE season = ? AND season_type = 'playoffs'", [season]) == expected


def test_playoff_boxes_keep_dnp_rows_and_mmss_minutes(engine):
    dnp = engine.fetchone("""SELECT count(*), count(*) FILTER (WHERE dnp_reason LIKE 'DNP%') FROM raw.player_boxscores
                             WHERE source = 'nocturnebear' AND dnp""")
    assert dnp[0] > 1000 and dnp[1] > 500
    # Fractional minutes come from "MM:SS".
    assert engine.scalar("""SELECT count(*) FROM raw.player_boxscores WHERE source = 'nocturnebear'
                            AND minutes <> floor(minutes)""") > 1000
    assert engine.scalar("SELECT min(season) FROM raw.player_boxscores WHERE source = 'nocturnebear'") == "2020-21"


def test_reduced_boxes_have_no_attempts_and_flags(engine):
    row = engine.fetchone("""SELECT count(*), count(fga), bool_or(has_attempts), bool_and(has_rebounds_assists)
                             FROM raw.player_boxscores WHERE completeness = 'reduced'""")
    assert row[0] > 5000 and row[1] == 0 and row[2] is False and row[3] is True
    # 2025-26: the full-box subset wins over the reduced logs for its players.
    full_2526 = engine.scalar("""SELECT count(*) FROM raw.player_boxscores
                                 WHERE season = '2025-26' AND source = 'rodgers20' AND has_attempts""")
    assert full_2526 > 5000


def test_shots_zones_and_seasons(engine):
    zones = {z for (z,) in engine.fetchall("SELECT DISTINCT zone FROM raw.shots")}
    assert zones == {"restricted_area", "paint_non_ra", "mid_range", "corner_3", "above_break_3", "backcourt"}
    seasons = [s for (s,) in engine.fetchall("SELECT DISTINCT season FROM raw.shots ORDER BY 1")]
    assert seasons == ["2020-21", "2022-23", "2023-24", "2024-25"]
    assert engine.scalar("SELECT count(*) FROM raw.shots WHERE season = '2023-24'") == 218_701
    assert engine.scalar("SELECT count(*) FROM raw.shots WHERE length(game_id) <> 10 OR opponent_abbr IS NULL") == 0


def test_prop_resolution_at_least_95_percent_per_file(loaded_warehouse, data_dir):
    from courtside.sources.props import resolution_rates

    with Engine(loaded_warehouse) as e:
        rates = resolution_rates(e)
    assert {r["market"] for r in rates} == {"threes", "pra"}
    assert len(rates) == 4
    for r in rates:
        assert r["player_rate"] >= 0.95, r
        assert r["game_rate"] >= 0.90, r


def test_game_lines_sign_and_dates(engine):
    # 2021-22 opener: Bucks (home, -125) vs Nets; 2022-23 Spread > 0 = home favoured -> negative home_spread.
    lal = engine.fetchone("""SELECT home_spread FROM raw.game_lines WHERE game_date = '2021-10-19' AND home_team = 'LAL'""")
    assert lal == (-4.5,)  # unsigned 4.5, Lakers -160 favourite
    det = engine.fetchone("SELECT home_spread, total FROM raw.game_lines WHERE game_date = '2022-10-19' AND home_team = 'DET'")
    assert det == (-3.5, 215.5)
    assert engine.scalar("SELECT count(*) FROM raw.game_lines WHERE file LIKE '%_alt_%'") == 0
    # ML_Away "+145\u00a0" (text in 2021-22): the Finals games load, Warriors favoured at home.
    assert engine.fetchone("""SELECT ml_home, ml_away, home_spread FROM raw.game_lines
                              WHERE game_date = '2022-06-13' AND home_team = 'GSW'""") == (-165, 145, -3.5)
    assert engine.scalar("SELECT count(*) FROM raw.rejects WHERE reason LIKE 'ML_%'") == 0
    assert engine.scalar("SELECT count(*) FROM raw.game_lines WHERE total IS NOT NULL AND total NOT BETWEEN 150 AND 300") == 0
    assert engine.scalar("SELECT count(*) FROM raw.rejects WHERE target = 'raw.game_lines' AND reason LIKE 'OU %'") >= 5


def test_game_dates_view_and_ledger(engine):
    assert engine.scalar("SELECT count(*) FROM raw.game_dates WHERE season = '2023-24'") > 150
    for model in SOURCE_MODELS:
        assert engine.scalar("SELECT count(*) FROM ledger.partitions WHERE model = ?", [model]) > 100, model


def test_reload_is_idempotent(loaded_copy, data_dir):
    with Project(loaded_copy, data_dir) as project:
        e = project.engine
        before = e.fetchall("SELECT model, game_date, fingerprint, written_at FROM ledger.partitions ORDER BY 1, 2")
        counts = [e.scalar(f"SELECT count(*) FROM {t}") for t in (*SOURCE_MODELS, "raw.rejects")]
        report = load_all(e, data_dir)
        assert report.changed == 0 and not report.errors
        assert {f.status for f in report.files} == {"unchanged"}
        assert sum(report.ledger_changed.values()) == 0
        assert e.fetchall("SELECT model, game_date, fingerprint, written_at FROM ledger.partitions ORDER BY 1, 2") == before
        assert [e.scalar(f"SELECT count(*) FROM {t}") for t in (*SOURCE_MODELS, "raw.rejects")] == counts
