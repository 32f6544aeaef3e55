"""One root exception; every error names the culprit and, where it can, the next step."""

from __future__ import annotations


class CourtsideError(Exception):
    """Root of every error courtside raises on purpose (printed as one red line by the CLI)."""


class SourceError(CourtsideError):
    """A source file is structurally broken and was refused whole."""

    def __init__(self, file: str, problem: str, line: int | None = None):
        self.file, self.problem, self.line = file, problem, line
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"{where}: {problem}")


class ModelError(CourtsideError):
    """A model definition is invalid (bad edge, cycle, undeclared table read)."""


class MissingUpstream(CourtsideError):
    """A build needs upstream partitions that are not present."""

    def __init__(self, model: str, missing: dict[str, list]):
        self.model, self.missing = model, missing
        parts = []
        for table, dates in missing.items():
            parts.append(f"`{table}` on {_date_summary(dates)}")
        super().__init__(
            f"cannot build `{model}`: upstream not present: " + "; ".join(parts)
            + ". Build those first, or run `courtside backfill` which plans them."
        )


class PlanError(CourtsideError):
    """A plan cannot be made or applied (stale coverage, unreachable upstream)."""


class WarehouseBusy(CourtsideError):
    """Another process holds the warehouse."""


class WarehouseError(CourtsideError):
    """The warehouse file cannot be opened (not a DuckDB file, unreadable, a directory...)."""


class LeaseHeld(CourtsideError):
    """Another run holds a lease on a partition this run wants to write."""


def _date_summary(dates: list) -> str:
    dates = sorted(dates)
    if not dates:
        return "no dates"
    if len(dates) <= 4:
        return ", ".join(str(d) for d in dates)
    return f"{len(dates)} dates {dates[0]} .. {dates[-1]}"


class UsageError(CourtsideError):
    """An option value the user typed cannot be understood (a date, a season, a span)."""
