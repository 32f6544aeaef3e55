"""The DuckDB adapter: owns the connection, transactions and the few engine-specific operations.

Nothing else in courtside opens DuckDB. Threads get their own cursor on the one
connection (DuckDB's single-writer model: concurrent transactions in one process are
fine as long as they touch different rows; other processes wait for the file lock).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import duckdb

from courtside.errors import WarehouseBusy, WarehouseError

SCHEMAS = ("raw", "analytics", "precompute", "predictions", "grading", "ledger")
# The warehouse file is ATTACHed under this name (and made the default catalog), not opened as the
# main database: only ATTACH takes a row group size.
CATALOG = "courtside"
# Half DuckDB's default of 122,880 rows: a model table of ~240k rows is written as four row groups,
# compressed two at a time, instead of two row groups of which a partial one waits for the other.
# Building the ten models took 5.2-5.8 s instead of 6.4-7.4 s (back to back, same machine): writing the
# rows went from 41% to 19% of the models' statements (benchmarks/bench_write_cost.py). 40,960 and 81,920
# were no better.
ROW_GROUP_SIZE = 61_440
# Threads that run reads beside a transaction (Engine.read_beside): one per caller at a time, and the
# executor runs two workers.
BESIDE_THREADS = 4
# Parsed statements kept per warehouse (Engine.statement): a process builds a few dozen models at most.
PARSED_STATEMENTS = 256

T = TypeVar("T")


class Engine:
    """A DuckDB warehouse file (or ':memory:')."""

    dialect = "duckdb"

    def __init__(self, path: str | Path = ":memory:", *, wait_seconds: float = 0.0, threads: int | None = None):
        self.path = str(path)
        self._con = _open(self.path, wait_seconds)
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        # DuckDB plans an ASOF join as a nested loop when it estimates the probe side small; on a
        # warehouse cut back to one date (the daily path) that estimate is badly low and one model
        # went from 9 s to 300 s. Always use the ASOF operator.
        self._con.execute("SET GLOBAL asof_loop_join_threshold = 0")
        self._local = threading.local()
        self._beside: ThreadPoolExecutor | None = None
        self._beside_lock = threading.Lock()
        self._parsed: dict[str, Any] = {}
        self._parse_lock = threading.Lock()
        for schema in SCHEMAS:
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    # -- connections -------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared connection."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute(f"USE {CATALOG}")   # a cursor starts in the in-memory main catalog
            self._local.cur = cur
        return cur

    def read_beside(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> Future[T]:
        """fn(cursor), run on a background thread with a second cursor of this thread, in a read transaction
        whose snapshot is taken before this returns: a transaction this thread begins afterwards sees everything
        fn sees (and whatever was committed in between). The future must be waited for before this thread's next
        read_beside: the second cursor is the thread's own."""
        cur = getattr(self._local, "beside", None)
        if cur is None:
            cur = self._local.beside = self._con.cursor()
            cur.execute(f"USE {CATALOG}")
        taken = threading.Event()

        def run() -> T:
            try:
                cur.execute("BEGIN TRANSACTION")
                # DuckDB takes the snapshot at the first statement that reads the database, not at BEGIN
                cur.execute("SELECT current_database()")
            finally:
                taken.set()
            try:
                return fn(cur)
            finally:
                cur.execute("ROLLBACK")

        with self._beside_lock:
            if self._beside is None:
                self._beside = ThreadPoolExecutor(BESIDE_THREADS, thread_name_prefix="courtside-beside")
        future = self._beside.submit(run)
        taken.wait()
        return future

    def close(self) -> None:
        if self._beside is not None:
            self._beside.shutdown(wait=True)
        self._con.close()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """BEGIN ... COMMIT on this thread's cursor; ROLLBACK on any error."""
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # -- queries -----------------------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> None:
        self.con.execute(sql, params)

    def fetchall(self, sql: str, params: Any = None) -> list[tuple]:
        return self.con.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: Any = None) -> tuple | None:
        return self.con.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Any = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    def arrow(self, sql: str, params: Any = None):
        """The result as a pyarrow Table, through the relation API (an execute() result copies every row once
        more to make one, and DuckDB 2 warns of it)."""
        con = self.con
        # DuckDB 2 refuses the relation API on a cursor whose last execute() result was not read to its end
        # (any fetchone()): drop that result first (older versions have no abort() and no such state).
        getattr(con, "abort", lambda: None)()
        return con.sql(sql, params=params).to_arrow_table()

    def statement(self, sql: str, values: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """`sql` parsed once per process, and the values of the named parameters (`$name`) it uses, out of
        `values`: execute(*engine.statement(sql, values)). DuckDB parses a statement at every execute(), a few
        microseconds per expression: 3-5 ms for the 6-10 KB of a one-date model statement, its every batch.
        A parsed statement is bound and planned afresh at each execute, with the values given: the same plan
        as with literals. (Plans cannot be kept: DuckDB binds a prepared statement again at every EXECUTE.)"""
        parsed = self._parsed.get(sql)
        if parsed is None:
            if len(self._parsed) >= PARSED_STATEMENTS:
                self._parsed.clear()
            with self._parse_lock:   # parsed on the connection, not on a cursor whose open result it could close
                parsed = self._con.extract_statements(sql)
            if len(parsed) != 1:
                raise WarehouseError(f"expected one SQL statement, got {len(parsed)}: {sql[:80]}")
            self._parsed[sql] = parsed
        return parsed[0], {name: values[name] for name in parsed[0].named_parameters}

    def fetch_df(self, sql: str, params: Any = None):
        return self.con.execute(sql, params).df()

    def fetch_dicts(self, sql: str, params: Any = None) -> list[dict]:
        cur = self.con.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def register_df(self, name: str, df: Any) -> None:
        self.con.register(name, df)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def execute_quietly(self, sql: str, params: Any = None) -> bool:
        """A statement whose failure loses nothing but itself (a cache write that another thread's same write
        beat, say): True when it ran."""
        try:
            self.con.execute(sql, params)
            return True
        except duckdb.Error:
            return False

    # -- catalog -----------------------------------------------------------------------
    @property
    def version(self) -> str:
        """The engine and its version: what a statement's bound shape also depends on."""
        return f"duckdb {duckdb.__version__}"

    def describe(self, relation: str, values: dict[str, Any] | None = None) -> list[tuple[str, str]]:
        """(name, type) of the columns a table or a query produces: bound, not run. `values`: of the query's named
        parameters (Engine.statement picks those it uses)."""
        sql = f"DESCRIBE {relation}"
        args = (sql, None) if values is None else self.statement(sql, values)
        return [(c, t) for c, t, *_ in self.con.execute(*args).fetchall()]

    def describe_tables(self, tables: list[str]) -> list[tuple[str, str]] | None:
        """(name, type) of the columns of every table in `tables`, in one DESCRIBE, each table's columns after a
        marker column named after it; None when one of them does not exist."""
        if not tables:
            return []
        try:
            return self.describe("SELECT " + ", ".join(f'1 AS "#{t}", t{i}.*' for i, t in enumerate(tables))
                                 + " FROM " + ", ".join(f"{t} t{i}" for i, t in enumerate(tables)))
        except duckdb.CatalogException:
            return None

    def table_exists(self, qualified: str) -> bool:
        schema, name = qualified.split(".", 1)
        return bool(self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ))

    def columns(self, qualified: str) -> list[tuple[str, str]]:
        schema, name = qualified.split(".", 1)
        return self.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        )

    # -- engine-specific primitives ------------------------------------------------------
    def fingerprint_expr(self, relation: str, alias: str | None = "t",
                         columns: list[tuple[str, str]] | None = None) -> str:
        """An order-independent, deterministic per-row hash expression for a table or temp table.

        Doubles are rounded to 6 decimals first (as round(x * 1e6): the same grid as round(x, 6) at a
        quarter of its cost), so that the last bit of a parallel floating-point sum cannot change a
        fingerprint (invariant 7: determinism). `columns` ((name, type) pairs) saves a DESCRIBE when
        the caller knows them. `alias=None` leaves the columns unqualified (e.g. for a RETURNING clause).
        """
        parts = []
        cols = columns if columns is not None else self.describe(relation)
        for col, dtype in cols:
            ref = f'{alias}."{col}"' if alias else f'"{col}"'
            if dtype in ("DOUBLE", "FLOAT", "REAL") or dtype.startswith("DECIMAL"):
                parts.append(f"round({ref}::DOUBLE * 1e6)")
            else:
                parts.append(ref)
        return f"hash({', '.join(parts)})"


def _open(path: str, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to `wait_seconds` while another process holds its lock."""
    deadline = time.monotonic() + wait_seconds
    while True:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH {_literal(path)} AS {CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute(f"USE {CATALOG}")
            if path != ":memory:":  # spill beside the file, as when it is the main database (not into the cwd)
                con.execute(f"SET temp_directory = {_literal(path + '.tmp')}")
            return con
        except BaseException as exc:
            con.close()
            if not isinstance(exc, duckdb.IOException):
                raise
            if "lock" not in str(exc).lower():
                raise WarehouseError(f"warehouse `{path}` cannot be opened: {exc}") from None
            if time.monotonic() >= deadline:
                holder = _lock_holder(str(exc))
                raise WarehouseBusy(
                    f"warehouse `{path}` is in use by another courtside process{holder}; "
                    "nothing was written. Wait for it to finish (or pass --wait SECONDS)."
                ) from None
            time.sleep(0.2)


def _literal(text: str) -> str:
    """A SQL string literal (ATTACH and SET take no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _lock_holder(message: str) -> str:
    marker = "PID "
    if marker in message:
        pid = message.split(marker, 1)[1].split(")")[0].split(" ")[0]
        return f" (PID {pid})"
    return ""
