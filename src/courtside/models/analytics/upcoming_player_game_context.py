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

# The team's game sequence (dates with box scores) and, per team on D, the number of its last game before D.
# `apps` are the appearances (not DNP, minutes > 0) from the history floor up to the last target date.
ROSTER_WINDOW = """
team_game_seq AS (
    SELECT team_abbr, game_date, row_number() OVER (PARTITION BY team_abbr ORDER BY game_date) AS n
    FROM (SELECT DISTINCT team_abbr, game_date FROM apps)
),
roster_window AS (  -- n of each team's last game strictly before D
    SELECT tt.game_date, tt.team_abbr, lg.n AS last_n
    FROM team_targets tt
    ASOF JOIN team_game_seq lg ON lg.team_abbr = tt.team_abbr AND lg.game_date < tt.game_date
)"""

HISTORY_FLOOR = """
history_floor AS (  -- start of the season before the first target season (the roster rule may reach into it)
    SELECT coalesce(max(season_start), (SELECT min(season_start) FROM target_dates)) AS d0
    FROM raw.game_dates WHERE season_start < (SELECT min(season_start) FROM target_dates)
)"""

SQL = f"""
WITH target_dates AS (
    SELECT game_date, season_start FROM raw.game_dates WHERE game_date BETWEEN $start AND $end
),
{HISTORY_FLOOR},
{TEAM_TARGETS},
apps AS MATERIALIZED (  -- games actually played before the last target date; DNP / 0-minute rows are not appearances
    SELECT player_id, player_lookup, player_name, team_abbr, game_id, game_date, season, minutes,
           lead(game_date) OVER by_player AS next_appearance,
           count(*) OVER (PARTITION BY player_id, season ORDER BY game_date) AS season_games_through,
           -- running totals: the load over [D-N, D) is the total before D minus the total before D-N
           count(*) OVER by_player AS games_through,
           sum(minutes) OVER by_player AS minutes_through,
           count(*) FILTER (WHERE game_date - 1 = prev_date) OVER by_player AS back_to_backs_through
    FROM (SELECT *, lag(game_date) OVER (PARTITION BY player_id ORDER BY game_date) AS prev_date
          FROM raw.player_boxscores
          WHERE NOT dnp AND minutes > 0
            AND game_date >= (SELECT d0 FROM history_floor) AND game_date < $end)
    WINDOW by_player AS (PARTITION BY player_id ORDER BY game_date)
),
{ROSTER_WINDOW},
apps_numbered AS (  -- each appearance with the team's game number, and the player's next one
    SELECT a.*, s.n AS team_game_n,
           lead(s.n) OVER by_player AS next_n, lead(a.team_abbr) OVER by_player AS next_team
    FROM apps a JOIN team_game_seq s ON s.team_abbr = a.team_abbr AND s.game_date = a.game_date
    WINDOW by_player AS (PARTITION BY a.player_id ORDER BY a.game_date)
),
upcoming AS MATERIALIZED (
    -- THE RULE: an appearance for T at T's game n lists the player for T's targets D whose last game
    -- before D is n .. n+9, as long as it is still his last appearance before D (his next one, if any,
    -- is on or after D — the same answer on a copy that has nothing from D on). When his next appearance
    -- is T's game m, only targets with last game < m qualify: that bound keeps the join near output size.
    SELECT tt.*, a.player_id, a.player_lookup, a.player_name, a.game_date AS last_appearance_date,
           a.season AS last_appearance_season, a.season_games_through
    FROM (SELECT *, unnest(range(CASE WHEN next_team = team_abbr THEN least(10, next_n - team_game_n)
                                      ELSE 10 END)) AS ahead
          FROM apps_numbered) a
    JOIN roster_window rw ON rw.team_abbr = a.team_abbr AND rw.last_n = a.team_game_n + a.ahead
    JOIN team_targets tt ON tt.game_date = rw.game_date AND tt.team_abbr = rw.team_abbr
    WHERE a.next_appearance IS NULL OR a.next_appearance >= tt.game_date
),
load AS (  -- strict windows D-7 <= g < D and D-14 <= g < D, from running totals as of D, D-7 and D-14
    SELECT u.game_date, u.player_id,
           coalesce(a0.games_through, 0) - coalesce(a7.games_through, 0) AS games_last_7d,
           coalesce(a0.games_through, 0) - coalesce(a14.games_through, 0) AS games_last_14d,
           coalesce(a0.minutes_through, 0) - coalesce(a7.minutes_through, 0) AS minutes_last_7d,
           coalesce(a0.minutes_through, 0) - coalesce(a14.minutes_through, 0) AS minutes_last_14d,
           coalesce(a0.back_to_backs_through, 0) - coalesce(a14.back_to_backs_through, 0) AS back_to_backs_last_14d
    FROM upcoming u
    ASOF LEFT JOIN apps a0 ON a0.player_id = u.player_id AND a0.game_date < u.game_date
    ASOF LEFT JOIN apps a7 ON a7.player_id = u.player_id AND a7.game_date < u.game_date - 7
    ASOF LEFT JOIN apps a14 ON a14.player_id = u.player_id AND a14.game_date < u.game_date - 14
),
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
team_form AS (  -- as of the team's last game strictly before D, same season; no hard-coded date floor
    SELECT tt.game_date, tt.team_abbr, r.pace_last_10, r.pace_games_last_10, r.def_rating_last_10
    FROM team_targets tt
    ASOF LEFT JOIN team_rolling r
      ON r.team_abbr = tt.team_abbr AND r.season = tt.season AND r.game_date < tt.game_date
)
SELECT
    u.game_date, u.game_id, u.season, u.season_type, u.player_id, u.player_lookup, u.player_name,
    u.team_abbr, u.opponent_abbr, u.is_home, u.last_appearance_date,
    -- one rest convention (CONTRACT.md): back-to-back = 0; NULL if no previous game this season
    CASE WHEN u.last_appearance_season = u.season
         THEN date_diff('day', u.last_appearance_date, u.game_date) - 1 END::INTEGER AS days_rest,
    CASE WHEN u.last_appearance_season = u.season
         THEN date_diff('day', u.last_appearance_date, u.game_date) = 1 END AS back_to_back,
    l.games_last_7d::INTEGER AS games_last_7d, l.games_last_14d::INTEGER AS games_last_14d,
    ROUND(l.minutes_last_7d, 4) AS minutes_last_7d, ROUND(l.minutes_last_14d, 4) AS minutes_last_14d,
    l.back_to_backs_last_14d::INTEGER AS back_to_backs_last_14d,
    CASE WHEN u.last_appearance_season = u.season THEN u.season_games_through ELSE 0 END::INTEGER
        AS games_played_season,
    ROUND(tf.pace_last_10, 4) AS team_pace_last_10,
    ROUND(opf.pace_last_10, 4) AS opponent_pace_last_10,
    ROUND(tf.pace_last_10 - opf.pace_last_10, 4) AS pace_differential,
    ROUND(opf.def_rating_last_10, 4) AS opponent_def_rating_last_10,
    coalesce(tf.pace_games_last_10, 0)::INTEGER AS team_pace_games,
    coalesce(opf.pace_games_last_10, 0)::INTEGER AS opponent_pace_games,
    -- closing lines are the last pre-tip prices: pre-game information. Negative = the player's team favoured.
    ROUND(CASE WHEN u.is_home THEN gl.home_spread ELSE -gl.home_spread END, 4) AS game_spread,
    ROUND(gl.total, 4) AS game_total,
    u.season_type = 'playoffs' AS is_playoffs
FROM upcoming u
JOIN load l ON l.game_date = u.game_date AND l.player_id = u.player_id
LEFT JOIN team_form tf ON tf.game_date = u.game_date AND tf.team_abbr = u.team_abbr
LEFT JOIN team_form opf ON opf.game_date = u.game_date AND opf.team_abbr = u.opponent_abbr
LEFT JOIN raw.game_lines gl
  ON gl.game_date = u.game_date
 AND gl.home_team = CASE WHEN u.is_home THEN u.team_abbr ELSE u.opponent_abbr END
 AND gl.away_team = CASE WHEN u.is_home THEN u.opponent_abbr ELSE u.team_abbr END
"""

# The same rule with the roster window shared but the rest decided another way: every player seen in the
# team's last 10 games, kept if an ASOF join to his latest appearance before D finds this team (the model
# walks forward from each appearance with LEAD). A partial
# partition, or a slip in either formulation, shows as rows != expected.
EXPECTED = f"""
WITH target_dates AS (
    SELECT game_date, season_start FROM raw.game_dates WHERE game_date BETWEEN $start AND $end
),
{HISTORY_FLOOR},
{TEAM_TARGETS},
apps AS (
    SELECT player_id, team_abbr, game_date FROM raw.player_boxscores
    WHERE NOT dnp AND minutes > 0 AND game_date >= (SELECT d0 FROM history_floor) AND game_date < $end
),
{ROSTER_WINDOW},
candidates AS (  -- who appeared for the team in its last 10 games before D (n = last_n - 0..9)
    SELECT DISTINCT rw.game_date AS d, rw.team_abbr, a.player_id
    FROM roster_window rw
    CROSS JOIN (SELECT unnest(range(10)) AS back) steps
    JOIN team_game_seq s ON s.team_abbr = rw.team_abbr AND s.n = rw.last_n - steps.back
    JOIN apps a ON a.team_abbr = s.team_abbr AND a.game_date = s.game_date
),
last_team AS (
    SELECT c.d, c.team_abbr, x.team_abbr AS team_of_last_appearance
    FROM candidates c
    ASOF JOIN apps x ON x.player_id = c.player_id AND x.game_date < c.d
)
SELECT g.game_date, count(lt.d) AS expected
FROM target_dates g
LEFT JOIN last_team lt ON lt.d = g.game_date AND lt.team_of_last_appearance = lt.team_abbr
GROUP BY g.game_date
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
