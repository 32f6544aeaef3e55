"""The `courtside` command: Typer commands of a few lines each, over the library."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="NBA player-prop analytics with a backfill planner that knows what exists.")



@app.callback()
def _root() -> None:
    """NBA player-prop analytics with a backfill planner that knows what exists."""


# Each module registers its commands on `app`; one module per capability keeps them small.
COMMAND_MODULES = ("data", "pull_cmd", "calendar_cmd", "build_cmd", "planning", "ml_cmd", "sql_cmd", "run_cmd")
for _name in COMMAND_MODULES:
    importlib.import_module(f"courtside.cli.{_name}").register(app)


def main() -> None:
    app()
