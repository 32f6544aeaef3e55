"""`courtside run`: the main job. Load the public data, backfill the whole DAG to a target
(by default `graded`), validate, and end with the grade report. Rerunning resumes: only what is
missing, partial or stale is built again.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from courtside.cli import common


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        target: Annotated[str, typer.Option("--target", "-t", help="ml-ready, features, predictions or graded.")] = "graded",
        seasons: common.Seasons = None,
        phase: common.Phase = "all",
        workers: Annotated[int, typer.Option("--workers", "-j", help="Batches run in parallel (threads).")] = 2,
        data: common.Data = None,
        warehouse: common.Warehouse = None,
        json_out: common.Json = False,
        wait: common.Wait = 0.0,
    ) -> None:
        """Load the data, backfill to the target, validate, and print the grade report."""
        from courtside.cli.data import _print as print_load, load_project_data
        from courtside.cli.ml_cmd import _print_report
        from courtside.cli.planning import _BatchLog, _show_plan, _show_run
        from courtside.executor import execute
        from courtside.ml.report import grade_report
        from courtside.planner.plan import make_plan
        from courtside.project import Project
        from courtside.scope import Scope
        from courtside.validation import SUMMARY_COLUMNS, as_dict, summary_rows, validate

        con = common.console(json_out)
        with common.handled(), Project(warehouse, data, con, wait_seconds=wait) as project:
            loaded = load_project_data(project, con)
            if not json_out:
                print_load(con, loaded)
            scope = Scope.of(None, None, seasons, phase)
            plan = make_plan(project.engine, project.registry, target, scope, workers=workers)
            if not json_out:
                _show_plan(con, plan)
            log = None if json_out or sys.stdout.isatty() else con
            result = execute(project.engine, project.registry, plan, context=project,
                             console=_BatchLog(con, log), workers=workers)
            checked = validate(project.engine, project.registry, list(plan.models), scope)
            graded = target == "graded" and result.outcome != "failed"
            report = grade_report(project.engine, "regular", None) if graded else None
        if json_out:
            common.print_json({"load": loaded, "run": result, "validation": [as_dict(v) for v in checked],
                               "grade_report": report})
        else:
            _show_run(con, result)
            con.table("Validation", SUMMARY_COLUMNS, summary_rows(checked))
            if report is not None:
                _print_report(report)
        if loaded.errors or result.outcome == "failed":
            raise typer.Exit(1)
