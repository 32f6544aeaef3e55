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

Method: one window over the box-score rows (DNP included) numbers the played games and counts the DNP rows
among the last 10; one as-of join on those rows gives each (D, player) his last row before D, hence the
number of games he played before D. A second window over the played games gives the player's state *after*
each (L3/L5/L10, season to date); the state after game n_played is then joined by equality. Only states
a target of the batch may read are rounded: none whose next game is before $start (a one-date batch
rounds each player's last state, ~200 of ~6,500). Team pace and offensive rating come from the team's
games, as of each (D, team) of the targets (the player's team on D).
Cost: DuckDB pays per window function (~3 ms each on a one-date batch, 30-50 ms of CPU over all seasons,
whatever the frame), and a one-date batch also pays ~0.1 ms per operator to plan. So every sum and count
over a frame comes from one sum of bit-packed HUGEINTs (`_SEASON`, `_L10_SUMS`, `_L10_COUNTS`, `_TEAM_L10`:
a field per value, wide enough for its frame), and the last five games' points from one sum in which game i
puts its points in field i mod 5 (four lag() calls were four window functions): 11 window functions in all
(lead() included) instead of 27. Means are those sums over those counts, and are the very doubles avg() gave:
- of integers: avg() is the long-double quotient rounded to a double, the same double as sum / count for
  counts below 1024 (their odd part is below 2**10: the quotient has no run of ten equal bits, which is
  where rounding twice can differ from rounding once);
- of 4-decimal values (minutes, usage rates, team pace and rating, exact decimals so that no mean depends
  on the summation order): avg() divides the sum by count * 10**4 in long double, which can differ from
  sum / (count * 10**4) in the last bit, but not after ROUND(.., 4): a mean exactly halfway between two
  ten-thousandths has denominator 2 * 10**4 (odd part 625: no double rounding), and any other mean is at
  least 1 / (2 count) ten-thousandths from halfway, far more than a bit. ROUND itself stays ROUND (DuckDB's
  does not round like round(x * 10000) / 10000). minutes_avg_season keeps avg(): the season HUGEINT is full.
A batch of one date (the daily path) runs ONE_DATE_SQL instead: the same rows from plain aggregates over the
player's season and his last 10 played games, without the window operators (see its comment).
usage_rate_season is the exact mean of the 4-decimal per-game usage rates, rounded once (half away from
zero, as ROUND): a double running mean could land either side of a rounding boundary depending on the range
built. The L10 sums of decimals that are not means (minutes, fga + 0.44 fta) are summed as integers and
turned back into the DECIMAL(38, k) a sum of the decimals gives, so the quotients that read them are unchanged.
"""

from courtside.models.bits import field, hugeint_field, packed, packed_hugeint
from courtside.models.registry import Edge, Model, Window, in_range, not_null

# Bit-packed sums (models/bits.py layouts): (name, width) fields from bit 0 up, each a non-negative integer whose
# sum over the frame must stay below 2**width, or it would spill into the next field; the top field has no next
# one (overflowing the HUGEINT is an error). Both bounds are enforced upstream: the loader rejects a player's game
# with a negative count or one above 200 (sources/player_boxes.py MOST_PER_GAME), and usage is at most 100
# (player_game_summary); every width below holds 200 a game over its frame.
# Season to date (a player's season has < 130 games: 82, the play-in and 28 playoff games, a few more after a
# trade): the four counting stats (< 32,768: 250 a game), how many games have each (< 256), and the usage
# rates in ten-thousandths (< 134 * 100 * 10**4 < 2**27).
_SEASON = (("pts", 15), ("reb", 15), ("ast", 15), ("fg3m_ok", 15),
           ("n_pts", 8), ("n_reb", 8), ("n_ast", 8), ("n_fg3m_ok", 8), ("n_usage", 8), ("usage_e4", 27))
# Last 10 played games: eight counting stats (< 32,768: 3,000 a game)...
_L10_SUMS = (("reb", 15), ("ast", 15), ("fg3m_ok", 15), ("fg3a", 15), ("pra_full", 15), ("ftm", 15),
             ("pts_with_ft", 15), ("pts_att", 15))
# ... and how many of them have each value (4 bits: a frame has at most 10 rows), the points, fga + 0.44 fta in
# hundredths (< 1,000 a game), the usage rates and, on top, the minutes in ten-thousandths.
_L10_COUNTS = (("n_pts", 4), ("n_reb", 4), ("n_ast", 4), ("n_fg3m_ok", 4), ("n_fg3a", 4), ("n_pra_full", 4),
               ("n_usage", 4), ("n_ftm", 4), ("n_pts_att", 4), ("n_minutes", 4),
               ("pts", 15), ("fga_fta_e2", 20), ("usage_e4", 24), ("minutes_e4", 28))
# The team's last 10 games: how many, how many have a pace and a rating, and those in ten-thousandths (a pace
# below 100,000 a game, the rating on top).
_TEAM_L10 = (("games", 4), ("n_pace", 4), ("n_rating", 4), ("pace_e4", 34), ("rating_e4", 81))
# Last 5 played games: game i puts its points + 1 (0: no points; < 4096) in 12-bit field i mod 5, so the sum
# over a 5-row frame holds each of the five separately (four lag() calls would cost four window functions).
_LAST5_BITS = 12
# The rows and the DNP rows among a player's last 10 box-score rows (4-bit fields: at most 10 each).
_ROWS_BITS = 4
_ROWS = field("r.rows_last_10", 0, _ROWS_BITS)
_DNP_ROWS = field("r.rows_last_10", 1, _ROWS_BITS, top=True)


def _nn(x: str) -> str:
    """1 when x is not NULL."""
    return f"({x} IS NOT NULL)::INTEGER"


S = lambda name: hugeint_field("season_sums", _SEASON, name)      # noqa: E731
T = lambda name: hugeint_field("team_l10", _TEAM_L10, name)       # noqa: E731
A = lambda name: hugeint_field("l10_sums", _L10_SUMS, name)       # noqa: E731
C = lambda name: hugeint_field("l10_counts", _L10_COUNTS, name)   # noqa: E731

_SEASON_VALUES = {
    "pts": "coalesce(pts, 0)", "reb": "coalesce(reb, 0)", "ast": "coalesce(ast, 0)", "fg3m_ok": "coalesce(fg3m_ok, 0)",
    "n_pts": _nn("pts"), "n_reb": _nn("reb"), "n_ast": _nn("ast"), "n_fg3m_ok": _nn("fg3m_ok"),
    "n_usage": _nn("usage_ok"),
    "usage_e4": "coalesce(usage_exact * 10000, 0)",
}
_L10_SUM_VALUES = {n: f"coalesce({n}, 0)" for n, _ in _L10_SUMS}
_L10_COUNT_VALUES = {
    **{f"n_{c}": _nn(c) for c in ("pts", "reb", "ast", "fg3m_ok", "fg3a", "pra_full", "ftm", "pts_att")},
    "n_usage": _nn("usage_ok"), "n_minutes": _nn("minutes"), "pts": "coalesce(pts, 0)",
    "fga_fta_e2": "100 * coalesce(fga_att, 0) + 44 * coalesce(fta_att, 0)",
    "usage_e4": "coalesce(usage_exact * 10000, 0)::HUGEINT", "minutes_e4": "coalesce(minutes * 10000, 0)",
}

_TEAM_L10_VALUES = {
    "games": "1", "n_pace": _nn("pace"), "n_rating": _nn("offensive_rating"),
    "pace_e4": "coalesce(pace::DECIMAL(18, 4) * 10000, 0)::HUGEINT",
    "rating_e4": "coalesce(offensive_rating::DECIMAL(18, 4) * 10000, 0)",
}


def _last(m: int) -> str:
    """Points + 1 of the player's m-th game before this one (0: none, or no points)."""
    return f"((last5 >> ({_LAST5_BITS} * ((game_index + {5 - m}) % 5))) & {(1 << _LAST5_BITS) - 1})"


# The output columns taken from the player's state `a` (targets `t`), in the table's order: both formulations.
_STATE_COLUMNS = """t.game_date, t.player_id, t.season, t.team_abbr, t.opponent_abbr,
       a.points_avg_last_3, a.points_avg_last_5, a.points_avg_last_10, a.points_avg_season, a.points_std_last_10,
       a.points_slope_last_10, a.recent_trend, a.minutes_avg_last_10, a.minutes_avg_season, a.ppm_avg_last_10,
       a.usage_rate_last_10, coalesce(a.usage_games_last_10, 0)::INTEGER AS usage_games_last_10,
       a.usage_rate_season, a.ts_pct_last_10,
       coalesce(a.gps, 0)::INTEGER AS games_played_season,
       coalesce(a.games_in_last_10, 0)::INTEGER AS games_in_last_10,
       a.reb_avg_last_10, a.ast_avg_last_10, a.fg3m_avg_last_10, a.fg3a_avg_last_10,
       coalesce(a.fg3_games_last_10, 0)::INTEGER AS fg3_games_last_10,
       a.pra_avg_last_10, a.reb_avg_season, a.ast_avg_season, a.fg3m_avg_season, a.ft_points_share_last_10,"""


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
-- the rows and DNP rows among the last 10 (original feature 33: 1 + 16 * DNP summed, both below 16). A
-- target takes both from its last row before D (one as-of join); the played-game count then keys the
-- player's state by equality.
appearances AS MATERIALIZED (
    SELECT *,
           count(*) FILTER (WHERE played) OVER (PARTITION BY player_id, season ORDER BY game_date
                                                ROWS UNBOUNDED PRECEDING) AS n_played,
           sum({packed(["1", "CASE WHEN is_dnp THEN 1 ELSE 0 END"], _ROWS_BITS)})
               OVER (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
               AS rows_last_10
    FROM box
),
played AS (
    SELECT player_id, season, game_date, n_played AS game_index, pts, reb, ast, minutes, fg3a, ftm, usage_ok,
           pts_att, fga_att, fta_att,
           CASE WHEN reb IS NOT NULL AND ast IS NOT NULL THEN pts + reb + ast END AS pra_full,
           CASE WHEN fg3a IS NOT NULL THEN fg3m END AS fg3m_ok,
           CASE WHEN ftm IS NOT NULL THEN pts END AS pts_with_ft,
           -- usage rates are 4-decimal values: summed exactly (in ten-thousandths), so the season mean is
           -- rounded once, the same whatever range is built (a double running mean depended on the summation order)
           usage_ok::DECIMAL(18, 4) AS usage_exact,
           coalesce(pts + 1, 0) AS pts_1
    FROM appearances
    WHERE played
),
packed AS (  -- the values summed over each frame, packed
    SELECT player_id, season, game_date, game_index, pts, pts_1, minutes, usage_exact,
           {packed_hugeint(_SEASON, _SEASON_VALUES)} AS season_row,
           {packed_hugeint(_L10_SUMS, _L10_SUM_VALUES)} AS l10_sums_row,
           {packed_hugeint(_L10_COUNTS, _L10_COUNT_VALUES)} AS l10_counts_row,
           pts_1::HUGEINT << ({_LAST5_BITS} * (game_index % 5)) AS last5_row
    FROM played
),
after_game AS (  -- the player's state after each played game: L3/L5/L10 and season to date
    SELECT player_id, season, game_index, pts_1,
           sum(season_row) OVER s AS season_sums,
           avg(minutes) OVER s AS minutes_avg_season,
           sum(last5_row) OVER l5 AS last5,
           sum(l10_sums_row) OVER l10 AS l10_sums, sum(l10_counts_row) OVER l10 AS l10_counts,
           stddev_samp(pts) OVER l10 AS points_std_last_10,
           regr_slope(pts, game_index) OVER l10 AS points_slope_last_10,
           lead(game_date) OVER (PARTITION BY player_id, season ORDER BY game_date) AS next_game
    FROM packed
    WINDOW s AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           l5 AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
           l10 AS (PARTITION BY player_id, season ORDER BY game_date ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
),
-- the means of the last 2, 3 and 5 games' points: sums of points + 1 (fields of `last5`) less the number of
-- games with points among them, over that number (sign(points + 1) is 1 with points, 0 without)
last_games AS (
    SELECT *, s2 + f2 AS s3, n2 + sign(f2) AS n3, s2 + f2 + f3 + f4 AS s5, n2 + sign(f2) + sign(f3) + sign(f4) AS n5
    FROM (SELECT *, pts_1 + f1 AS s2, sign(pts_1) + sign(f1) AS n2
          FROM (SELECT *, {_last(1)} AS f1, {_last(2)} AS f2, {_last(3)} AS f3, {_last(4)} AS f4
                -- a target on D >= $start reads the state after his last game before D, so never one whose next
                -- game is before $start (a one-date batch keeps each player's last game: ~200 states of ~6,500)
                FROM after_game WHERE next_game IS NULL OR next_game >= $start))
),
state AS (  -- the output columns of each state read, rounded here: one row per (player, game), fewer than targets
    SELECT player_id, season, game_index, game_index AS gps,
           least(game_index, 10) AS games_in_last_10,
           ROUND((s3 - n3) / nullif(n3, 0), 4) AS points_avg_last_3,
           ROUND((s5 - n5) / nullif(n5, 0), 4) AS points_avg_last_5,
           ROUND({C('pts')} / {C('n_pts')}, 4) AS points_avg_last_10,
           ROUND({S('pts')} / nullif({S('n_pts')}, 0), 4) AS points_avg_season,
           ROUND(points_std_last_10, 4) AS points_std_last_10,
           ROUND(CASE WHEN game_index >= 5 THEN points_slope_last_10 END, 4) AS points_slope_last_10,
           -- original feature 11: mean(2 newest) - mean(3 older) of the last 5, bucketed; needs 5 games
           CASE WHEN game_index < 5 THEN NULL
                WHEN trend_gap >= 5 THEN 2 WHEN trend_gap >= 2 THEN 1
                WHEN trend_gap <= -5 THEN -2 WHEN trend_gap <= -2 THEN -1
                ELSE 0 END AS recent_trend,
           ROUND({C('minutes_e4')} / nullif(10000 * {C('n_minutes')}, 0), 4) AS minutes_avg_last_10,
           ROUND(minutes_avg_season, 4) AS minutes_avg_season,
           -- the L10 minutes back as the DECIMAL(38, 4) a sum of the decimals gives
           ROUND({C('pts')} / nullif({C('minutes_e4')}::DECIMAL(38, 0) * 0.0001, 0), 4) AS ppm_avg_last_10,
           ROUND({C('usage_e4')} / nullif(10000 * {C('n_usage')}, 0), 4) AS usage_rate_last_10,
           {C('n_usage')} AS usage_games_last_10,
           -- exact mean in ten-thousandths, rounded half away from zero once: the value ROUND(.., 4) means
           (2 * {S('usage_e4')} + {S('n_usage')}) // nullif(2 * {S('n_usage')}, 0) / 10000.0 AS usage_rate_season,
           -- points / 2 (fga + 0.44 fta), the latter back as the DECIMAL(38, 2) a sum of the decimals gives
           ROUND(CASE WHEN {C('n_pts_att')} > 0 THEN {A('pts_att')} END
                 / nullif(2 * ({C('fga_fta_e2')}::DECIMAL(38, 0) * 0.01), 0), 4) AS ts_pct_last_10,
           ROUND({A('reb')} / nullif({C('n_reb')}, 0), 4) AS reb_avg_last_10,
           ROUND({A('ast')} / nullif({C('n_ast')}, 0), 4) AS ast_avg_last_10,
           ROUND({A('fg3m_ok')} / nullif({C('n_fg3m_ok')}, 0), 4) AS fg3m_avg_last_10,
           ROUND({A('fg3a')} / nullif({C('n_fg3a')}, 0), 4) AS fg3a_avg_last_10,
           {C('n_fg3m_ok')} AS fg3_games_last_10,
           ROUND({A('pra_full')} / nullif({C('n_pra_full')}, 0), 4) AS pra_avg_last_10,
           ROUND({S('reb')} / nullif({S('n_reb')}, 0), 4) AS reb_avg_season,
           ROUND({S('ast')} / nullif({S('n_ast')}, 0), 4) AS ast_avg_season,
           ROUND({S('fg3m_ok')} / nullif({S('n_fg3m_ok')}, 0), 4) AS fg3m_avg_season,
           ROUND(CASE WHEN {C('n_ftm')} >= 5 THEN {A('ftm')} / nullif({A('pts_with_ft')}, 0) END, 4)
               AS ft_points_share_last_10
    FROM (SELECT *, (s2 - n2) / nullif(n2, 0) - (s5 - s2 - n5 + n2) / nullif(n5 - n2, 0) AS trend_gap FROM last_games)
),
team_after_game AS (  -- the team's last 10 games (means of the exact decimals, as the minutes above)
    SELECT team_abbr, season, game_date, {T('games')} AS team_games_last_10,
           ROUND({T('pace_e4')} / nullif(10000 * {T('n_pace')}, 0), 4) AS team_pace_last_10,
           ROUND({T('rating_e4')} / nullif(10000 * {T('n_rating')}, 0), 4) AS team_off_rating_last_10
    FROM (SELECT team_abbr, season, game_date,
                 sum({packed_hugeint(_TEAM_L10, _TEAM_L10_VALUES)}) OVER (PARTITION BY team_abbr, season ORDER BY game_date
                                                               ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS team_l10
          FROM analytics.team_offense_game_summary
          WHERE game_date < $end AND season IN (SELECT DISTINCT season FROM targets)
            AND team_abbr IN (SELECT team_abbr FROM targets))
),
team_form AS (  -- as of each (date, team) of the targets: a few thousand rows, not one per player
    SELECT d.game_date, d.team_abbr, tm.team_games_last_10, tm.team_pace_last_10, tm.team_off_rating_last_10
    FROM (SELECT DISTINCT game_date, season, team_abbr FROM targets) d
    ASOF LEFT JOIN team_after_game tm
      ON tm.team_abbr = d.team_abbr AND tm.season = d.season AND d.game_date > tm.game_date
)
SELECT {_STATE_COLUMNS}
       -- DNP rows / rows among the last 10 (field 1 / field 0): the avg() of a 0.0/1.0 column (n <= 10 < 1024)
       CASE WHEN {_ROWS} >= 3 THEN ROUND(({_DNP_ROWS}) / ({_ROWS}), 4) END
           AS dnp_rate_last_10,
       tm.team_pace_last_10, tm.team_off_rating_last_10,
       coalesce(tm.team_games_last_10, 0)::INTEGER AS team_games_last_10,
       coalesce(a.gps, 0) < 10 AS small_sample
FROM targets t
ASOF LEFT JOIN (SELECT player_id, season, game_date, n_played, rows_last_10 FROM appearances) r
  ON r.player_id = t.player_id AND r.season = t.season AND t.game_date > r.game_date
LEFT JOIN state a ON a.player_id = t.player_id AND a.season = t.season AND a.game_index = r.n_played
LEFT JOIN team_form tm ON tm.game_date = t.game_date AND tm.team_abbr = t.team_abbr
"""


# The same rows for a batch of one date (Model.one_date_sql), without a window over the season: per player,
# season sums and counts are plain aggregates, and the dates of his last 10 played games one top-10 arg_max; his
# box rows on or after the oldest of them, with their position k in it (1 = newest) and game number x, feed a
# second aggregate: sums, counts, stddev_samp and regr_slope (L2/L3/L5: FILTER k <= n). (A top-10 arg_max of
# the whole rows as structs took ~3 ms more: twelve fields copied through its heap for every box row.) Every
# mean is the same quotient of the same integers as above, so the same double; tests/test_one_date_batches.py
# compares both formulations on many dates, bit for bit.
# A one-date batch: 23-42 ms against 45-63 ms for the SQL above (DuckDB pays a few ms per window operator).
ONE_DATE_SQL = """
WITH targets AS (
    SELECT u.game_date, u.season, u.player_id, u.team_abbr, u.opponent_abbr
    FROM analytics.upcoming_player_game_context u
    WHERE u.game_date = $start
),
box AS (  -- the targets' box-score rows of their season before D
    SELECT b.player_id, b.game_date, b.is_dnp,
           NOT b.is_dnp AND (coalesce(b.minutes, 0) > 0 OR coalesce(b.pts, 0) > 0) AS played,
           b.pts, b.reb, b.ast, b.minutes::DECIMAL(18, 4) AS minutes, b.fg3m, b.fg3a, b.ftm,
           CASE WHEN b.has_attempts THEN b.usage_rate END::DECIMAL(18, 4) AS usage_ok,
           CASE WHEN b.has_attempts THEN b.pts END AS pts_att, CASE WHEN b.has_attempts THEN b.fga END AS fga_att,
           CASE WHEN b.has_attempts THEN b.fta END AS fta_att
    FROM analytics.player_game_summary b JOIN targets t ON t.player_id = b.player_id AND t.season = b.season
    WHERE b.game_date < $start
),
per_player AS (  -- season sums, the dates of the last 10 played games, and the last 10 box-score rows' DNP flags
    SELECT player_id,
           count(*) FILTER (WHERE played) AS gps,
           sum(coalesce(pts, 0)) FILTER (WHERE played) AS s_pts, count(pts) FILTER (WHERE played) AS n_pts,
           sum(coalesce(reb, 0)) FILTER (WHERE played) AS s_reb, count(reb) FILTER (WHERE played) AS n_reb,
           sum(coalesce(ast, 0)) FILTER (WHERE played) AS s_ast, count(ast) FILTER (WHERE played) AS n_ast,
           sum(CASE WHEN fg3a IS NOT NULL THEN coalesce(fg3m, 0) ELSE 0 END) FILTER (WHERE played) AS s_fg3m,
           count(CASE WHEN fg3a IS NOT NULL THEN fg3m END) FILTER (WHERE played) AS n_fg3m,
           sum(coalesce(usage_ok * 10000, 0)::HUGEINT) FILTER (WHERE played) AS s_usage_e4,
           count(usage_ok) FILTER (WHERE played) AS n_usage,
           avg(minutes) FILTER (WHERE played) AS minutes_avg_season,
           arg_max(game_date, game_date, 10) FILTER (WHERE played) AS d10,   -- newest first
           arg_max(is_dnp, game_date, 10) AS rows_10
    FROM box GROUP BY player_id
),
games AS (  -- the last 10 played games, k = 1 the newest, x = its game number in the season
    SELECT b.player_id, list_position(p.d10, b.game_date) AS k, p.gps - list_position(p.d10, b.game_date) + 1 AS x,
           b.pts, b.reb, b.ast, (b.minutes * 10000)::HUGEINT AS minutes_e4, b.fg3m, b.fg3a, b.ftm,
           (b.usage_ok * 10000)::HUGEINT AS usage_e4, b.pts_att, b.fga_att, b.fta_att
    FROM box b JOIN per_player p ON p.player_id = b.player_id
    WHERE b.played AND b.game_date >= list_min(p.d10)
),
l10 AS (  -- sums and counts over them (exact integers: the quotients are the range SQL's doubles)
    SELECT player_id,
           sum(coalesce(pts, 0))::HUGEINT AS s10, count(pts)::HUGEINT AS n10,
           sum(pts) FILTER (WHERE k <= 3) AS s3, count(pts) FILTER (WHERE k <= 3) AS n3,
           sum(pts) FILTER (WHERE k <= 5) AS s5, count(pts) FILTER (WHERE k <= 5) AS n5,
           sum(pts) FILTER (WHERE k <= 2) AS s2, count(pts) FILTER (WHERE k <= 2) AS n2,
           sum(pts) FILTER (WHERE k BETWEEN 3 AND 5) AS s35, count(pts) FILTER (WHERE k BETWEEN 3 AND 5) AS n35,
           stddev_samp(pts) AS sd, regr_slope(pts, x) AS slope,
           sum(coalesce(minutes_e4, 0))::HUGEINT AS min_e4, count(minutes_e4)::HUGEINT AS n_min,
           sum(coalesce(usage_e4, 0))::HUGEINT AS use_e4, count(usage_e4)::HUGEINT AS n_use,
           count(pts_att) AS n_pts_att, sum(coalesce(pts_att, 0))::HUGEINT AS s_pts_att,
           sum(100 * coalesce(fga_att, 0) + 44 * coalesce(fta_att, 0))::HUGEINT AS fga_fta_e2,
           sum(coalesce(reb, 0))::HUGEINT AS r10, count(reb)::HUGEINT AS nr10,
           sum(coalesce(ast, 0))::HUGEINT AS a10, count(ast)::HUGEINT AS na10,
           sum(CASE WHEN fg3a IS NOT NULL THEN coalesce(fg3m, 0) ELSE 0 END)::HUGEINT AS t10,
           count(CASE WHEN fg3a IS NOT NULL THEN fg3m END)::HUGEINT AS nt10,
           sum(coalesce(fg3a, 0))::HUGEINT AS ta10, count(fg3a)::HUGEINT AS nta10,
           sum(CASE WHEN reb IS NOT NULL AND ast IS NOT NULL THEN coalesce(pts + reb + ast, 0) ELSE 0 END)::HUGEINT
               AS pra10,
           count(CASE WHEN reb IS NOT NULL AND ast IS NOT NULL THEN pts + reb + ast END)::HUGEINT AS npra10,
           sum(coalesce(ftm, 0))::HUGEINT AS ftm10, count(ftm) AS nftm10,
           sum(CASE WHEN ftm IS NOT NULL THEN coalesce(pts, 0) ELSE 0 END)::HUGEINT AS pts_ft10
    FROM games GROUP BY player_id
),
state AS (
    SELECT p.player_id, p.gps, least(p.gps, 10) AS games_in_last_10,
           ROUND(s3::HUGEINT / nullif(n3, 0)::HUGEINT, 4) AS points_avg_last_3,
           ROUND(s5::HUGEINT / nullif(n5, 0)::HUGEINT, 4) AS points_avg_last_5,
           ROUND(s10 / n10, 4) AS points_avg_last_10,
           ROUND(s_pts::HUGEINT / nullif(n_pts, 0)::HUGEINT, 4) AS points_avg_season,
           ROUND(sd, 4) AS points_std_last_10,
           ROUND(CASE WHEN p.gps >= 5 THEN slope END, 4) AS points_slope_last_10,
           CASE WHEN p.gps < 5 THEN NULL
                WHEN trend_gap >= 5 THEN 2 WHEN trend_gap >= 2 THEN 1
                WHEN trend_gap <= -5 THEN -2 WHEN trend_gap <= -2 THEN -1
                ELSE 0 END AS recent_trend,
           ROUND(min_e4 / nullif(10000 * n_min, 0), 4) AS minutes_avg_last_10,
           ROUND(minutes_avg_season, 4) AS minutes_avg_season,
           ROUND(s10 / nullif(min_e4::DECIMAL(38, 0) * 0.0001, 0), 4) AS ppm_avg_last_10,
           ROUND(use_e4 / nullif(10000 * n_use, 0), 4) AS usage_rate_last_10,
           n_use AS usage_games_last_10,
           (2 * s_usage_e4::HUGEINT + n_usage::HUGEINT) // nullif(2 * n_usage::HUGEINT, 0) / 10000.0
               AS usage_rate_season,
           ROUND(CASE WHEN n_pts_att > 0 THEN s_pts_att END / nullif(2 * (fga_fta_e2::DECIMAL(38, 0) * 0.01), 0), 4)
               AS ts_pct_last_10,
           ROUND(r10 / nullif(nr10, 0), 4) AS reb_avg_last_10,
           ROUND(a10 / nullif(na10, 0), 4) AS ast_avg_last_10,
           ROUND(t10 / nullif(nt10, 0), 4) AS fg3m_avg_last_10,
           ROUND(ta10 / nullif(nta10, 0), 4) AS fg3a_avg_last_10,
           nt10 AS fg3_games_last_10,
           ROUND(pra10 / nullif(npra10, 0), 4) AS pra_avg_last_10,
           ROUND(s_reb::HUGEINT / nullif(n_reb, 0)::HUGEINT, 4) AS reb_avg_season,
           ROUND(s_ast::HUGEINT / nullif(n_ast, 0)::HUGEINT, 4) AS ast_avg_season,
           ROUND(s_fg3m::HUGEINT / nullif(n_fg3m, 0)::HUGEINT, 4) AS fg3m_avg_season,
           ROUND(CASE WHEN nftm10 >= 5 THEN ftm10 / nullif(pts_ft10, 0) END, 4) AS ft_points_share_last_10,
           rows_10
    FROM (SELECT *, s2::HUGEINT / nullif(n2, 0)::HUGEINT - s35::HUGEINT / nullif(n35, 0)::HUGEINT AS trend_gap
          FROM per_player LEFT JOIN l10 USING (player_id)) p
),
team_form AS (  -- the team's last 10 games of the season before D
    SELECT t.team_abbr, count(*)::HUGEINT AS games, count(o.pace)::HUGEINT AS n_pace,
           count(o.offensive_rating)::HUGEINT AS n_rating,
           sum(coalesce(o.pace::DECIMAL(18, 4) * 10000, 0)::HUGEINT) AS pace_e4,
           sum(coalesce(o.offensive_rating::DECIMAL(18, 4) * 10000, 0)::HUGEINT) AS rating_e4
    FROM (SELECT DISTINCT team_abbr, season FROM targets) t
    JOIN (SELECT team_abbr, season, pace, offensive_rating,   -- (not *: 1-2 ms less a one-date batch)
                 row_number() OVER (PARTITION BY team_abbr ORDER BY game_date DESC) AS back
          FROM analytics.team_offense_game_summary
          WHERE game_date < $start AND season IN (SELECT season FROM targets)
            AND team_abbr IN (SELECT team_abbr FROM targets)) o
      ON o.team_abbr = t.team_abbr AND o.season = t.season AND o.back <= 10
    GROUP BY t.team_abbr
)
SELECT """ + _STATE_COLUMNS + """
       CASE WHEN len(a.rows_10) >= 3
            THEN ROUND(len(list_filter(a.rows_10, lambda x: x))::HUGEINT / len(a.rows_10)::HUGEINT, 4) END
           AS dnp_rate_last_10,
       ROUND(tm.pace_e4 / nullif(10000 * tm.n_pace, 0), 4) AS team_pace_last_10,
       ROUND(tm.rating_e4 / nullif(10000 * tm.n_rating, 0), 4) AS team_off_rating_last_10,
       coalesce(tm.games, 0)::INTEGER AS team_games_last_10,
       coalesce(a.gps, 0) < 10 AS small_sample
FROM targets t
LEFT JOIN state a ON a.player_id = t.player_id
LEFT JOIN team_form tm ON tm.team_abbr = t.team_abbr
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
    one_date_sql=ONE_DATE_SQL,
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
