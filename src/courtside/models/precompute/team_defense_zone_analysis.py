"""precompute.team_defense_zone_analysis: how each team playing on D has defended, from its games before D.

Original section 5.1, with its defects fixed on purpose:
- every history read is strictly `< D` — including the league average, which the original took with an
  inclusive `BETWEEN lookback AND analysis_date` (a residual leak of D's own games);
- no bootstrap holes: a team's row exists on every date it plays, computed from the games it has
  (zero games on the season's first date -> NULL metrics, `games_in_sample` 0, `small_sample`);
  `small_sample` uses the original's dynamic minimum (min(5 + days_into_season // 3, 14) for the first
  21 days, then 15);
- zones come only from real shot data: zone FG% allowed are computed over the team's last 15 games
  *that have shot zones* (none in 2021-22, playoffs or 2025-26); with none, NULL and `has_zone_data` false.
  Defensive rating and opponent pace use the plain last 15 games.

League average per zone = the mean over every team of its own zone FG% allowed as of D (same window,
strictly before D). It replaces the original's "teams with >= 10 games in the last 30 days", which was
empty for the first weeks of a season and for every playoff date, and keeps team and league comparable.
Zone names are `paint`, `mid_range`, `three` (the original's `perimeter`), matching the column names.
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = """
WITH targets AS (
    SELECT u.game_date, u.season, u.team_abbr, u.opponent_abbr, d.season_start
    FROM analytics.upcoming_team_game_context u
    JOIN raw.game_dates d ON d.game_date = u.game_date
    WHERE u.game_date BETWEEN $start AND $end
),
history AS (
    SELECT * FROM analytics.team_defense_game_summary
    WHERE game_date < $end AND season IN (SELECT DISTINCT season FROM targets)
),
-- state of each team "after" each of its games: the last 15 games ending with that one
rolling AS (
    SELECT team_abbr, season, game_date,
           count(*) OVER w AS games_in_sample,
           avg(defensive_rating) OVER w AS defensive_rating,
           avg(opponent_pace) OVER w AS opponent_pace
    FROM history
    WINDOW w AS (PARTITION BY team_abbr, season ORDER BY game_date ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)
),
zone_rolling AS (
    SELECT team_abbr, season, game_date,
           count(*) OVER w AS zone_games,
           sum(opp_paint_makes) OVER w / nullif(sum(opp_paint_attempts) OVER w, 0) AS paint_pct,
           sum(opp_mid_range_makes) OVER w / nullif(sum(opp_mid_range_attempts) OVER w, 0) AS mid_pct,
           sum(opp_three_makes) OVER w / nullif(sum(opp_three_attempts) OVER w, 0) AS three_pct
    FROM history
    WHERE has_shot_zones
    WINDOW w AS (PARTITION BY team_abbr, season ORDER BY game_date ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)
),
-- every team of the season as of each target date (for the league average)
league_grid AS (
    SELECT d.game_date, d.season, t.team_abbr
    FROM (SELECT DISTINCT game_date, season FROM targets) d
    JOIN (SELECT DISTINCT season, team_abbr FROM history) t ON t.season = d.season
),
league AS (
    SELECT g.game_date,
           avg(z.paint_pct) AS lg_paint, avg(z.mid_pct) AS lg_mid, avg(z.three_pct) AS lg_three
    FROM league_grid g
    ASOF JOIN zone_rolling z
      ON z.team_abbr = g.team_abbr AND z.season = g.season AND g.game_date > z.game_date
    GROUP BY g.game_date
),
joined AS (
    SELECT t.game_date, t.season, t.team_abbr, t.opponent_abbr, t.season_start,
           coalesce(r.games_in_sample, 0) AS games_in_sample,
           r.defensive_rating, r.opponent_pace,
           coalesce(z.zone_games, 0) AS zone_games_in_sample,
           z.paint_pct, z.mid_pct, z.three_pct,
           l.lg_paint, l.lg_mid, l.lg_three
    FROM targets t
    ASOF LEFT JOIN rolling r
      ON r.team_abbr = t.team_abbr AND r.season = t.season AND t.game_date > r.game_date
    ASOF LEFT JOIN zone_rolling z
      ON z.team_abbr = t.team_abbr AND z.season = t.season AND t.game_date > z.game_date
    LEFT JOIN league l ON l.game_date = t.game_date
),
scored AS (
    SELECT *,
           (paint_pct - lg_paint) * 100 AS paint_vs,
           (mid_pct - lg_mid) * 100 AS mid_vs,
           (three_pct - lg_three) * 100 AS three_vs,
           date_diff('day', season_start, game_date) AS days_into_season
    FROM joined
)
SELECT game_date, team_abbr, opponent_abbr, season,
       ROUND(paint_pct, 4) AS paint_pct_allowed,
       ROUND(mid_pct, 4) AS mid_range_pct_allowed,
       ROUND(three_pct, 4) AS three_pct_allowed,
       ROUND(lg_paint, 4) AS league_paint_pct,
       ROUND(lg_mid, 4) AS league_mid_range_pct,
       ROUND(lg_three, 4) AS league_three_pct,
       ROUND(paint_vs, 4) AS paint_defense_vs_league_avg,
       ROUND(mid_vs, 4) AS mid_range_defense_vs_league_avg,
       ROUND(three_vs, 4) AS three_defense_vs_league_avg,
       ROUND(defensive_rating, 4) AS defensive_rating,
       ROUND(opponent_pace, 4) AS opponent_pace,
       games_in_sample::INTEGER AS games_in_sample,
       zone_games_in_sample::INTEGER AS zone_games_in_sample,
       -- positive vs-league = more allowed than average: the strongest zone is the lowest value
       CASE least(paint_vs, mid_vs, three_vs)
            WHEN paint_vs THEN 'paint' WHEN mid_vs THEN 'mid_range' WHEN three_vs THEN 'three' END AS strongest_zone,
       CASE greatest(paint_vs, mid_vs, three_vs)
            WHEN paint_vs THEN 'paint' WHEN mid_vs THEN 'mid_range' WHEN three_vs THEN 'three' END AS weakest_zone,
       (zone_games_in_sample > 0 AND paint_pct IS NOT NULL) AS has_zone_data,
       CASE WHEN days_into_season <= 21 THEN least(5 + days_into_season // 3, 14) ELSE 15 END::INTEGER
           AS min_games_required,
       games_in_sample < CASE WHEN days_into_season <= 21 THEN least(5 + days_into_season // 3, 14) ELSE 15 END
           AS small_sample
FROM scored
"""

MODEL = Model(
    name="precompute.team_defense_zone_analysis",
    layer="precompute",
    grain=("game_date", "team_abbr"),
    description="per team playing on D: zone FG% allowed (last 15 zone games), vs league, def rating, opp pace",
    sql=SQL,
    edges=(
        Edge("analytics.upcoming_team_game_context", Window.same_date()),
        Edge("analytics.team_defense_game_summary", Window.season_before()),
    ),
    expected="SELECT game_date, 2 * n_games AS expected FROM raw.game_dates WHERE game_date BETWEEN $start AND $end",
    checks=(
        *not_null("game_date", "team_abbr", "games_in_sample", "small_sample", "has_zone_data"),
        in_range("paint_pct_allowed", 0, 1),
        in_range("mid_range_pct_allowed", 0, 1),
        in_range("three_pct_allowed", 0, 1),
        in_range("games_in_sample", 0, 15),
        in_range("zone_games_in_sample", 0, 15),
    ),
    key_columns=("paint_defense_vs_league_avg", "defensive_rating", "opponent_pace"),
)
