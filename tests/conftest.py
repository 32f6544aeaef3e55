"""Shared fixtures: the real data folder, fresh warehouses in tmp_path, and a loaded warehouse built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find_data() -> Path:
    env = os.environ.get("COURTSIDE_DATA")
    if env:
        return Path(env)
    for cand in (REPO.parent / "shared" / "nba-data", REPO.parent.parent / "shared" / "nba-data"):
        if cand.is_dir():
            return cand
    raise RuntimeError("set COURTSIDE_DATA to the nba-data folder")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _find_data()


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "test.duckdb"
