"""The DuckDB adapter: the warehouse file is attached (with its row group size) and every thread's
cursor reads and writes that file, not the in-memory catalog a new cursor starts in; a file that is
not a warehouse is a clear error, not a traceback."""

from __future__ import annotations

import threading

import pytest

from courtside.engine import Engine
from courtside.engine.duckdb import ROW_GROUP_SIZE
from courtside.errors import WarehouseError


def test_a_worker_threads_writes_land_in_the_warehouse_file_in_small_row_groups(tmp_path):
    path = tmp_path / "w.duckdb"
    rows = 3 * ROW_GROUP_SIZE + 100
    with Engine(path) as engine:
        worker = threading.Thread(target=engine.execute,
                                  args=(f"CREATE TABLE analytics.t AS SELECT range AS x FROM range({rows})",))
        worker.start()
        worker.join()
    with Engine(path) as engine:
        assert engine.scalar("SELECT count(*) FROM analytics.t") == rows
        groups = engine.scalar("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('analytics.t')")
        assert groups == 4   # DuckDB's default of 122,880 rows a group would make 2
        assert engine.scalar("SELECT current_database()") == "courtside"
        assert engine.scalar("SELECT current_setting('temp_directory')") == f"{path}.tmp"


def test_a_file_that_is_not_a_warehouse_is_named_and_left_as_it_was(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n")
    with pytest.raises(WarehouseError, match=r"notes\.duckdb.*not a valid DuckDB database file"):
        Engine(path)
    assert path.read_text() == "not a database\n"


def test_an_arrow_read_after_a_partly_read_result(tmp_path):
    with Engine(tmp_path / "w.duckdb") as engine:
        assert engine.fetchone("SELECT * FROM range(10000)") == (0,)   # 9,999 rows not read
        table = engine.arrow("SELECT range AS x FROM range(5) WHERE range >= ?", [3])
        assert table.column("x").to_pylist() == [3, 4]


def test_a_read_beside_has_its_snapshot_before_it_returns(tmp_path):
    # what build() relies on to read its upstream ledger rows beside its own transaction: a commit made after
    # read_beside returns is not seen by the read, one made before it is
    with Engine(tmp_path / "w.duckdb") as engine:
        engine.execute("CREATE TABLE analytics.t (x INTEGER)")
        engine.execute("INSERT INTO analytics.t VALUES (1)")
        go = threading.Event()

        def count(cur):
            assert go.wait(10)
            return cur.execute("SELECT count(*) FROM analytics.t").fetchone()[0]

        seen = engine.read_beside(count)
        engine.execute("INSERT INTO analytics.t VALUES (2)")   # committed while the read waits
        go.set()
        assert seen.result() == 1
        assert engine.read_beside(count).result() == 2
        # a failing read rolls its transaction back: the next one on the same cursor starts clean
        with pytest.raises(Exception, match="does_not_exist"):
            engine.read_beside(lambda cur: cur.execute("SELECT * FROM analytics.does_not_exist")).result()
        assert engine.read_beside(count).result() == 2


def test_a_statement_parsed_once_runs_with_each_call_values_against_the_catalog_of_its_run(tmp_path):
    # what a one-date batch relies on to parse its statement once per process: each execute binds the values
    # given (only the named parameters the statement uses) and the tables as they are then, not as when parsed
    with Engine(tmp_path / "w.duckdb") as engine:
        engine.execute("CREATE TABLE analytics.t AS SELECT range AS x FROM range(10)")
        sql = "SELECT count(*) FROM analytics.t WHERE x >= $lo -- not $hi"
        first, params = engine.statement(sql, {"lo": 7, "hi": 1})
        assert params == {"lo": 7}
        assert engine.con.execute(first, params).fetchone() == (3,)
        again, params = engine.statement(sql, {"lo": 2, "hi": 1})
        assert again is first and params == {"lo": 2}
        engine.execute("CREATE OR REPLACE TABLE analytics.t AS SELECT range AS x FROM range(100)")
        assert engine.con.execute(again, params).fetchone() == (98,)
        with pytest.raises(WarehouseError, match="one SQL statement"):
            engine.statement("SELECT 1; SELECT 2", {})
