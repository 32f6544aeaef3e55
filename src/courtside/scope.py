"""A command's scope: --start/--end, or --seasons with --phase, resolved to game dates from the schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from courtside.dates import parse_date_range, parse_season_span
from courtside.errors import CourtsideError

PHASES = ("regular", "play-in", "playoffs", "all")


@dataclass(frozen=True)
class Scope:
    start: dt.date | None = None
    end: dt.date | None = None
    seasons: tuple[str, ...] = ()
    phase: str = "all"

    @classmethod
    def of(cls, start: str | None = None, end: str | None = None, seasons: str | None = None,
           phase: str = "all") -> "Scope":
        if phase not in PHASES:
            raise CourtsideError(f"--phase must be one of {', '.join(PHASES)}, not `{phase}`")
        return cls(*parse_date_range(start, end), tuple(parse_season_span(seasons)) if seasons else (), phase)

    def where(self, alias: str = "g") -> tuple[str, list]:
        """A SQL condition on raw.game_dates (aliased) and its parameters."""
        conds, params = ["TRUE"], []
        if self.start:
            conds.append(f"{alias}.game_date >= ?")
            params.append(self.start)
        if self.end:
            conds.append(f"{alias}.game_date <= ?")
            params.append(self.end)
        if self.seasons:
            conds.append(f"{alias}.season IN ({', '.join('?' for _ in self.seasons)})")
            params.extend(self.seasons)
        if self.phase != "all":
            conds.append(f"{alias}.season_type = ?")
            params.append(self.phase)
        return " AND ".join(conds), params

    def game_dates(self, engine) -> list[dt.date]:
        cond, params = self.where("g")
        return [r[0] for r in engine.fetchall(f"SELECT game_date FROM raw.game_dates g WHERE {cond} ORDER BY 1", params)]

    def describe(self) -> str:
        parts = []
        if self.seasons:
            parts.append(f"seasons {self.seasons[0]}..{self.seasons[-1]}" if len(self.seasons) > 1 else f"season {self.seasons[0]}")
        if self.start or self.end:
            parts.append(f"{self.start or '…'} .. {self.end or '…'}")
        if self.phase != "all":
            parts.append(self.phase)
        return ", ".join(parts) or "every game date"
