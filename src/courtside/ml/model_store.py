"""predictions.trained_models: every walk-forward model, stored with its window, features and metrics,
and reused instead of retrained when nothing it depends on changed.

The key is a hash of: market, feature set, the training window's end (exclusive), the training code
version and a fingerprint of the training data - the ledger fingerprints of every feature-store and
box-score partition before the window end. Rebuilding any of those partitions with different content
changes the key, so a stale model can never be picked up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

DDL = """
CREATE TABLE IF NOT EXISTS predictions.trained_models (
    model_key VARCHAR PRIMARY KEY, market VARCHAR NOT NULL, feature_set VARCHAR NOT NULL,
    train_start DATE, train_end DATE NOT NULL,           -- trained on game dates in [train_start, train_end)
    last_train_date DATE, n_rows INTEGER NOT NULL, features VARCHAR NOT NULL, params VARCHAR NOT NULL,
    metrics VARCHAR NOT NULL, code_version VARCHAR NOT NULL, data_fingerprint VARCHAR NOT NULL,
    model_text VARCHAR NOT NULL, seconds DOUBLE, trained_at TIMESTAMP NOT NULL)
"""

TRAINING_SOURCES = ("precompute.ml_feature_store", "analytics.player_game_summary", "predictions.player_baselines",
                    "analytics.upcoming_player_game_context")


@dataclass(frozen=True)
class StoredModel:
    model_key: str
    market: str
    feature_set: str
    train_start: dt.date | None
    train_end: dt.date
    last_train_date: dt.date | None
    n_rows: int
    features: list[str]
    params: dict
    metrics: dict
    model_text: str


def ensure_store(engine) -> None:
    engine.execute(DDL)


def data_fingerprints(engine, train_ends: list[dt.date]) -> dict[dt.date, str]:
    """Per window end, one fingerprint of every training-source partition before it (set-based)."""
    if not train_ends:
        return {}
    values = ", ".join(f"(DATE '{d.isoformat()}')" for d in sorted(set(train_ends)))
    sources = ", ".join(f"'{s}'" for s in TRAINING_SOURCES)
    rows = engine.fetchall(f"""
        SELECT e.train_end, CAST(coalesce(sum(hash(p.model, p.game_date, p.fingerprint)::HUGEINT), 0) AS VARCHAR)
        FROM (VALUES {values}) AS e(train_end)
        LEFT JOIN ledger.partitions p ON p.model IN ({sources}) AND p.game_date < e.train_end
        GROUP BY e.train_end""")
    return {r[0]: r[1] for r in rows}


def model_key(market: str, feature_set: str, train_end: dt.date, code_version: str, fingerprint: str) -> str:
    blob = json.dumps([market, feature_set, train_end.isoformat(), code_version, fingerprint]).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def load_models(engine, keys: list[str]) -> dict[str, StoredModel]:
    if not keys:
        return {}
    rows = engine.fetch_dicts(
        "SELECT * FROM predictions.trained_models WHERE model_key IN (SELECT unnest(?::VARCHAR[]))", [keys])
    return {r["model_key"]: _stored(r) for r in rows}


def save_model(engine, key: str, code_version: str, fingerprint: str, m: StoredModel, seconds: float) -> None:
    # ON CONFLICT DO NOTHING: two batches training the same window concurrently store one copy.
    engine.execute(
        "INSERT INTO predictions.trained_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
        "ON CONFLICT DO NOTHING",
        [key, m.market, m.feature_set, m.train_start, m.train_end, m.last_train_date, m.n_rows,
         json.dumps(m.features), json.dumps(m.params, sort_keys=True), json.dumps(m.metrics, sort_keys=True),
         code_version, fingerprint, m.model_text, seconds])


def _stored(r: dict) -> StoredModel:
    return StoredModel(r["model_key"], r["market"], r["feature_set"], r["train_start"], r["train_end"],
                       r["last_train_date"], r["n_rows"], json.loads(r["features"]), json.loads(r["params"]),
                       json.loads(r["metrics"]), r["model_text"])
