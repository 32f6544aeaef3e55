"""`courtside sql`: a model's SQL, bound to a range, in DuckDB or a distributed engine's dialect."""

from __future__ import annotations

import typer

from courtside.cli import common


def register(app: typer.Typer) -> None:
    @app.command()
    def sql(
        model: str = typer.Option(..., "--model", "-m"),
        dialect: str = typer.Option("duckdb", "--dialect", help="duckdb | bigquery | spark"),
        start: common.Start = None,
        end: common.End = None,
    ) -> None:
        """Print a model's transform in the chosen SQL dialect (transpiled with SQLGlot)."""
        from courtside.dates import parse_date
        from courtside.engine.transpile import transpile
        from courtside.models.registry import load_registry

        with common.handled():
            m = load_registry()[model]
            if m.kind != "sql":
                raise common.CourtsideError(f"`{m.name}` is a {m.kind} model; it has no SQL transform")
            typer.echo(transpile(m.sql, dialect, parse_date(start) if start else None, parse_date(end) if end else None))
