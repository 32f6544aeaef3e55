"""Where the data and the warehouse live (flags first, then environment, then defaults)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = "courtside.duckdb"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The folder holding the public NBA files (`COURTSIDE_DATA`, else ../shared/nba-data)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("COURTSIDE_DATA")
    if env:
        return Path(env)
    for candidate in (Path("../shared/nba-data"), Path("../../shared/nba-data")):
        if candidate.is_dir():
            return candidate.resolve()
    return Path("../shared/nba-data")


def warehouse_path(explicit: str | Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("COURTSIDE_WAREHOUSE", DEFAULT_WAREHOUSE))
