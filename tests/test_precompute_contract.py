"""The feature contract and the precompute model definitions (no warehouse needed)."""

from __future__ import annotations

import json

from courtside.ml import feature_contract as fc
from courtside.models.precompute import ml_feature_store, player_composite_factors
from courtside.models.registry import check_edges, tables_read

PRECOMPUTE = ("team_defense_zone_analysis", "player_shot_zone_analysis", "player_composite_factors",
              "player_daily_cache", "ml_feature_store")


def test_contract_is_ordered_unique_and_versioned():
    names = [f.name for f in fc.FEATURES]
    assert len(names) == len(set(names)) == fc.FEATURE_COUNT
    assert fc.FEATURE_VERSION.endswith(f"_{fc.FEATURE_COUNT}features")
    assert names[:5] == ["points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10",
                         "games_in_last_7_days"]
    # the history features the threes and PRA markets need
    assert {"reb_avg_last_10", "ast_avg_last_10", "fg3m_avg_last_10", "pra_avg_last_10"} <= set(names)
    # vegas features are never defaulted to a placeholder line
    for f in fc.FEATURES:
        if f.name.startswith("vegas_") and f.name != "vegas_line_move":
            assert f.default is None and f.optional, f.name
    assert not set(fc.UNSUPPORTED) & set(names)


def test_contract_json_round_trips():
    doc = json.loads(fc.to_json())
    assert doc["feature_version"] == fc.FEATURE_VERSION
    assert [f["name"] for f in doc["features"]] == list(fc.FEATURE_NAMES)
    assert [f["index"] for f in doc["features"]] == list(range(fc.FEATURE_COUNT))
    assert {"name", "description", "source", "default", "optional"} <= set(doc["features"][0])


def test_defaulted_mask_decodes_to_the_null_features():
    # bit i of defaulted_mask is FEATURES[i]; Python and SQL decode it the same way
    assert fc.defaulted_names(0) == []
    assert fc.defaulted_names(1 | 4) == [fc.FEATURE_NAMES[0], fc.FEATURE_NAMES[2]]
    assert fc.defaulted_names((1 << fc.FEATURE_COUNT) - 1) == list(fc.FEATURE_NAMES)
    from courtside.engine.duckdb import Engine

    mask = (1 << 1) | (1 << (fc.FEATURE_COUNT - 1))
    got = Engine().scalar(f"SELECT {fc.defaulted_names_sql(str(mask))}")
    assert got == fc.defaulted_names(mask) == [fc.FEATURE_NAMES[1], fc.FEATURE_NAMES[-1]]


def test_feature_store_columns_follow_the_contract():
    assert tuple(ml_feature_store.EXPRESSIONS) == fc.FEATURE_NAMES
    # every contract source is a table the feature store actually reads (or the store itself computes it)
    read = tables_read(ml_feature_store.MODEL.sql)
    assert {f.source for f in fc.FEATURES} <= read
    assert ml_feature_store.MODEL.params["feature_version"] == fc.FEATURE_VERSION


def test_precompute_models_declare_exactly_what_they_read():
    import importlib

    for name in PRECOMPUTE:
        model = importlib.import_module(f"courtside.models.precompute.{name}").MODEL
        assert model.name == f"precompute.{name}" and model.layer == "precompute"
        assert model.grain[0] == "game_date" and model.expected and model.checks
        check_edges(model)
        for edge in model.edges:  # history is read strictly before D; other tables only on D
            if edge.upstream.startswith("precompute.") or "upcoming" in edge.upstream:
                assert edge.window.kind == "same_date", (name, edge)


def test_composite_clamps_are_declared():
    checks = {c.column: (c.low, c.high) for c in player_composite_factors.MODEL.checks if c.kind == "range"}
    assert checks["fatigue_score"] == (0, 100)
    assert checks["fatigue_adjustment"] == (-5, 0)
    assert checks["shot_zone_mismatch_score"] == (-10, 10)
    assert checks["pace_score"] == (-3, 3)
    assert checks["usage_spike_score"] == (-3, 3)
