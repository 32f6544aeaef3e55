"""Options defined once, JSON output, and the one-red-line error handling every command shares."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer

from courtside.errors import CourtsideError  # noqa: F401  (re-exported for commands)

Warehouse = Annotated[Optional[Path], typer.Option("--warehouse", "-w", help="DuckDB file (env COURTSIDE_WAREHOUSE).")]
Data = Annotated[Optional[Path], typer.Option("--data", help="Folder of the public NBA files (env COURTSIDE_DATA).")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
Start = Annotated[Optional[str], typer.Option("--start", help="First game date (YYYY-MM-DD).")]
End = Annotated[Optional[str], typer.Option("--end", help="Last game date, inclusive (YYYY-MM-DD).")]
Seasons = Annotated[Optional[str], typer.Option("--seasons", help="Season or span, e.g. 2021-22:2023-24.")]
Phase = Annotated[str, typer.Option("--phase", help="regular | play-in | playoffs | all")]
Wait = Annotated[float, typer.Option("--wait", help="Seconds to wait while another process holds the warehouse.")]


def _default(o: Any) -> Any:
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, set):
        return sorted(o)
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, default=_default, indent=2) + "\n")


@contextmanager
def handled(debug: bool = False) -> Iterator[None]:
    """Known errors print one red line and exit 1; unknown ones keep their traceback."""
    try:
        yield
    except CourtsideError as exc:
        if debug:
            raise
        from rich.console import Console

        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def console(json_mode: bool):
    from courtside.console import NullConsole, RichConsole

    return NullConsole() if json_mode else RichConsole()
