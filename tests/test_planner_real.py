"""The planner and executor on the real data and the real models (issue 4's checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from courtside.executor import execute
from courtside.models.targets import target_models
from courtside.planner.coverage import compute_coverage
from courtside.planner.plan import make_plan
from courtside.project import Project
from courtside.scope import Scope

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("courtside"))
PCF = "precompute.player_composite_factors"
TDZA = "precompute.team_defense_zone_analysis"
PSZA = "precompute.player_shot_zone_analysis"
PGS = "analytics.player_game_summary"


def _need(project, *models):
    missing = [m for m in models if m not in project.registry]
    if missing:
        pytest.skip(f"models not in the tree yet: {missing}")


def test_seed_situation_ml_ready_for_three_playoffs(loaded_copy):
    """Processors #1 and #2 complete for the 2021-22 playoffs; backfill ml-ready for three playoffs:
    they are skipped there, player_composite_factors and what it needs run, nothing of
    player_daily_cache or ml_feature_store."""
    first = Scope.of(seasons="2021-22", phase="playoffs")
    with Project(loaded_copy) as p:
        _need(p, PCF, TDZA, PSZA)
        run = execute(p.engine, p.registry, make_plan(p.engine, p.registry, [TDZA, PSZA], first), context=p)
        assert run.outcome == "ok"
        before = {(r[0], r[1]): r[2] for r in p.engine.fetchall(
            "SELECT model, game_date, run_id FROM ledger.partitions WHERE model IN (?, ?)", [TDZA, PSZA])}
        seed_days = set(first.game_dates(p.engine))
        assert {d for (m, d) in before if m == TDZA} >= seed_days

        scope = Scope.of(seasons="2021-22:2023-24", phase="playoffs")
        plan = make_plan(p.engine, p.registry, "ml-ready", scope)
        for b in plan.batches:
            if b.model in (TDZA, PSZA):
                assert not set(b.dates) & seed_days, f"{b.label()} rebuilds the complete 2021-22 playoffs"
        assert set(plan.models) == set(target_models(p.registry, "ml-ready"))
        assert not {b.model for b in plan.batches} & {"precompute.player_daily_cache", "precompute.ml_feature_store"}
        playoff_days = set(scope.game_dates(p.engine))

    out = subprocess.run([CLI, "backfill", "--target", "ml-ready", "--seasons", "2021-22:2023-24", "--phase",
                          "playoffs", "-w", str(loaded_copy), "--json"], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["run"]["outcome"] == "ok"
    built = {(b["model"]) for b in report["run"]["batches"]}
    assert PCF in built and not built & {"precompute.player_daily_cache", "precompute.ml_feature_store"}

    with Project(loaded_copy) as p:
        after = {(r[0], r[1]): r[2] for r in p.engine.fetchall(
            "SELECT model, game_date, run_id FROM ledger.partitions WHERE model IN (?, ?)", [TDZA, PSZA])}
        assert all(after[k] == before[k] for k in before if k[1] in seed_days), "seed partitions were rewritten"
        cov = compute_coverage(p.engine, p.registry, [PCF], sorted(playoff_days))
        assert {c.status for c in cov.cells.values()} <= {"complete", "partial"}
        assert all(not c.rebuild for c in cov.cells.values())
        assert p.engine.scalar("SELECT count(*) FROM ledger.partitions WHERE model IN "
                               "('precompute.player_daily_cache', 'precompute.ml_feature_store')") == 0
        assert not make_plan(p.engine, p.registry, "ml-ready", scope).batches  # nothing left


def test_half_of_player_game_summary_deleted_partial_and_exact_cascade(loaded_copy):
    scope = Scope.of(seasons="2023-24")
    with Project(loaded_copy) as p:
        _need(p, PCF, PGS)
        eng, reg = p.engine, p.registry
        assert execute(eng, reg, make_plan(eng, reg, "ml-ready", scope, workers=2), context=p, workers=2).outcome == "ok"
        assert not make_plan(eng, reg, "ml-ready", scope).batches
        day = eng.scalar("SELECT game_date FROM raw.game_dates WHERE season = '2023-24' AND season_type = 'regular' "
                         "ORDER BY game_date LIMIT 1 OFFSET 60")
        n, expected = eng.fetchone("SELECT rows, expected_rows FROM ledger.partitions WHERE model = ? AND game_date = ?",
                                   [PGS, day])
        keep = n - n // 2
        eng.execute(f"""DELETE FROM {reg[PGS].table} WHERE game_date = ? AND player_id IN
                        (SELECT player_id FROM {reg[PGS].table} WHERE game_date = ? ORDER BY player_id LIMIT ?)""",
                    [day, day, n // 2])
        cell = compute_coverage(eng, reg, [PGS], [day]).cell(PGS, day)
        assert cell.status == "partial" and cell.rows == keep
        assert cell.pct == round(100.0 * keep / expected, 1) and f"{cell.pct:.0f}%" in cell.detail

        plan = make_plan(eng, reg, "ml-ready", scope)
        got: dict[str, set] = {}
        for a in plan.actions:
            got.setdefault(a.model, set()).add(a.game_date)
        # Independent brute force over the registry's windows: which (model, date) read (PGS, day)?
        cal = {r[0]: r[1] for r in eng.fetchall("SELECT game_date, season_start FROM raw.game_dates")}
        days = scope.game_dates(eng)
        changed = {PGS: {day}}
        for m in target_models(reg, "ml-ready"):
            for e in reg[m].edges:
                for d in days:
                    if any(e.window.contains(d, u, cal[d]) for u in changed.get(e.upstream, ())):
                        changed.setdefault(m, set()).add(d)
        assert got == changed
        assert plan.actions[0].reason.code == "partial" or any(
            a.model == PGS and a.reason.code == "partial" for a in plan.actions)
        assert execute(eng, reg, plan, context=p, workers=2).outcome == "ok"
        assert not make_plan(eng, reg, "ml-ready", scope).batches
        assert compute_coverage(eng, reg, [PGS], [day]).cell(PGS, day).rows == n
