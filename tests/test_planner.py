"""Coverage, cascades, pre-flight, targets and saved plans on the toy league (tests/planner_toys.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

import planner_toys as T
from courtside.engine import Engine
from courtside.errors import PlanError
from courtside.executor import execute
from courtside.models.registry import Registry, Window
from courtside.models.targets import resolve_target
from courtside.planner.coverage import compute_coverage
from courtside.planner.plan import INCLUSIVE, Plan, _first_reader, _reach, check_plan_current, make_plan
from courtside.project import setup_warehouse
from courtside.scope import Scope

ALL = [T.HIST, T.AFTER]


@pytest.fixture
def engine(tmp_path):
    eng = Engine(tmp_path / "w.duckdb")
    setup_warehouse(eng)
    T.load_league(eng)
    yield eng
    eng.close()


@pytest.fixture
def built(engine):
    reg = T.registry()
    run = execute(engine, reg, make_plan(engine, reg, ALL, Scope()))
    assert run.outcome == "ok"
    return engine, reg


def planned(plan: Plan) -> dict[str, set[dt.date]]:
    out: dict[str, set] = {}
    for a in plan.actions:
        out.setdefault(a.model, set()).add(a.game_date)
    return out


def calendar(engine):
    return {r[0]: (r[1], r[2]) for r in engine.fetchall("SELECT game_date, season, season_start FROM raw.game_dates")}


def test_fresh_warehouse_plans_everything_and_then_nothing(built):
    engine, reg = built
    cov = compute_coverage(engine, reg, [m.name for m in T.MODELS])
    assert {c.status for c in cov.cells.values()} == {"complete"}
    again = make_plan(engine, reg, ALL, Scope())
    assert again.batches == () and again.skipped_complete == len(T.MODELS) * 60


def test_rows_deleted_behind_the_ledger_partial_and_exact_cascade(built):
    engine, reg = built
    day = dt.date(2022, 11, 10)
    engine.execute(f"""DELETE FROM {T.PG} WHERE game_date = ? AND player_id IN
                       (SELECT player_id FROM {T.PG} WHERE game_date = ? ORDER BY player_id LIMIT 6)""", [day, day])
    cell = compute_coverage(engine, reg, [T.PG]).cell(T.PG, day)
    assert (cell.status, cell.pct, cell.rows, cell.expected) == ("partial", 50.0, 6, 12)
    assert "behind the ledger" in cell.detail and cell.rebuild

    plan = make_plan(engine, reg, ALL, Scope())
    got = planned(plan)
    cal = calendar(engine)
    season = cal[day][0]
    # Expected, independently from the window definitions.
    avg = {d for d, (s, _) in cal.items() if s == season and d > day}
    recent = {d for d in cal if day < d <= day + dt.timedelta(days=5)}
    comp = avg | recent
    hist = {d for d in cal if d > min(comp)}
    assert got == {T.PG: {day}, T.AVG: avg, T.RECENT: recent, T.COMP: comp, T.HIST: hist,
                   T.FLAKY: {day}, T.AFTER: {day}}
    reasons = {(a.model, a.game_date): a.reason for a in plan.actions}
    assert reasons[(T.PG, day)].code == "partial" and "50%" in reasons[(T.PG, day)].detail
    r = reasons[(T.RECENT, day + dt.timedelta(days=1))]
    assert r.code == "upstream_changed" and str(day) in r.detail and "days_before(5)" in r.detail
    # Batches: one model's dates contiguous, never a date outside the plan inside a batch.
    for b in plan.batches:
        assert set(b.dates) <= got[b.model]
        inside = {d for d in cal if b.start <= d <= b.end}
        assert inside == set(b.dates)

    assert execute(engine, reg, plan).outcome == "ok"
    assert make_plan(engine, reg, ALL, Scope()).batches == ()


def test_duplicates_behind_the_ledger_are_caught(built):
    engine, reg = built
    day = dt.date(2023, 4, 22)
    engine.execute(f"INSERT INTO {T.AVG} SELECT * FROM {T.AVG} WHERE game_date = ? LIMIT 3", [day])
    fast = compute_coverage(engine, reg, [T.AVG]).cell(T.AVG, day)
    assert fast.status == "stale" and fast.code == "tampered" and "ledger 12, table 15" in fast.detail
    cell = compute_coverage(engine, reg, [T.AVG], deep=True).cell(T.AVG, day)
    assert cell.status == "stale" and cell.code == "duplicated" and "3 duplicate" in cell.detail
    plan = make_plan(engine, reg, T.AVG, Scope(seasons=("2022-23",)))
    assert planned(plan) == {T.AVG: {day}}


def test_values_edited_in_place_are_caught_by_deep_coverage(built):
    engine, reg = built
    day = dt.date(2023, 4, 22)
    engine.execute(f"UPDATE {T.AVG} SET pts_avg = pts_avg + 1 WHERE game_date = ? AND player_id = 100", [day])
    assert compute_coverage(engine, reg, [T.AVG]).cell(T.AVG, day).status == "complete"  # counts unchanged
    cell = compute_coverage(engine, reg, [T.AVG], deep=True).cell(T.AVG, day)
    assert cell.status == "stale" and cell.code == "tampered"
    assert planned(make_plan(engine, reg, T.AVG, Scope(seasons=("2022-23",)), deep=True)) == {T.AVG: {day}}


def test_code_change_marks_only_the_model_and_its_descendants(built):
    engine, reg = built
    changed = dataclasses.replace(T.RECENT_M, sql=T.RECENT_M.sql.replace("INTERVAL 5 DAY", "INTERVAL 5 DAY "
                                                                         "AND h.pts >= 0"))
    assert changed.code_version != T.RECENT_M.code_version
    reg2 = Registry([changed if m.name == T.RECENT else m for m in reg])
    cov = compute_coverage(engine, reg2, [m.name for m in T.MODELS])
    stale = {m for (m, _), c in cov.cells.items() if c.status != "complete"}
    assert stale == {T.RECENT}
    assert all(c.code == "code_changed" for c in cov.of(T.RECENT))
    plan = make_plan(engine, reg2, ALL, Scope())
    assert set(planned(plan)) == {T.RECENT} | set(reg2.descendants(T.RECENT, include_self=False))
    assert set(planned(plan)) == {T.RECENT, T.COMP, T.HIST}


def test_upstream_rebuilt_outside_a_run_makes_children_stale(built):
    engine, reg = built
    from courtside.build import build

    day = dt.date(2023, 10, 21)
    engine.execute(f"UPDATE raw.player_boxscores SET pts = pts + 1 WHERE game_date = ?", [day])
    from courtside.ledger import record_source_partitions
    assert record_source_partitions(engine, "raw.player_boxscores", "raw.player_boxscores", "reload") == 1
    cov = compute_coverage(engine, reg, [T.PG])
    assert cov.cell(T.PG, day).code == "upstream_changed" and "raw.player_boxscores" in cov.cell(T.PG, day).detail
    build(engine, reg, T.PG, day, day, "manual")
    cov = compute_coverage(engine, reg, [T.PG, T.AVG, T.RECENT])
    nxt = dt.date(2023, 10, 22)
    assert cov.cell(T.PG, day).status == "complete"
    assert cov.cell(T.AVG, nxt).status == "stale" and f"changed on {day}" in cov.cell(T.AVG, nxt).detail
    assert "raw.player_boxscores" in cov.cell(T.AVG, day).detail  # its same-date edge to the boxes
    assert cov.cell(T.AVG, dt.date(2023, 10, 20)).status == "complete"  # earlier dates never read later ones


def test_preflight_adds_regular_season_for_a_playoffs_scope(engine):
    reg = T.registry()
    scope = Scope(seasons=("2023-24",), phase="playoffs")
    plan = make_plan(engine, reg, T.AVG, scope)
    got = planned(plan)
    cal = calendar(engine)
    playoffs = set(scope.game_dates(engine))
    regular = {d for d, (s, _) in cal.items() if s == "2023-24" and d not in playoffs}
    assert got[T.AVG] == playoffs
    assert got[T.PG] == playoffs | regular
    assert plan.outside_scope == len(regular)
    needed = [a for a in plan.actions if a.reason.code == "needed"]
    assert needed and all(a.model == T.PG and "needed by precompute.toy_season_avg" in a.reason.detail for a in needed)
    with pytest.raises(PlanError) as err:
        make_plan(engine, reg, T.AVG, scope, extend=False)
    assert T.PG in str(err.value) and str(min(regular)) in str(err.value)
    assert execute(engine, reg, plan).outcome == "ok"


def test_seed_situation_skips_complete_and_builds_only_ancestors(engine):
    """Toy analogue of issue 4's check: two processors complete for one playoffs, target one descendant."""
    reg = T.registry()
    first = Scope(seasons=("2022-23",), phase="playoffs")
    assert execute(engine, reg, make_plan(engine, reg, [T.AVG, T.RECENT], first)).outcome == "ok"
    scope = Scope(seasons=("2022-23", "2023-24"), phase="playoffs")
    plan = make_plan(engine, reg, T.COMP, scope)
    got = planned(plan)
    done = set(first.game_dates(engine))
    assert not (got[T.AVG] & done) and not (got[T.RECENT] & done)
    assert set(got) == {T.PG, T.AVG, T.RECENT, T.COMP}  # nothing of toy_history or the flaky branch
    assert got[T.COMP] == set(scope.game_dates(engine))


@pytest.mark.parametrize("window", [Window.same_date(), Window.season_before(), Window.season_through(),
                                   Window.days_before(3), Window.all_before()], ids=str)
def test_window_reach_matches_brute_force(engine, window):
    cal = calendar(engine)
    from courtside.planner.coverage import load_calendar

    lc = load_calendar(engine)
    days = sorted(cal)
    for sample in (days[::7], days[5:9], [days[30]], days[::3]):
        for d in days:
            brute = [u for u in sample if window.contains(d, u, cal[d][1])]
            assert (_reach(window, d, sample, lc) is not None) == bool(brute)
        for u in days:
            brute = [d for d in sample if window.contains(d, u, cal[d][1])]
            assert _first_reader(window, u, sample, lc) == (min(brute) if brute else None)
    assert ("same_date" in INCLUSIVE) and ("season_before" not in INCLUSIVE)


def test_batches_in_dependency_order_recent_season_first_capped(engine):
    reg = T.registry()
    plan = make_plan(engine, reg, ALL, Scope(), max_batch_dates=10)
    order = {m: i for i, m in enumerate(reg.order)}
    assert all(b.n_dates <= 10 for b in plan.batches)
    for a, b in itertools.pairwise(plan.batches):
        assert order[a.model] <= order[b.model]
        if a.model == b.model and a.season != b.season:
            assert a.season > b.season
    by_id = {b.id: b for b in plan.batches}
    for b in plan.batches:
        for d in b.depends_on:
            assert d < b.id and by_id[d].model in reg[b.model].upstreams()
    comp = [b for b in plan.batches if b.model == T.COMP][0]
    assert {by_id[d].model for d in comp.depends_on} == {T.AVG, T.RECENT}


def test_targets(engine):
    reg = T.registry()
    with pytest.raises(PlanError, match="target `ml-ready` needs model.*player_composite_factors.*not in the registry"):
        resolve_target(reg, "ml-ready")
    with pytest.raises(PlanError, match="unknown target `nope`"):
        resolve_target(reg, "nope")
    with pytest.raises(PlanError, match="source table"):
        resolve_target(reg, "raw.schedule")
    assert resolve_target(reg, "toy_history,toy_flaky") == [m for m in reg.order if m in (T.HIST, T.FLAKY)]


def test_saved_plan_roundtrip_and_refused_after_coverage_change(engine, tmp_path):
    reg = T.registry()
    plan = make_plan(engine, reg, T.COMP, Scope(seasons=("2023-24",)))
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json())
    loaded = Plan.from_json(path.read_text())
    assert loaded == plan and loaded.hash == plan.hash
    # the fast to_dict is exactly dataclasses.asdict (a field added to Batch or Action must reach plan files)
    assert plan.batches and plan.actions and plan.to_dict() == dataclasses.asdict(plan)
    other = make_plan(engine, reg, T.COMP, Scope(seasons=("2023-24",)), force=True)
    assert other.hash != plan.hash
    check_plan_current(engine, reg, loaded)  # nothing changed: accepted
    execute(engine, reg, make_plan(engine, reg, T.PG, Scope(start=dt.date(2023, 10, 20), end=dt.date(2023, 10, 22))))
    with pytest.raises(PlanError, match="coverage changed|coverage is now"):
        check_plan_current(engine, reg, loaded, "plan.json")


def test_partial_with_unchanged_inputs_is_reported_not_rebuilt(engine):
    greedy = dataclasses.replace(T.PLAYER_GAMES, expected=T.PLAYER_GAMES.expected.replace("count(*)", "count(*) + 4"))
    reg = Registry([greedy if m.name == T.PG else m for m in T.registry()])
    execute(engine, reg, make_plan(engine, reg, T.PG, Scope(seasons=("2022-23",))))
    cell = compute_coverage(engine, reg, [T.PG]).cell(T.PG, dt.date(2022, 10, 20))
    assert (cell.status, cell.pct, cell.rebuild) == ("partial", 75.0, False) and "source gap" in cell.detail
    assert make_plan(engine, reg, T.PG, Scope(seasons=("2022-23",))).batches == ()
    forced = make_plan(engine, reg, T.PG, Scope(seasons=("2022-23",)), force=True)
    assert forced.n_partitions == 30 and {a.reason.code for a in forced.actions} == {"forced"}


def test_fast_upstream_fingerprint_equals_the_one_builds_record(built):
    from courtside.build import upstream_fingerprint_small_sql, upstream_fingerprint_sql
    from courtside.planner.upstream import upstream_fingerprint_fast_sql

    engine, reg = built
    engine.execute("CREATE TEMP TABLE _all_days AS SELECT game_date, season_start FROM raw.game_dates")
    extra = [dataclasses.replace(T.HISTORY, name="x.st", edges=(T.HISTORY.edges[0].__class__(T.COMP, Window.season_through()),)),
             dataclasses.replace(T.HISTORY, name="x.db", edges=(T.HISTORY.edges[0].__class__(T.PG, Window.days_before(9)),))]
    for m in [*T.MODELS, *extra]:
        exact = engine.fetchall(upstream_fingerprint_sql(m, "_all_days") + " ORDER BY 1")
        fast = engine.fetchall(upstream_fingerprint_fast_sql(m, "_all_days") + " ORDER BY 1")
        assert fast == exact, m.name
        assert engine.fetchall(upstream_fingerprint_small_sql(m, "_all_days") + " ORDER BY 1") == exact, m.name
        if m in T.MODELS:  # and both equal what the builds recorded
            assert [r[1] for r in exact] == [r[0] for r in engine.fetchall(
                "SELECT upstream_fingerprint FROM ledger.partitions WHERE model = ? ORDER BY game_date", [m.name])]


def test_estimator_reads_batches_built_together_as_one_statement(tmp_path):
    from courtside.engine import Engine
    from courtside.ledger import create_ledger, record_batch, record_batches
    from courtside.planner.estimate import Estimator

    eng = Engine(tmp_path / "e.duckdb")
    create_ledger(eng)
    # one statement over 4 one-date batches (shared 2.0 s), then a lone 10-date batch of 1.5 s
    record_batches(eng, "r1", [("m", dt.date(2024, 1, d), dt.date(2024, 1, d), 1, 100, 100, 0.5, "ok", None)
                               for d in (1, 3, 5, 7)])
    record_batch(eng, "r2", "m", dt.date(2024, 2, 1), dt.date(2024, 2, 10), 10, 1000, 1000, 1.5, "ok")
    fit = Estimator.from_ledger(eng, ["m"]).fits["m"]
    assert fit.samples == 2 and sorted(fit.obs) == [(400.0, 2.0), (1000.0, 1.5)]
    # one size seen: the stated default overhead, the rest is rate (a season-long statement's share
    # must not become the fixed cost of every one-date batch)
    eng.execute("DELETE FROM ledger.batches WHERE run_id = 'r1'")
    one = Estimator.from_ledger(eng, ["m"]).fits["m"]
    assert one.overhead == pytest.approx(0.05) and one.predict(10, 1000)[0] == pytest.approx(1.5)
    assert one.predict(1, 10)[0] < 0.1
    # no history: the stated default by kind - an ML (Python) model costs far more per date than a SQL one
    est = Estimator.from_ledger(eng, ["m", "sql_m", "ml_m"], {"sql_m": "sql", "ml_m": "python"})
    assert "ml_m" not in est.fits and est.source("ml_m") == "default (no history)"
    sql_s, ml_s = est.batch("sql_m", 1000, None)[0], est.batch("ml_m", 1000, None)[0]
    assert sql_s == pytest.approx(0.05 + 1000 * 0.001) and ml_s == pytest.approx(1.5 + 1000 * 0.03)
    # a Python model seen only in season-long batches: a one-date batch still pays its fixed cost
    record_batch(eng, "r3", "ml_m", dt.date(2024, 10, 1), dt.date(2025, 4, 30), 200, None, None, 20.0, "ok")
    ml = Estimator.from_ledger(eng, ["ml_m"], {"ml_m": "python"}).fits["ml_m"]
    assert ml.overhead == pytest.approx(1.5) and ml.predict(200, None)[0] == pytest.approx(20.0)
    assert ml.predict(1, None)[0] == pytest.approx(1.5 + 18.5 / 200)
    eng.close()


def test_estimator_prices_unknown_rows_and_scattered_dates_from_season_long_history(tmp_path):
    from courtside.engine import Engine
    from courtside.ledger import create_ledger, record_batch
    from courtside.planner.estimate import SPAN_READ_SHARE, Estimator

    eng = Engine(tmp_path / "e.duckdb")
    create_ledger(eng)
    # history: one statement over 1,000 game dates, 200 rows each, 10.05 s
    record_batch(eng, "r1", "m", dt.date(2020, 1, 1), dt.date(2024, 12, 31), 1000, 200_000, 200_000, 10.05, "ok")
    fit = Estimator.from_ledger(eng, ["m"]).fits["m"]
    assert fit.rows_per_date == 200 and fit.rate == pytest.approx(10.0 / 200_000)
    # a missing partition's expected rows are unknown: 10 dates cost 10 x 200 rows, not the fixed cost alone
    assert fit.predict(10, None)[0] == pytest.approx(fit.predict(10, 2000)[0]) == pytest.approx(0.05 + 0.1)
    # 50 dates scattered over the 1,000 the history built: priced as SPAN_READ_SHARE of building all 1,000
    scattered = fit.predict(50, None, span_dates=1000)[0]
    assert scattered == pytest.approx(0.05 + 10.0 * (0.05 + SPAN_READ_SHARE * 0.95))
    assert fit.predict(50, None, span_dates=50)[0] == pytest.approx(0.05 + 0.5)      # contiguous: its output
    # once the history has such a statement too, the fit over both sizes prices them, with no span surcharge
    record_batch(eng, "r2", "m", dt.date(2020, 1, 1), dt.date(2024, 12, 31), 50, 10_000, 10_000, 5.0, "ok")
    two = Estimator.from_ledger(eng, ["m"]).fits["m"]
    assert two.predict(50, None, span_dates=1000)[0] == pytest.approx(two.predict(50, None)[0])
    eng.close()


def test_a_plan_prices_a_scattered_gap_fill_by_the_span_it_reads(engine):
    from courtside.planner.estimate import Estimator

    reg = T.registry()
    execute(engine, reg, make_plan(engine, reg, ALL, Scope(), workers=1), workers=1)   # season-long history
    days = [r[0] for r in engine.fetchall("SELECT game_date FROM raw.game_dates ORDER BY 1")]
    gaps = days[5::10][:5]
    # toy_composite takes `$dates`: its scattered gaps are one statement
    engine.execute(f"DELETE FROM {T.COMP} WHERE list_contains(?::DATE[], game_date)", [gaps])
    engine.execute("DELETE FROM ledger.partitions WHERE model = ? AND list_contains(?::DATE[], game_date)", [T.COMP, gaps])
    plan = make_plan(engine, reg, T.COMP, Scope(), workers=1)
    assert {b.model for b in plan.batches} == {T.COMP} and sum(b.n_dates for b in plan.batches) == len(gaps)
    assert len({b.group for b in plan.batches}) == 1
    fit = Estimator.from_ledger(engine, [T.COMP]).fits[T.COMP]
    span = days.index(gaps[-1]) - days.index(gaps[0]) + 1
    expected = fit.predict(len(gaps), None, span)[0]
    assert expected > fit.predict(len(gaps), None)[0]            # dearer than its output alone
    assert sum(b.p50 for b in plan.batches) == pytest.approx(expected, abs=5e-4)   # (rounded to 4 places)


def test_runs_record_their_simulated_makespan_and_calibrate_the_next_eta(engine):
    from courtside.planner.estimate import Estimator

    reg = T.registry()
    plan = make_plan(engine, reg, ALL, Scope(), workers=2)
    assert Estimator.from_ledger(engine, list(plan.models)).schedule_factor == 1.0   # no history
    run = execute(engine, reg, plan, workers=2)
    wall, sim = engine.fetchone("SELECT wall_s, simulated_s FROM ledger.runs WHERE run_id = ?", [run.run_id])
    assert wall == pytest.approx(run.seconds, rel=0.2) and 0 < sim <= wall
    # a machine where runs take twice their simulated makespan: the next plan's ETA doubles
    engine.execute("UPDATE ledger.runs SET simulated_s = 1.0, wall_s = 2.0")
    est = Estimator.from_ledger(engine, list(plan.models))
    assert est.schedule_factor == 2.0
    forced = make_plan(engine, reg, ALL, Scope(), workers=2, force=True)
    same = make_plan(engine, reg, ALL, Scope(), workers=2, force=True, estimator=Estimator(est.fits))
    assert forced.eta_p50 == pytest.approx(2 * same.eta_p50)
