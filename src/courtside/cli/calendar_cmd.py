"""`courtside calendar`: each season's regular season, play-in and playoff dates, from the schedule."""

from __future__ import annotations

import typer

from courtside.cli import common


def register(app: typer.Typer) -> None:
    @app.command("calendar")
    def calendar(
        warehouse: common.Warehouse = None,
        seasons: common.Seasons = None,
        json_out: common.Json = False,
        wait: common.Wait = 0.0,
    ) -> None:
        """Season calendars derived from raw.schedule (run `courtside data load` first)."""
        from courtside.calendar import as_rows, season_calendars
        from courtside.dates import parse_season_span
        from courtside.project import Project

        with common.handled(), Project(warehouse, wait_seconds=wait) as project:
            cals = season_calendars(project.engine, parse_season_span(seasons) if seasons else None)
        if json_out:
            common.print_json(cals)
            return
        console = common.console(False)
        if not cals:
            console.warn("no games in raw.schedule: run `courtside data load` first")
            return
        console.table("season calendar", ["season", "phase", "first", "last", "dates", "games"], as_rows(cals))
