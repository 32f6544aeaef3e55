"""Season calendars come from the loaded schedule, and `courtside calendar --json` prints them."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from courtside.calendar import game_dates, season_calendars
from courtside.cli.app import app
from courtside.engine import Engine


def test_2023_24_boundaries(loaded_warehouse):
    with Engine(loaded_warehouse) as e:
        (cal,) = season_calendars(e, ["2023-24"])
        dates = game_dates(e, "2023-24", "play-in")
    assert cal.phase("regular").start == dt.date(2023, 10, 24)
    assert cal.phase("regular").end == dt.date(2024, 4, 14)
    assert cal.phase("regular").n_games == 1230
    play_in, playoffs = cal.phase("play-in"), cal.phase("playoffs")
    assert cal.phase("regular").end < play_in.start <= play_in.end < playoffs.start
    assert playoffs.start == dt.date(2024, 4, 20) and play_in.n_games == 6
    assert dates == [dt.date(2024, 4, 16), dt.date(2024, 4, 17), dt.date(2024, 4, 19)]


def test_every_season_has_ordered_phases(loaded_warehouse):
    with Engine(loaded_warehouse) as e:
        cals = season_calendars(e)
    assert [c.season for c in cals] == ["2020-21", "2021-22", "2022-23", "2023-24", "2024-25", "2025-26"]
    for c in cals:
        r, p = c.phase("regular"), c.phase("playoffs")
        assert r.start == c.start and p.end == c.end and r.end < p.start
    assert cals[0].phase("regular").n_games == 1080  # the 72-game 2020-21 season


def test_calendar_command_json(loaded_copy):
    result = CliRunner().invoke(app, ["calendar", "--warehouse", str(loaded_copy), "--json", "--seasons", "2022-23"])
    assert result.exit_code == 0, result.output
    (season,) = json.loads(result.output)
    assert season["season"] == "2022-23"
    assert season["phases"]["regular"]["end"] == "2023-04-09"
    assert season["phases"]["playoffs"]["n_games"] == 84


def test_calendar_on_empty_warehouse_says_so(tmp_path):
    result = CliRunner().invoke(app, ["calendar", "--warehouse", str(tmp_path / "empty.duckdb"), "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
