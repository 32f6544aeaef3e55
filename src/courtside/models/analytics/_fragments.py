"""SQL fragments shared by the analytics models, so a formula is written exactly once.

Each fragment is an expression over the columns of a raw box-score row aliased as `{t}`.
"""

from __future__ import annotations

from courtside.models.bits import field, unit


def overtime_periods(t: str) -> str:
    # The source's team minutes are the sum of rounded player minutes (237-243 for a regulation game,
    # 263-267 with one OT), so snap to the nearest 240 + 25*OT instead of trusting the last digits.
    return f"greatest(0, round(({t}.team_minutes - 240) / 25.0))::INTEGER"


def game_minutes(t: str) -> str:
    """Length of the game in minutes (48 + 5 per OT): team_minutes / 5 with team_minutes snapped.

    Fixes the original's usage/pace defect of a hard-coded 48 that ignored overtime."""
    return f"(48 + 5 * {overtime_periods(t)})"


def possessions(t: str) -> str:
    """FGA + 0.44*FTA - OREB + TOV; NULL when the box has no attempts (reduced boxes)."""
    return f"({t}.fga + 0.44 * {t}.fta - {t}.oreb + {t}.tov)"


def pace(t: str) -> str:
    """Possessions per 48 minutes: possessions * 48 / (team_minutes / 5)."""
    return f"({possessions(t)} * 48.0 / nullif({game_minutes(t)}, 0))"


def ts_pct(t: str, pts: str = "pts") -> str:
    return f"({t}.{pts} / nullif(2 * ({t}.fga + 0.44 * {t}.fta), 0))"


# Zone buckets of raw.shots.zone. A backcourt heave is a three-point attempt, so it counts with the
# threes: paint + mid-range + three then equals every field-goal attempt of the shot chart.
PAINT = "zone IN ('restricted_area', 'paint_non_ra')"
MID = "zone = 'mid_range'"
THREE = "zone IN ('corner_3', 'above_break_3', 'backcourt')"

# The six counts as two sums of bit-packed codes (16 bits per zone: far above any team's attempts in a game):
# one CASE per shot instead of six filtered counts (about a third less CPU over the ~850k shots).
# ZONE_CODE: one shot's code (1 in its zone's field), for a model that sums the codes itself.
ZONE_CODE = f"CASE WHEN {PAINT} THEN {unit(0)} WHEN {MID} THEN {unit(1)} WHEN {THREE} THEN {unit(2)} ELSE 0 END"
_ATTEMPTS = f"sum({ZONE_CODE})::BIGINT"
_MAKES = f"sum(CASE WHEN made THEN {ZONE_CODE} ELSE 0 END)::BIGINT"

ZONE_COLUMNS = ("paint_attempts", "paint_makes", "mid_range_attempts", "mid_range_makes",
                "three_attempts_zone", "three_makes_zone")


def zone_fields(attempts: str, makes: str) -> str:
    """The six ZONE_COLUMNS read from the packed sums of the shots' codes (attempts) and of the made ones'."""
    return ",\n    ".join(f"{field(packed, i, top=i == 2)} AS {name}" for name, (packed, i) in zip(
        ZONE_COLUMNS, [(attempts, 0), (makes, 0), (attempts, 1), (makes, 1), (attempts, 2), (makes, 2)]))


ZONE_AGGREGATES = "\n    " + zone_fields(_ATTEMPTS, _MAKES)


def zone_select(z: str, covered: str, prefix: str = "", names: tuple[str, ...] = ZONE_COLUMNS) -> str:
    """Zone columns: a count (0 is a real zero) when the game has shot data, NULL otherwise — never an invented 0."""
    return ",\n    ".join(
        f"CASE WHEN {covered} THEN coalesce({z}.{c}, 0) END::INTEGER AS {prefix}{n}" for c, n in zip(ZONE_COLUMNS, names))


def r4(expr: str) -> str:
    """Doubles are rounded to 4 decimals so fingerprints are deterministic."""
    return f"ROUND(CAST({expr} AS DOUBLE), 4)"


# Two team rows per scheduled game of the date (team offense and team defense summaries).
TWO_TEAM_ROWS_PER_GAME = """
SELECT game_date, 2 * count(*) AS expected FROM raw.schedule
WHERE game_date BETWEEN $start AND $end GROUP BY game_date
"""
