"""`load_all`: every source file into the raw layer, idempotently, then the canonical tables and the ledger.

Order matters only for id resolution: schedule files, then team logs (the game index), then
player boxes (reduced logs resolve their game there), then the canonical tables, then shots,
props and game lines (whose player/game ids resolve against the canonical tables).

A file whose content hash is already recorded is not read further. A changed file replaces exactly
its own rows. A refused file keeps its previous rows. Canonical tables are rebuilt (set-based,
deterministic: rows keep their source provenance) only when a staging file changed.

The changed files of one spec are staged and written together (stage.py); a worker thread reads,
hashes and parses files ahead of the SQL.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from courtside.console import Console, NullConsole
from courtside.errors import CourtsideError, SourceError
from courtside.ledger import new_run_id, record_source_partitions
from courtside.sources import game_lines, player_boxes, props, schedule, shots, team_boxes
from courtside.sources.files import FileResult, FileSpec
from courtside.sources.stage import load_files, loaded_shas, read_file
from courtside.sources.teams import install_helpers, refresh_game_index

# Family name -> specs, in load order.
FAMILIES: tuple[tuple[str, tuple[FileSpec, ...]], ...] = (
    ("schedule", schedule.SPECS),
    ("team_boxscores", team_boxes.SPECS),
    ("player_boxscores", player_boxes.SPECS),
    ("shots", shots.SPECS),
    ("player_props", props.SPECS),
    ("game_lines", game_lines.SPECS),
)
BOX_FAMILIES = {"schedule", "team_boxscores", "player_boxscores"}
READ_AHEAD = 4  # specs parsed ahead of the one being written (bounds memory)

# The raw source models tracked in the ledger (model name == table name).
SOURCE_MODELS = ("raw.schedule", "raw.team_boxscores", "raw.player_boxscores", "raw.shots",
                 "raw.player_props", "raw.game_lines")


@dataclass
class TableSummary:
    table: str
    season: str | None
    rows: int
    games: int
    first_date: str | None
    last_date: str | None


@dataclass
class LoadReport:
    run_id: str
    data_dir: str
    seconds: float = 0.0
    files: list[FileResult] = field(default_factory=list)
    tables: list[TableSummary] = field(default_factory=list)
    rejects: dict[str, int] = field(default_factory=dict)          # target -> reject rows in the warehouse
    prop_resolution: list[dict] = field(default_factory=list)     # per props file: rows, player/game resolution rates
    ledger_changed: dict[str, int] = field(default_factory=dict)  # model -> partitions (re)written
    errors: list[str] = field(default_factory=list)
    phase_seconds: dict[str, float] = field(default_factory=dict)  # where the time went

    @property
    def changed(self) -> int:
        return sum(1 for f in self.files if f.status == "loaded")


def load_all(engine, data_dir: str | Path, console: Console | None = None, run_id: str | None = None) -> LoadReport:
    console = console or NullConsole()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():   # not an empty load: every caller (the CLI, benchmarks, tests) hears of it
        raise CourtsideError(f"data folder `{data_dir}` does not exist (set --data or COURTSIDE_DATA)")
    report = LoadReport(run_id=run_id or new_run_id(), data_dir=str(data_dir))
    started = time.perf_counter()
    with _no_automatic_checkpoints(engine):
        _load(engine, data_dir, console, report, started)
    mark = time.perf_counter()
    _checkpoint(engine)
    _phase(report, "checkpoint", mark)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _load(engine, data_dir: Path, console: Console, report: LoadReport, started: float) -> None:
    install_helpers(engine)
    props.load_events(engine, data_dir)
    changed_families: set[str] = set()
    batches = [(fam, spec, [(p, p.relative_to(data_dir).as_posix()) for p in _files(data_dir, spec)])
               for fam, specs in FAMILIES for spec in specs]
    progress = console.progress(sum(len(files) for *_, files in batches), "loading sources")
    index = _GameIndex(engine)
    known = loaded_shas(engine)
    # One worker reads, hashes and parses files ahead of the SQL (zlib, hashlib and the Arrow CSV
    # reader release the GIL), up to READ_AHEAD specs beyond the one being written.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="courtside-read") as pool:
        futures: list[list[Future]] = []

        def submit_up_to(last: int) -> None:
            for _, spec, files in batches[len(futures): last + 1]:
                futures.append([pool.submit(read_file, spec, path, rel, known.get((rel, spec.target)))
                                for path, rel in files])

        for i, (family, spec, files) in enumerate(batches):
            submit_up_to(i + READ_AHEAD)
            current, futures[i] = futures[i], []
            parsed = [f.result() for f in current]
            changed = [p for p in parsed if p is not None]
            if changed:
                index.ensure(spec.select(spec))
            written = iter(load_files(engine, spec, changed) if changed else [])
            for (path, rel), p in zip(files, parsed):
                result = FileResult(rel, spec.target, "unchanged") if p is None else next(written)
                report.files.append(result)
                if result.status == "loaded":
                    changed_families.add(family)
                    if family in ("schedule", "team_boxscores"):
                        index.stale = True
                elif result.status == "refused":
                    report.errors.append(result.error or rel)
                    console.warn(f"refused {result.error}")
                progress.advance(1, description=rel)
    progress.close()
    mark = _phase(report, "files", started)

    if changed_families & BOX_FAMILIES or _canonical_missing(engine):
        with engine.transaction() as con:
            team_boxes.build_canonical(con)
            schedule.build_canonical(con)
            player_boxes.build_canonical(con)
    mark = _phase(report, "canonical", mark)
    if changed_families:
        props.resolve_ids(engine)
        game_lines.resolve_ids(engine)
    mark = _phase(report, "resolve_ids", mark)
    for model in SOURCE_MODELS:
        report.ledger_changed[model] = record_source_partitions(engine, model, model, report.run_id)
    mark = _phase(report, "ledger", mark)
    report.tables = summarize(engine)
    report.rejects = dict(engine.fetchall("SELECT target, count(*) FROM raw.rejects GROUP BY 1 ORDER BY 1"))
    report.prop_resolution = props.resolution_rates(engine)
    _phase(report, "summary", mark)


@contextmanager
def _no_automatic_checkpoints(engine):
    """A bulk load passes DuckDB's WAL threshold several times, and each automatic checkpoint compresses
    and writes what is there so far (~0.5 s CPU each); `_checkpoint` afterwards writes it all once."""
    previous = engine.scalar("SELECT current_setting('checkpoint_threshold')")
    engine.execute("SET checkpoint_threshold = '64GB'")
    try:
        yield
    finally:
        engine.execute(f"SET checkpoint_threshold = '{previous}'")


def _checkpoint(engine) -> None:
    try:
        engine.execute("CHECKPOINT")
    except Exception:  # noqa: BLE001 - another transaction is open: DuckDB checkpoints later by itself
        pass


def _phase(report: LoadReport, name: str, since: float) -> float:
    now = time.perf_counter()
    report.phase_seconds[name] = round(now - since, 3)
    return now


def _files(data_dir: Path, spec: FileSpec) -> list[Path]:
    """The spec's files that exist (absent folders or files are simply skipped)."""
    return [p for p in sorted(data_dir.glob(spec.pattern))
            if p.is_file() and not any(p.match(x) for x in spec.exclude)]


class _GameIndex:
    """Refreshes `_game_index` only when a file that reads it is about to be staged after a change."""

    def __init__(self, engine):
        self.engine, self.stale = engine, False

    def ensure(self, select_sql: str) -> None:
        if self.stale and "_game_index" in select_sql:
            refresh_game_index(self.engine)
            self.stale = False


def _canonical_missing(engine) -> bool:
    """Staging rows without canonical rows (e.g. a warehouse from an interrupted load)."""
    return bool(engine.scalar("""SELECT (SELECT count(*) FROM raw.team_boxscore_sources) > 0
                                        AND (SELECT count(*) FROM raw.team_boxscores) = 0"""))


def summarize(engine) -> list[TableSummary]:
    """Rows, games and date range per raw table and season."""
    parts = []
    for table, season_expr, game_expr in (
        ("raw.schedule", "season", "game_id"),
        ("raw.team_boxscores", "season", "game_id"),
        ("raw.player_boxscores", "season", "game_id"),
        ("raw.shots", "season", "game_id"),
        ("raw.player_props", "_season(game_date)", "coalesce(game_id, CAST(game_date AS VARCHAR) || home_team || away_team)"),
        ("raw.game_lines", "season", "coalesce(game_id, CAST(game_date AS VARCHAR) || home_team)"),
    ):
        parts.append(f"""SELECT '{table}' AS t, {season_expr} AS season, count(*) AS n, count(DISTINCT {game_expr}) AS g,
                                CAST(min(game_date) AS VARCHAR) AS d0, CAST(max(game_date) AS VARCHAR) AS d1
                         FROM {table} GROUP BY 2""")
    rows = engine.fetchall(" UNION ALL ".join(parts) + " ORDER BY 1, 2")
    return [TableSummary(*r) for r in rows]
