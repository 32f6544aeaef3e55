"""analytics.upcoming_team_game_context in small batches: a one-date or short-range rebuild writes exactly the
rows and ledger values of the full build (its window frames and the seasons it reads must not depend on the
range), and the one-date statement keeps the shape that makes it cheap (one window pass, no ASOF join)."""

from __future__ import annotations

import pytest
from small_batches import assert_rebuilds_equal_full_build, built_copy, one_date_operators

TEAM = "analytics.upcoming_team_game_context"


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    p = built_copy(loaded_warehouse, data_dir, tmp_path_factory.mktemp("team_small"), TEAM)
    yield p
    p.close()


def test_single_dates_and_short_ranges_rewrite_the_full_build(project):
    e = project.engine
    cal = [r[0] for r in e.fetchall("SELECT game_date FROM raw.game_dates ORDER BY 1")]
    day_400 = e.scalar("SELECT game_date FROM raw.game_dates WHERE season_type = 'regular' "
                       "ORDER BY game_date LIMIT 1 OFFSET 400")
    # every season's opener and the first date of every play-in and playoffs, date #400, the last date
    singles = sorted({day_400, cal[-1]} | {r[0] for r in e.fetchall(
        "SELECT min(game_date) FROM raw.game_dates GROUP BY season, season_type")})
    opener = e.scalar("SELECT min(game_date) FROM raw.game_dates WHERE season = '2022-23'")
    i = cal.index(opener)
    ranges = [(cal[cal.index(day_400) - 3], cal[cal.index(day_400) + 3]),  # 7 dates mid-season
              (cal[i - 3], cal[i + 3])]                                    # 7 dates across two seasons
    assert len(singles) >= 12
    assert_rebuilds_equal_full_build(project, TEAM, [(d, d) for d in singles] + ranges)


def test_one_date_is_one_window_pass_without_an_asof_join(project):
    day = project.engine.scalar("SELECT game_date FROM raw.game_dates WHERE season_type = 'regular' "
                                "ORDER BY game_date LIMIT 1 OFFSET 400")
    ops = one_date_operators(project, TEAM, day)
    assert ops.count("WINDOW") == 1, ops
    assert not [o for o in ops if "ASOF" in o], ops
    assert "game_dates" not in project.registry[TEAM].sql  # the seasons come from the schedule, not the calendar view
