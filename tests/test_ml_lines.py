"""predictions.prop_lines on crafted snapshots: pre-tip only, latest, main line, consensus, movement."""

from __future__ import annotations

import datetime as dt

import pytest

from courtside.build import build
from courtside.engine import Engine
from courtside.errors import ModelError
from courtside.models.grading.prop_lines_attested import MODEL as ATTESTED
from courtside.models.predictions.prop_lines import MODEL as LINES
from courtside.models.raw.sources import MODELS as SOURCES
from courtside.models.registry import Edge, Registry, Window, check_edges
from courtside.project import setup_warehouse

D = dt.date(2025, 1, 10)
TIP = dt.datetime(2025, 1, 11, 0, 30)


@pytest.fixture
def engine(tmp_path):
    eng = Engine(tmp_path / "w.duckdb")
    setup_warehouse(eng)
    eng.execute("INSERT INTO raw.schedule VALUES ('0022400500', ?, '2024-25', 'regular', 'BOS', 'NYK', NULL, NULL,"
                " 'scheduled', 't', 'f', 1, now())", [D])
    yield eng
    eng.close()


def prop(eng, book, line, over, under, snap, tip=TIP, player=1, market="threes"):
    eng.execute("INSERT INTO raw.player_props VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'BOS', 'NYK', '0022400500', 'P', 'p', ?,"
                " 't', 'f', 1, now())", [market, book, line, over, under, snap, tip, D, player])


def lines(eng, model=LINES):
    build(eng, Registry([*SOURCES, model]), model, D, D, "r")
    return {(r["player_id"], r["market"], r["book"]): r
            for r in eng.fetch_dicts(f"SELECT * FROM {model.table}")}


def test_edges_match_sql():
    check_edges(LINES)
    check_edges(ATTESTED)


def test_latest_pre_tip_snapshot_wins_and_in_game_is_ignored(engine):
    prop(engine, "draftkings", 2.5, -110, -110, TIP - dt.timedelta(hours=6))
    prop(engine, "draftkings", 3.5, -105, -115, TIP - dt.timedelta(minutes=10))
    prop(engine, "draftkings", 9.5, -110, -110, TIP + dt.timedelta(minutes=20))  # in-game: must be ignored
    out = lines(engine)
    dk = out[(1, "threes", "draftkings")]
    assert dk["line_value"] == 3.5 and dk["snapshot_rule"] == "pre_tip_verified"
    assert dk["n_snapshots"] == 2 and dk["opening_line"] == 2.5 and dk["line_move"] == 1.0
    assert out[(1, "threes", "consensus")]["line_value"] == 3.5


def test_main_line_is_closest_to_even_among_alternates(engine):
    snap = TIP - dt.timedelta(hours=3)
    prop(engine, "bovada", 1.5, -300, 220, snap)
    prop(engine, "bovada", 2.5, -115, -105, snap)
    prop(engine, "bovada", 3.5, 180, -240, snap)
    assert lines(engine)[(1, "threes", "bovada")]["line_value"] == 2.5


def test_consensus_is_median_with_books(engine):
    snap = TIP - dt.timedelta(hours=2)
    for book, line in (("fanduel", 2.5), ("draftkings", 2.5), ("betmgm", 3.5)):
        prop(engine, book, line, -110, -110, snap)
    c = lines(engine)[(1, "threes", "consensus")]
    assert c["line_value"] == 2.5 and c["n_books"] == 3 and c["source_books"] == "betmgm,draftkings,fanduel"
    assert c["is_consensus"]


def test_unproven_snapshots_are_no_lines_but_are_kept_labelled_for_grading(engine):
    prop(engine, "fanduel", 4.5, -110, -110, None)                                   # untimed
    prop(engine, "fanduel", 2.5, -110, -110, TIP - dt.timedelta(hours=1))            # timed wins
    prop(engine, "betmgm", 1.5, -110, -110, None, tip=None, player=2)                # untimed only
    prop(engine, "caesars", 20.5, -110, -110, dt.datetime(2025, 1, 10, 20), tip=None, player=3, market="pra")
    prop(engine, "caesars", 27.5, -110, -110, dt.datetime(2025, 1, 11, 3), tip=None, player=3, market="pra")
    engine.execute("UPDATE raw.player_props SET tipoff_at = NULL, home_team = 'LAL' WHERE player_id = 3")
    proven = lines(engine)
    assert proven[(1, "threes", "fanduel")]["line_value"] == 2.5
    assert {k[0] for k in proven} == {1}, "a snapshot not proven pre-tip must never be a line"
    attested = lines(engine, ATTESTED)
    assert attested[(1, "threes", "fanduel")]["line_value"] == 2.5
    assert attested[(1, "threes", "fanduel")]["snapshot_rule"] == "pre_tip_verified"
    assert attested[(2, "threes", "betmgm")]["line_value"] == 1.5
    assert attested[(2, "threes", "betmgm")]["snapshot_rule"] == "untimed"
    pra = attested[(3, "pra", "caesars")]
    assert pra["line_value"] == 20.5 and pra["snapshot_rule"] == "tip_unknown_earliest"


def test_tipoff_known_from_another_row_of_the_same_game(engine):
    # player 2's PRA rows carry no tip-off; player 1's threes rows of the same game do
    prop(engine, "draftkings", 2.5, -110, -110, TIP - dt.timedelta(hours=1))
    prop(engine, "caesars", 8.5, -110, -110, TIP + dt.timedelta(hours=1), tip=None)  # in-game once tip is known
    prop(engine, "caesars", 24.5, -110, -110, TIP - dt.timedelta(minutes=4), tip=None, player=2, market="pra")
    prop(engine, "caesars", 30.5, -110, -110, TIP + dt.timedelta(minutes=4), tip=None, player=2, market="pra")
    for model in (LINES, ATTESTED):
        out = lines(engine, model)
        assert (1, "threes", "caesars") not in out
        assert out[(1, "threes", "consensus")]["line_value"] == 2.5
        pra = out[(2, "pra", "caesars")]
        assert pra["line_value"] == 24.5 and pra["snapshot_rule"] == "pre_tip_verified"


def test_no_pre_game_model_may_read_the_grading_only_lines():
    from dataclasses import replace

    reader = replace(LINES, name="predictions.reads_attested", sql="SELECT * FROM grading.prop_lines_attested",
                     edges=(Edge("grading.prop_lines_attested", Window.same_date()),))
    with pytest.raises(ModelError, match="grading-only"):
        Registry([*SOURCES, ATTESTED, reader])


def test_no_props_no_lines(engine):
    assert lines(engine) == {}
