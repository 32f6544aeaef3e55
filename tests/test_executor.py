"""The executor on the toy league: parallel runs, failures and resume, leases, and real `courtside
backfill` processes killed with SIGKILL or racing each other over the same warehouse."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import planner_toys as T
from courtside.engine import Engine
from courtside.errors import LeaseHeld
from courtside.executor import execute
from courtside.planner import leases
from courtside.planner.coverage import compute_coverage
from courtside.planner.plan import make_plan
from courtside.project import setup_warehouse
from courtside.scope import Scope

ALL = [T.HIST, T.AFTER]
TOYS = str(Path(__file__).with_name("planner_toys.py"))
# The real entry point; COURTSIDE_TEST_CLI may name another launcher of the same app.
CLI = shlex.split(os.environ.get("COURTSIDE_TEST_CLI", "")) or [str(Path(sys.executable).with_name("courtside"))]


def new_warehouse(path: Path) -> Path:
    eng = Engine(path)
    setup_warehouse(eng)
    T.load_league(eng)
    eng.close()
    return path


@pytest.fixture
def engine(tmp_path):
    eng = Engine(new_warehouse(tmp_path / "w.duckdb"))
    yield eng
    eng.close()


def fingerprints(engine, models=None) -> dict:
    """Every (model, date) fingerprint of the built models, recomputed from the tables."""
    reg = T.registry()
    models = [m for m in T.MODELS if models is None or m.name in models]
    cov = compute_coverage(engine, reg, [m.name for m in models])
    assert {c.status for c in cov.cells.values()} == {"complete"}, "not every partition is complete"
    out = {}
    for m in models:
        fp = engine.fingerprint_expr(m.table)
        for day, n, h in engine.fetchall(f"SELECT game_date, count(*), CAST(sum({fp}::HUGEINT) AS VARCHAR) "
                                         f"FROM {m.table} t GROUP BY 1"):
            out[(m.name, day)] = (n, h)
    return out


def no_duplicates(engine) -> None:
    for m in T.MODELS:
        if not engine.table_exists(m.table):
            continue
        keys = ", ".join(m.grain)
        assert engine.scalar(f"SELECT count(*) - count(DISTINCT ({keys})) FROM {m.table}") == 0, m.name


@pytest.fixture(scope="module")
def clean_fingerprints(tmp_path_factory):
    eng = Engine(new_warehouse(tmp_path_factory.mktemp("clean") / "w.duckdb"))
    reg = T.registry()
    assert execute(eng, reg, make_plan(eng, reg, ALL, Scope())).outcome == "ok"
    fps = fingerprints(eng)
    eng.close()
    return fps


def test_parallel_run_equals_clean_serial_run(engine, clean_fingerprints):
    reg = T.registry()
    plan = make_plan(engine, reg, ALL, Scope(), max_batch_dates=8, workers=2)
    run = execute(engine, reg, plan, workers=2)
    assert run.outcome == "ok" and run.count("ok") == len(plan.batches)
    assert fingerprints(engine) == clean_fingerprints
    no_duplicates(engine)
    timed = engine.fetchall("SELECT count(*), min(seconds) FROM ledger.batches WHERE run_id = ? AND outcome = 'ok'",
                            [run.run_id])[0]
    assert timed[0] == len(plan.batches) and timed[1] > 0
    assert engine.scalar("SELECT count(*) FROM ledger.leases") == 0


def test_failed_batch_skips_dependents_and_rerun_resumes(engine, clean_fingerprints, monkeypatch):
    reg = T.registry()
    monkeypatch.setenv("TOY_FAIL_ON", "2023-11-02")
    plan = make_plan(engine, reg, ALL, Scope(), workers=2)
    run = execute(engine, reg, plan, workers=2)
    assert run.outcome == "failed"
    bad = {(b.model, b.outcome) for b in run.batches if b.outcome != "ok"}
    assert bad == {(T.FLAKY, "failed"), (T.AFTER, "skipped")}
    failed = [b for b in run.batches if b.outcome == "failed"][0]
    assert "toy failure on 2023-11-02" in failed.error and failed.start.year == 2023
    err = engine.scalar("SELECT error FROM ledger.batches WHERE run_id = ? AND outcome = 'failed'", [run.run_id])
    assert "toy failure" in err
    cov = compute_coverage(engine, reg, [T.FLAKY, T.AFTER])
    assert cov.cell(T.FLAKY, dt.date(2023, 11, 2)).status == "failed"
    assert cov.cell(T.FLAKY, dt.date(2022, 11, 2)).status == "complete"  # the other season went on

    monkeypatch.delenv("TOY_FAIL_ON")
    resume = make_plan(engine, reg, ALL, Scope())
    assert {(b.model, b.season) for b in resume.batches} == {(T.FLAKY, "2023-24"), (T.AFTER, "2023-24")}
    assert {a.reason.code for a in resume.actions if a.model == T.FLAKY} == {"failed"}
    assert execute(engine, reg, resume).outcome == "ok"
    assert fingerprints(engine) == clean_fingerprints


def test_lease_held_by_live_holder_stops_with_clear_message(engine):
    reg = T.registry()
    day = dt.date(2022, 10, 20)
    other = f"{leases.holder_for('x').split(':')[0]}:{os.getppid()}:other-run"  # a live process
    engine.execute("INSERT INTO ledger.leases VALUES (?, ?, ?, now()::TIMESTAMP + INTERVAL 1 HOUR)", [T.PG, day, other])
    with pytest.raises(LeaseHeld, match=r"leased by .*other-run.*another backfill"):
        leases.acquire(engine, T.PG, [day], "me", 60)
    plan = make_plan(engine, reg, T.AVG, Scope(seasons=("2022-23",)))
    run = execute(engine, reg, plan)
    assert run.outcome == "failed"
    assert [(b.model, b.outcome) for b in run.batches] == [(T.PG, "lease_held"), (T.AVG, "skipped")]
    assert engine.scalar(f"SELECT count(*) FROM ledger.partitions WHERE model = ?", [T.PG]) == 0
    # Expired, or held by a dead process: free again.
    engine.execute("UPDATE ledger.leases SET expires_at = now()::TIMESTAMP - INTERVAL 1 SECOND")
    leases.acquire(engine, T.PG, [day], "me", 60)
    dead = subprocess.Popen(["true"])
    dead.wait()
    engine.execute("UPDATE ledger.leases SET holder = ?, expires_at = now()::TIMESTAMP + INTERVAL 1 HOUR",
                   [f"{other.split(':')[0]}:{dead.pid}:dead-run"])
    leases.acquire(engine, T.PG, [day], "me", 60)
    assert engine.fetchall("SELECT holder FROM ledger.leases") == [("me",)]


# -- real processes -------------------------------------------------------------------------

def cli(*args, warehouse: Path, env=None, **kw) -> subprocess.Popen:
    cmd = [*CLI, "backfill", "--models", TOYS, "-w", str(warehouse), *args]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env, **kw)


def written_once(engine) -> None:
    """No (model, date) was written by two successful batches."""
    twice = engine.fetchall("""
        SELECT b.model, g.game_date, count(*) FROM ledger.batches b
        JOIN raw.game_dates g ON g.game_date BETWEEN b.start_date AND b.end_date
        WHERE b.outcome = 'ok' GROUP BY ALL HAVING count(*) > 1 LIMIT 5""")
    assert twice == []


def test_sigkill_mid_run_then_rerun_matches_clean_run(tmp_path, clean_fingerprints):
    wh = new_warehouse(tmp_path / "w.duckdb")
    proc = cli("-t", f"{T.HIST},{T.AFTER}", "--max-batch-dates", "2", "--workers", "2", warehouse=wh,
               env={"TOY_SLEEP": "0.05"})
    seen = 0
    for line in proc.stdout:
        if line.startswith("batch "):
            seen += 1
            if seen == 12:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    eng = Engine(wh)
    done = eng.scalar("SELECT count(*) FROM ledger.partitions WHERE run_id <> 'load'")
    left = make_plan(eng, T.registry(), ALL, Scope())
    assert done >= 12 and left.n_partitions > 0, "the kill did not land mid-run"
    assert eng.scalar("SELECT count(*) FROM ledger.leases") > 0 or True  # leases of the dead run may remain
    eng.close()
    rerun = cli("-t", f"{T.HIST},{T.AFTER}", "--workers", "2", warehouse=wh)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, out + err
    eng = Engine(wh)
    assert fingerprints(eng) == clean_fingerprints
    no_duplicates(eng)
    written_once(eng)
    assert make_plan(eng, T.registry(), ALL, Scope()).batches == ()
    eng.close()


def test_two_backfills_at_once_never_write_a_partition_twice(tmp_path, clean_fingerprints):
    """Overlapping ranges at the same time: DuckDB's file lock makes the later one wait (--wait); it then
    plans from the coverage the first left and writes only what is still missing. (toy_history is left
    out: its all_before window would legitimately make later dates stale when earlier ones are built.)"""
    wh = new_warehouse(tmp_path / "w.duckdb")
    target = f"{T.COMP},{T.AFTER}"
    a = cli("-t", target, "--seasons", "2022-23:2023-24", "--wait", "120", warehouse=wh, env={"TOY_SLEEP": "0.05"})
    b = cli("-t", target, "--seasons", "2023-24", "--wait", "120", warehouse=wh, env={"TOY_SLEEP": "0.05"})
    outs = [p.communicate(timeout=180) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, outs
    eng = Engine(wh)
    written_once(eng)
    no_duplicates(eng)
    built = [m.name for m in T.MODELS if m.name != T.HIST]
    assert fingerprints(eng, built) == {k: v for k, v in clean_fingerprints.items() if k[0] in built}
    seasons = eng.fetchall("""SELECT r.run_id, list(DISTINCT g.season ORDER BY g.season) FROM ledger.runs r
                              JOIN ledger.batches b USING (run_id) JOIN raw.game_dates g
                                ON g.game_date BETWEEN b.start_date AND b.end_date GROUP BY 1""")
    eng.close()
    # Either the 2023-24 run went first and the other built only 2022-23, or the other way round and
    # the 2023-24 run found nothing to do.
    assert sorted(s for _, s in seasons) in ([["2022-23"], ["2023-24"]], [["2022-23", "2023-24"]])
    if len(seasons) == 1:
        assert any("Nothing to do" in o for o, _ in outs)


def test_second_backfill_without_wait_stops_with_a_clear_message(tmp_path):
    wh = new_warehouse(tmp_path / "w.duckdb")
    a = cli("-t", T.AFTER, "--max-batch-dates", "10", warehouse=wh, env={"TOY_SLEEP": "1"})
    for line in a.stdout:
        if line.startswith("batch "):
            break
    b = cli("-t", T.AFTER, warehouse=wh)
    _, err = b.communicate(timeout=60)
    a.communicate(timeout=120)
    assert b.returncode == 1 and "in use by another courtside process" in err and "nothing was written" in err
    eng = Engine(wh)
    written_once(eng)
    eng.close()


def test_saved_plan_refused_by_backfill_after_coverage_changed(tmp_path):
    wh = new_warehouse(tmp_path / "w.duckdb")
    plan_file = tmp_path / "plan.json"
    base = [*CLI, "plan", "--models", TOYS, "-w", str(wh), "-t", T.COMP, "--seasons", "2023-24"]
    subprocess.run([*base, "--out", str(plan_file)], check=True, capture_output=True)
    first = cli("-t", T.PG, "--start", "2023-10-20", "--end", "2023-10-22", warehouse=wh)
    assert first.wait(timeout=60) == 0
    refused = cli("--plan", str(plan_file), warehouse=wh)
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 1 and "coverage is now" in err and "make a new plan" in err
    subprocess.run([*base, "--out", str(plan_file)], check=True, capture_output=True)
    ok = cli("--plan", str(plan_file), "--json", warehouse=wh)
    out, err = ok.communicate(timeout=60)
    assert ok.returncode == 0, err
    assert '"outcome": "ok"' in out


def test_status_and_validate_commands_json(tmp_path):
    wh = new_warehouse(tmp_path / "w.duckdb")
    assert cli("-t", T.AVG, "--seasons", "2023-24", "--phase", "playoffs", "--no-validate", warehouse=wh).wait(60) == 0
    common = ["--models", TOYS, "-w", str(wh), "--json"]
    out = subprocess.run([*CLI, "status", "-m", T.AVG, "-m", T.PG, "--start", "2024-04-18", "--end", "2024-04-30",
                          *common], capture_output=True, text=True, check=True).stdout
    import json

    status = json.loads(out)
    avg = [e for e in status["matrix"] if e["model"] == T.AVG][0]
    assert (avg["season"], avg["complete"], avg["game_dates"], avg["empty_by_design"]) == ("2023-24", 6, 6, 7)
    assert avg["pct_complete"] == 100.0
    out = subprocess.run([*CLI, "status", "--target", T.HIST, *common], capture_output=True, text=True, check=True).stdout
    hist = {(e["model"], e["season"]): e for e in json.loads(out)["matrix"]}
    assert hist[(T.PG, "2023-24")]["complete"] == 30 and hist[(T.HIST, "2022-23")]["blocked"] > 0
    out = subprocess.run([*CLI, "validate", "-m", T.PG, *common], capture_output=True, text=True, check=True).stdout
    rows = json.loads(out)
    assert [(r["season"], r["dates"], r["rows"], r["duplicates"]) for r in rows] == [("2023-24", 30, 360, 0)]


def test_scattered_gaps_run_as_one_statement_per_model(engine, clean_fingerprints):
    reg = T.registry()
    assert execute(engine, reg, make_plan(engine, reg, ALL, Scope())).outcome == "ok"
    gaps = [dt.date(2022, 10, 21), dt.date(2022, 11, 5), dt.date(2023, 4, 22), dt.date(2023, 10, 25)]
    engine.execute(f"DELETE FROM {T.COMP} WHERE list_contains(?::DATE[], game_date)", [gaps])
    engine.execute("DELETE FROM ledger.partitions WHERE model = ? AND list_contains(?::DATE[], game_date)", [T.COMP, gaps])
    plan = make_plan(engine, reg, ALL, Scope())
    comp = [b for b in plan.batches if b.model == T.COMP]
    # the plan still shows contiguous batches with their reasons; the executor runs them together
    assert [b.dates for b in comp] == [(d,) for d in sorted(gaps, reverse=True)] or \
        sorted(d for b in comp for d in b.dates) == gaps
    assert all(b.reasons == (("missing", 1),) for b in comp) and len({b.group for b in comp}) == 1
    run = execute(engine, reg, plan)
    assert run.outcome == "ok" and run.count("ok") == len(plan.batches)
    written = engine.fetchall("SELECT DISTINCT written_at FROM ledger.partitions WHERE model = ? "
                              "AND list_contains(?::DATE[], game_date)", [T.COMP, gaps])
    assert len(written) == 1  # one transaction wrote all four dates
    assert engine.scalar("SELECT count(*) FROM ledger.batches WHERE run_id = ? AND model = ?",
                         [run.run_id, T.COMP]) == len(comp)
    assert fingerprints(engine) == clean_fingerprints
    no_duplicates(engine)
