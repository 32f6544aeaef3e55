"""`courtside data pull`: download the public source files from their pinned commits, verified."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from courtside.cli.common import Json, console, handled, print_json


def default_cache() -> Path:
    """`COURTSIDE_CACHE`, else the user's cache folder."""
    env = os.environ.get("COURTSIDE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "courtside" / "nba-data"


def pull_command(
    cache: Annotated[Optional[Path], typer.Option("--cache", help="Cache folder (env COURTSIDE_CACHE).")] = None,
    base_url: Annotated[Optional[str], typer.Option(
        "--base-url", help="Raw-file origin laid out as {base}/{repo}/{commit}/{path}.")] = None,
    api_url: Annotated[Optional[str], typer.Option(
        "--api-url", help="GitHub API origin serving {api}/repos/{repo}/git/blobs/{sha} (short refs, 404s).")] = None,
    only: Annotated[Optional[list[str]], typer.Option(
        "--only", help="Glob over cached names, e.g. 'shots_domsamangy/*' (repeatable).")] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Read the manifest from this data folder's PROVENANCE.json instead of the packaged copy.")] = None,
    json_out: Json = False,
) -> None:
    """Download the public files from their pinned commits and verify each git blob hash."""
    from courtside.sources.pull import DEFAULT_API_URL, DEFAULT_BASE_URL, build_manifest, pull

    with handled():
        manifest = build_manifest(data) if data else None
        report = pull(cache or default_cache(), base_url=base_url or DEFAULT_BASE_URL,
                      api_url=api_url or DEFAULT_API_URL, manifest=manifest, only=only)
        if json_out:
            print_json({"cache": report.cache, "base_url": report.base_url, "api_url": report.api_url, "ok": report.ok,
                        "counts": report.counts(), "files": report.files})
        else:
            out = console(False)
            rows = [[f.name, f.status, f.bytes or "", f.detail] for f in report.files
                    if f.status != "cached" or len(report.files) <= 40]
            out.table(f"data pull -> {report.cache}", ["file", "status", "bytes", "detail"], rows)
            out.info(", ".join(f"{n} {s}" for s, n in sorted(report.counts().items())))
        report.raise_for_problems()  # a refused or failed file makes the command exit non-zero


def register(app: typer.Typer) -> None:
    from courtside.cli.data import data_app

    data_app.command("pull")(pull_command)
