"""analytics.upcoming_team_game_context: pre-game context of every team playing on D.

Reads only D's schedule, the results of the season's games strictly before D (from the schedule's
final scores) and D's closing game line. Nothing of D's box scores.

Everything about a team's past games comes from ONE window pass over its season's games (one sort):
the record, last margin and streak entering D are aggregates over the frame of the games dated
strictly before D (RANGE ... 1 PRECEDING on the day number), the streak read off the string of
results ('W'/'L', in date order) as the length of its last run. This replaced a second and third
window (gaps-and-islands streaks) and an ASOF join back to the last decided game: at one game date
the fixed cost of those operators was most of the statement (single-date SELECT ~35 -> ~22 ms,
full range ~165 -> ~75 ms), for the same table.
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = """
WITH team_games AS MATERIALIZED (  -- every team-game of the seasons in range up to $end (D's own row is the one we describe)
    SELECT game_id, game_date, season, season_type, home_team AS team_abbr, away_team AS opponent_abbr,
           TRUE AS is_home, home_pts AS pts, away_pts AS opp_pts
    FROM raw.schedule
    -- the seasons of the range from the schedule itself: no read (and planning) of the calendar view
    WHERE game_date <= $end AND season IN (SELECT season FROM raw.schedule WHERE game_date BETWEEN $start AND $end)
      AND home_team <> away_team  -- a malformed row naming one team twice describes nobody (date shows partial)
    UNION ALL
    SELECT game_id, game_date, season, season_type, away_team, home_team, FALSE, away_pts, home_pts
    FROM raw.schedule
    WHERE game_date <= $end AND season IN (SELECT season FROM raw.schedule WHERE game_date BETWEEN $start AND $end)
      AND home_team <> away_team
),
target AS (
    SELECT * FROM (
        -- frames end one row / one day before the game: strictly < D by construction
        SELECT game_id, game_date, season, season_type, team_abbr, opponent_abbr, is_home,
            lag(game_date) OVER season_games AS previous_game_date,
            row_number() OVER season_games AS game_number,
            count(*) OVER (season_games RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING) AS games_last_7d,
            count(*) OVER (season_games RANGE BETWEEN 14 PRECEDING AND 1 PRECEDING) AS games_last_14d,
            -- the decided games before D (both scores known) as 'W'/'L' in date order
            string_agg(CASE WHEN pts > opp_pts THEN 'W' WHEN pts <= opp_pts THEN 'L' END, '' ORDER BY day)
                OVER before AS results,
            last_value(pts - opp_pts IGNORE NULLS) OVER before AS last_margin,
            count(*) FILTER (WHERE pts > opp_pts) OVER before AS wins_entering
        FROM (SELECT *, game_date - DATE '1970-01-01' AS day FROM team_games)
        -- ordered by the day number (not the date) so that the day ranges share one sort with the rest
        WINDOW season_games AS (PARTITION BY season, team_abbr ORDER BY day),
               before AS (season_games RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    )
    WHERE game_date BETWEEN $start AND $end
)
SELECT
    t.game_date, t.game_id, t.season, t.season_type, t.team_abbr, t.opponent_abbr, t.is_home,
    -- one rest convention everywhere (the original had three): back-to-back = 0; NULL if no previous game
    (date_diff('day', t.previous_game_date, t.game_date) - 1)::INTEGER AS days_rest,
    date_diff('day', t.previous_game_date, t.game_date) = 1 AS back_to_back,
    (date_diff('day', o.previous_game_date, o.game_date) - 1)::INTEGER AS opponent_days_rest,
    t.games_last_7d::INTEGER AS games_last_7d, t.games_last_14d::INTEGER AS games_last_14d,
    t.game_number::INTEGER AS game_number_in_season,
    -- the streak entering D: the length of the last run of equal results (0 for the other kind, or none)
    CASE WHEN right(t.results, 1) = 'W' THEN length(t.results) - length(rtrim(t.results, 'W')) ELSE 0 END::INTEGER
        AS win_streak_entering,
    CASE WHEN right(t.results, 1) = 'L' THEN length(t.results) - length(rtrim(t.results, 'L')) ELSE 0 END::INTEGER
        AS loss_streak_entering,
    t.last_margin::INTEGER AS last_game_margin,
    t.wins_entering::INTEGER AS wins_entering,
    coalesce(length(t.results), 0)::INTEGER AS games_decided_entering,
    -- NULL before the first game (the original defaulted to 0.5 and once left it there for a season)
    ROUND(t.wins_entering / nullif(length(t.results), 0), 4) AS team_win_pct_entering,
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
