"""predictions.player_prop_predictions: every system x market for every player-game of the upcoming context.

The python transform of the model: build the batch's input table, run each system (set-based over the
whole date range), apply the one pick rule, and return the rows. Grain (game_date, player_id, system, market).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from courtside.ml.inputs import SAME_DATE_READS, create_inputs
from courtside.ml.markets import MARKET_NAMES
from courtside.ml.systems import HEURISTIC_SYSTEMS, System, decide_sql, ensemble
from courtside.models.registry import SqlRows

if TYPE_CHECKING:
    from courtside.ml.training import WalkForward


def lightgbm(batch) -> None:
    # imported when a batch runs, not when the registry loads: numpy, pandas and LightGBM cost about a
    # second of every command's start-up, and most commands never predict
    from courtside.ml.lgbm import lightgbm as run

    run(batch)


SYSTEMS: tuple[System, ...] = (
    *HEURISTIC_SYSTEMS,
    System("lightgbm", "LightGBM trained walk-forward every two months on the two years before", lightgbm),
    System("ensemble", "fixed-weight mean of the systems above, confidence scaled by their agreement", ensemble),
)
SYSTEM_NAMES = tuple(s.name for s in SYSTEMS)

OUTPUT_DDL = """(game_date DATE, player_id BIGINT, market VARCHAR, system VARCHAR, predicted_value DOUBLE,
                 confidence DOUBLE, feature_set VARCHAR, model_key VARCHAR, factors VARCHAR)"""


@dataclass
class Batch:
    engine: object
    start: object
    end: object
    inputs: str
    outputs: str
    trainer: WalkForward | None = None


def engine_of(ctx):
    return getattr(ctx, "engine", ctx)


def predict(ctx, start, end) -> SqlRows:
    """The model's transform: the rows of predictions.player_prop_predictions, as a SELECT over the batch's
    temp tables, which the build drops once it has written them (3.5M rows of a full build never leave
    DuckDB: through Arrow and back they cost about 2.5 s)."""
    engine = engine_of(ctx)
    tag = uuid.uuid4().hex[:8]
    from courtside.ml.training import WalkForward

    batch = Batch(engine, start, end, f"_cs_pin_{tag}", f"_cs_pout_{tag}")
    batch.trainer = WalkForward(engine)

    def drop() -> None:
        engine.execute(f"DROP TABLE IF EXISTS {batch.inputs}")
        engine.execute(f"DROP TABLE IF EXISTS {batch.outputs}")

    try:
        create_inputs(engine, batch.inputs, start, end)
        engine.execute(f"CREATE TEMP TABLE {batch.outputs} {OUTPUT_DDL}")
        for system in SYSTEMS:
            system.run(batch)
    except BaseException:
        drop()
        raise
    predict.last_stats = {"trained": batch.trainer.trained, "reused": batch.trainer.reused,
                          "train_seconds": round(batch.trainer.train_seconds, 2)}
    # no ORDER BY: the table is written as a set (the ledger fingerprint is order-independent), and
    # sorting 600k rows by four keys cost more than any system
    return SqlRows(decide_sql(batch), drop)


EXPECTED = f"""
SELECT game_date, {len(SYSTEM_NAMES) * len(MARKET_NAMES)} * count(*) AS expected
FROM analytics.upcoming_player_game_context WHERE game_date BETWEEN $start AND $end GROUP BY 1
"""

# Everything the transform reads: the batch's own dates, plus history for similarity and training.
READS = tuple(dict.fromkeys((*SAME_DATE_READS, "analytics.player_game_summary")))


def _ml_code_version() -> str:
    """A hash of the source of every ml/ module the transform runs (read as files: importing them
    would load LightGBM)."""
    import hashlib

    here = Path(__file__).parent
    blob = "".join((here / f"{m}.py").read_text() for m in ("baselines", "feature_contract", "inputs", "lgbm",
                                                            "markets", "model_frame", "systems", "training"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


ML_CODE_VERSION = _ml_code_version()
