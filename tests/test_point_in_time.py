"""Invariant 1, point in time, for EVERY model of the registry (DESIGN.md section 2, issue 3).

For a date D, the rows of every model are identical whether the warehouse holds all the data or
only what was knowable before tip-off on D (courtside.pit.truncate_to_before: no raw row dated D
or later except D's schedule without scores, pre-tip prop snapshots and closing lines).

How: one build of every model on all the data (shared by all cases), then for each sampled D a copy
of the loaded warehouse cut back to before D and rebuilt with courtside.build.build in registry
order up to D - the daily path (invariant 5). Each model is built over the dates D's rows need,
read from the registry's windows (`needed_start`): in practice [first game date, D] for every model
the walk-forward predictions train on (their `all_before` windows reach the first date), and only
D and the date before it for the predictions (graded on the date before; training costs per month). On the full copy
every model is built up to the last date of the data, except the predictions (each sampled date, as
a batch running a week past it, so that a SQL reading up to `$end` instead of `< D` shows up).
Models are parametrised from the registry, so a model added later is covered without a change here.
Models made from a date's own results (per-game summaries, grading; courtside.pit.post_game_models)
are compared on the game date before D instead: they may use that date's games, nothing later.
Rows are compared sorted, doubles rounded to 6 places; a failure names the differing columns.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import time
from dataclasses import dataclass, field

import pytest

from courtside.models.registry import load_registry

from courtside.pit import post_game_models

_REGISTRY = load_registry(check=False)
MODELS = [m.name for m in _REGISTRY if m.kind != "source"]
# Models made from a date's own results (per-game summaries, grading): compared on the game date
# before D, on the copy cut back to before D - their rows may use that date's games, nothing later.
POST_GAME = post_game_models(_REGISTRY)

# Sampled dates, by role; each resolves to a real game date of the loaded calendar (SQL over raw.game_dates).
ROLES: dict[str, str] = {
    # the very first days of seasons: empty or tiny histories, last season's roster
    "2021-22 opening night": "season = '2021-22' AND season_type = 'regular' ORDER BY game_date LIMIT 1",
    "2022-23 third game date": "season = '2022-23' AND season_type = 'regular' ORDER BY game_date LIMIT 1 OFFSET 2",
    "2024-25 opening night (threes props)": "season = '2024-25' AND season_type = 'regular' ORDER BY game_date LIMIT 1",
    # mid-season, with lines
    "2023-24 mid-season (PRA props)": "season = '2023-24' AND season_type = 'regular' ORDER BY game_date LIMIT 1 OFFSET 90",
    "2024-25 first date of timed threes snapshots": (
        "game_date = (SELECT min(game_date) FROM raw.player_props WHERE market = 'threes' AND snapshot_at < tipoff_at)"),
    # phases after the regular season
    "2023-24 first play-in date": "season = '2023-24' AND season_type = 'play-in' ORDER BY game_date LIMIT 1",
    "2022-23 playoff date": "season = '2022-23' AND season_type = 'playoffs' ORDER BY game_date LIMIT 1 OFFSET 5",
    # the reduced 2025-26 boxes
    "2025-26 early season": "season = '2025-26' AND season_type = 'regular' ORDER BY game_date LIMIT 1 OFFSET 9",
}


@dataclass
class Snapshot:
    """Rows per (model, date) of one warehouse, and the models that failed to build there."""

    rows: dict[tuple[str, dt.date], list[tuple]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    build_errors: dict[str, str] = field(default_factory=dict)
    model_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class PitRun:
    dates: dict[str, dt.date]
    previous: dict[dt.date, dt.date]   # sampled date -> the game date before it
    full: Snapshot
    cut: dict[dt.date, Snapshot]
    grains: dict[str, tuple[str, ...]]


def _normal(value):
    """Comparable form: doubles rounded to 6 places, lists/structs as tuples."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else round(value, 6) + 0.0  # + 0.0 folds -0.0 into 0.0
    if hasattr(value, "as_tuple"):  # Decimal
        return round(float(value), 6) + 0.0
    if isinstance(value, (list, tuple)):
        return tuple(_normal(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    return value


def needed_start(registry, engine, targets: dict[str, dt.date]) -> dict[str, dt.date]:
    """For each model, the first date it must be built from so that every target's rows for its date can be built.

    Walks the DAG from the targets upstream: an edge's window applied to the child's first date gives
    the earliest upstream date it reads (same_date: that date; season windows: the season's start;
    days_before(N): N days earlier; all_before: the first game date).
    """
    first = engine.scalar("SELECT min(game_date) FROM raw.game_dates")

    def season_start(d: dt.date) -> dt.date:
        return engine.scalar("SELECT max(season_start) FROM raw.game_dates WHERE game_date <= ?", [d]) or first

    lo: dict[str, dt.date] = dict(targets)
    for name in reversed(registry.order):
        if name not in lo:
            continue
        for edge in registry[name].edges:
            if registry[edge.upstream].kind == "source":
                continue
            kind, child = edge.window.kind, lo[name]
            if kind == "same_date":
                bound = child
            elif kind in ("season_before", "season_through"):
                bound = season_start(child)
            elif kind == "days_before":
                bound = child - dt.timedelta(days=edge.window.days)
            else:
                bound = first
            lo[edge.upstream] = max(first, min(lo.get(edge.upstream, bound), bound))
    return lo


def _build_and_snapshot(path, batches: dict[str, list[tuple[dt.date, dt.date]]], dates: list[dt.date]) -> Snapshot:
    """Build the given batches of each model in registry order; keep the rows of `dates`."""
    from courtside.build import build
    from courtside.ledger import new_run_id
    from courtside.project import Project

    snap = Snapshot()
    t0 = time.perf_counter()
    with Project(path) as project:
        run_id = new_run_id()
        for model in project.registry:
            if model.name not in batches:
                continue
            t = time.perf_counter()
            try:
                for start, end in batches[model.name]:
                    build(project.engine, project.registry, model, start, end, run_id, context=project)
            except Exception as exc:  # noqa: BLE001 - recorded and reported by that model's test
                snap.build_errors[model.name] = f"{type(exc).__name__}: {exc}"
                continue
            finally:
                snap.model_seconds[model.name] = time.perf_counter() - t
            cur = project.engine.con.execute(
                f"SELECT * FROM {model.table} WHERE game_date IN ({', '.join('?' for _ in dates)})", dates)
            cols = [c[0] for c in cur.description]
            snap.columns[model.name] = cols
            gd = cols.index("game_date")
            for row in cur.fetchall():
                snap.rows.setdefault((model.name, row[gd]), []).append(tuple(_normal(v) for v in row))
    for key in snap.rows:
        snap.rows[key].sort(key=repr)
    snap.seconds = time.perf_counter() - t0
    return snap


def run_pit(loaded_warehouse, work, roles: dict[str, str]) -> PitRun:
    """The whole experiment (also callable from a script, for timing)."""
    from courtside.engine.duckdb import Engine
    from courtside.pit import truncate_to_before
    from courtside.project import Project

    registry = load_registry(check=False)
    with Engine(loaded_warehouse) as eng:
        first, last = eng.fetchone("SELECT min(game_date), max(game_date) FROM raw.game_dates")
        dates, previous = {}, {}
        for role, where in roles.items():
            day = eng.scalar(f"SELECT game_date FROM raw.game_dates WHERE {where}")
            assert day is not None, f"no game date for role {role!r}: the calendar lacks it"
            dates[role] = day
            previous[day] = eng.scalar("SELECT max(game_date) FROM raw.game_dates WHERE game_date < ?", [day])
        wanted = sorted(set(dates.values()))
        targets = {day: {m: (previous[day] if m in POST_GAME else day) for m in MODELS} for day in wanted}
        needed = {day: needed_start(registry, eng, targets[day]) for day in wanted}
    kept = sorted(set(wanted) | set(previous.values()))

    # All data: each model from the earliest date any sampled date needs, to the end of the data -
    # except models only ever needed around the sampled dates (the predictions): a batch from there
    # to a week past each sampled date, so that a batch end beyond D is still exercised.
    full_batches: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for name in registry.order:
        starts = {day: needed[day][name] for day in wanted if name in needed[day]}
        if not starts:
            continue
        if all(start >= previous[day] for day, start in starts.items()):
            full_batches[name] = [(start, day + dt.timedelta(days=6)) for day, start in sorted(starts.items())]
        else:
            full_batches[name] = [(min(starts.values()), last)]
    full_path = work / "full.duckdb"
    shutil.copy(loaded_warehouse, full_path)
    full = _build_and_snapshot(full_path, full_batches, kept)
    full_path.unlink()

    cut: dict[dt.date, Snapshot] = {}
    for day in wanted:
        path = work / f"cut_{day}.duckdb"
        shutil.copy(loaded_warehouse, path)
        with Project(path) as project:
            truncate_to_before(project.engine, day, project.registry)
        batches = {name: [(start, day)] for name, start in needed[day].items()}
        cut[day] = _build_and_snapshot(path, batches, [day, previous[day]])
        path.unlink()
    grains = {m.name: m.grain for m in registry}
    return PitRun(dates, previous, full, cut, grains)


@pytest.fixture(scope="module")
def pit(loaded_warehouse, tmp_path_factory) -> PitRun:
    run = run_pit(loaded_warehouse, tmp_path_factory.mktemp("pit"), ROLES)
    print(f"\npoint in time: full build {run.full.seconds:.1f} s; cut builds "
          + ", ".join(f"{d} {s.seconds:.1f} s" for d, s in run.cut.items()))
    return run


def _diff(model: str, cols: list[str], grain: tuple[str, ...], full: list[tuple], cut: list[tuple]) -> str:
    """Which columns differ, with a few examples, matching rows by the model's grain."""
    key_idx = [cols.index(k) for k in grain if k in cols] or list(range(len(cols)))
    by_key_full = {tuple(r[i] for i in key_idx): r for r in full}
    by_key_cut = {tuple(r[i] for i in key_idx): r for r in cut}
    only_full = sorted(set(by_key_full) - set(by_key_cut), key=repr)
    only_cut = sorted(set(by_key_cut) - set(by_key_full), key=repr)
    differing: dict[str, list] = {}
    for k in sorted(set(by_key_full) & set(by_key_cut), key=repr):
        a, b = by_key_full[k], by_key_cut[k]
        for i, c in enumerate(cols):
            if a[i] != b[i]:
                differing.setdefault(c, []).append((k, a[i], b[i]))
    lines = [f"{model}: {len(full)} rows with all data, {len(cut)} rows when cut back to before the date"]
    if only_full:
        lines.append(f"  {len(only_full)} rows only with all data (grain {grain}), e.g. {only_full[:3]}")
    if only_cut:
        lines.append(f"  {len(only_cut)} rows only when cut back, e.g. {only_cut[:3]}")
    for c, examples in sorted(differing.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  column {c!r} differs on {len(examples)} rows, e.g. "
                     + "; ".join(f"{k}: all data {a!r} vs cut {b!r}" for k, a, b in examples[:3]))
    return "\n".join(lines)


# Known failures, found by this test and reported to the models' owners (strict: a fix turns them red
# until the entry is removed). Nothing here is tolerated silently; each names its cause.
KNOWN_FAILURES: dict[tuple[str, str], str] = {
}


def _cases():
    for model in MODELS:
        for role in ROLES:
            reason = KNOWN_FAILURES.get((model, role))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(model, role, marks=marks, id=f"{model}-{role}")


@pytest.mark.slow
@pytest.mark.parametrize("model,role", list(_cases()))
def test_rows_for_a_date_use_only_what_was_known_before_tipoff(pit: PitRun, model: str, role: str):
    cut_at = pit.dates[role]
    day = pit.previous[cut_at] if model in POST_GAME else cut_at
    assert model not in pit.full.build_errors, f"{model} failed to build on all data: {pit.full.build_errors[model]}"
    cut = pit.cut[cut_at]
    assert model not in cut.build_errors, f"{model} failed to build when cut back to before {cut_at}: {cut.build_errors[model]}"
    full_rows = pit.full.rows.get((model, day), [])
    cut_rows = cut.rows.get((model, day), [])
    if full_rows != cut_rows:
        pytest.fail(f"point in time broken on {day} ({role}; data cut back to before {cut_at}):\n"
                    + _diff(model, pit.full.columns[model], pit.grains[model], full_rows, cut_rows), pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
def test_the_sampled_dates_exercise_every_model(pit: PitRun, model: str):
    """A model with no rows on any sampled date would pass the comparison vacuously."""
    if model in pit.full.build_errors:
        pytest.fail(f"{model} failed to build on all data: {pit.full.build_errors[model]}", pytrace=False)
    days = {pit.previous[d] if model in POST_GAME else d for d in pit.dates.values()}
    with_rows = [day for day in days if pit.full.rows.get((model, day))]
    assert with_rows, f"{model} has no rows on any sampled date {sorted(set(pit.dates.values()))}"


def test_truncation_keeps_only_pre_tipoff_information(loaded_copy):
    """The cut itself: nothing after D; D's schedule without results; only pre-tip lines of D."""
    from courtside.pit import truncate_to_before
    from courtside.project import Project

    with Project(loaded_copy) as p:
        e = p.engine
        # a snapshot is pre-tip when taken before its game's tip-off (from any row of that game)
        e.execute("""CREATE OR REPLACE TEMP VIEW _pre_tip AS
            SELECT p.*, coalesce(p.snapshot_at < coalesce(p.tipoff_at, g.tip), FALSE) AS pre_tip
            FROM raw.player_props p LEFT JOIN (
                SELECT game_date, home_team, away_team, max(tipoff_at) AS tip FROM raw.player_props GROUP BY ALL) g
              ON g.game_date = p.game_date AND g.home_team IS NOT DISTINCT FROM p.home_team
             AND g.away_team IS NOT DISTINCT FROM p.away_team""")
        day = e.scalar("SELECT min(game_date) FROM _pre_tip GROUP BY game_date HAVING bool_or(pre_tip) "
                       "AND bool_or(NOT pre_tip) ORDER BY 1 LIMIT 1")
        assert day is not None, "the data has a date with both pre-tip and other snapshots"
        games_on_day = e.scalar("SELECT count(*) FROM raw.schedule WHERE game_date = ?", [day])
        pre_tip = e.scalar("SELECT count(*) FROM _pre_tip WHERE game_date = ? AND pre_tip", [day])
        result = truncate_to_before(e, day, p.registry)
        for table in ("raw.player_boxscores", "raw.team_boxscores", "raw.shots", "raw.player_boxscore_sources",
                      "raw.team_boxscore_sources"):
            assert e.scalar(f"SELECT count(*) FROM {table} WHERE game_date >= ?", [day]) == 0, table
        for table in ("raw.schedule", "raw.player_props", "raw.game_lines", "raw.schedule_sources"):
            assert e.scalar(f"SELECT count(*) FROM {table} WHERE game_date > ?", [day]) == 0, table
        assert e.scalar("SELECT count(*) FROM raw.schedule WHERE game_date = ?", [day]) == games_on_day
        assert e.fetchall("SELECT DISTINCT status, home_pts, away_pts FROM raw.schedule WHERE game_date = ?",
                          [day]) == [("scheduled", None, None)]
        assert e.scalar("SELECT count(*) FROM raw.player_props WHERE game_date = ?", [day]) == pre_tip
        assert result.deleted["raw.player_props"] > 0 and result.deleted["raw.player_boxscores"] > 0
        # the calendar still lists D (from its schedule), nothing after it; the raw ledger agrees with the data
        assert e.scalar("SELECT max(game_date) FROM raw.game_dates") == day
        assert e.scalar("SELECT max(game_date) FROM ledger.partitions WHERE model = 'raw.player_boxscores'") < day
        assert e.scalar("SELECT rows FROM ledger.partitions WHERE model = 'raw.player_props' AND game_date = ?",
                        [day]) == pre_tip
