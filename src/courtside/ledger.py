"""The ledger: partitions, runs, batches and leases, kept in the warehouse beside the data.

A partition row is written in the same transaction as the data it describes, so the
ledger can never claim rows that are not there; status is still reconciled with the
tables themselves at plan time (coverage.py), because rows can change behind its back.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

LEDGER_DDL = (
    """CREATE TABLE IF NOT EXISTS ledger.partitions (
        model VARCHAR NOT NULL, game_date DATE NOT NULL, rows BIGINT NOT NULL, expected_rows BIGINT,
        fingerprint VARCHAR NOT NULL, code_version VARCHAR NOT NULL, upstream_fingerprint VARCHAR,
        run_id VARCHAR, written_at TIMESTAMP NOT NULL, PRIMARY KEY (model, game_date))""",
    """CREATE TABLE IF NOT EXISTS ledger.runs (
        run_id VARCHAR PRIMARY KEY, command VARCHAR, plan_hash VARCHAR, started_at TIMESTAMP,
        ended_at TIMESTAMP, outcome VARCHAR, batches_ok INTEGER, batches_failed INTEGER,
        batches_skipped INTEGER, holder VARCHAR)""",
    # wall time of a run beside the makespan its own batch timings simulate: their ratio calibrates ETAs
    "ALTER TABLE ledger.runs ADD COLUMN IF NOT EXISTS wall_s DOUBLE",
    "ALTER TABLE ledger.runs ADD COLUMN IF NOT EXISTS simulated_s DOUBLE",
    """CREATE TABLE IF NOT EXISTS ledger.batches (
        run_id VARCHAR NOT NULL, model VARCHAR NOT NULL, start_date DATE NOT NULL, end_date DATE NOT NULL,
        n_dates INTEGER, rows BIGINT, expected_rows BIGINT, seconds DOUBLE, outcome VARCHAR NOT NULL,
        error VARCHAR, finished_at TIMESTAMP)""",
    # the columns a model's statement produces, by a hash of its SQL and the columns of what it reads (shapes.py)
    """CREATE TABLE IF NOT EXISTS ledger.shapes (
        shape_key VARCHAR PRIMARY KEY, model VARCHAR NOT NULL, columns VARCHAR NOT NULL, written_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS ledger.leases (
        model VARCHAR NOT NULL, game_date DATE NOT NULL, holder VARCHAR NOT NULL,
        expires_at TIMESTAMP NOT NULL, PRIMARY KEY (model, game_date))""",
)


def create_ledger(engine) -> None:
    for ddl in LEDGER_DDL:
        engine.execute(ddl)


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_run(engine, run_id: str, command: str, plan_hash: str | None = None) -> None:
    engine.execute(
        "INSERT INTO ledger.runs (run_id, command, plan_hash, started_at, outcome, holder) "
        "VALUES (?, ?, ?, now(), 'running', ?)",
        [run_id, command, plan_hash, holder_id()],
    )


def end_run(engine, run_id: str, outcome: str, ok: int, failed: int, skipped: int,
            wall_s: float | None = None, simulated_s: float | None = None) -> None:
    engine.execute(
        "UPDATE ledger.runs SET ended_at = now(), outcome = ?, batches_ok = ?, batches_failed = ?, "
        "batches_skipped = ?, wall_s = ?, simulated_s = ? WHERE run_id = ?",
        [outcome, ok, failed, skipped, wall_s, simulated_s, run_id],
    )


def record_batch(engine, run_id, model, start, end, n_dates, rows, expected, seconds, outcome, error=None) -> None:
    engine.execute(
        "INSERT INTO ledger.batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [run_id, model, start, end, n_dates, rows, expected, seconds, outcome, error],
    )


def record_batches(engine, run_id, rows: list[tuple]) -> None:
    """Many batches in one statement: (model, start, end, n_dates, rows, expected, seconds, outcome, error)."""
    if not rows:
        return
    cols = list(zip(*rows))
    engine.execute(
        "INSERT INTO ledger.batches SELECT ?, unnest(?::VARCHAR[]), unnest(?::DATE[]), unnest(?::DATE[]), "
        "unnest(?::INTEGER[]), unnest(?::BIGINT[]), unnest(?::BIGINT[]), unnest(?::DOUBLE[]), unnest(?::VARCHAR[]), "
        "unnest(?::VARCHAR[]), now()",
        [run_id, *[list(c) for c in cols]],
    )


def partitions(engine, model: str | None = None) -> list[dict]:
    where, params = ("WHERE model = ?", [model]) if model else ("", [])
    return engine.fetch_dicts(f"SELECT * FROM ledger.partitions {where} ORDER BY model, game_date", params)


def record_source_partitions(engine, model: str, table: str, run_id: str) -> int:
    """Refresh the ledger rows of a source table from its data, set-based.

    Only dates whose fingerprint changed get a new `written_at`, so a reload of
    identical files cascades nothing downstream.
    """
    fp = engine.fingerprint_expr(table)
    with engine.transaction() as con:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _cs_src AS
            SELECT game_date, count(*) AS rows, CAST(sum({fp}::HUGEINT) AS VARCHAR) AS fingerprint
            FROM {table} t GROUP BY game_date""")
        con.execute("DELETE FROM ledger.partitions p WHERE model = ? AND NOT EXISTS "
                    "(SELECT 1 FROM _cs_src s WHERE s.game_date = p.game_date)", [model])
        con.execute("DELETE FROM ledger.partitions p WHERE model = ? AND EXISTS (SELECT 1 FROM _cs_src s "
                    "WHERE s.game_date = p.game_date AND (s.fingerprint <> p.fingerprint OR s.rows <> p.rows))",
                    [model])
        changed = con.execute("""
            INSERT INTO ledger.partitions
            SELECT ?, s.game_date, s.rows, s.rows, s.fingerprint, 'source', NULL, ?, now()
            FROM _cs_src s WHERE NOT EXISTS
              (SELECT 1 FROM ledger.partitions p WHERE p.model = ? AND p.game_date = s.game_date)""",
                              [model, run_id, model]).fetchone()
        con.execute("DROP TABLE _cs_src")
    return int(changed[0]) if changed else 0
