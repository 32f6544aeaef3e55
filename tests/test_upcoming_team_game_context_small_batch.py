"""analytics.upcoming_team_game_context in small batches: a one-date or short-range rebuild writes exactly the
rows and ledger values of the full build (its window frames and the seasons it reads must not depend on the
range), and the one-date statement keeps the shape that makes it cheap (one window pass, no ASOF join)."""

from __future__ import annotations

import json
import shutil

import pytest

from courtside.build import build, render
from courtside.project import Project

TEAM = "analytics.upcoming_team_game_context"
LEDGER = ("SELECT game_date, rows, expected_rows, fingerprint, upstream_fingerprint FROM ledger.partitions "
          "WHERE model = ? ORDER BY game_date")


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("team_small") / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    p = Project(path, data_dir)
    first, last = p.engine.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
    build(p.engine, p.registry, TEAM, first, last, "full")
    yield p
    p.close()


def operators(plan) -> list[str]:
    """The physical operators of an EXPLAIN (FORMAT json) plan, depth first."""
    nodes = plan if isinstance(plan, list) else [plan]
    return [n for node in nodes for n in [node["name"], *operators(node.get("children", []))]]


def _differences(engine, table: str) -> tuple[int, int]:
    return engine.fetchone(
        f"SELECT (SELECT count(*) FROM (SELECT * FROM full_build EXCEPT ALL SELECT * FROM {table})), "
        f"(SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL SELECT * FROM full_build))")


def test_single_dates_and_short_ranges_rewrite_the_full_build(project):
    e = project.engine
    e.execute(f"CREATE OR REPLACE TEMP TABLE full_build AS SELECT * FROM {TEAM}")
    ledger = e.fetchall(LEDGER, [TEAM])
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
    for start, end in [(d, d) for d in singles] + ranges:
        build(e, project.registry, TEAM, start, end, "small")
        assert _differences(e, TEAM) == (0, 0), f"{start}..{end}"
        assert e.fetchall(LEDGER, [TEAM]) == ledger, f"{start}..{end}: ledger values changed"


def test_one_date_is_one_window_pass_without_an_asof_join(project):
    day = project.engine.scalar("SELECT game_date FROM raw.game_dates WHERE season_type = 'regular' "
                                "ORDER BY game_date LIMIT 1 OFFSET 400")
    sql = render(project.registry[TEAM].sql, day, day, [day])
    plan = json.loads(project.engine.fetchone("EXPLAIN (FORMAT json) " + sql)[-1])
    ops = operators(plan)
    assert ops.count("WINDOW") == 1, ops
    assert not [o for o in ops if "ASOF" in o], ops
    assert "game_dates" not in project.registry[TEAM].sql  # the seasons come from the schedule, not the calendar view
