"""precompute.player_daily_cache: each upcoming player's rolling box-score history as of D.

Original section 5.4, fixed on purpose:
- windows are the player's games strictly before D in D's season (the original's `<=` leaked D itself);
  "last N" = his N most recent *played* games: DNP rows and zero-minute, zero-point rows are excluded
  before windowing (the original's Feb-2026 DNP fix);
- the driver is analytics.upcoming_player_game_context, and every driver row is written: with no game
  yet this season the averages are NULL and `small_sample` is true (the original skipped players with
  < 3 games and whole bootstrap dates). No previous-season priors are used.
- reduced boxes (2025-26, playoffs 2023-24/2024-25) lack attempts: usage, TS% and three-point stats are
  averaged over the games of the window that have them (`usage_games_last_10`, `fg3_games_last_10` say
  how many) and are NULL when none has them — never filled in.

Method: one window over the box-score rows (DNP included) numbers the played games and gives the DNP rate;
a second over the played games gives the player's state *after* each (L3/L5/L10, season to date). One
as-of join on his box-score rows gives, per (D, player), the number of games he played before D; the state
after that game is then joined by equality. Team pace and offensive rating come from the team's games, as
of each (D, team) of the targets (the player's team on D).
Cost: a window aggregate costs ~30 ms of CPU per column over all seasons, so the L10 means of integer
columns are sums divided by their counts (avg of integers is exactly that), the eight L10 sums come from
two sums of bit-packed values and all the counts from one, L3/L5 and the trend read lag() values (several
times cheaper than small-frame aggregates), and rounding happens once per played game (the state), not
once per target row.
usage_rate_season is the exact mean of the 4-decimal per-game usage rates, rounded once: a double
running mean could land either side of a rounding boundary depending on the range built. The other
means of 4-decimal values (minutes, usage L10, team pace and rating) are avg() over exact decimals for
the same reason (avg, not sum / count: avg of decimals rounds its quotient its own way).
"""

from courtside.models.bits import field, packed
from courtside.models.registry import Edge, Model, Window, in_range, not_null


# the eight counting stats packed in two BIGINTs (16-bit fields), their L10 sums named <stat>_l10 below
_STATS_A = ("pts", "reb", "ast", "fg3m_ok")
_STATS_B = ("fg3a", "pra_full", "ftm", "pts_with_ft")
_L10_NAMES = {"fg3m_ok": "fg3m", "pra_full": "pra"}
# the columns whose non-NULL rows in the L10 frame are counted, 4 bits each (a frame has at most 10 rows)
_PRESENT = ("pts", "reb", "ast", "fg3m_ok", "fg3a", "pra_full", "usage_ok", "ftm")


def _present(col: str) -> str:
    """How many of the last 10 games have `col`."""
    return field("present_l10", _PRESENT.index(col), 4)


def _sums(packed_l10: str, stats: tuple[str, ...]) -> str:
    """The L10 sums of the stats packed in one windowed sum, as <stat>_l10 columns."""
    return ", ".join(f"{field(packed_l10, i, top=i == len(stats) - 1)} AS {_L10_NAMES.get(c, c)}_l10"
                     for i, c in enumerate(stats))


def _mean(*xs: str) -> str:
    """avg() of the non-NULL values among a few columns (avg of integers = their sum / their count, as a DOUBLE)."""
    total = " + ".join(f"coalesce({x}, 0)" for x in xs)
    count = " + ".join(f"({x} IS NOT NULL)::INTEGER" for x in xs)
    return f"({total}) / nullif({count}, 0)"


SQL = f"""
WITH targets AS (
    SELECT u.game_date, u.season, u.player_id, u.team_abbr, u.opponent_abbr
    FROM analytics.upcoming_player_game_context u
    WHERE u.game_date BETWEEN $start AND $end AND u.game_date IN $dates
),
box AS (  -- the targets' box-score rows of their seasons before $end: only the columns read
    SELECT player_id, season, game_date, is_dnp,
           NOT is_dnp AND (coalesce(minutes, 0) > 0 OR coalesce(pts, 0) > 0) AS played,
           -- minutes are 4-decimal values: exact decimals, so their means do not depend on the summation
           -- order (a range build and a one-date build once differed by 1e-4 on minutes_avg_season)
           pts, reb, ast, minutes::DECIMAL(18, 4) AS minutes, fg3m, fg3a, ftm,
           CASE WHEN has_attempts THEN usage_rate END AS usage_ok,
           CASE WHEN has_attempts THEN pts END AS pts_att, CASE WHEN has_attempts THEN fga END AS fga_att,
           CASE WHEN has_attempts THEN fta END AS fta_att
    FROM analytics.player_game_summary
    WHERE game_date < $end AND season IN (SELECT DISTINCT season FROM targets)
      AND player_id IN (SELECT player_id FROM targets)  -- a one-date batch windows ~200 players, not the league
),
-- per box-score row (DNP included): played games so far this season (= the game's index when played), and
-- the DNP rate over the last 10 rows (original feature 33). A target takes both from its last row before D
-- (one as-of join); the played-game count then keys the player's state by equality.
appearances AS MATERIALIZED (
    SELECT *,
           count(*) FILTER (WHERE played) OVER (PARTITION BY player_id, season ORDER BY game_date
                                                ROWS UNBOUNDED PRECEDING) AS n_played,
           CASE WHEN count(*) OVER w10 >= 3 THEN ROUND(avg(CASE WHEN is_dnp THEN 1.0 ELSE 0.0 END) OVER w10, 4) END
               AS dnp_rate_last_10
    FROM box
    WINDOW w10 AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
),
played AS (
    SELECT player_id, season, game_date, n_played AS game_index, pts, reb, ast, minutes, fg3a, ftm, usage_ok, pts_att,
           CASE WHEN reb IS NOT NULL AND ast IS NOT NULL THEN pts + reb + ast END AS pra_full,
           CASE WHEN fg3a IS NOT NULL THEN fg3m END AS fg3m_ok,
           CASE WHEN ftm IS NOT NULL THEN pts END AS pts_with_ft,
           -- usage rates are 4-decimal values: summed exactly, so the season mean is rounded once, the same
           -- whatever range is built (a double running mean depended on the summation order)
           usage_ok::DECIMAL(18, 4) AS usage_exact,
           -- fga + 0.44 fta is exact in decimals: one sum instead of two (NULLs add nothing, as in two sums)
           coalesce(fga_att, 0) + 0.44 * coalesce(fta_att, 0) AS fga_fta_att
    FROM appearances
    WHERE played
),
packed AS (  -- eight counting stats as two BIGINTs of 16-bit fields, so that two windowed sums give all eight L10
             -- sums (the stats are non-negative, the loader rejects negatives, and far below 6553 a game; a
             -- NULL adds 0 to its sum, and its count below says how many games had it)
    SELECT *,
           {packed([f"coalesce({c}, 0)" for c in _STATS_A])} AS stats_a,
           {packed([f"coalesce({c}, 0)" for c in _STATS_B])} AS stats_b
    FROM played
),
after_game AS (  -- the player's state after each played game: L3/L5/L10 and season to date
    SELECT player_id, season, game_index,
           avg(pts) OVER s AS points_avg_season,
           avg(minutes) OVER s AS minutes_avg_season,
           avg(reb) OVER s AS reb_avg_season, avg(ast) OVER s AS ast_avg_season,
           avg(fg3m_ok) OVER s AS fg3m_avg_season,
           sum(usage_exact) OVER s AS usage_sum_season, count(usage_exact) OVER s AS usage_games_season,
           pts AS p0, lag(pts, 1) OVER g AS p1, lag(pts, 2) OVER g AS p2, lag(pts, 3) OVER g AS p3, lag(pts, 4) OVER g AS p4,
           -- how many L10 rows have each value, 4 bits per column (a frame has at most 10 rows): one window
           -- aggregate instead of one count per column
           sum({packed([f"({c} IS NOT NULL)::BIGINT" for c in _PRESENT], 4)}) OVER l10 AS present_l10,
           sum(stats_a) OVER l10 AS stats_a_l10, sum(stats_b) OVER l10 AS stats_b_l10,
           stddev_samp(pts) OVER l10 AS points_std_last_10,
           regr_slope(pts, game_index) OVER l10 AS points_slope_last_10,
           avg(minutes) OVER l10 AS minutes_avg_last_10,  -- avg of exact decimals (sum / count would round differently)
           sum(minutes) OVER l10 AS minutes_l10,
           avg(usage_exact) OVER l10 AS usage_rate_last_10,
           sum(pts_att) OVER l10 / nullif(2 * sum(fga_fta_att) OVER l10, 0) AS ts_pct_last_10,
    FROM packed
    WINDOW s AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           g AS (PARTITION BY player_id, season ORDER BY game_date),
           l10 AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
),
state AS (  -- the output columns of each state, rounded here: one row per played game, fewer than targets
    SELECT player_id, season, game_index, game_index AS gps,
           least(game_index, 10) AS games_in_last_10,
           ROUND({_mean('p0', 'p1', 'p2')}, 4) AS points_avg_last_3,
           ROUND({_mean('p0', 'p1', 'p2', 'p3', 'p4')}, 4) AS points_avg_last_5,
           ROUND(pts_l10 / ({_present('pts')}), 4) AS points_avg_last_10,
           ROUND(points_avg_season, 4) AS points_avg_season,
           ROUND(points_std_last_10, 4) AS points_std_last_10,
           ROUND(CASE WHEN game_index >= 5 THEN points_slope_last_10 END, 4) AS points_slope_last_10,
           -- original feature 11: mean(2 newest) - mean(3 older) of the last 5, bucketed; needs 5 games
           CASE WHEN game_index < 5 THEN NULL
                WHEN trend_gap >= 5 THEN 2 WHEN trend_gap >= 2 THEN 1
                WHEN trend_gap <= -5 THEN -2 WHEN trend_gap <= -2 THEN -1
                ELSE 0 END AS recent_trend,
           ROUND(minutes_avg_last_10, 4) AS minutes_avg_last_10,
           ROUND(minutes_avg_season, 4) AS minutes_avg_season,
           ROUND(pts_l10 / nullif(minutes_l10, 0), 4) AS ppm_avg_last_10,
           ROUND(CASE WHEN {_present('usage_ok')} > 0 THEN usage_rate_last_10 END, 4) AS usage_rate_last_10,
           {_present('usage_ok')} AS usage_games_last_10,
           -- exact mean in ten-thousandths, rounded half away from zero once: the value ROUND(.., 4) means
           (sign(usage_sum_season) * ((2 * abs(usage_sum_season * 10000)::HUGEINT + usage_games_season)
                                      // (2 * usage_games_season)) / 10000.0)::DOUBLE AS usage_rate_season,
           ROUND(ts_pct_last_10, 4) AS ts_pct_last_10,
           ROUND(reb_l10 / nullif({_present('reb')}, 0), 4) AS reb_avg_last_10,
           ROUND(ast_l10 / nullif({_present('ast')}, 0), 4) AS ast_avg_last_10,
           ROUND(fg3m_l10 / nullif({_present('fg3m_ok')}, 0), 4) AS fg3m_avg_last_10,
           ROUND(fg3a_l10 / nullif({_present('fg3a')}, 0), 4) AS fg3a_avg_last_10,
           {_present('fg3m_ok')} AS fg3_games_last_10,
           ROUND(pra_l10 / nullif({_present('pra_full')}, 0), 4) AS pra_avg_last_10,
           ROUND(reb_avg_season, 4) AS reb_avg_season,
           ROUND(ast_avg_season, 4) AS ast_avg_season,
           ROUND(fg3m_avg_season, 4) AS fg3m_avg_season,
           ROUND(CASE WHEN {_present('ftm')} >= 5 THEN ftm_l10 / nullif(pts_with_ft_l10, 0) END, 4)
               AS ft_points_share_last_10
    FROM (SELECT *, {_mean('p0', 'p1')} - {_mean('p2', 'p3', 'p4')} AS trend_gap,
                 {_sums('stats_a_l10', _STATS_A)}, {_sums('stats_b_l10', _STATS_B)}
          FROM after_game)
),
team_after_game AS (
    SELECT team_abbr, season, game_date,
           count(*) OVER w AS team_games_last_10,
           ROUND(avg(pace::DECIMAL(18, 4)) OVER w, 4) AS team_pace_last_10,   -- exact, as the minutes above
           ROUND(avg(offensive_rating::DECIMAL(18, 4)) OVER w, 4) AS team_off_rating_last_10
    FROM analytics.team_offense_game_summary
    WHERE game_date < $end AND season IN (SELECT DISTINCT season FROM targets)
      AND team_abbr IN (SELECT team_abbr FROM targets)
    WINDOW w AS (PARTITION BY team_abbr, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
),
team_form AS (  -- as of each (date, team) of the targets: a few thousand rows, not one per player
    SELECT d.game_date, d.team_abbr, tm.team_games_last_10, tm.team_pace_last_10, tm.team_off_rating_last_10
    FROM (SELECT DISTINCT game_date, season, team_abbr FROM targets) d
    ASOF LEFT JOIN team_after_game tm
      ON tm.team_abbr = d.team_abbr AND tm.season = d.season AND d.game_date > tm.game_date
)
SELECT t.game_date, t.player_id, t.season, t.team_abbr, t.opponent_abbr,
       a.points_avg_last_3, a.points_avg_last_5, a.points_avg_last_10, a.points_avg_season, a.points_std_last_10,
       a.points_slope_last_10, a.recent_trend, a.minutes_avg_last_10, a.minutes_avg_season, a.ppm_avg_last_10,
       a.usage_rate_last_10, coalesce(a.usage_games_last_10, 0)::INTEGER AS usage_games_last_10,
       a.usage_rate_season, a.ts_pct_last_10,
       coalesce(a.gps, 0)::INTEGER AS games_played_season,
       coalesce(a.games_in_last_10, 0)::INTEGER AS games_in_last_10,
       a.reb_avg_last_10, a.ast_avg_last_10, a.fg3m_avg_last_10, a.fg3a_avg_last_10,
       coalesce(a.fg3_games_last_10, 0)::INTEGER AS fg3_games_last_10,
       a.pra_avg_last_10, a.reb_avg_season, a.ast_avg_season, a.fg3m_avg_season, a.ft_points_share_last_10,
       r.dnp_rate_last_10,
       tm.team_pace_last_10, tm.team_off_rating_last_10,
       coalesce(tm.team_games_last_10, 0)::INTEGER AS team_games_last_10,
       coalesce(a.gps, 0) < 10 AS small_sample
FROM targets t
ASOF LEFT JOIN (SELECT player_id, season, game_date, n_played, dnp_rate_last_10 FROM appearances) r
  ON r.player_id = t.player_id AND r.season = t.season AND t.game_date > r.game_date
LEFT JOIN state a ON a.player_id = t.player_id AND a.season = t.season AND a.game_index = r.n_played
LEFT JOIN team_form tm ON tm.game_date = t.game_date AND tm.team_abbr = t.team_abbr
"""

MODEL = Model(
    name="precompute.player_daily_cache",
    layer="precompute",
    grain=("game_date", "player_id"),
    description="per upcoming player: L3/L5/L10/season points, spread, minutes, usage, reb/ast/threes/PRA, team pace",
    sql=SQL,
    edges=(
        Edge("analytics.upcoming_player_game_context", Window.same_date()),
        Edge("analytics.player_game_summary", Window.season_before()),
        Edge("analytics.team_offense_game_summary", Window.season_before()),
    ),
    expected="""SELECT game_date, count(*) AS expected FROM analytics.upcoming_player_game_context
                WHERE game_date BETWEEN $start AND $end AND game_date IN $dates GROUP BY 1""",
    checks=(
        *not_null("game_date", "player_id", "games_played_season", "small_sample"),
        in_range("points_avg_last_10", 0, 80),
        in_range("points_std_last_10", 0, None),
        in_range("minutes_avg_last_10", 0, 70),
        in_range("ts_pct_last_10", 0, 1.6),
        in_range("dnp_rate_last_10", 0, 1),
        in_range("recent_trend", -2, 2),
    ),
    key_columns=("points_avg_last_10", "points_avg_season", "minutes_avg_last_10"),
)
