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
    first_date: str
    last_date: str
    game_dates: int            # game dates with feature rows in the file
    calendar_game_dates: int   # game dates of those seasons in the calendar: more means a partial export


def export_ml_ready(engine, seasons: list[str], out: Path) -> ExportResult:
    if not engine.table_exists("precompute.ml_feature_store"):
        raise CourtsideError("precompute.ml_feature_store does not exist in this warehouse; "
                             "run `courtside backfill --target features` first")
    name = f"ml_ready_{seasons[0]}_{seasons[-1]}" if seasons else "ml_ready"
    parquet, contract = out / f"{name}.parquet", out / "feature_contract.json"
    features = ", ".join(f'f."{c}"' for c in FEATURE_NAMES)
    # targets: what the player then did; all NULL unless he played (a DNP, a zero-minute box or no box: a row to
    # predict, not to train on). `played` is the training frame's rule: not DNP, minutes > 0.
    query = f"""
        SELECT f.game_date, f.season, f.season_type, f.game_id, f.player_id, f.player_lookup, f.team_abbr,
               f.opponent_abbr, f.feature_version, {features},
               {defaulted_names_sql('f.defaulted_mask')} AS defaulted_features, f.default_feature_count,
               f.feature_quality_score, f.is_quality_ready,
               g.player_id IS NOT NULL AS played,
               g.minutes AS target_minutes,
               {target_unpivot_sql('g').replace(' AS points', ' AS target_points')
                                        .replace(' AS threes', ' AS target_threes')
                                        .replace(' AS pra', ' AS target_pra')}
        FROM precompute.ml_feature_store f
        LEFT JOIN (SELECT * FROM analytics.player_game_summary WHERE NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0) g
          ON g.game_date = f.game_date AND g.player_id = f.player_id
        WHERE f.season IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY f.game_date, f.player_id"""
    table = engine.arrow(query, [seasons])
    if not table.num_rows:
        built = [r[0] for r in engine.fetchall("SELECT DISTINCT season FROM precompute.ml_feature_store ORDER BY 1")]
        raise CourtsideError(f"no feature-store rows for {', '.join(seasons)}; nothing written. Seasons built: "
                             f"{', '.join(built) or 'none'} (`courtside backfill --target features --seasons A:B`)")
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, parquet, compression="zstd")
    payload = to_dict()
    payload["targets"] = {"target_points": "pts", "target_threes": "fg3m (NULL where the box has no threes)",
                          "target_pra": "pts + reb + ast", "played": "box score with minutes > 0, not DNP"}
    contract.write_text(json.dumps(payload, indent=2) + "\n")
    dates = pc.unique(table.column("game_date"))
    calendar = engine.scalar("SELECT count(*) FROM raw.game_dates WHERE season IN (SELECT unnest(?::VARCHAR[]))",
                             [seasons])
    return ExportResult(str(parquet), str(contract), table.num_rows, seasons, str(pc.min(dates)), str(pc.max(dates)),
                        len(dates), int(calendar))
