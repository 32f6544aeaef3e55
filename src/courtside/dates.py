"""Dates and seasons. Season calendars come from the schedule (see calendar.py); this holds pure rules."""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable, Iterator

from courtside.errors import UsageError

Date = dt.date


def parse_date(value: str | Date) -> Date:
    if isinstance(value, Date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"`{value}` is not a date: write it as YYYY-MM-DD, e.g. 2024-01-15") from None


def parse_date_range(start: str | Date | None, end: str | Date | None) -> tuple[Date | None, Date | None]:
    """--start and --end (either may be absent); a start after the end is a usage error, not an empty range."""
    first = parse_date(start) if start else None
    last = parse_date(end) if end else None
    if first and last and first > last:
        raise UsageError(f"--start {first} is after --end {last}")
    return first, last


def season_of(day: Date) -> str:
    """'2023-24' for any date from August 2023 to July 2024 (covers the late-ending 2020-21 season).

    One exception: the 2019-20 season ended in the Orlando bubble (Finals to 2020-10-11), and
    2020-21 only started on 2020-12-22, so August to November 2020 belong to 2019-20.
    """
    start = day.year if day.month >= 8 else day.year - 1
    if day.year == 2020 and 8 <= day.month <= 11:
        start = 2019
    return f"{start}-{str(start + 1)[2:]}"


_SEASON = re.compile(r"^(\d{4})-(\d{2})$")


def season_start_year(season: str) -> int:
    """2023 for '2023-24'; a clear error for anything that is not a season label."""
    m = _SEASON.match(season.strip())
    if not m or (int(m[1]) + 1) % 100 != int(m[2]):
        raise UsageError(f"`{season}` is not a season: write it as 2023-24 (a span as 2021-22:2023-24)")
    return int(m[1])


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
