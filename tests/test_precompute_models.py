"""The five precompute models on the real data: 2023-24 (shots, full regular-season boxes, reduced
playoff boxes) and the start of 2021-22 (no shot data at all).

Independent checks recompute from the raw CSV files with pandas, not from our tables.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from courtside.build import build
from courtside.ml.feature_contract import FEATURE_NAMES, defaulted_names, defaulted_names_sql
from courtside.project import Project

D = dt.date
PRECOMPUTE = ("precompute.team_defense_zone_analysis", "precompute.player_shot_zone_analysis",
              "precompute.player_composite_factors", "precompute.player_daily_cache",
              "precompute.ml_feature_store")
PLAYER_MODELS = PRECOMPUTE[1:]
RANGES = ((D(2023, 10, 24), D(2024, 6, 17)), (D(2021, 10, 19), D(2021, 11, 7)))
SEASON_START = D(2023, 10, 24)
MID_SEASON = D(2024, 1, 16)
PLAYOFF_DATE = D(2024, 4, 25)


def build_precompute_inputs(project, start, end, run_id="t"):
    """Every ancestor of the feature store except the precompute layer, over [start, end]."""
    order = project.registry.ancestors("precompute.ml_feature_store")
    for name in order:
        model = project.registry[name]
        if model.kind == "source" or name.startswith("precompute."):
            continue
        # the feature store's games-vs-opponent window reaches back 365 days, across seasons
        first = start - dt.timedelta(days=365) if name == "analytics.player_game_summary" else start
        build(project.engine, project.registry, model, first, end, run_id)


def build_precompute(project, start, end, run_id="t"):
    for name in PRECOMPUTE:
        build(project.engine, project.registry, name, start, end, run_id)


@pytest.fixture(scope="module")
def project(loaded_warehouse, tmp_path_factory, data_dir):
    path = tmp_path_factory.mktemp("precompute") / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    p = Project(path, data_dir)
    for start, end in RANGES:
        build_precompute_inputs(p, start, end)
        build_precompute(p, start, end)
    yield p
    p.close()


# ---------- completeness, grain, checks ----------

def test_every_game_date_has_its_expected_rows(project):
    for name in PRECOMPUTE:
        bad = project.engine.fetchall(
            "SELECT game_date, rows, expected_rows FROM ledger.partitions WHERE model = ? "
            "AND (rows <> expected_rows OR expected_rows IS NULL OR rows = 0) ORDER BY 1 LIMIT 5", [name])
        assert not bad, (name, bad)
        dates = project.engine.scalar("SELECT count(*) FROM ledger.partitions WHERE model = ?", [name])
        calendar = sum(project.engine.scalar("SELECT count(*) FROM raw.game_dates WHERE game_date BETWEEN ? AND ?",
                                             [s, e]) for s, e in RANGES)
        assert dates == calendar, name


def test_team_rows_are_both_teams_of_every_game(project):
    got = project.engine.fetchall("""
        SELECT s.game_date, count(*) FROM raw.schedule s
        LEFT JOIN precompute.team_defense_zone_analysis t
          ON t.game_date = s.game_date AND t.team_abbr IN (s.home_team, s.away_team)
        WHERE s.game_date BETWEEN '2023-10-24' AND '2024-06-17'
        GROUP BY ALL HAVING count(t.team_abbr) <> 2 * count(DISTINCT s.game_id) LIMIT 3""")
    assert not got


def test_unique_grain_and_declared_checks(project):
    for name in PRECOMPUTE:
        model = project.registry[name]
        keys = ", ".join(model.grain)
        assert not project.engine.fetchall(f"SELECT {keys} FROM {name} GROUP BY ALL HAVING count(*) > 1 LIMIT 1")
        for check in model.checks:
            n = project.engine.scalar(f"SELECT count(*) FROM {name} WHERE {check.violation_sql()}")
            assert n == 0, (name, check.label(), n)


def test_composite_ranges_and_fatigue_direction(project):
    df = project.engine.fetch_df("SELECT * FROM precompute.player_composite_factors")
    assert df.fatigue_score.between(0, 100).all()
    assert df.fatigue_adjustment.between(-5, 0).all()
    assert df.shot_zone_mismatch_score.between(-10, 10).all()
    assert df.pace_score.between(-3, 3).all()
    # a missing input gives 0, not the clamp bound (DuckDB's least/greatest skip NULLs)
    assert (df.loc[df.pace_differential.isna(), "pace_score"] == 0).all()
    assert (df.loc[~df.has_zone_matchup, "shot_zone_mismatch_score"] == 0).all()
    assert np.allclose(df.pace_score[df.pace_differential.notna()],
                       (df.pace_differential / 2).clip(-3, 3)[df.pace_differential.notna()], atol=1e-3)
    # recompute the fatigue score from the stored inputs (one rest convention: back-to-back = days_rest 0)
    rest = df.days_rest
    mpg = np.where(df.games_last_7d > 0, df.minutes_last_7d / df.games_last_7d.replace(0, np.nan), 0)
    score = (100 - 15 * (rest == 0) + 5 * (rest >= 2) - 10 * (df.games_last_7d >= 4)
             - 10 * (df.minutes_last_7d > 240) - 8 * (mpg > 35)
             - np.select([df.back_to_backs_last_14d >= 2, df.back_to_backs_last_14d == 1], [12, 5], 0)).clip(0, 100)
    assert (score == df.fatigue_score).all()
    assert (df.loc[df.back_to_back.fillna(False).astype(bool), "fatigue_score"] <= 85).all()
    assert (df.back_to_back.fillna(False) == (df.days_rest == 0)).all()
    total = df.fatigue_adjustment + df.shot_zone_mismatch_score + df.pace_score + df.usage_spike_score
    assert np.allclose(total, df.total_composite_adjustment, atol=1e-3)
    # both factors really vary: they are not constants
    assert df.fatigue_score.nunique() > 3 and df.shot_zone_mismatch_score.nunique() > 20


# ---------- independent recomputation from the raw files ----------

def _season_logs(data_dir, season: str) -> pd.DataFrame:
    logs = pd.read_csv(data_dir / "nbaapi_regular_season_donjuanpond" / f"player_gamelogs_{season}.csv.gz",
                       dtype={"GAME_ID": str})
    logs["GAME_DATE"] = pd.to_datetime(logs.GAME_DATE)
    return logs[logs.MIN > 0].sort_values(["PLAYER_ID", "GAME_DATE"])  # DNPs are not listed; 0 minutes = DNP


def _sample(project, sql: str, n: int = 60) -> pd.DataFrame:
    return project.engine.fetch_df(sql + f" ORDER BY hash(game_date, player_id) LIMIT {n}")


def test_points_averages_match_the_raw_game_logs(project, data_dir):
    logs = _season_logs(data_dir, "2023-24")
    sample = _sample(project, """SELECT * FROM precompute.player_daily_cache
                                 WHERE game_date BETWEEN '2023-10-25' AND '2024-04-14' AND games_played_season > 0""")
    assert len(sample) == 60
    for row in sample.itertuples():
        hist = logs[(logs.PLAYER_ID == row.player_id) & (logs.GAME_DATE < row.game_date)]
        assert len(hist) == row.games_played_season, row
        pts = hist.PTS.to_numpy()
        assert row.points_avg_last_5 == pytest.approx(pts[-5:].mean(), abs=1e-3)
        assert row.points_avg_last_10 == pytest.approx(pts[-10:].mean(), abs=1e-3)
        assert row.points_avg_season == pytest.approx(pts.mean(), abs=1e-3)
        assert row.reb_avg_last_10 == pytest.approx(hist.REB.to_numpy()[-10:].mean(), abs=1e-3)
        assert row.fg3m_avg_last_10 == pytest.approx(hist.FG3M.to_numpy()[-10:].mean(), abs=1e-3)
        if len(pts) >= 2:
            assert row.points_std_last_10 == pytest.approx(np.std(pts[-10:], ddof=1), abs=1e-3)


ZONES = {"Restricted Area": "paint", "In The Paint (Non-RA)": "paint", "Mid-Range": "mid",
         "Left Corner 3": "three", "Right Corner 3": "three", "Above the Break 3": "three", "Backcourt": "three"}


def test_zone_rates_match_the_raw_shot_chart(project, data_dir):
    with zipfile.ZipFile(data_dir / "shots_domsamangy" / "NBA_2024_Shots.csv.zip") as z:
        with z.open(z.namelist()[0]) as f:
            shots = pd.read_csv(f, usecols=["PLAYER_ID", "GAME_ID", "BASIC_ZONE", "SHOT_MADE"])
    shots["GAME_ID"] = shots.GAME_ID.astype(str).str.zfill(10)
    shots["zone"] = shots.BASIC_ZONE.map(ZONES)
    assert shots.zone.notna().all()
    per_game = shots.pivot_table(index=["PLAYER_ID", "GAME_ID"], columns="zone", values="SHOT_MADE",
                                 aggfunc="size", fill_value=0).reset_index()
    logs = _season_logs(data_dir, "2023-24")
    logs = logs[logs.GAME_ID.isin(set(shots.GAME_ID))]  # games with shot data
    logs = logs.merge(per_game, on=["PLAYER_ID", "GAME_ID"], how="left").fillna({"paint": 0, "mid": 0, "three": 0})
    sample = _sample(project, """SELECT * FROM precompute.player_shot_zone_analysis
                                 WHERE game_date BETWEEN '2023-10-25' AND '2024-04-14' AND has_zone_data""")
    assert len(sample) == 60
    for row in sample.itertuples():
        hist = logs[(logs.PLAYER_ID == row.player_id) & (logs.GAME_DATE < row.game_date)].tail(10)
        assert len(hist) == row.games_in_sample, row
        total = hist[["paint", "mid", "three"]].to_numpy().sum()
        assert row.paint_rate_last_10 == pytest.approx(100 * hist.paint.sum() / total, abs=1e-3)
        assert row.three_rate_last_10 == pytest.approx(100 * hist.three.sum() / total, abs=1e-3)
        assert row.mid_range_rate_last_10 == pytest.approx(100 * hist.mid.sum() / total, abs=1e-3)


# ---------- early season and honest gaps ----------

def test_first_day_of_a_season_has_flagged_rows_not_holes(project):
    e = project.engine
    n = e.scalar("SELECT count(*) FROM analytics.upcoming_player_game_context WHERE game_date = ?", [SEASON_START])
    assert n > 0
    pdc = e.fetch_df("SELECT * FROM precompute.player_daily_cache WHERE game_date = ?", [SEASON_START])
    assert len(pdc) == n and pdc.small_sample.all() and (pdc.games_played_season == 0).all()
    assert pdc.points_avg_last_10.isna().all()
    tdza = e.fetch_df("SELECT * FROM precompute.team_defense_zone_analysis WHERE game_date = ?", [SEASON_START])
    assert len(tdza) > 0 and tdza.small_sample.all() and (tdza.games_in_sample == 0).all()
    mlfs = e.fetch_df("SELECT * FROM precompute.ml_feature_store WHERE game_date = ?", [SEASON_START])
    assert len(mlfs) == n and not mlfs.is_quality_ready.any()
    assert all("points_avg_last_5" in defaulted_names(x) for x in mlfs.defaulted_mask)
    # a week in, every row has real history and the early dates are flagged, not skipped
    week = e.fetch_df("SELECT * FROM precompute.player_daily_cache WHERE game_date = DATE '2023-10-31'")
    assert len(week) > 0 and week.points_avg_last_5.notna().mean() > 0.7 and week.small_sample.all()
    later = e.scalar("SELECT avg(is_quality_ready::INTEGER) FROM precompute.ml_feature_store "
                     "WHERE game_date BETWEEN '2024-01-01' AND '2024-03-31'")
    assert later > 0.7


def test_no_shot_data_means_null_zones_with_a_flag(project):
    e = project.engine
    psza = e.fetch_df("SELECT * FROM precompute.player_shot_zone_analysis WHERE game_date BETWEEN '2021-10-19' AND '2021-11-07'")
    assert len(psza) > 0 and not psza.has_zone_data.any() and psza.paint_rate_last_10.isna().all()
    assert (psza.sample_quality == "none").all()
    tdza = e.fetch_df("SELECT * FROM precompute.team_defense_zone_analysis WHERE game_date = '2021-11-05'")
    assert not tdza.has_zone_data.any() and tdza.paint_defense_vs_league_avg.isna().all()
    assert tdza.defensive_rating.notna().all()  # the box-score metrics are still there
    mlfs = e.fetch_df("SELECT * FROM precompute.ml_feature_store WHERE game_date = '2021-11-05'")
    assert mlfs.pct_paint.isna().all() and mlfs.shot_zone_mismatch_score.isna().all()
    assert all({"pct_paint", "shot_zone_mismatch_score"} <= set(defaulted_names(x)) for x in mlfs.defaulted_mask)
    pcf = e.fetch_df("SELECT * FROM precompute.player_composite_factors WHERE game_date = '2021-11-05'")
    assert (pcf.shot_zone_mismatch_score == 0).all() and not pcf.has_zone_matchup.any()


def test_defaulted_mask_marks_exactly_the_null_features(project):
    e = project.engine
    mlfs = e.fetch_df(f"SELECT *, {defaulted_names_sql('defaulted_mask')} AS names FROM precompute.ml_feature_store "
                      "WHERE game_date IN ('2021-11-05', '2023-10-24', '2024-02-01')")
    assert len(mlfs) > 0
    features = mlfs[list(FEATURE_NAMES)]
    for (_, row), mask, names in zip(features.iterrows(), mlfs.defaulted_mask, mlfs.names):
        nulls = [n for n in FEATURE_NAMES if pd.isna(row[n])]
        assert defaulted_names(mask) == nulls == list(names)
    assert (mlfs.default_feature_count == features.isna().sum(axis=1)).all()


def test_playoff_zones_come_from_real_regular_season_shots(project):
    e = project.engine
    psza = e.fetch_df("SELECT * FROM precompute.player_shot_zone_analysis WHERE game_date = ?", [PLAYOFF_DATE])
    assert len(psza) > 0 and psza.has_zone_data.mean() > 0.8
    # the window holds only games with shot data: never more than the player's regular-season zone games
    assert (psza.games_in_sample <= 10).all()
    pdc = e.fetch_df("SELECT * FROM precompute.player_daily_cache WHERE game_date = ?", [PLAYOFF_DATE])
    assert (pdc.usage_games_last_10 <= pdc.games_in_last_10).all()
    assert ((pdc.usage_games_last_10 == 0) == pdc.usage_rate_last_10.isna()).all()


# ---------- determinism and point in time ----------

def _fingerprints(engine, models):
    return engine.fetchall("SELECT model, game_date, rows, fingerprint FROM ledger.partitions "
                           f"WHERE model IN ({', '.join('?' * len(models))}) ORDER BY 1, 2", list(models))


def test_two_builds_give_identical_fingerprints(project):
    before = _fingerprints(project.engine, PRECOMPUTE)
    for start, end in RANGES:
        build_precompute(project, start, end, run_id="again")
    assert _fingerprints(project.engine, PRECOMPUTE) == before
    assert len({fp for *_, fp in before}) > 100


def test_point_in_time_one_date(project, loaded_copy, data_dir):
    """Rows for D are identical when every source row dated D or later (except D's schedule) is removed."""
    day = MID_SEASON
    p = Project(loaded_copy, data_dir)
    e = p.engine
    for table in ("raw.player_boxscores", "raw.team_boxscores", "raw.shots"):
        e.execute(f"DELETE FROM {table} WHERE game_date >= ?", [day])
    e.execute("DELETE FROM raw.schedule WHERE game_date > ?", [day])
    e.execute("UPDATE raw.schedule SET home_pts = NULL, away_pts = NULL, status = 'scheduled' WHERE game_date = ?", [day])
    e.execute("DELETE FROM raw.game_lines WHERE game_date > ?", [day])
    e.execute("DELETE FROM raw.player_props WHERE game_date > ? OR (game_date = ? AND snapshot_at >= tipoff_at)",
              [day, day])
    build_precompute_inputs(p, SEASON_START, day)
    build_precompute(p, day, day)
    for name in PRECOMPUTE:
        full = project.engine.fetch_df(f"SELECT * FROM {name} WHERE game_date = ? ORDER BY ALL", [day])
        cut = e.fetch_df(f"SELECT * FROM {name} WHERE game_date = ? ORDER BY ALL", [day])
        assert len(full) > 0
        pd.testing.assert_frame_equal(full, cut, check_dtype=False, obj=name)
    p.close()


def test_daily_cache_means_are_avg_over_each_window(project):
    """The daily cache reads its means off bit-packed sums (one window function per frame); every one is the
    value ROUND(avg(..), 4) over the player's (or team's) own games gives, written out plainly here for every
    row built: the played games of the season before D, the last 5 / 10 of them, exact 4-decimal minutes and
    usage, the team's last 10 games."""
    e = project.engine
    played = "NOT b.is_dnp AND (coalesce(b.minutes, 0) > 0 OR coalesce(b.pts, 0) > 0)"
    mismatches = e.fetchall(f"""
        WITH t AS (SELECT * FROM precompute.player_daily_cache),
        g AS (SELECT t.game_date AS d, t.player_id, b.pts, b.reb, b.minutes::DECIMAL(18, 4) AS minutes,
                     CASE WHEN b.has_attempts THEN b.usage_rate::DECIMAL(18, 4) END AS usage,
                     row_number() OVER (PARTITION BY t.game_date, t.player_id ORDER BY b.game_date DESC) AS k
              FROM t JOIN analytics.player_game_summary b
                ON b.player_id = t.player_id AND b.season = t.season AND b.game_date < t.game_date AND {played}),
        mine AS (SELECT d, player_id, count(*) AS games,
                        ROUND(avg(pts) FILTER (WHERE k <= 5), 4) AS points_avg_last_5,
                        ROUND(avg(pts), 4) AS points_avg_season,
                        ROUND(avg(reb) FILTER (WHERE k <= 10), 4) AS reb_avg_last_10,
                        ROUND(avg(minutes) FILTER (WHERE k <= 10), 4) AS minutes_avg_last_10,
                        ROUND(avg(minutes), 4) AS minutes_avg_season,
                        ROUND(avg(usage) FILTER (WHERE k <= 10), 4) AS usage_rate_last_10,
                        ROUND(sum(pts) FILTER (WHERE k <= 10) / sum(minutes) FILTER (WHERE k <= 10), 4)
                            AS ppm_avg_last_10
                 FROM g GROUP BY 1, 2),
        tg AS (SELECT t.game_date AS d, t.team_abbr, o.pace::DECIMAL(18, 4) AS pace,
                      o.offensive_rating::DECIMAL(18, 4) AS rating,
                      row_number() OVER (PARTITION BY t.game_date, t.team_abbr ORDER BY o.game_date DESC) AS k
               FROM (SELECT DISTINCT game_date, season, team_abbr FROM t) t
               JOIN analytics.team_offense_game_summary o
                 ON o.team_abbr = t.team_abbr AND o.season = t.season AND o.game_date < t.game_date),
        team AS (SELECT d, team_abbr, ROUND(avg(pace), 4) AS team_pace_last_10,
                        ROUND(avg(rating), 4) AS team_off_rating_last_10
                 FROM tg WHERE k <= 10 GROUP BY 1, 2)
        SELECT t.game_date, t.player_id FROM t
        LEFT JOIN mine m ON m.d = t.game_date AND m.player_id = t.player_id
        LEFT JOIN team ON team.d = t.game_date AND team.team_abbr = t.team_abbr
        WHERE coalesce(m.games, 0) IS DISTINCT FROM t.games_played_season
           OR m.points_avg_last_5 IS DISTINCT FROM t.points_avg_last_5
           OR m.points_avg_season IS DISTINCT FROM t.points_avg_season
           OR m.reb_avg_last_10 IS DISTINCT FROM t.reb_avg_last_10
           OR m.minutes_avg_last_10 IS DISTINCT FROM t.minutes_avg_last_10
           OR m.minutes_avg_season IS DISTINCT FROM t.minutes_avg_season
           OR m.usage_rate_last_10 IS DISTINCT FROM t.usage_rate_last_10
           OR m.ppm_avg_last_10 IS DISTINCT FROM t.ppm_avg_last_10
           OR team.team_pace_last_10 IS DISTINCT FROM t.team_pace_last_10
           OR team.team_off_rating_last_10 IS DISTINCT FROM t.team_off_rating_last_10
        LIMIT 5""")
    assert e.scalar("SELECT count(*) FROM precompute.player_daily_cache WHERE games_played_season >= 10") > 10_000
    assert not mismatches, mismatches
