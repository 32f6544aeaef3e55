"""A tiny hand-made league and toy models for the planner/executor tests (no real data needed).

Two seasons, each ~24 regular-season dates (with gaps) and 6 playoff dates; 2 games a date, 3 players a
team. The DAG exercises every window kind:

  raw.player_boxscores -> toy_player_games (same_date)
  toy_player_games -> toy_season_avg (season_before) -> toy_composite (same_date) -> toy_history (all_before)
  toy_player_games -> toy_recent (days_before 5)      -> toy_composite (same_date)
  (toy_composite's SQL takes `$dates`: scattered dates of it are built in one statement)
  toy_player_games -> toy_flaky (python; fails while env TOY_FAIL_ON names a date in its batch) -> toy_after_flaky

Usable from a subprocess: `courtside backfill --models tests/planner_toys.py ...`.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from courtside.models.registry import Edge, Model, Window, in_range, not_null

D = dt.date

PG = "analytics.toy_player_games"
AVG = "precompute.toy_season_avg"
RECENT = "precompute.toy_recent"
COMP = "precompute.toy_composite"
HIST = "precompute.toy_history"
FLAKY = "precompute.toy_flaky"
AFTER = "precompute.toy_after_flaky"

_PLAYERS_ON = "SELECT game_date, count(*) AS expected FROM raw.player_boxscores WHERE game_date BETWEEN $start AND $end GROUP BY 1"

PLAYER_GAMES = Model(
    PG, "analytics", ("game_id", "player_id"),
    sql="""SELECT game_date, game_id, player_id, team_abbr, pts, (pts * 2 + 1)::INTEGER AS score
           FROM raw.player_boxscores WHERE game_date BETWEEN $start AND $end""",
    edges=(Edge("raw.player_boxscores", Window.same_date()),), expected=_PLAYERS_ON,
    checks=(*not_null("player_id"), in_range("pts", 0, 80)), key_columns=("player_id", "pts"))

SEASON_AVG = Model(
    AVG, "precompute", ("game_date", "player_id"),
    sql="""SELECT b.game_date, b.player_id, count(h.pts)::INTEGER AS games_before,
                  ROUND(avg(h.pts), 4) AS pts_avg
           FROM raw.player_boxscores b JOIN raw.game_dates d ON d.game_date = b.game_date
           LEFT JOIN analytics.toy_player_games h
             ON h.player_id = b.player_id AND h.game_date >= d.season_start AND h.game_date < b.game_date
           WHERE b.game_date BETWEEN $start AND $end GROUP BY ALL""",
    edges=(Edge("raw.player_boxscores", Window.same_date()), Edge(PG, Window.season_before())),
    expected=_PLAYERS_ON)

RECENT_M = Model(
    RECENT, "precompute", ("game_date", "player_id"),
    sql="""SELECT b.game_date, b.player_id, coalesce(sum(h.pts), 0)::INTEGER AS pts_5d
           FROM raw.player_boxscores b
           LEFT JOIN analytics.toy_player_games h
             ON h.player_id = b.player_id AND h.game_date >= b.game_date - INTERVAL 5 DAY AND h.game_date < b.game_date
           WHERE b.game_date BETWEEN $start AND $end GROUP BY ALL""",
    edges=(Edge("raw.player_boxscores", Window.same_date()), Edge(PG, Window.days_before(5))),
    expected=_PLAYERS_ON)

COMPOSITE = Model(
    COMP, "precompute", ("game_date", "player_id"),
    sql="""SELECT a.game_date, a.player_id, ROUND(coalesce(a.pts_avg, 0) + r.pts_5d / 10.0, 4) AS score
           FROM precompute.toy_season_avg a JOIN precompute.toy_recent r USING (game_date, player_id)
           WHERE a.game_date BETWEEN $start AND $end AND a.game_date IN $dates""",
    edges=(Edge(AVG, Window.same_date()), Edge(RECENT, Window.same_date())),
    expected="SELECT game_date, count(*) AS expected FROM precompute.toy_season_avg "
             "WHERE game_date BETWEEN $start AND $end GROUP BY 1")

HISTORY = Model(
    HIST, "precompute", ("game_date",),
    sql="""SELECT d.game_date, count(c.player_id)::INTEGER AS rows_before
           FROM raw.game_dates d LEFT JOIN precompute.toy_composite c ON c.game_date < d.game_date
           WHERE d.game_date BETWEEN $start AND $end GROUP BY 1""",
    edges=(Edge(COMP, Window.all_before()),))


def _flaky(ctx, start, end):
    """Python model; slow by TOY_SLEEP seconds per batch and failing while TOY_FAIL_ON is in range."""
    engine = getattr(ctx, "engine", ctx)
    fail = os.environ.get("TOY_FAIL_ON")
    if fail and start <= D.fromisoformat(fail) <= end:
        raise RuntimeError(f"toy failure on {fail}")
    time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
    return engine.fetch_df(f"""SELECT game_date, player_id, score + 1 AS score1 FROM analytics.toy_player_games
                               WHERE game_date BETWEEN DATE '{start}' AND DATE '{end}'""")


FLAKY_M = Model(FLAKY, "precompute", ("game_date", "player_id"), kind="python", python=_flaky,
                edges=(Edge(PG, Window.same_date()),), reads=(PG,))

AFTER_M = Model(
    AFTER, "precompute", ("game_date", "player_id"),
    sql="SELECT game_date, player_id, score1 * 2 AS score2 FROM precompute.toy_flaky WHERE game_date BETWEEN $start AND $end",
    edges=(Edge(FLAKY, Window.same_date()),))

MODELS = [PLAYER_GAMES, SEASON_AVG, RECENT_M, COMPOSITE, HISTORY, FLAKY_M, AFTER_M]


def league_dates() -> list[tuple[dt.date, str, str]]:
    """(date, season, season_type): regular dates with a no-game day every 4th day, then playoffs."""
    out = []
    for year in (2022, 2023):
        season = f"{year}-{str(year + 1)[2:]}"
        day = D(year, 10, 20)
        n = 0
        while n < 24:
            if (day - D(year, 10, 20)).days % 4 != 3:
                out.append((day, season, "regular"))
                n += 1
            day += dt.timedelta(days=1)
        day = D(year + 1, 4, 20)
        for i in range(6):
            out.append((day + dt.timedelta(days=2 * i), season, "playoffs"))
    return out


def load_league(engine) -> None:
    """Schedule and player boxes for the toy league, recorded in the ledger like loaded sources."""
    from courtside.ledger import record_source_partitions

    rows = league_dates()
    engine.execute("CREATE TEMP TABLE _toy_days (game_date DATE, season VARCHAR, season_type VARCHAR)")
    engine.con.executemany("INSERT INTO _toy_days VALUES (?, ?, ?)", rows)
    engine.execute("""
        INSERT INTO raw.schedule
        SELECT printf('G%s%d', strftime(game_date, '%Y%m%d'), g), game_date, season, season_type,
               'H' || g, 'A' || g, 100, 90, 'final', 'toy', 'toy.csv', NULL, now()
        FROM _toy_days, range(2) r(g)""")
    engine.execute("""
        INSERT INTO raw.player_boxscores BY NAME
        SELECT s.game_id, s.game_date, s.season, s.season_type,
               (CASE WHEN side = 0 THEN 100 ELSE 200 END + s.g * 10 + p)::BIGINT AS player_id,
               'P' || p AS player_name, 'p' || p AS player_lookup,
               CASE WHEN side = 0 THEN s.home_team ELSE s.away_team END AS team_abbr,
               CASE WHEN side = 0 THEN s.away_team ELSE s.home_team END AS opponent_abbr,
               side = 0 AS is_home, false AS dnp, NULL AS dnp_reason, 30.0 AS minutes,
               ((hash(s.game_id, side, p) % 30))::INTEGER AS pts, 'full' AS completeness,
               true AS has_attempts, true AS has_rebounds_assists, 'toy' AS source, 'toy.csv' AS file
        FROM (SELECT *, CAST(right(game_id, 1) AS INTEGER) AS g FROM raw.schedule) s, range(2) a(side), range(3) b(p)""")
    engine.execute("DROP TABLE _toy_days")
    record_source_partitions(engine, "raw.schedule", "raw.schedule", "load")
    record_source_partitions(engine, "raw.player_boxscores", "raw.player_boxscores", "load")


def registry():
    from courtside.models.raw.sources import MODELS as SOURCES
    from courtside.models.registry import load_registry

    return load_registry([*SOURCES, *MODELS])
