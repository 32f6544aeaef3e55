"""`courtside build`: run one model over a date range (the write primitive, no planning)."""

from __future__ import annotations

import typer

from courtside.cli import common


def register(app: typer.Typer) -> None:
    @app.command()
    def build(
        model: str = typer.Option(..., "--model", "-m", help="Model name, e.g. player_game_summary."),
        start: str = typer.Option(..., "--start"),
        end: str = typer.Option(..., "--end"),
        warehouse: common.Warehouse = None,
        json_out: common.Json = False,
        wait: common.Wait = 0.0,
    ) -> None:
        """Build one model for every game date from --start to --end; stops and names any missing upstream (table, dates)."""
        from courtside.build import build as run_build
        from courtside.dates import parse_date_range
        from courtside.ledger import end_run, new_run_id, start_run
        from courtside.project import Project

        with common.handled():
            first, last = parse_date_range(start, end)   # a usage error records no run
        with common.handled(), Project(warehouse, wait_seconds=wait) as project:
            run_id = new_run_id()
            start_run(project.engine, run_id, f"build {model}")
            try:
                result = run_build(project.engine, project.registry, model, first, last, run_id, context=project)
            except Exception:
                end_run(project.engine, run_id, "failed", 0, 1, 0)
                raise
            end_run(project.engine, run_id, "ok", 1, 0, 0)
            if json_out:
                common.print_json(result)
            else:
                typer.echo(f"{result.model}: {result.dates} dates, {result.rows} rows "
                           f"(expected {result.expected}) in {result.seconds:.2f}s")
