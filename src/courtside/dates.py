"""Dates and seasons. Season calendars come from the schedule (see calendar.py); this holds pure rules."""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator

Date = dt.date


def parse_date(value: str | Date) -> Date:
    return value if isinstance(value, Date) else dt.date.fromisoformat(str(value))


def season_of(day: Date) -> str:
    """'2023-24' for any date from August 2023 to July 2024 (covers the late 2020-21 and bubble seasons)."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def season_start_year(season: str) -> int:
    return int(season[:4])


def parse_season_span(span: str) -> list[str]:
    """'2021-22:2023-24' -> ['2021-22', '2022-23', '2023-24']; '2023-24' -> ['2023-24']."""
    first, _, last = span.partition(":")
    last = last or first
    a, b = season_start_year(first), season_start_year(last)
    if b < a:
        a, b = b, a
    return [f"{y}-{str(y + 1)[2:]}" for y in range(a, b + 1)]


def days(start: Date, end: Date) -> Iterator[Date]:
    """Every day in the closed range [start, end]."""
    d = start
    while d <= end:
        yield d
        d += dt.timedelta(days=1)


def contiguous_runs(dates: Iterable[Date], allowed: set[Date] | None = None) -> list[list[Date]]:
    """Split sorted dates into runs with no *game date* between them missing.

    Two dates are contiguous when no date of `allowed` (the game dates) lies strictly between them
    that is not itself in the input: a batch may span days without games.
    """
    ordered = sorted(set(dates))
    if not ordered:
        return []
    if allowed is None:
        allowed = set(ordered)
    members = set(ordered)
    allowed_sorted = sorted(allowed | members)
    index = {d: i for i, d in enumerate(allowed_sorted)}
    runs: list[list[Date]] = [[ordered[0]]]
    for prev, cur in zip(ordered, ordered[1:]):
        between = allowed_sorted[index[prev] + 1:index[cur]]
        if any(d not in members for d in between):
            runs.append([cur])
        else:
            runs[-1].append(cur)
    return runs
