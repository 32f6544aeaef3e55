"""`courtside grade --report` and `courtside export ml-ready`: read-only views over the graded warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from courtside.cli.common import Json, Phase, Seasons, Warehouse, Wait, handled, print_json

export_app = typer.Typer(no_args_is_help=True, help="Export warehouse tables for other tools.")


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
    app.add_typer(export_app, name="export")


def grade(report: Annotated[bool, typer.Option("--report", help="Print the grade report.")] = True,
          warehouse: Warehouse = None, seasons: Seasons = None, phase: Phase = "regular",
          json_out: Json = False, wait: Wait = 0.0) -> None:
    """Graded predictions per system, market and season: MAE vs baselines and the line, hit rates by edge."""
    from courtside.dates import parse_season_span
    from courtside.ml.report import grade_report
    from courtside.project import Project

    with handled(), Project(warehouse, wait_seconds=wait) as p:
        out = grade_report(p.engine, phase, parse_season_span(seasons) if seasons else None)
    if json_out:
        print_json(out)
        return
    _print_report(out)


@export_app.command("ml-ready")
def export_ml_ready(seasons: Annotated[str, typer.Option("--seasons", help="Season or span, e.g. 2022-23:2024-25.")],
                    out: Annotated[Path, typer.Option("--out", help="Folder to write into.")],
                    warehouse: Warehouse = None, json_out: Json = False, wait: Wait = 0.0) -> None:
    """The feature store plus targets as Parquet, with feature_contract.json beside it."""
    from courtside.dates import parse_season_span
    from courtside.ml.export import export_ml_ready as run
    from courtside.project import Project

    with handled(), Project(warehouse, wait_seconds=wait) as p:
        result = run(p.engine, parse_season_span(seasons), out)
    if json_out:
        print_json(result)
    else:
        typer.echo(f"wrote {result.rows} rows ({result.first_date} .. {result.last_date}, {result.game_dates} game "
                   f"dates) to {result.parquet}; contract {result.contract}")
        if result.game_dates < result.calendar_game_dates:
            typer.secho(f"partial: the feature store has {result.game_dates} of the {result.calendar_game_dates} game "
                        f"dates of {', '.join(result.seasons)}; `courtside status --target features` shows which",
                        fg="yellow", err=True)


def _print_report(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    import sys

    # Logs and pipes get a wide table, not Rich's 80-column default.
    con = Console(width=None if sys.stdout.isatty() else 220)
    if not out["rows"]:
        con.print("no graded predictions yet: run `courtside backfill --target graded`")
        return
    t = Table(title=f"MAE ({out['phase']}), baselines on the same player-games, line on the rows with a line")
    for c in ("system", "market", "season", "graded", "MAE", "bias", "same rows", "MAE same", "season avg",
              "last 5", "last 10", "EWMA", "vs best %", "line rows", "MAE@line", "line MAE"):
        t.add_column(c, justify="right" if c not in ("system", "market", "season") else "left")
    f = lambda v, d=3: "-" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v))  # noqa: E731
    for r in out["rows"]:
        b = r["baseline_mae"]
        t.add_row(r["system"], r["market"], r["season"], f(r["graded"]), f(r["mae"]), f(r["bias"]),
                  f(r["same_rows"]), f(r["mae_same_rows"]), f(b["season_avg"]), f(b["last5"]), f(b["last10"]),
                  f(b["ewma"]), f(r["improvement_vs_best_pct"], 2), f(r["line_rows"]), f(r["mae_on_line_rows"]),
                  f(r["line_mae"]))
    con.print(t)
    attested = [r for r in out["rows"] if r["attested_line_rows"]]
    if attested:
        a = Table(title="Predictions without a proven pre-tip line, against ATTESTED lines (pre-tip timing stated "
                        "by the source, not provable from the data: grading only, never an input)")
        for c in ("system", "market", "season", "line rows", "MAE@line", "line MAE"):
            a.add_column(c)
        for r in attested:
            a.add_row(r["system"], r["market"], r["season"], f(r["attested_line_rows"]),
                      f(r["attested_mae_on_line_rows"]), f(r["attested_line_mae"]))
        con.print(a)
    h = Table(title=f"Hit rate by |edge| (pushes and voids excluded); break-even at -110 = {out['break_even']:.2%}; "
                    "* = whole 95% CI above break-even, ! = >= 60% on >= 100 picks: check for leakage; "
                    "implied = mean no-vig probability of the side taken (picks with prices), "
                    "$ = whole CI of the priced hit rate above it; lines: proven pre-tip, or attested")
    for c in ("system", "market", "season", "lines", "edge >=", "side", "picks", "hit rate", "95% CI", "priced",
              "priced hit", "implied"):
        h.add_column(c)
    pct = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
    for r in out["rows"]:
        for lines, rates in (("proven", r["hit_rates"]), ("attested", r["attested_hit_rates"])):
            for x in rates:
                if not x["picks"]:
                    continue
                mark = ("*" if x["above_break_even"] else "") + ("!" if x["red_flag"] else "")
                h.add_row(r["system"], r["market"], r["season"], lines, str(x["threshold"]), x["side"],
                          str(x["picks"]), f"{x['rate']:.1%}{mark}", f"{x['ci_low']:.1%} - {x['ci_high']:.1%}",
                          str(x["priced"]), pct(x["priced_rate"]) + ("$" if x["beats_prices"] else ""),
                          pct(x["implied_prob"]))
    con.print(h)
