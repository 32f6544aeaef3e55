"""precompute.player_shot_zone_analysis in small batches: a one-date or short-range rebuild writes exactly the
rows and ledger values of the full build (each target joins the window row of its last zone game before D by
the range (that game, the next one]: the next one may lie inside the batch, or past it), and the one-date
statement keeps the shape that makes it cheap (one window, no ASOF join)."""

from __future__ import annotations

import datetime as dt

import pytest
from small_batches import assert_rebuilds_equal_full_build, built_copy, one_date_operators

D = dt.date
ZONES = "precompute.player_shot_zone_analysis"
# 2023-24 has shot data for its regular season (its playoffs do not); 2024-25's opener starts a new season.
FIRST, LAST = D(2023, 10, 24), D(2024, 10, 30)


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    p = built_copy(loaded_warehouse, data_dir, tmp_path_factory.mktemp("zones_small"),
                   ZONES, FIRST, LAST)
    yield p
    p.close()


def test_single_dates_and_short_ranges_rewrite_the_full_build(project):
    e = project.engine
    assert e.scalar(f"SELECT count(*) FILTER (WHERE has_zone_data) FROM {ZONES}") > 10_000
    cal = [r[0] for r in e.fetchall("SELECT game_date FROM raw.game_dates WHERE game_date BETWEEN ? AND ? ORDER BY 1",
                                    [FIRST, LAST])]
    # openers, the first play-in and playoff dates, a mid-season date, the last date
    singles = sorted({r[0] for r in e.fetchall(
        "SELECT min(game_date) FROM raw.game_dates WHERE game_date BETWEEN ? AND ? GROUP BY season, season_type",
        [FIRST, LAST])} | {D(2024, 1, 24), cal[-1]})
    mid = cal.index(D(2024, 1, 24))
    playoffs = cal.index(D(2024, 4, 20))
    opener = cal.index(D(2024, 10, 22))
    ranges = [(cal[mid - 3], cal[mid + 3]),            # 7 dates mid-season: players play inside the batch
              (cal[playoffs - 4], cal[playoffs + 2]),  # regular season into play-in and playoffs
              (cal[opener - 2], cal[opener + 2])]      # the finals and the next season's opener
    assert len(singles) >= 5
    assert_rebuilds_equal_full_build(project, ZONES, [(d, d) for d in singles] + ranges)


def test_one_date_is_one_window_without_an_asof_join(project):
    ops = one_date_operators(project, ZONES, D(2024, 1, 24))
    assert ops.count("WINDOW") == 1, ops
    assert not [o for o in ops if "ASOF" in o], ops
