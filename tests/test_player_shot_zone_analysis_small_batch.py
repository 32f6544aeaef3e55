"""precompute.player_shot_zone_analysis in small batches: a one-date or short-range rebuild writes exactly the
rows and ledger values of the full build (each target joins the window row of its last zone game before D by
the range (that game, the next one]: the next one may lie inside the batch, or past it), and the one-date
statement keeps the shape that makes it cheap (one window, no ASOF join)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from courtside.build import build, render
from courtside.project import Project

D = dt.date
ZONES = "precompute.player_shot_zone_analysis"
# 2023-24 has shot data for its regular season (its playoffs do not); 2024-25's opener starts a new season.
FIRST, LAST = D(2023, 10, 24), D(2024, 10, 30)
LEDGER = ("SELECT game_date, rows, expected_rows, fingerprint, upstream_fingerprint FROM ledger.partitions "
          "WHERE model = ? ORDER BY game_date")


@pytest.fixture(scope="module")
def project(loaded_warehouse, data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("zones_small") / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    p = Project(path, data_dir)
    for name in p.registry.ancestors(ZONES):
        if p.registry[name].kind != "source":
            build(p.engine, p.registry, name, FIRST, LAST, "full")
    yield p
    p.close()


def operators(plan) -> list[str]:
    """The physical operators of an EXPLAIN (FORMAT json) plan, depth first."""
    nodes = plan if isinstance(plan, list) else [plan]
    return [n for node in nodes for n in [node["name"], *operators(node.get("children", []))]]


def test_single_dates_and_short_ranges_rewrite_the_full_build(project):
    e = project.engine
    e.execute(f"CREATE OR REPLACE TEMP TABLE full_build AS SELECT * FROM {ZONES}")
    ledger = e.fetchall(LEDGER, [ZONES])
    assert e.scalar("SELECT count(*) FILTER (WHERE has_zone_data) FROM full_build") > 10_000
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
    for start, end in [(d, d) for d in singles] + ranges:
        build(e, project.registry, ZONES, start, end, "small")
        diff = e.fetchone(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM full_build EXCEPT ALL SELECT * FROM {ZONES})), "
            f"(SELECT count(*) FROM (SELECT * FROM {ZONES} EXCEPT ALL SELECT * FROM full_build))")
        assert diff == (0, 0), f"{start}..{end}"
        assert e.fetchall(LEDGER, [ZONES]) == ledger, f"{start}..{end}: ledger values changed"


def test_one_date_is_one_window_without_an_asof_join(project):
    day = D(2024, 1, 24)
    sql = render(project.registry[ZONES].sql, day, day, [day])
    ops = operators(json.loads(project.engine.fetchone("EXPLAIN (FORMAT json) " + sql)[-1]))
    assert ops.count("WINDOW") == 1, ops
    assert not [o for o in ops if "ASOF" in o], ops
