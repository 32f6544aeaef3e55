"""analytics.upcoming_team_game_context: pre-game context of every team playing on D.

Reads only D's schedule, the results of the season's games strictly before D (from the schedule's
final scores) and D's closing game line. Nothing of D's box scores.
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = """
WITH first_season_start AS MATERIALIZED (  -- the calendar view is read (and planned) once
    SELECT min(season_start) AS d FROM raw.game_dates WHERE game_date BETWEEN $start AND $end
),
team_games AS MATERIALIZED (  -- every team-game of the seasons in range up to $end (D's own row is the one we describe)
    SELECT game_id, game_date, season, season_type, home_team AS team_abbr, away_team AS opponent_abbr,
           TRUE AS is_home, home_pts AS pts, away_pts AS opp_pts
    FROM raw.schedule
    WHERE game_date BETWEEN (SELECT d FROM first_season_start) AND $end
      AND home_team <> away_team  -- a malformed row naming one team twice describes nobody (date shows partial)
    UNION ALL
    SELECT game_id, game_date, season, season_type, away_team, home_team, FALSE, away_pts, home_pts
    FROM raw.schedule
    WHERE game_date BETWEEN (SELECT d FROM first_season_start) AND $end
      AND home_team <> away_team
),
fatigue AS (  -- frames end one row / one day before the game: strictly < D by construction
    SELECT * EXCLUDE (day),
        lag(game_date) OVER season_games AS previous_game_date,
        count(*) OVER (season_games ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS games_before,
        count(*) OVER (season_games RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING) AS games_last_7d,
        count(*) OVER (season_games RANGE BETWEEN 14 PRECEDING AND 1 PRECEDING) AS games_last_14d
    FROM (SELECT *, game_date - DATE '1970-01-01' AS day FROM team_games)
    -- ordered by the day number (not the date) so that the day ranges share one sort with the rest
    WINDOW season_games AS (PARTITION BY season, team_abbr ORDER BY day)
),
decided AS (  -- games with a final score, numbered into win/loss streaks (gaps and islands)
    SELECT *, row_number() OVER (PARTITION BY season, team_abbr, won, streak_id ORDER BY game_date) AS streak_len
    FROM (
        SELECT season, team_abbr, game_date, pts > opp_pts AS won, pts - opp_pts AS margin,
               count(*) OVER seq AS games_decided,
               count(*) FILTER (WHERE pts > opp_pts) OVER seq AS wins,
               row_number() OVER seq - row_number() OVER (PARTITION BY season, team_abbr, pts > opp_pts
                                                          ORDER BY game_date) AS streak_id
        FROM team_games
        WHERE pts IS NOT NULL AND opp_pts IS NOT NULL
        WINDOW seq AS (PARTITION BY season, team_abbr ORDER BY game_date)
    )
),
target AS (
    SELECT f.*, dcd.won AS last_won, dcd.streak_len, dcd.margin AS last_margin,
           dcd.wins AS wins_entering, dcd.games_decided AS decided_entering
    FROM fatigue f
    -- the last decided game strictly before D in the same season
    ASOF LEFT JOIN decided dcd
      ON dcd.season = f.season AND dcd.team_abbr = f.team_abbr AND dcd.game_date < f.game_date
    WHERE f.game_date BETWEEN $start AND $end
)
SELECT
    t.game_date, t.game_id, t.season, t.season_type, t.team_abbr, t.opponent_abbr, t.is_home,
    -- one rest convention everywhere (the original had three): back-to-back = 0; NULL if no previous game
    (date_diff('day', t.previous_game_date, t.game_date) - 1)::INTEGER AS days_rest,
    date_diff('day', t.previous_game_date, t.game_date) = 1 AS back_to_back,
    (date_diff('day', o.previous_game_date, o.game_date) - 1)::INTEGER AS opponent_days_rest,
    t.games_last_7d::INTEGER AS games_last_7d, t.games_last_14d::INTEGER AS games_last_14d,
    (t.games_before + 1)::INTEGER AS game_number_in_season,
    CASE WHEN t.last_won THEN t.streak_len ELSE 0 END::INTEGER AS win_streak_entering,
    CASE WHEN NOT t.last_won THEN t.streak_len ELSE 0 END::INTEGER AS loss_streak_entering,
    t.last_margin::INTEGER AS last_game_margin,
    coalesce(t.wins_entering, 0)::INTEGER AS wins_entering,
    coalesce(t.decided_entering, 0)::INTEGER AS games_decided_entering,
    -- NULL before the first game (the original defaulted to 0.5 and once left it there for a season)
    ROUND(t.wins_entering / nullif(t.decided_entering, 0), 4) AS team_win_pct_entering,
    -- closing lines are the last pre-tip prices, so they are pre-game information; NULL where unknown
    ROUND(CASE WHEN t.is_home THEN l.home_spread ELSE -l.home_spread END, 4) AS game_spread,
    ROUND(l.total, 4) AS game_total,
    t.season_type = 'playoffs' AS is_playoffs
FROM target t
LEFT JOIN target o ON o.game_id = t.game_id AND o.team_abbr = t.opponent_abbr
LEFT JOIN raw.game_lines l
  ON l.game_date = t.game_date
 AND l.home_team = CASE WHEN t.is_home THEN t.team_abbr ELSE t.opponent_abbr END
 AND l.away_team = CASE WHEN t.is_home THEN t.opponent_abbr ELSE t.team_abbr END
"""

EXPECTED = """
SELECT game_date, 2 * count(*) AS expected FROM raw.schedule
WHERE game_date BETWEEN $start AND $end GROUP BY game_date
"""

MODEL = Model(
    name="analytics.upcoming_team_game_context",
    layer="analytics",
    grain=("game_date", "team_abbr"),
    description="pre-game team context: rest, schedule density, streaks, record entering, game line",
    sql=SQL,
    edges=(
        # D's schedule row plus the season's final scores strictly before D (pre-game information)
        Edge("raw.schedule", Window.season_through()),
        Edge("raw.game_lines", Window.same_date()),
    ),
    expected=EXPECTED,
    checks=(
        *not_null("game_date", "game_id", "team_abbr", "opponent_abbr", "game_number_in_season"),
        in_range("days_rest", 0, 200),
        in_range("opponent_days_rest", 0, 200),
        in_range("games_last_7d", 0, 5),
        in_range("games_last_14d", 0, 9),
        in_range("team_win_pct_entering", 0, 1),
        in_range("game_total", 150, 300),
        in_range("game_spread", -30, 30),
    ),
    key_columns=("days_rest", "games_last_7d", "team_win_pct_entering", "game_spread"),
)
