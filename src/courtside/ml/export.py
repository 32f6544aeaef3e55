"""`export ml-ready`: the feature store and its targets as Parquet, with the feature contract beside it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from courtside.errors import CourtsideError
from courtside.ml.feature_contract import FEATURE_NAMES, defaulted_names_sql, to_dict
from courtside.ml.markets import target_unpivot_sql


@dataclass
class ExportResult:
    parquet: str
    contract: str
    rows: int
    seasons: list[str]
    first_date: str | None
    last_date: str | None


def export_ml_ready(engine, seasons: list[str], out: Path) -> ExportResult:
    if not engine.table_exists("precompute.ml_feature_store"):
        raise CourtsideError("precompute.ml_feature_store does not exist in this warehouse; "
                             "run `courtside backfill --target features` first")
    out.mkdir(parents=True, exist_ok=True)
    name = f"ml_ready_{seasons[0]}_{seasons[-1]}" if seasons else "ml_ready"
    parquet, contract = out / f"{name}.parquet", out / "feature_contract.json"
    features = ", ".join(f'f."{c}"' for c in FEATURE_NAMES)
    # targets: what the player then did (NULL for DNP / no box: a row to predict, not to train on)
    query = f"""
        SELECT f.game_date, f.season, f.season_type, f.game_id, f.player_id, f.player_lookup, f.team_abbr,
               f.opponent_abbr, f.feature_version, {features},
               {defaulted_names_sql('f.defaulted_mask')} AS defaulted_features, f.default_feature_count,
               f.feature_quality_score, f.is_quality_ready,
               g.player_id IS NOT NULL AND NOT coalesce(g.is_dnp, FALSE) AND coalesce(g.minutes, 0) > 0 AS played,
               g.minutes AS target_minutes,
               {target_unpivot_sql('g').replace(' AS points', ' AS target_points')
                                        .replace(' AS threes', ' AS target_threes')
                                        .replace(' AS pra', ' AS target_pra')}
        FROM precompute.ml_feature_store f
        LEFT JOIN analytics.player_game_summary g ON g.game_date = f.game_date AND g.player_id = f.player_id
        WHERE f.season IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY f.game_date, f.player_id"""
    table = engine.con.execute(query, [seasons]).to_arrow_table()
    import pyarrow.parquet as pq

    pq.write_table(table, parquet, compression="zstd")
    payload = to_dict()
    payload["targets"] = {"target_points": "pts", "target_threes": "fg3m (NULL where the box has no threes)",
                          "target_pra": "pts + reb + ast", "played": "box score with minutes > 0, not DNP"}
    contract.write_text(json.dumps(payload, indent=2) + "\n")
    dates = table.column("game_date").to_pylist() if table.num_rows else []
    return ExportResult(str(parquet), str(contract), table.num_rows, seasons,
                        str(min(dates)) if dates else None, str(max(dates)) if dates else None)
