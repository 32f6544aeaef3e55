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


# -- the real data loaded once per session (raw layer) ------------------------------------------

@pytest.fixture(scope="session")
def loaded_warehouse(tmp_path_factory, data_dir) -> Path:
    """A DuckDB file with every source loaded (load_all), built once per session. Do not mutate:
    use `loaded_copy` for tests that write."""
    from courtside.project import Project
    from courtside.sources.load import load_all

    path = tmp_path_factory.mktemp("loaded") / "loaded.duckdb"
    project = Project(path, data_dir)
    try:
        load_all(project.engine, data_dir)
    finally:
        project.close()  # closed before anyone copies the file
    return path


@pytest.fixture
def loaded_copy(loaded_warehouse, tmp_path) -> Path:
    """A fresh copy of the loaded warehouse for a test that writes."""
    import shutil

    target = tmp_path / "loaded_copy.duckdb"
    shutil.copy(loaded_warehouse, target)
    return target
