"""Model, Edge, Window and Check, and the Registry that is the DAG.

A model is declared in one module under models/<layer>/ as `MODEL = Model(...)`.
Its SQL is one set-based SELECT over the date range `$start` .. `$end` (inclusive),
and it must produce a `game_date` column. The registry checks at load time that every
table the SQL reads is a declared edge, that no edge is declared in vain, and that there
are no cycles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Literal

from courtside.errors import ModelError
from courtside.models.reads import tables_read

WindowKind = Literal["same_date", "season_before", "days_before", "season_through", "all_before"]


@dataclass(frozen=True)
class Window:
    """Which upstream dates a partition for date D reads.

    same_date       D only (e.g. D's schedule, or a per-game summary of D itself)
    season_before   every date of D's season strictly before D
    season_through  D's season up to and including D (only for pre-game data such as the schedule)
    days_before(N)  [D - N days, D)
    all_before      every date strictly before D (walk-forward training)
    """

    kind: WindowKind
    days: int = 0

    @classmethod
    def same_date(cls) -> "Window":
        return cls("same_date")

    @classmethod
    def season_before(cls) -> "Window":
        return cls("season_before")

    @classmethod
    def season_through(cls) -> "Window":
        return cls("season_through")

    @classmethod
    def days_before(cls, n: int) -> "Window":
        return cls("days_before", n)

    @classmethod
    def all_before(cls) -> "Window":
        return cls("all_before")

    def sql(self, u: str = "u", d: str = "d") -> str:
        """Condition on upstream dates `u.game_date` for a target row `d` (game_date, season_start)."""
        if self.kind == "same_date":
            return f"{u}.game_date = {d}.game_date"
        if self.kind == "season_before":
            return f"{u}.game_date >= {d}.season_start AND {u}.game_date < {d}.game_date"
        if self.kind == "season_through":
            return f"{u}.game_date >= {d}.season_start AND {u}.game_date <= {d}.game_date"
        if self.kind == "days_before":
            return f"{u}.game_date >= {d}.game_date - INTERVAL {self.days} DAY AND {u}.game_date < {d}.game_date"
        if self.kind == "all_before":
            return f"{u}.game_date < {d}.game_date"
        raise ModelError(f"unknown window kind {self.kind!r}")

    def contains(self, target: dt.date, upstream: dt.date, season_start: dt.date) -> bool:
        if self.kind == "same_date":
            return upstream == target
        if self.kind == "season_before":
            return season_start <= upstream < target
        if self.kind == "season_through":
            return season_start <= upstream <= target
        if self.kind == "days_before":
            return target - dt.timedelta(days=self.days) <= upstream < target
        return upstream < target

    def __str__(self) -> str:
        return f"days_before({self.days})" if self.kind == "days_before" else self.kind


@dataclass(frozen=True)
class Edge:
    upstream: str
    window: Window


@dataclass(frozen=True)
class Check:
    """A row-level check: `kind` is 'range', 'not_null' or 'unique' (unique is implied by the grain)."""

    kind: Literal["range", "not_null"]
    column: str
    low: float | None = None
    high: float | None = None

    def violation_sql(self) -> str:
        """A boolean SQL expression true on a violating row."""
        if self.kind == "not_null":
            return f'"{self.column}" IS NULL'
        conds = []
        if self.low is not None:
            conds.append(f'"{self.column}" < {self.low}')
        if self.high is not None:
            conds.append(f'"{self.column}" > {self.high}')
        return "(" + " OR ".join(conds) + ")" if conds else "FALSE"

    def label(self) -> str:
        return f"{self.column} not null" if self.kind == "not_null" else f"{self.column} in [{self.low}, {self.high}]"


def not_null(*columns: str) -> tuple[Check, ...]:
    return tuple(Check("not_null", c) for c in columns)


def in_range(column: str, low: float | None, high: float | None) -> Check:
    return Check("range", column, low, high)


ModelKind = Literal["source", "sql", "python"]


@dataclass(frozen=True)
class SqlRows:
    """What a Python model may return instead of a DataFrame: a SELECT of its rows over temp tables it made,
    and `cleanup`, which drops them once the build has written the rows. Millions of rows then go from the
    model's tables into its table in one statement, not out to Arrow and back (predictions: 3.5M rows)."""

    sql: str
    cleanup: Callable[[], None]


@dataclass(frozen=True)
class Model:
    """One date-partitioned table.

    expected: SQL returning (game_date, expected_rows) for `$start`..`$end`: how many rows a
              complete partition has, derived from the schedule or an upstream table.
    python:   for ML models, fn(ctx, start, end) -> the model's rows: a pandas DataFrame, an Arrow table,
              or SqlRows.
    params:   parameters that shape the output (they enter the code version).
    grading_only: rows not claimed to be point-in-time (e.g. lines whose pre-tip timing is attested,
              not proven); only other grading_only or grading-layer models may read them, so they
              can never reach a feature or a prediction (checked by the Registry).
    one_date_sql, one_date_expected: the same transform (and expected rows) for a batch of exactly one
              game date, `$start` (with `$season_start` and `$prior_season_start`, the first game dates of its
              season and of the one before, as values: build.one_date_values), written without the windows
              over the season that a range needs (DuckDB pays a few ms per window operator and ASOF join,
              whatever their size): the daily path. It
              must write exactly the rows of `sql` and count exactly what `expected` counts - bit for bit,
              its small-batch test compares both on many dates - and produce the same columns and types
              (build() refuses a batch whose shape differs from the table's).
    """

    name: str
    layer: str
    grain: tuple[str, ...]
    description: str = ""
    kind: ModelKind = "sql"
    sql: str = ""
    edges: tuple[Edge, ...] = ()
    expected: str | None = None
    checks: tuple[Check, ...] = ()
    key_columns: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    python: Callable | None = None
    partition: str = "game_date"
    # Python models declare which tables they read, because there is no SQL to parse.
    reads: tuple[str, ...] = ()
    grading_only: bool = False
    one_date_sql: str | None = None
    one_date_expected: str | None = None

    @property
    def table(self) -> str:
        return self.name

    @cached_property
    def code_version(self) -> str:
        """Derived from the definition, never set by hand: SQL text, edges, grain and params."""
        payload = {
            "sql": " ".join(self.sql.split()),
            "expected": " ".join((self.expected or "").split()),
            "edges": [(e.upstream, str(e.window)) for e in self.edges],
            "grain": list(self.grain),
            "params": self.params,
        }
        for key in ("one_date_sql", "one_date_expected"):   # only when set: other models keep their versions
            if getattr(self, key):
                payload[key] = " ".join(getattr(self, key).split())
        if self.python is not None:
            import inspect

            payload["python"] = inspect.getsource(self.python)
            mod = inspect.getmodule(self.python)
            if mod is not None:
                payload["module"] = inspect.getsource(mod)
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def upstreams(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.upstream for e in self.edges))


class Registry:
    """The DAG of models, in topological order."""

    def __init__(self, models: list[Model]):
        by_name: dict[str, Model] = {}
        for m in models:
            if m.name in by_name:
                raise ModelError(f"model `{m.name}` is declared twice")
            by_name[m.name] = m
        self.models = by_name
        for m in models:
            for e in m.edges:
                if e.upstream not in by_name:
                    raise ModelError(f"model `{m.name}` has an edge to unknown model `{e.upstream}`")
                if by_name[e.upstream].grading_only and not (m.grading_only or m.layer == "grading"):
                    raise ModelError(f"model `{m.name}` (layer {m.layer}) reads `{e.upstream}`, which is "
                                     "grading-only: its rows are not proven point-in-time")
        self.order = self._toposort()

    def __getitem__(self, name: str) -> Model:
        try:
            return self.models[name]
        except KeyError:
            matches = [n for n in self.models if n.split(".")[-1] == name]
            if len(matches) == 1:
                return self.models[matches[0]]
            raise ModelError(f"unknown model `{name}`; known: {', '.join(sorted(self.models))}") from None

    def __contains__(self, name: str) -> bool:
        return name in self.models

    def __iter__(self):
        return (self.models[n] for n in self.order)

    def _toposort(self) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise ModelError("cycle in the model graph: " + " -> ".join(path + [name]))
            state[name] = 1
            for up in self.models[name].upstreams():
                visit(up, path + [name])
            state[name] = 2
            order.append(name)

        for name in sorted(self.models):
            visit(name, [])
        return order

    def ancestors(self, name: str, include_self: bool = True) -> list[str]:
        seen: set[str] = set()
        stack = [self[name].name]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack.extend(self.models[n].upstreams())
        if not include_self:
            seen.discard(self[name].name)
        return [n for n in self.order if n in seen]

    def descendants(self, name: str, include_self: bool = True) -> list[str]:
        name = self[name].name
        out = {name} if include_self else set()
        changed = True
        while changed:
            changed = False
            for m in self.models.values():
                if m.name not in out and any(u in out or u == name for u in m.upstreams()):
                    out.add(m.name)
                    changed = True
        return [n for n in self.order if n in out]

    def children(self, name: str) -> list[str]:
        return [m.name for m in self if name in m.upstreams()]


def check_edges(model: Model) -> None:
    """Declared edges must equal the tables the SQL (or a Python model's `reads`) actually reads."""
    if model.kind == "source":
        return
    read = set(model.reads) if model.kind == "python" else tables_read(model.sql)
    for other in (model.expected, model.one_date_sql, model.one_date_expected):
        if other:
            read |= tables_read(other)
    read.discard("raw.game_dates")  # the calendar is implicit for every model
    declared = set(model.upstreams())
    undeclared = read - declared
    unused = declared - read
    if undeclared or unused:
        parts = []
        if undeclared:
            parts.append("reads undeclared " + ", ".join(f"`{t}`" for t in sorted(undeclared)))
        if unused:
            parts.append("declares unused edges to " + ", ".join(f"`{t}`" for t in sorted(unused)))
        raise ModelError(f"model `{model.name}` " + " and ".join(parts))


LAYER_PACKAGES = ("raw", "analytics", "precompute", "predictions", "grading")


def discover_models() -> list[Model]:
    """Import every module under courtside.models.<layer> that defines MODEL (or MODELS)."""
    found: list[Model] = []
    for layer in LAYER_PACKAGES:
        pkg_name = f"courtside.models.{layer}"
        try:
            pkg = importlib.import_module(pkg_name)
        except ModuleNotFoundError:
            continue
        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            mod = importlib.import_module(f"{pkg_name}.{info.name}")
            if hasattr(mod, "MODEL"):
                found.append(mod.MODEL)
            found.extend(getattr(mod, "MODELS", ()))
    return found


def load_registry(models: list[Model] | None = None, *, check: bool = True) -> Registry:
    registry = Registry(discover_models() if models is None else models)
    if check:
        for m in registry:
            check_edges(m)
    return registry
