"""`courtside data ...`: load the public files into the raw layer (`data pull` lives in pull_cmd.py)."""

from __future__ import annotations

import typer

from courtside.cli import common

data_app = typer.Typer(no_args_is_help=True, help="Source data: load the public files into the warehouse, pull them.")


@data_app.command("load")
def load(
    data: common.Data = None,
    warehouse: common.Warehouse = None,
    json_out: common.Json = False,
    wait: common.Wait = 0.0,
) -> None:
    """Load every source file (idempotent); print rows, games, dates and rejects per table and season."""
    from courtside.project import Project

    console = common.console(json_out)
    with common.handled(), Project(warehouse, data, console, wait_seconds=wait) as project:
        report = load_project_data(project, console)
    if json_out:
        common.print_json(report)
    else:
        _print(console, report)
    if report.errors:
        raise typer.Exit(1)


def load_project_data(project, console):
    """Load the project's data folder into its warehouse (shared by `data load` and `run`)."""
    from courtside.sources.load import load_all

    return load_all(project.engine, project.data_dir, console)


def _print(console, report) -> None:
    loaded = [f for f in report.files if f.status == "loaded"]
    console.info(f"{len(report.files)} files: {len(loaded)} loaded, "
                 f"{sum(f.status == 'unchanged' for f in report.files)} unchanged, "
                 f"{sum(f.status == 'refused' for f in report.files)} refused  ({report.seconds:.1f}s)")
    console.table("raw tables", ["table", "season", "rows", "games", "first", "last"],
                  [[t.table, t.season, t.rows, t.games, t.first_date, t.last_date] for t in report.tables])
    console.table("rejects (rows in raw.rejects)", ["target", "rows"], [[k, v] for k, v in report.rejects.items()])
    console.table("prop name resolution", ["file", "market", "rows", "player %", "game %"],
                  [[r["file"], r["market"], r["rows"], f"{100 * r['player_rate']:.1f}", f"{100 * r['game_rate']:.1f}"]
                   for r in report.prop_resolution])
    for err in report.errors:
        console.warn(f"refused: {err}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
