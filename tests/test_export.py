"""`courtside export ml-ready` on the real data, as a user runs it: a week of 2023-24 backfilled to `features`,
then exported and read back with pandas. The features are the feature store's, column for column in the
contract's order; the targets are what the raw box scores say; an export of nothing is an error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from courtside.ml.feature_contract import FEATURE_NAMES, FEATURE_VERSION
from courtside.project import Project

CLI = str(Path(sys.executable).with_name("courtside"))
START, END = "2024-01-08", "2024-01-14"


def courtside(*args: str, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args, "--warehouse", str(warehouse)], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def features_week(tmp_path_factory, loaded_warehouse) -> Path:
    path = tmp_path_factory.mktemp("export") / "w.duckdb"
    shutil.copy(loaded_warehouse, path)
    run = courtside("backfill", "--target", "features", "--start", START, "--end", END, warehouse=path)
    assert run.returncode == 0, run.stderr
    return path


def test_export_is_the_feature_store_with_targets_from_the_boxes(features_week, tmp_path):
    out = tmp_path / "out"
    run = courtside("export", "ml-ready", "--seasons", "2023-24", "--out", str(out), "--json", warehouse=features_week)
    assert run.returncode == 0, run.stderr
    assert "Warning" not in run.stderr
    result = json.loads(run.stdout)
    assert (result["first_date"], result["last_date"], result["game_dates"]) == (START, END, 7)
    assert result["calendar_game_dates"] > 150            # a week of the season: a partial export, and it says so

    frame = pd.read_parquet(result["parquet"])
    contract = json.loads(Path(result["contract"]).read_text())
    assert [f["name"] for f in contract["features"]] == list(FEATURE_NAMES)
    assert contract["feature_version"] == FEATURE_VERSION and set(frame.feature_version) == {FEATURE_VERSION}
    cols = list(frame.columns)
    assert cols[cols.index(FEATURE_NAMES[0]):][:len(FEATURE_NAMES)] == list(FEATURE_NAMES)
    assert {"played", "target_minutes", "target_points", "target_threes", "target_pra"} <= set(cols)

    with Project(features_week) as p:
        store = p.engine.fetch_df("SELECT * FROM precompute.ml_feature_store WHERE season = '2023-24'")
        boxes = p.engine.fetch_df(f"""SELECT game_date, player_id, dnp, minutes, pts, reb, ast, fg3m
                                      FROM raw.player_boxscores WHERE game_date BETWEEN '{START}' AND '{END}'""")
    assert len(frame) == len(store) == result["rows"] > 1000
    key = ["game_date", "player_id"]
    for df in (frame, store, boxes):
        df["game_date"] = pd.to_datetime(df["game_date"])
    both = frame.merge(store, on=key, suffixes=("", "_store"), validate="one_to_one")
    assert len(both) == len(frame)
    for f in FEATURE_NAMES:
        np.testing.assert_array_equal(both[f].to_numpy(float), both[f + "_store"].to_numpy(float), err_msg=f)
    # defaulted_features names exactly the features that are NULL in the row
    nulls = frame[list(FEATURE_NAMES)].isna().to_numpy()
    named = [list(names) for names in frame.defaulted_features]
    assert named == [[f for f, n in zip(FEATURE_NAMES, row) if n] for row in nulls]
    assert len({len(n) for n in named}) > 1          # rows differ in what they lack

    # targets: what the raw box score says; nothing for a player without a played game that day
    t = frame.merge(boxes, on=key, how="left", validate="one_to_one")
    played = t.pts.notna() & ~t.dnp.fillna(False).astype(bool) & (t.minutes.fillna(0) > 0)
    assert (t.played == played).all() and 0 < played.sum() < len(t)   # an upcoming player may sit
    p = t[played]
    assert (p.target_points == p.pts).all() and (p.target_pra == p.pts + p.reb + p.ast).all()
    assert (p.target_threes == p.fg3m).all() and (p.target_minutes == p.minutes).all()
    assert t.loc[~played, ["target_minutes", "target_points", "target_threes", "target_pra"]].isna().all().all()
    assert ((t.minutes == 0) & ~t.dnp.astype(bool) & ~played).any()    # a zero-minute box is not a target of 0


def test_export_of_seasons_without_features_is_an_error_and_writes_nothing(features_week, tmp_path):
    out = tmp_path / "nothing"
    run = courtside("export", "ml-ready", "--seasons", "2021-22:2022-23", "--out", str(out), warehouse=features_week)
    assert run.returncode == 1
    assert "no feature-store rows for 2021-22, 2022-23" in run.stderr and "2023-24" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def test_partial_export_says_so(features_week, tmp_path):
    run = courtside("export", "ml-ready", "--seasons", "2023-24", "--out", str(tmp_path), warehouse=features_week)
    assert run.returncode == 0 and "7 game dates" in run.stdout
    assert "partial: the feature store has 7 of the" in run.stderr
