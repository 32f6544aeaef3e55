"""Season calendars read from the schedule (raw.game_dates), never from constants.

For each season: the regular-season, play-in and playoff date ranges, their game dates and game
counts. A phase absent from the data (e.g. no play-in before 2020-21) is simply not listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PHASES = ("regular", "play-in", "playoffs")


@dataclass
class Phase:
    phase: str
    start: dt.date
    end: dt.date
    n_dates: int
    n_games: int


@dataclass
class SeasonCalendar:
    season: str
    start: dt.date
    end: dt.date
    phases: dict[str, Phase] = field(default_factory=dict)

    def phase(self, name: str) -> Phase | None:
        return self.phases.get(name)


def season_calendars(engine, seasons: list[str] | None = None) -> list[SeasonCalendar]:
    """One calendar per season present in raw.game_dates (optionally only `seasons`)."""
    rows = engine.fetchall("""
        SELECT season, season_type, min(game_date), max(game_date), count(*), sum(n_games)
        FROM raw.game_dates GROUP BY 1, 2 ORDER BY 1, 3""")
    out: dict[str, SeasonCalendar] = {}
    for season, phase, start, end, n_dates, n_games in rows:
        if seasons is not None and season not in seasons:
            continue
        cal = out.setdefault(season, SeasonCalendar(season, start, end))
        cal.start, cal.end = min(cal.start, start), max(cal.end, end)
        cal.phases[phase] = Phase(phase, start, end, int(n_dates), int(n_games))
    return list(out.values())


def game_dates(engine, season: str, phase: str | None = None) -> list[dt.date]:
    """The game dates of a season (and phase), in order."""
    if phase in (None, "all"):
        rows = engine.fetchall("SELECT game_date FROM raw.game_dates WHERE season = ? ORDER BY 1", [season])
    else:
        rows = engine.fetchall("SELECT game_date FROM raw.game_dates WHERE season = ? AND season_type = ? ORDER BY 1",
                               [season, phase])
    return [r[0] for r in rows]


def as_rows(calendars: list[SeasonCalendar]) -> list[list]:
    """Flat rows (season, phase, start, end, dates, games) for a table."""
    rows = []
    for cal in calendars:
        for name in PHASES:
            p = cal.phases.get(name)
            if p:
                rows.append([cal.season, name, p.start.isoformat(), p.end.isoformat(), p.n_dates, p.n_games])
    return rows
