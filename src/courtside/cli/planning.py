"""`courtside status | plan | backfill | validate`: coverage, plans, execution and validation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from courtside.cli import common

Target = Annotated[str, typer.Option("--target", "-t", help="Model or named target: ml-ready, features, predictions, graded.")]
Force = Annotated[bool, typer.Option("--force", help="Rebuild every (model, date) in scope, complete or not.")]
ForceModel = Annotated[Optional[List[str]], typer.Option("--force-model", help="Rebuild this model in scope (and cascade).")]
Strict = Annotated[bool, typer.Option("--strict-scope", help="Stop instead of adding upstream dates outside the scope.")]
Workers = Annotated[int, typer.Option("--workers", "-j", help="Batches run in parallel (threads).")]
MaxBatch = Annotated[Optional[int], typer.Option("--max-batch-dates", help="Cap on dates per batch (default: one season).")]
Deep = Annotated[bool, typer.Option("--deep", help="Also recompute every partition's data fingerprint, grain "
                                    "duplicates and expected rows (catches values edited in place; slower).")]
Models = Annotated[Optional[str], typer.Option("--models", hidden=True, help="Module or .py file with MODELS (extra registry).")]


def _registry(models: str | None):
    """The registry: discovered models, or the raw sources plus MODELS of a given module/file."""
    if not models:
        return None
    import importlib
    import importlib.util

    from courtside.models.raw.sources import MODELS as SOURCES
    from courtside.models.registry import load_registry

    if models.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(models).stem, models)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(models)
    return load_registry([*SOURCES, *mod.MODELS])


def _project(warehouse, wait, models, console=None):
    from courtside.project import Project

    return Project(warehouse, console=console, wait_seconds=wait, registry=_registry(models))


def _scope(start, end, seasons, phase):
    from courtside.scope import Scope

    return Scope.of(start, end, seasons, phase)


def _show_plan(con, plan) -> None:
    from courtside.planner import report

    con.info(report.plan_headline(plan))
    if plan.batches:
        con.table("Per model", report.PLAN_SUMMARY_COLUMNS, report.plan_summary_rows(plan))
        con.table("Batches (dependency order, most recent season first)", report.BATCH_COLUMNS, report.batch_rows(plan))


def _plan_json(plan) -> dict:
    return {**plan.to_dict(), "hash": plan.hash, "n_partitions": plan.n_partitions}


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        model: Annotated[Optional[List[str]], typer.Option("--model", "-m", help="Only this model (repeatable).")] = None,
        target: Annotated[Optional[str], typer.Option("--target", "-t", help="A target and its ancestors.")] = None,
        start: common.Start = None, end: common.End = None, seasons: common.Seasons = None,
        phase: common.Phase = "all",
        by: Annotated[str, typer.Option("--by", help="season | month")] = "season", deep: Deep = False,
        warehouse: common.Warehouse = None, json_out: common.Json = False, wait: common.Wait = 0.0,
        models: Models = None,
    ) -> None:
        """Coverage as a model x season (or month) matrix, reconciled with the tables themselves."""
        from courtside.models.targets import target_models
        from courtside.planner import report
        from courtside.planner.coverage import compute_coverage, empty_days

        with common.handled(), _project(warehouse, wait, models) as project:
            scope = _scope(start, end, seasons, phase)
            reg = project.registry
            if model:
                names = [reg[m].name for m in model]
            elif target:
                names = target_models(reg, target)
            else:
                names = [m.name for m in reg if m.kind != "source"]
            days = scope.game_dates(project.engine)
            cov = compute_coverage(project.engine, reg, names, days, deep=deep)
            empty = []
            if scope.start and scope.end:
                empty = empty_days(set(cov.calendar), scope.start, scope.end)
            entries = report.status_matrix(cov, names, "month" if by == "month" else "season", empty)
            if json_out:
                payload = {"scope": scope.describe(), "by": by, "matrix": entries}
                if model:
                    payload["cells"] = [c for m in names for c in cov.of(m) if c.status != "complete"]
                common.print_json(payload)
                return
            con = common.console(False)
            cols, rows = report.matrix_table(entries, names, "month" if by == "month" else "season")
            con.table(f"Coverage ({scope.describe()}): complete/game dates", cols, rows)
            if model:
                bad = [c for m in names for c in cov.of(m) if c.status != "complete"][:60]
                if bad:
                    con.table("Not complete", ["model", "date", "status", "why"],
                              [[c.model, c.game_date, c.status, c.detail] for c in bad])

    @app.command()
    def plan(
        target: Target, start: common.Start = None, end: common.End = None, seasons: common.Seasons = None,
        phase: common.Phase = "all", force: Force = False, force_model: ForceModel = None,
        strict_scope: Strict = False, workers: Workers = 2, max_batch_dates: MaxBatch = None, deep: Deep = False,
        out: Annotated[Optional[Path], typer.Option("--out", help="Save the plan (with its coverage hash).")] = None,
        warehouse: common.Warehouse = None, json_out: common.Json = False, wait: common.Wait = 0.0,
        models: Models = None,
    ) -> None:
        """What a backfill would build, why, in which batches, and how long it should take."""
        from courtside.planner.plan import make_plan

        with common.handled(), _project(warehouse, wait, models) as project:
            p = make_plan(project.engine, project.registry, target, _scope(start, end, seasons, phase),
                          force=force, force_models=tuple(force_model or ()), extend=not strict_scope,
                          max_batch_dates=max_batch_dates, workers=workers, deep=deep)
            if out:
                out.write_text(p.to_json())
            if json_out:
                common.print_json(_plan_json(p))
            else:
                _show_plan(common.console(False), p)
                if out:
                    typer.echo(f"saved to {out} (coverage hash {p.coverage_hash})")

    @app.command()
    def backfill(
        target: Annotated[Optional[str], typer.Option("--target", "-t", help="Model or named target.")] = None,
        start: common.Start = None, end: common.End = None, seasons: common.Seasons = None,
        phase: common.Phase = "all", force: Force = False, force_model: ForceModel = None,
        strict_scope: Strict = False, workers: Workers = 2, max_batch_dates: MaxBatch = None, deep: Deep = False,
        plan_file: Annotated[Optional[Path], typer.Option("--plan", help="Apply a saved plan (refused if coverage changed).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and do nothing else.")] = False,
        lease_wait: Annotated[float, typer.Option("--lease-wait", help="Seconds to wait for partitions leased by another run.")] = 0.0,
        no_validate: Annotated[bool, typer.Option("--no-validate", help="Skip the validation summary at the end.")] = False,
        warehouse: common.Warehouse = None, json_out: common.Json = False, wait: common.Wait = 0.0,
        models: Models = None,
    ) -> None:
        """Plan, pre-flight and build what is missing, partial or stale, in dependency order."""
        from courtside.errors import PlanError
        from courtside.executor import execute
        from courtside.planner.plan import Plan, check_plan_current, make_plan, scope_from_dict
        from courtside.validation import SUMMARY_COLUMNS, as_dict, summary_rows, validate

        con = common.console(json_out)
        with common.handled(), _project(warehouse, wait, models, con) as project:
            eng, reg = project.engine, project.registry
            if plan_file:
                p = Plan.from_json(plan_file.read_text())
                scope = scope_from_dict(p.scope)
                check_plan_current(eng, reg, p, f"plan {plan_file}")
            else:
                if not target:
                    raise PlanError("give --target (a model or ml-ready, features, predictions, graded) or --plan FILE")
                scope = _scope(start, end, seasons, phase)
                p = make_plan(eng, reg, target, scope, force=force, force_models=tuple(force_model or ()),
                              extend=not strict_scope, max_batch_dates=max_batch_dates, workers=workers,
                              deep=deep)
            if dry_run:
                common.print_json(_plan_json(p)) if json_out else _show_plan(con, p)
                return
            if not json_out:
                _show_plan(con, p)
            log = None if json_out or sys.stdout.isatty() else con
            run = execute(eng, reg, p, context=project, console=_BatchLog(con, log), workers=workers,
                          lease_wait=lease_wait)
            checked = [] if no_validate else validate(eng, reg, list(p.models), scope)
            if json_out:
                common.print_json({"run": run, "plan": {"hash": p.hash, "batches": len(p.batches),
                                                        "eta_p50": p.eta_p50, "eta_p90": p.eta_p90},
                                   "validation": [as_dict(v) for v in checked]})
            else:
                _show_run(con, run)
                if checked:
                    con.table("Validation", SUMMARY_COLUMNS, summary_rows(checked))
            if run.outcome == "failed":
                raise typer.Exit(1)

    @app.command(name="validate")
    def validate_cmd(
        model: Annotated[Optional[List[str]], typer.Option("--model", "-m", help="Only this model (repeatable).")] = None,
        target: Annotated[Optional[str], typer.Option("--target", "-t", help="A target and its ancestors.")] = None,
        start: common.Start = None, end: common.End = None, seasons: common.Seasons = None,
        phase: common.Phase = "all", warehouse: common.Warehouse = None, json_out: common.Json = False,
        wait: common.Wait = 0.0, models: Models = None,
    ) -> None:
        """Per model and season: dates, rows, expected, players, duplicates, nulls, violations, changes."""
        from courtside.models.targets import target_models
        from courtside.validation import SUMMARY_COLUMNS, as_dict, summary_rows, validate

        with common.handled(), _project(warehouse, wait, models) as project:
            reg = project.registry
            names = ([reg[m].name for m in model] if model else target_models(reg, target) if target
                     else [m.name for m in reg if m.kind != "source"])
            checked = validate(project.engine, reg, names, _scope(start, end, seasons, phase))
            if json_out:
                common.print_json([as_dict(v) for v in checked])
            else:
                common.console(False).table("Validation", SUMMARY_COLUMNS, summary_rows(checked))
            if any(v.duplicates or v.n_violations for v in checked):
                raise typer.Exit(1)


class _BatchLog:
    """The run's console: progress bars, plus one plain line per batch when output is not a terminal
    (logs and CI see what happened; a watcher can follow along)."""

    def __init__(self, con, log):
        self._con, self._log = con, log

    def info(self, message: str) -> None:
        self._con.info(message)

    def warn(self, message: str) -> None:
        self._con.warn(message)

    def table(self, title, columns, rows) -> None:
        self._con.table(title, columns, rows)

    def progress(self, total: int, description: str):
        inner = self._con.progress(total, description) if self._log is None else None
        return _LogProgress(inner, self._log)


class _LogProgress:
    def __init__(self, inner, log):
        self._inner, self._log = inner, log

    def advance(self, n: int = 1, description: str | None = None) -> None:
        if self._inner is not None:
            self._inner.advance(n, description)
        if self._log is not None and description:
            self._log.info(f"batch {description}")
            sys.stdout.flush()

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def _show_run(con, run) -> None:
    con.info(f"run {run.run_id}: {run.outcome}; {run.count('ok')} batches ok, {run.count('failed')} failed, "
             f"{run.count('skipped')} skipped, {run.count('lease_held')} held by another run; {run.rows} rows "
             f"in {run.seconds:.1f}s (plan ETA p50 {run.eta_p50:.1f}s, p90 {run.eta_p90:.1f}s)")
    bad = [b for b in run.batches if b.outcome != "ok"]
    if bad:
        con.table("Not built", ["model", "dates", "outcome", "why"],
                  [[b.model, f"{b.start}..{b.end}", b.outcome, (b.error or "")[:200]] for b in bad])
        con.info("Rerun the same command to resume: it plans only what is still missing.")
