"""analytics.upcoming_player_game_context: pre-game context of every player expected to play on D.

WHO IS UPCOMING (one rule for history and for today, knowable before tip-off — the original used
"who actually dressed" for history and a roster scrape for today, a train/serve skew):
  for each team T playing on D (D's schedule), every player whose most recent appearance
  (not DNP, minutes > 0) strictly before D was for T, and inside T's last 10 games before D.
  The window reaches into last season when the season has just started (last season's roster).
Known gaps of the rule, accepted because nothing better is knowable from box scores alone:
  a rookie or a newly signed player is absent until his first appearance; a traded player stays
  with his old team until he appears for the new one; a player out for more than 10 team games
  drops out until he returns; the very first dates of the data (2020-21 opening) have nobody.

Everything else reads games strictly before D: the player's own appearances (rest, load, season
games) and the raw team boxes (pace and the opponent's defensive rating over the last 10 games of
the season). D's box scores are never read; D's closing line is a pre-game price.

Cost: one sort of the appearances per player (one WINDOW operator: every window below shares its
partition and order) carries everything a target needs (next appearance, the days played in the 16
days up to it, their minutes, season games), so the 7/14-day loads are bit counts instead of range
joins; per-team context is joined before players are expanded; and only the appearances the range
reaches are sorted (a single-date batch sorts ~3 weeks and counts the rest of its season by a plain
aggregate). Only the columns the output needs go through that sort (it is most of the cost).
Assumes one appearance per player and date (true of box scores: a player plays one game a day), and
that a box score's season is the calendar's season of its date (as the schedule and loaders derive it).
A batch of one date (the daily path) runs ONE_DATE_SQL and ONE_DATE_EXPECTED instead: the same rule and rows
from aggregates over that date's history, without the windows and ASOF joins a range needs.
"""

from courtside.models.analytics._fragments import pace, possessions
from courtside.models.registry import Edge, Model, Window, in_range, not_null

# Teams playing on D, from D's schedule only.
TEAM_TARGETS = """
team_targets AS (  -- a malformed row naming one team twice describes nobody: the date shows as partial
    SELECT game_id, game_date, season, season_type, home_team AS team_abbr, away_team AS opponent_abbr,
           TRUE AS is_home
    FROM raw.schedule WHERE game_date BETWEEN $start AND $end AND home_team <> away_team
    UNION ALL
    SELECT game_id, game_date, season, season_type, away_team, home_team, FALSE
    FROM raw.schedule WHERE game_date BETWEEN $start AND $end AND home_team <> away_team
)"""

# The team's game sequence (dates with appearances: not DNP, minutes > 0, from the history floor up to the
# last target date) and, per team on D, the number of its last game before D. Only these ~15k (team, date)
# pairs are numbered over the whole history; the per-player work below is cut to the dates the range needs.
# first_day (the date's season start, as a day number) bounds the season count in `apps`.
ROSTER_WINDOW = """
team_game_seq AS MATERIALIZED (
    SELECT g.team_abbr, g.game_date, c.season_start - DATE '1970-01-01' AS first_day,
           row_number() OVER (PARTITION BY g.team_abbr ORDER BY g.game_date) AS n
    FROM (SELECT DISTINCT team_abbr, game_date FROM raw.player_boxscores
          WHERE NOT dnp AND minutes > 0 AND game_date >= (SELECT d0 FROM history_floor) AND game_date < $end) g
    LEFT JOIN calendar c ON c.game_date = g.game_date
),
roster_window AS MATERIALIZED (  -- n of each team's last game strictly before D
    SELECT tt.*, lg.n AS last_n
    FROM team_targets tt
    ASOF JOIN team_game_seq lg ON lg.team_abbr = tt.team_abbr AND lg.game_date < tt.game_date
)"""

REACH = """
reach AS MATERIALIZED (  -- the earliest appearance any target needs: its team's last 10 games, or 15 days of load history
    SELECT least(min(s.game_date), min(rw.game_date) - 15) AS lo
    FROM roster_window rw
    JOIN team_game_seq s ON s.team_abbr = rw.team_abbr AND s.n = greatest(rw.last_n - 9, 1)
)"""

# The calendar is read once (the view is costly to plan); the range's dates and the history floor come from it.
CALENDAR = """
calendar AS MATERIALIZED (SELECT game_date, season, season_start FROM raw.game_dates),
target_dates AS MATERIALIZED (SELECT * FROM calendar WHERE game_date BETWEEN $start AND $end),
history_floor AS MATERIALIZED (  -- start of the season before the first target season (the roster rule may reach into it)
    SELECT coalesce(max(season_start), (SELECT min(season_start) FROM target_dates)) AS d0
    FROM calendar WHERE season_start < (SELECT min(season_start) FROM target_dates)
)"""


def team_form_columns(team_pace: str, opp_pace: str, opp_def_rating: str, team_games: str, opp_games: str) -> str:
    """The team and opponent form columns, in the table's order, rounded and cast alike by both formulations."""
    return (f"ROUND({team_pace}, 4) AS team_pace_last_10, ROUND({opp_pace}, 4) AS opponent_pace_last_10, "
            f"ROUND({team_pace} - {opp_pace}, 4) AS pace_differential, "
            f"ROUND({opp_def_rating}, 4) AS opponent_def_rating_last_10, "
            f"coalesce({team_games}, 0)::INTEGER AS team_pace_games, "
            f"coalesce({opp_games}, 0)::INTEGER AS opponent_pace_games")


SQL = f"""
WITH {CALENDAR},
{TEAM_TARGETS},
{ROSTER_WINDOW},
team_box AS (
    SELECT t.game_id, t.game_date, t.season, t.team_abbr, t.opponent_abbr, t.pts,
           {pace('t')} AS pace, {possessions('t')} AS poss
    FROM raw.team_boxscores t
    WHERE t.game_date >= (SELECT min(season_start) FROM target_dates) AND t.game_date < $end
),
team_rolling AS (  -- through each game: the last 10 games of the season (NULL paces of reduced boxes skipped)
    SELECT tb.team_abbr, tb.season, tb.game_date,
           avg(tb.pace) OVER last10 AS pace_last_10,
           count(tb.pace) OVER last10 AS pace_games_last_10,
           avg(100.0 * o.pts / nullif(o.poss, 0)) OVER last10 AS def_rating_last_10
    FROM team_box tb
    LEFT JOIN team_box o ON o.game_id = tb.game_id AND o.team_abbr = tb.opponent_abbr
    WINDOW last10 AS (PARTITION BY tb.team_abbr, tb.season ORDER BY tb.game_date
                      ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
),
team_form AS MATERIALIZED (  -- as of the team's last game strictly before D, same season; no hard-coded date floor
    SELECT tt.game_date, tt.team_abbr, r.pace_last_10, r.pace_games_last_10, r.def_rating_last_10
    FROM team_targets tt
    ASOF LEFT JOIN team_rolling r
      ON r.team_abbr = tt.team_abbr AND r.season = tt.season AND r.game_date < tt.game_date
),
targets AS (  -- per team and date, before any player: the roster window, both teams' form, the closing line
    SELECT rw.*,
           tf.pace_last_10 AS team_pace, tf.pace_games_last_10 AS team_pace_games,
           opf.pace_last_10 AS opp_pace, opf.pace_games_last_10 AS opp_pace_games,
           opf.def_rating_last_10 AS opp_def_rating,
           CASE WHEN rw.is_home THEN gl.home_spread ELSE -gl.home_spread END AS spread, gl.total
    FROM roster_window rw
    LEFT JOIN team_form tf ON tf.game_date = rw.game_date AND tf.team_abbr = rw.team_abbr
    LEFT JOIN team_form opf ON opf.game_date = rw.game_date AND opf.team_abbr = rw.opponent_abbr
    LEFT JOIN raw.game_lines gl
      ON gl.game_date = rw.game_date
     AND gl.home_team = CASE WHEN rw.is_home THEN rw.team_abbr ELSE rw.opponent_abbr END
     AND gl.away_team = CASE WHEN rw.is_home THEN rw.opponent_abbr ELSE rw.team_abbr END
),
{REACH},
season_base AS (  -- his games of a target season before `lo`, so that the per-player sort starts at `lo`
    SELECT player_id, season, count(*) AS n FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date >= (SELECT d0 FROM history_floor)
      AND game_date < (SELECT lo FROM reach) AND season IN (SELECT season FROM target_dates)
    GROUP BY ALL
),
apps AS (  -- appearances the range needs, with the player's next one and his last 16 days
    SELECT b.player_id, b.player_lookup, b.player_name, b.team_abbr, b.game_date, b.day, b.season, s.n AS team_game_n,
           -- his next appearance: date, team game number, team (one LEAD of a struct costs what one LEAD does)
           lead({{'d': b.game_date, 'n': s.n, 't': b.team_abbr}}) OVER by_player AS nxt,
           -- the days he played in [day - 15, day] as bits of a 32-day ring, each set twice so that one shift
           -- by (2^20 - day) % 32 gives "bit j = played j days before" (one appearance per player and day)
           bit_or((1::UBIGINT << ((1048576 - b.day) % 32)::INTEGER)
                  | (1::UBIGINT << (32 + (1048576 - b.day) % 32)::INTEGER)) OVER last16 AS played_ring,
           list(b.minutes) OVER last16 AS recent_minutes,  -- oldest first, this game last
           -- his games this season through this one: the frame reaches back to the season's first day, so the
           -- count shares the sort above (a PARTITION BY player, season would sort everything a second time)
           coalesce(sb.n, 0) + count(*) OVER (by_player RANGE BETWEEN b.day - s.first_day PRECEDING AND CURRENT ROW)
               AS season_games_through
    FROM (SELECT player_id, player_lookup, player_name, team_abbr, game_date, season, minutes,
                 game_date - DATE '1970-01-01' AS day
          FROM raw.player_boxscores
          WHERE NOT dnp AND minutes > 0 AND game_date < $end
            AND game_date >= (SELECT d0 FROM history_floor) AND game_date >= (SELECT lo FROM reach)) b
    JOIN team_game_seq s ON s.team_abbr = b.team_abbr AND s.game_date = b.game_date
    LEFT JOIN season_base sb ON sb.player_id = b.player_id AND sb.season = b.season
    WINDOW by_player AS (PARTITION BY b.player_id ORDER BY b.day),
           last16 AS (by_player RANGE BETWEEN 15 PRECEDING AND CURRENT ROW)
),
upcoming AS (
    -- THE RULE: an appearance for T at T's game n lists the player for T's targets D whose last game
    -- before D is n .. n+9, as long as it is still his last appearance before D (his next one, if any,
    -- is on or after D — the same answer on a copy that has nothing from D on). When his next appearance
    -- is T's game m, only targets with last game < m qualify: that bound keeps the join near output size.
    SELECT t.*, a.player_id, a.player_lookup, a.player_name, a.game_date AS last_appearance_date,
           a.season AS last_appearance_season, a.season_games_through, a.recent_minutes,
           (a.played_ring >> ((1048576 - a.day) % 32)::INTEGER) & 65535 AS played,
           -- days before D in the strict windows [D-7, D) and [D-14, D), counted back from his last appearance
           t.game_date - a.game_date AS delta
    FROM (SELECT *, unnest(range(CASE WHEN nxt.t = team_abbr THEN least(10, nxt.n - team_game_n)
                                      ELSE 10 END)) AS ahead
          FROM apps) a
    JOIN targets t ON t.team_abbr = a.team_abbr AND t.last_n = a.team_game_n + a.ahead
    WHERE a.nxt IS NULL OR a.nxt.d >= t.game_date
),
loads AS (  -- bit j of `played` is the day last_appearance - j; D-7 <= it < D means j <= 7 - delta
    SELECT *, bit_count(played & ((1::UBIGINT << greatest(8 - delta, 0)::INTEGER) - 1)) AS n7,
              bit_count(played & ((1::UBIGINT << greatest(15 - delta, 0)::INTEGER) - 1)) AS n14,
              bit_count(played & (played >> 1) & ((1::UBIGINT << greatest(15 - delta, 0)::INTEGER) - 1)) AS b2b14
    FROM upcoming
)
SELECT
    u.game_date, u.game_id, u.season, u.season_type, u.player_id, u.player_lookup, u.player_name,
    u.team_abbr, u.opponent_abbr, u.is_home, u.last_appearance_date,
    -- one rest convention (CONTRACT.md): back-to-back = 0; NULL if no previous game this season
    CASE WHEN u.last_appearance_season = u.season THEN u.delta - 1 END::INTEGER AS days_rest,
    CASE WHEN u.last_appearance_season = u.season THEN u.delta = 1 END AS back_to_back,
    u.n7::INTEGER AS games_last_7d, u.n14::INTEGER AS games_last_14d,
    -- the minutes of his last n7 (n14) appearances
    ROUND(coalesce(list_sum(list_slice(u.recent_minutes, len(u.recent_minutes) - u.n7 + 1, len(u.recent_minutes))), 0),
          4) AS minutes_last_7d,
    ROUND(coalesce(list_sum(list_slice(u.recent_minutes, len(u.recent_minutes) - u.n14 + 1, len(u.recent_minutes))), 0),
          4) AS minutes_last_14d,
    -- a back-to-back is a game the day after his previous one (which may lie one day before the window)
    u.b2b14::INTEGER AS back_to_backs_last_14d,
    CASE WHEN u.last_appearance_season = u.season THEN u.season_games_through ELSE 0 END::INTEGER
        AS games_played_season,
    {team_form_columns('u.team_pace', 'u.opp_pace', 'u.opp_def_rating', 'u.team_pace_games', 'u.opp_pace_games')},
    -- closing lines are the last pre-tip prices: pre-game information. Negative = the player's team favoured.
    ROUND(u.spread, 4) AS game_spread,
    ROUND(u.total, 4) AS game_total,
    u.season_type = 'playoffs' AS is_playoffs
FROM loads u
"""

# The same rule with the roster window shared but the rest decided another way: every player seen in the
# team's last 10 games (once, through his next game for that team), kept if an ASOF join to his latest
# appearance before D finds this team (the model walks forward from each appearance with LEAD over all his
# teams). A partial partition, or a slip in either formulation, shows as rows != expected.
EXPECTED = f"""
WITH {CALENDAR},
{TEAM_TARGETS},
{ROSTER_WINDOW},
{REACH},
apps AS MATERIALIZED (
    SELECT player_id, team_abbr, game_date FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date >= (SELECT lo FROM reach) AND game_date < $end
),
team_apps AS (  -- each appearance for T, with the player's next appearance for T (not his next one anywhere)
    SELECT a.player_id, s.team_abbr, s.n,
           lead(s.n) OVER (PARTITION BY a.player_id, a.team_abbr ORDER BY a.game_date) AS next_n_for_team
    FROM apps a JOIN team_game_seq s ON s.team_abbr = a.team_abbr AND s.game_date = a.game_date
),
candidates AS (  -- who appeared for the team in its last 10 games before D, once each (his latest such game)
    SELECT rw.game_date AS d, rw.team_abbr, c.player_id
    FROM (SELECT *, unnest(range(least(10, coalesce(next_n_for_team - n, 10)))) AS ahead FROM team_apps) c
    JOIN roster_window rw ON rw.team_abbr = c.team_abbr AND rw.last_n = c.n + c.ahead
),
last_team AS (
    SELECT c.d, c.team_abbr, x.team_abbr AS team_of_last_appearance
    FROM candidates c
    ASOF JOIN apps x ON x.player_id = c.player_id AND x.game_date < c.d
)
SELECT g.game_date, coalesce(k.n, 0) AS expected
FROM target_dates g
LEFT JOIN (SELECT d, count(*) AS n FROM last_team WHERE team_of_last_appearance = team_abbr GROUP BY d) k
  ON k.d = g.game_date
"""


# D's season label, from the schedule, for the season-scoped reads of the one-date SQL. Its first game date and
# that of the season before (the history floor the roster rule may reach into) come in as the values of
# $season_start and $prior_season_start from the calendar the batch already holds (build.one_date_values):
# derived here in CTEs with a scalar subquery at each use, they cost ~70 operators to bind and plan, about 10%
# of the batch.
ONE_DATE_SEASON = """
target_season AS MATERIALIZED (SELECT any_value(season) AS season FROM raw.schedule WHERE game_date = $start)"""

# The same rows for a batch of one date (Model.one_date_sql), without the per-player and per-team windows and
# ASOF joins a range needs: each player's last appearance before D is one arg_max, a team's 10th-last game a
# list element, the 7/14-day loads counts and lists (minutes summed in date order, as above), back-to-backs a
# self-join on the day before, season games a count, team form the last 10 team boxes. The rule is the one
# above: listed for T on D when his last appearance before D was for T, on or after T's 10th-last game.
# tests/test_one_date_batches.py compares both formulations on many dates, bit for bit.
ONE_DATE_SQL = f"""
WITH
{ONE_DATE_SEASON},
{TEAM_TARGETS},
team_dates AS (  -- the target teams' game dates before D since the history floor (dates with appearances)
    SELECT DISTINCT team_abbr, game_date FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date < $start AND game_date >= $prior_season_start
      AND team_abbr IN (SELECT team_abbr FROM team_targets)
),
team_window AS (  -- per team on D: the date of its 10th-last game before D (NULL: fewer than 10)
    SELECT team_abbr, list(game_date ORDER BY game_date DESC)[10] AS tenth_last
    FROM team_dates GROUP BY team_abbr
),
reach AS MATERIALIZED (  -- the earliest appearance any target needs: a team's 10th-last game, or 15 days of load
    SELECT CASE WHEN count(*) FILTER (WHERE tenth_last IS NULL) > 0 THEN $prior_season_start
                ELSE least(min(tenth_last), $start - 15) END AS lo
    FROM team_window
),
apps AS (  -- appearances before D from the reach on
    SELECT player_id, player_lookup, player_name, team_abbr, game_date, season, minutes
    FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date < $start AND game_date >= (SELECT lo FROM reach)
      AND game_date >= $prior_season_start
),
last_app AS (  -- each player's last appearance before D, and his games and minutes in [D - 7, D) and [D - 14, D)
    SELECT player_id,
           arg_max({{'lookup': player_lookup, 'name': player_name, 'team': team_abbr, 'season': season}}, game_date)
               AS a,
           max(game_date) AS last_date,
           count(*) FILTER (WHERE game_date >= $start - 7) AS n7,
           count(*) FILTER (WHERE game_date >= $start - 14) AS n14,
           list(minutes ORDER BY game_date) FILTER (WHERE game_date >= $start - 7) AS m7,
           list(minutes ORDER BY game_date) FILTER (WHERE game_date >= $start - 14) AS m14
    FROM apps GROUP BY player_id
),
season_games AS (  -- his appearances this season before D
    SELECT player_id, count(*) AS season_games FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date < $start AND game_date >= $season_start
      AND season = (SELECT season FROM target_season)
    GROUP BY player_id
),
b2b AS (  -- appearances in [D - 14, D) the day after another one
    SELECT x.player_id, count(*) AS b2b14
    FROM apps x JOIN apps y ON y.player_id = x.player_id AND y.game_date = x.game_date - 1
    WHERE x.game_date >= $start - 14
    GROUP BY x.player_id
),
team_box AS (
    SELECT t.game_id, t.game_date, t.season, t.team_abbr, t.opponent_abbr, t.pts,
           {pace('t')} AS pace, {possessions('t')} AS poss
    FROM raw.team_boxscores t
    WHERE t.season = (SELECT season FROM target_season) AND t.game_date < $start
      AND t.game_date >= $season_start
),
team_form AS (  -- each team's last 10 games of the season before D
    SELECT team_abbr, avg(pace) AS pace_last_10, count(pace) AS pace_games_last_10,
           avg(100.0 * opp_pts / nullif(opp_poss, 0)) AS def_rating_last_10
    FROM (SELECT tb.team_abbr, tb.pace, o.pts AS opp_pts, o.poss AS opp_poss,
                 row_number() OVER (PARTITION BY tb.team_abbr ORDER BY tb.game_date DESC) AS back
          FROM team_box tb LEFT JOIN team_box o ON o.game_id = tb.game_id AND o.team_abbr = tb.opponent_abbr
          WHERE tb.team_abbr IN (SELECT team_abbr FROM team_targets))
    WHERE back <= 10
    GROUP BY team_abbr
)
SELECT
    tt.game_date, tt.game_id, tt.season, tt.season_type, l.player_id,
    l.a.lookup AS player_lookup, l.a.name AS player_name,
    tt.team_abbr, tt.opponent_abbr, tt.is_home, l.last_date AS last_appearance_date,
    CASE WHEN l.a.season = tt.season THEN (tt.game_date - l.last_date) - 1 END::INTEGER AS days_rest,
    CASE WHEN l.a.season = tt.season THEN (tt.game_date - l.last_date) = 1 END AS back_to_back,
    l.n7::INTEGER AS games_last_7d, l.n14::INTEGER AS games_last_14d,
    ROUND(coalesce(list_sum(l.m7), 0), 4) AS minutes_last_7d,
    ROUND(coalesce(list_sum(l.m14), 0), 4) AS minutes_last_14d,
    coalesce(b.b2b14, 0)::INTEGER AS back_to_backs_last_14d,
    CASE WHEN l.a.season = tt.season THEN coalesce(sg.season_games, 0) ELSE 0 END::INTEGER AS games_played_season,
    {team_form_columns('tf.pace_last_10', 'opf.pace_last_10', 'opf.def_rating_last_10', 'tf.pace_games_last_10',
                       'opf.pace_games_last_10')},
    ROUND(CASE WHEN tt.is_home THEN gl.home_spread ELSE -gl.home_spread END, 4) AS game_spread,
    ROUND(gl.total, 4) AS game_total,
    tt.season_type = 'playoffs' AS is_playoffs
FROM team_targets tt
JOIN team_window tw ON tw.team_abbr = tt.team_abbr
JOIN last_app l ON l.a.team = tt.team_abbr AND (tw.tenth_last IS NULL OR l.last_date >= tw.tenth_last)
LEFT JOIN b2b b ON b.player_id = l.player_id
LEFT JOIN season_games sg ON sg.player_id = l.player_id
LEFT JOIN team_form tf ON tf.team_abbr = tt.team_abbr
LEFT JOIN team_form opf ON opf.team_abbr = tt.opponent_abbr
LEFT JOIN raw.game_lines gl
  ON gl.game_date = tt.game_date
 AND gl.home_team = CASE WHEN tt.is_home THEN tt.team_abbr ELSE tt.opponent_abbr END
 AND gl.away_team = CASE WHEN tt.is_home THEN tt.opponent_abbr ELSE tt.team_abbr END
"""

# The expected rows of one date, the independent way round as EXPECTED: the players who appeared for a team in
# its last 10 games (once each), kept if their latest appearance before D, anywhere, was for that team.
ONE_DATE_EXPECTED = f"""
WITH
{TEAM_TARGETS},
team_apps AS MATERIALIZED (  -- the target teams' appearances before D since the history floor
    SELECT player_id, team_abbr, game_date FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date < $start AND game_date >= $prior_season_start
      AND team_abbr IN (SELECT team_abbr FROM team_targets)
),
last_ten AS (  -- each team's last 10 game dates before D (a top-10 arg_max: an ordered DISTINCT list cost ~2 ms more)
    SELECT team_abbr, unnest(arg_max(game_date, game_date, 10)) AS game_date
    FROM (SELECT DISTINCT team_abbr, game_date FROM team_apps) GROUP BY team_abbr
),
candidates AS (  -- who appeared for the team in those games, once each
    SELECT DISTINCT a.team_abbr, a.player_id
    FROM team_apps a JOIN last_ten l ON l.team_abbr = a.team_abbr AND l.game_date = a.game_date
),
latest AS (  -- each candidate's team in his latest appearance before D, anywhere (on or after his candidate game)
    SELECT player_id, arg_max(team_abbr, game_date) AS team_abbr FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date < $start AND game_date >= (SELECT min(game_date) FROM last_ten)
      AND player_id IN (SELECT player_id FROM candidates)
    GROUP BY player_id
)
SELECT $start AS game_date, count(*) AS expected
FROM candidates c JOIN latest l ON l.player_id = c.player_id AND l.team_abbr = c.team_abbr
"""

MODEL = Model(
    name="analytics.upcoming_player_game_context",
    layer="analytics",
    grain=("game_date", "player_id"),
    description="pre-game player context: rest, load, team/opponent pace and defence, game line",
    sql=SQL,
    edges=(
        Edge("raw.schedule", Window.same_date()),
        # all_before: at a season's start the roster rule reads last season's appearances
        Edge("raw.player_boxscores", Window.all_before()),
        Edge("raw.team_boxscores", Window.season_before()),
        Edge("raw.game_lines", Window.same_date()),
    ),
    expected=EXPECTED,
    one_date_sql=ONE_DATE_SQL,
    one_date_expected=ONE_DATE_EXPECTED,
    checks=(
        *not_null("game_date", "game_id", "player_id", "team_abbr", "opponent_abbr", "games_played_season"),
        in_range("days_rest", 0, 200),
        in_range("games_last_7d", 0, 5),
        in_range("games_last_14d", 0, 9),
        in_range("minutes_last_7d", 0, 5 * 70),
        in_range("minutes_last_14d", 0, 9 * 70),
        in_range("team_pace_last_10", 70, 130),
        in_range("opponent_def_rating_last_10", 60, 180),
        in_range("game_total", 150, 300),
        in_range("game_spread", -30, 30),
    ),
    key_columns=("days_rest", "games_last_7d", "team_pace_last_10", "opponent_def_rating_last_10", "game_spread"),
)
