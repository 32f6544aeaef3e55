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

How one date stays cheap (a one-date batch is mostly fixed per-operator costs): one window pass computes, after
each game, the state of the team's last 15 games and of its last 15 games with zones (every game is in the
stream once as a game and once more as a zone game, partitioned apart); the six zone counts and the game
count are summed as one packed HUGEINT (models/bits.py); and the state entering a date is the row of the last
game before it, found by an equality join plus `game_date < D <= next game` (no ASOF join).
"""

from courtside.models.analytics._fragments import TWO_TEAM_ROWS_PER_GAME
from courtside.models.bits import hugeint_field, packed_hugeint
from courtside.models.registry import Edge, Model, Window, in_range, not_null

# 12 bits a field: a sum over 15 games stays far below 4096, which would take 273 attempts a game in one zone
# (a team's opponents attempt ~90 field goals a game in all zones together); the count of games is at most 15.
ZONE_SUM = (("games", 12), ("paint_a", 12), ("paint_m", 12), ("mid_a", 12), ("mid_m", 12), ("three_a", 12),
            ("three_m", 12))
PACKED = packed_hugeint(ZONE_SUM, {
    "games": "1", "paint_a": "h.opp_paint_attempts", "paint_m": "h.opp_paint_makes",
    "mid_a": "h.opp_mid_range_attempts", "mid_m": "h.opp_mid_range_makes",
    "three_a": "h.opp_three_attempts", "three_m": "h.opp_three_makes"})


def _zone(name: str) -> str:
    return hugeint_field("r.zs", ZONE_SUM, name)


SQL = f"""
WITH targets AS (  -- the season's first date from its schedule rows (the calendar view computes every season's
                  -- dates at each use: 3 of a one-date batch's ~35 ms)
    SELECT u.game_date, u.season, u.team_abbr, u.opponent_abbr,
           date_diff('day', s.season_start, u.game_date) AS days_into_season
    FROM analytics.upcoming_team_game_context u
    JOIN (SELECT season, min(game_date) AS season_start FROM raw.schedule WHERE game_date <= $end GROUP BY season) s
      ON s.season = u.season
    WHERE u.game_date BETWEEN $start AND $end
),
-- every game of the seasons read (zone = false) and once more if it has shot zones (zone = true)
stream AS (
    SELECT h.team_abbr, h.season, h.game_date, k.zone, h.defensive_rating, h.opponent_pace,
           CASE WHEN k.zone THEN {PACKED} END AS p  -- zone columns are never NULL on a game with shot zones
    FROM analytics.team_defense_game_summary h, (VALUES (false), (true)) k(zone)
    WHERE h.game_date < $end AND h.season IN (SELECT DISTINCT season FROM targets) AND (h.has_shot_zones OR NOT k.zone)
),
-- state of each team "after" each of its games: the last 15 games (zone games) ending with that one
rolling AS (
    SELECT team_abbr, season, game_date, zone,
           coalesce(lead(game_date) OVER w, DATE '9999-12-31') AS next_date,
           least(row_number() OVER w, 15) AS games_in_sample,
           avg(defensive_rating) OVER w AS defensive_rating,
           avg(opponent_pace) OVER w AS opponent_pace,
           sum(p) OVER w AS zs
    FROM stream
    WINDOW w AS (PARTITION BY team_abbr, season, zone ORDER BY game_date ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)
),
-- every team of the season entering each target date (strictly before it): the row of its last game before
state AS (
    SELECT d.game_date, r.team_abbr, r.zone, r.games_in_sample, r.defensive_rating, r.opponent_pace,
           {_zone("games")} AS zone_games,
           {_zone("paint_m")} / nullif({_zone("paint_a")}, 0) AS paint_pct,
           {_zone("mid_m")} / nullif({_zone("mid_a")}, 0) AS mid_pct,
           {_zone("three_m")} / nullif({_zone("three_a")}, 0) AS three_pct
    FROM (SELECT DISTINCT game_date, season FROM targets) d
    JOIN rolling r ON r.season = d.season AND r.game_date < d.game_date AND d.game_date <= r.next_date
),
scored AS (
    SELECT t.game_date, t.season, t.team_abbr, t.opponent_abbr,
           coalesce(r.games_in_sample, 0) AS games_in_sample,
           r.defensive_rating, r.opponent_pace,
           coalesce(z.zone_games, 0) AS zone_games_in_sample,
           z.paint_pct, z.mid_pct, z.three_pct,
           l.lg_paint, l.lg_mid, l.lg_three,
           (z.paint_pct - l.lg_paint) * 100 AS paint_vs,
           (z.mid_pct - l.lg_mid) * 100 AS mid_vs,
           (z.three_pct - l.lg_three) * 100 AS three_vs,
           CASE WHEN t.days_into_season <= 21 THEN least(5 + t.days_into_season // 3, 14) ELSE 15 END AS min_games
    FROM targets t
    LEFT JOIN state r ON r.team_abbr = t.team_abbr AND r.game_date = t.game_date AND NOT r.zone
    LEFT JOIN state z ON z.team_abbr = t.team_abbr AND z.game_date = t.game_date AND z.zone
    LEFT JOIN (SELECT game_date, avg(paint_pct) AS lg_paint, avg(mid_pct) AS lg_mid, avg(three_pct) AS lg_three
               FROM state WHERE zone GROUP BY game_date) l ON l.game_date = t.game_date
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
       min_games::INTEGER AS min_games_required,
       games_in_sample < min_games AS small_sample
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
        Edge("raw.schedule", Window.season_through()),
    ),
    # from the schedule, not the calendar view (see `targets`)
    expected=TWO_TEAM_ROWS_PER_GAME,
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
