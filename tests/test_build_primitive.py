"""The write primitive on a tiny hand-made schedule: replace exactly the partitions, ledger in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest

from courtside.build import build
from courtside.engine import Engine
from courtside.errors import MissingUpstream, ModelError
from courtside.ledger import partitions
from courtside.models.registry import Edge, Model, Registry, Window, check_edges
from courtside.models.raw.sources import MODELS as SOURCES
from courtside.project import setup_warehouse

D = dt.date


@pytest.fixture
def engine(tmp_path):
    eng = Engine(tmp_path / "w.duckdb")
    setup_warehouse(eng)
    for i, day in enumerate([D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 4)]):
        for g in range(2):
            eng.execute("INSERT INTO raw.schedule VALUES (?, ?, '2023-24', 'regular', ?, ?, 100, 90, 'final', 't', 'f', 1, now())",
                        [f"00223{i}{g}", day, f"H{g}", f"A{g}"])
    yield eng
    eng.close()


GAMES = Model("analytics.games_per_day", "analytics", ("game_date",),
              sql="SELECT game_date, count(*)::INTEGER AS games FROM raw.schedule WHERE game_date BETWEEN $start AND $end GROUP BY 1",
              edges=(Edge("raw.schedule", Window.same_date()),),
              expected="SELECT game_date, 1 AS expected FROM raw.schedule WHERE game_date BETWEEN $start AND $end GROUP BY 1")
RUNNING = Model("analytics.games_before", "analytics", ("game_date",),
                sql="""SELECT d.game_date, coalesce(sum(g.games), 0)::INTEGER AS games_before
                       FROM raw.game_dates d LEFT JOIN analytics.games_per_day g
                         ON g.game_date >= d.season_start AND g.game_date < d.game_date
                       WHERE d.game_date BETWEEN $start AND $end GROUP BY 1""",
                edges=(Edge("analytics.games_per_day", Window.season_before()),))


def registry() -> Registry:
    return Registry([*SOURCES, GAMES, RUNNING])


def test_build_replaces_partitions_and_writes_ledger(engine):
    reg = registry()
    r = build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "run1")
    assert (r.dates, r.rows, r.expected) == (3, 3, 3)
    again = build(engine, reg, GAMES, D(2024, 1, 2), D(2024, 1, 2), "run2")
    assert again.rows == 1
    assert engine.scalar("SELECT count(*) FROM analytics.games_per_day") == 3
    led = {p["game_date"]: p for p in partitions(engine, GAMES.name)}
    assert led[D(2024, 1, 2)]["run_id"] == "run2" and led[D(2024, 1, 1)]["run_id"] == "run1"
    assert led[D(2024, 1, 2)]["fingerprint"] == led[D(2024, 1, 2)]["fingerprint"] != "0"


def test_missing_upstream_names_table_and_dates(engine):
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 1), "r")
    with pytest.raises(MissingUpstream) as err:
        build(engine, reg, RUNNING, D(2024, 1, 4), D(2024, 1, 4), "r")
    assert err.value.missing == {"analytics.games_per_day": [D(2024, 1, 2)]}
    assert "analytics.games_per_day" in str(err.value) and "2024-01-02" in str(err.value)


@pytest.mark.parametrize("small", [5, 0], ids=["small batch", "large batch"])
def test_an_upstream_never_built_is_named_not_a_missing_table(engine, monkeypatch, small):
    # the small batch reads its upstream ledger rows beside its statements, which fail first on the absent
    # table: the missing upstream is still what it reports
    import courtside.build as build_module

    monkeypatch.setattr(build_module, "SMALL_BATCH_DATES", small)
    with pytest.raises(MissingUpstream) as err:
        build(engine, registry(), RUNNING, D(2024, 1, 4), D(2024, 1, 4), "r")
    assert err.value.missing == {"analytics.games_per_day": [D(2024, 1, 1), D(2024, 1, 2)]}
    assert not engine.table_exists(RUNNING.table)


def test_failed_build_changes_nothing(engine):
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r")
    before = engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1")
    broken = Model(GAMES.name, "analytics", ("games",), sql=GAMES.sql.replace("count(*)::INTEGER", "1"),
                   edges=GAMES.edges)
    with pytest.raises(ModelError, match="broke its grain"):
        build(engine, Registry([*SOURCES, broken]), broken, D(2024, 1, 1), D(2024, 1, 4), "r2")
    assert engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1") == before


def test_code_version_follows_definition():
    changed = Model(GAMES.name, GAMES.layer, GAMES.grain, sql=GAMES.sql + " ", edges=GAMES.edges, expected=GAMES.expected)
    assert changed.code_version == GAMES.code_version  # whitespace is not a change
    changed = Model(GAMES.name, GAMES.layer, GAMES.grain, sql=GAMES.sql.replace("count(*)", "count(game_id)"),
                    edges=GAMES.edges, expected=GAMES.expected)
    assert changed.code_version != GAMES.code_version


def test_edges_are_checked_against_sql():
    check_edges(RUNNING)
    lying = Model("analytics.x", "analytics", (), sql=RUNNING.sql, edges=(Edge("raw.schedule", Window.same_date()),))
    with pytest.raises(ModelError, match="undeclared `analytics.games_per_day`"):
        check_edges(lying)


def test_rows_outside_the_range_roll_everything_back(engine):
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r")
    before = engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1")
    led_before = partitions(engine, GAMES.name)
    leaky = Model(GAMES.name, "analytics", ("game_date",), sql=GAMES.sql.replace("BETWEEN $start AND $end", ">= $start"),
                  edges=GAMES.edges, expected=GAMES.expected)
    with pytest.raises(ModelError, match="2 rows outside 2024-01-01"):
        build(engine, Registry([*SOURCES, leaky]), leaky, D(2024, 1, 1), D(2024, 1, 1), "r2")
    assert engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1") == before
    assert partitions(engine, GAMES.name) == led_before


def test_non_contiguous_dates_need_the_dates_placeholder(engine):
    reg = registry()
    with pytest.raises(ModelError, match=r"does not use `\$dates`"):
        build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r", dates=[D(2024, 1, 1), D(2024, 1, 4)])
    # every game date of the range is a contiguous build, fine for any model
    assert build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r",
                 dates=[D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 4)]).dates == 3

    sparse = Model(GAMES.name, "analytics", ("game_date",),
                   sql="SELECT game_date, count(*)::INTEGER AS games FROM raw.schedule "
                       "WHERE game_date BETWEEN $start AND $end AND game_date IN $dates GROUP BY 1",
                   edges=GAMES.edges, expected=GAMES.expected)
    reg2 = Registry([*SOURCES, sparse])
    engine.execute("DELETE FROM analytics.games_per_day")
    engine.execute("DELETE FROM ledger.partitions WHERE model = ?", [GAMES.name])
    r = build(engine, reg2, sparse, D(2024, 1, 1), D(2024, 1, 4), "r3", dates=[D(2024, 1, 1), D(2024, 1, 4)])
    assert (r.dates, r.rows, r.expected) == (2, 2, 2)
    assert [p["game_date"] for p in partitions(engine, GAMES.name)] == [D(2024, 1, 1), D(2024, 1, 4)]
    assert [r[0] for r in engine.fetchall("SELECT game_date FROM analytics.games_per_day ORDER BY 1")] == \
        [D(2024, 1, 1), D(2024, 1, 4)]
    # the same model over a plain range: `$dates` is every game date of it
    assert build(engine, reg2, sparse, D(2024, 1, 1), D(2024, 1, 4), "r4").rows == 3


def test_changed_shape_resets_table_and_ledger(engine):
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r")
    wider = Model(GAMES.name, "analytics", ("game_date",),
                  sql=GAMES.sql.replace("AS games", "AS games, 1.5::DOUBLE AS extra"), edges=GAMES.edges)
    build(engine, Registry([*SOURCES, wider]), wider, D(2024, 1, 2), D(2024, 1, 2), "r2")
    assert [c for c, _ in engine.columns(GAMES.table)] == ["game_date", "games", "extra"]
    assert [p["game_date"] for p in partitions(engine, GAMES.name)] == [D(2024, 1, 2)]
    assert engine.scalar("SELECT count(*) FROM analytics.games_per_day") == 1


def test_fingerprint_is_deterministic_and_follows_the_data(engine):
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r")
    first = {p["game_date"]: p["fingerprint"] for p in partitions(engine, GAMES.name)}
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r2")
    assert {p["game_date"]: p["fingerprint"] for p in partitions(engine, GAMES.name)} == first
    engine.execute("DELETE FROM raw.schedule WHERE game_date = DATE '2024-01-02' AND home_team = 'H1'")
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r3")
    now = {p["game_date"]: p["fingerprint"] for p in partitions(engine, GAMES.name)}
    assert now[D(2024, 1, 1)] == first[D(2024, 1, 1)] and now[D(2024, 1, 2)] != first[D(2024, 1, 2)]


RATIOS = Model("analytics.ratios_per_day", "analytics", ("game_date", "home_team"),
               sql="""SELECT game_date, home_team, count(*) / 3.0 AS ratio, 1.25::DECIMAL(6, 2) AS price,
                             NULL::VARCHAR AS note FROM raw.schedule WHERE game_date BETWEEN $start AND $end GROUP BY ALL""",
               edges=(Edge("raw.schedule", Window.same_date()),),
               expected="SELECT game_date, count(DISTINCT home_team) AS expected FROM raw.schedule "
                        "WHERE game_date BETWEEN $start AND $end GROUP BY 1")
RECENT = Model("analytics.games_recent", "analytics", ("game_date",),
               sql="""SELECT d.game_date, coalesce(sum(g.games), 0)::INTEGER AS games_2d
                      FROM raw.game_dates d LEFT JOIN analytics.games_per_day g
                        ON g.game_date >= d.game_date - INTERVAL 2 DAY AND g.game_date < d.game_date
                      WHERE d.game_date BETWEEN $start AND $end GROUP BY 1""",
               edges=(Edge("analytics.games_per_day", Window.days_before(2)),
                      Edge("analytics.ratios_per_day", Window.same_date())))


def test_small_batches_write_what_large_batches_write(engine, monkeypatch):
    """A batch of a few dates proves and fingerprints its rows in Python (build._write_small), a larger one
    in SQL (_write_large): the same tables and the same ledger values, for every window kind."""
    import courtside.build as build_module

    reg = Registry([*SOURCES, GAMES, RATIOS, RUNNING, RECENT])
    models = [GAMES, RATIOS, RUNNING, RECENT]

    def state():
        led = {(p["model"], p["game_date"]): (p["rows"], p["expected_rows"], p["fingerprint"], p["upstream_fingerprint"])
               for p in partitions(engine) if p["model"] in {m.name for m in models}}
        return led, {m.table: engine.fetchall(f"SELECT * FROM {m.table} ORDER BY ALL") for m in models}

    monkeypatch.setattr(build_module, "SMALL_BATCH_DATES", 0)
    for m in models:
        build(engine, reg, m, D(2024, 1, 1), D(2024, 1, 4), "large")
    large = state()
    monkeypatch.setattr(build_module, "SMALL_BATCH_DATES", 5)
    for m in models:
        for day in (D(2024, 1, 1), D(2024, 1, 2), D(2024, 1, 4)):
            r = build(engine, reg, m, day, day, "small")
            assert r.dates == 1 and r.per_date[0][0] == day
    assert state() == large
    assert {p["run_id"] for p in partitions(engine) if p["model"] == RECENT.name} == {"small"}
    assert large[0][(RECENT.name, D(2024, 1, 4))][3] != "0"  # an upstream fingerprint was summed


@pytest.mark.parametrize("small", [5, 0], ids=["small batch", "large batch"])
def test_broken_grain_and_missing_upstream_on_both_paths(engine, monkeypatch, small):
    import courtside.build as build_module

    monkeypatch.setattr(build_module, "SMALL_BATCH_DATES", small)
    reg = registry()
    build(engine, reg, GAMES, D(2024, 1, 1), D(2024, 1, 4), "r")
    before = engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1")
    led_before = partitions(engine, GAMES.name)
    broken = Model(GAMES.name, "analytics", ("games",), sql=GAMES.sql.replace("count(*)::INTEGER", "1"),
                   edges=GAMES.edges)
    with pytest.raises(ModelError, match=r"broke its grain \(games\): \(1,\) appears 3 times"):
        build(engine, Registry([*SOURCES, broken]), broken, D(2024, 1, 1), D(2024, 1, 4), "r2")
    assert engine.fetchall("SELECT * FROM analytics.games_per_day ORDER BY 1") == before
    assert partitions(engine, GAMES.name) == led_before
    engine.execute("DELETE FROM ledger.partitions WHERE model = ? AND game_date = ?", [GAMES.name, D(2024, 1, 2)])
    with pytest.raises(MissingUpstream) as err:
        build(engine, reg, RUNNING, D(2024, 1, 4), D(2024, 1, 4), "r3")
    assert err.value.missing == {"analytics.games_per_day": [D(2024, 1, 2)]}
    assert not engine.table_exists(RUNNING.table)


def test_a_python_model_can_leave_its_rows_in_temp_tables(engine):
    """SqlRows: the build writes the rows the SELECT gives and then drops the model's temp tables - also
    when the write fails (rows outside the dates roll back, the temp table still goes)."""
    from courtside.models.registry import SqlRows

    def rows(ctx, start, end, shift=0):
        ctx.execute(f"CREATE TEMP TABLE _py_rows AS SELECT game_date + {shift} AS game_date, count(*)::INTEGER AS games "
                    "FROM raw.schedule WHERE game_date BETWEEN ? AND ? GROUP BY 1", [start, end])
        return SqlRows("SELECT * FROM _py_rows", lambda: ctx.execute("DROP TABLE _py_rows"))

    temp_tables = "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '_py_rows'"
    good = Model("analytics.py_games", "analytics", ("game_date",), kind="python", python=rows,
                 reads=("raw.schedule",), edges=(Edge("raw.schedule", Window.same_date()),))
    reg = Registry([*SOURCES, good])
    r = build(engine, reg, good, D(2024, 1, 1), D(2024, 1, 4), "py")
    assert (r.dates, r.rows) == (3, 3) and engine.scalar(temp_tables) == 0
    assert engine.fetchall("SELECT games FROM analytics.py_games ORDER BY game_date") == [(2,), (2,), (2,)]

    bad = Model("analytics.py_games", "analytics", ("game_date",), kind="python",
                python=lambda ctx, s, e: rows(ctx, s, e, shift=1),
                reads=("raw.schedule",), edges=(Edge("raw.schedule", Window.same_date()),))
    with pytest.raises(ModelError, match="outside"):
        build(engine, Registry([*SOURCES, bad]), bad, D(2024, 1, 1), D(2024, 1, 4), "py-bad")
    assert engine.scalar(temp_tables) == 0
    assert engine.fetchall("SELECT games FROM analytics.py_games ORDER BY game_date") == [(2,), (2,), (2,)]
