"""precompute.ml_feature_store: one row per upcoming player and date, one column per contract feature.

The columns, their order and meaning are src/courtside/ml/feature_contract.py (FEATURES). Values are raw:
NULL when not computable from data before D — never a default, never a placeholder line. The row says
which features are NULL (`defaulted_mask`: bit i set when FEATURES[i] is NULL, decoded to names by
feature_contract.defaulted_names / defaulted_names_sql, and by the export as `defaulted_features`), how many
(`default_feature_count`, and `required_default_count` for non-optional ones), a `feature_quality_score`
(mean over required features of 100 for a value and 40 for a default, the original's source weights) and
`is_quality_ready` (no required feature defaulted).

Fixes of the original on purpose: the driver is analytics.upcoming_player_game_context for every date
(the original's backfill used "who actually played" with `days_rest` default 3 and has_prop_line FALSE,
defect 13.8); lines come only from snapshots taken before tip-off (13.1); a missing line stays NULL (13.3);
no bootstrap placeholder rows: the early-season rows carry whatever history exists.

A batch of one date (the daily path) runs ONE_DATE_SQL: the same statement with the one date as its only filter.

Vegas lines are the consensus rows of predictions.prop_lines (one definition of "the line" for features,
predictions and grading: pre-tip snapshots only, the main line per book, median over books).
"""

import re

from courtside.errors import ModelError
from courtside.ml.feature_contract import DEFAULTED_BIT, FEATURE_NAMES, FEATURE_VERSION, FEATURES
from courtside.models.registry import Edge, Model, Window, in_range, not_null

def _clamp(x: str, low: float, high: float) -> str:
    """Clamp that keeps NULL as NULL (DuckDB's least/greatest skip NULL arguments)."""
    return f"CASE WHEN ({x}) IS NOT NULL THEN greatest({low}, least({high}, {x})) END"


# SQL for each feature over the joined row (aliases: u context, c cache, f factors, z zones, o opponent
# defense, tg team context, vo vs-opponent, v vegas lines of the points/threes/pra markets).
EXPRESSIONS: dict[str, str] = {
    "points_avg_last_5": "c.points_avg_last_5",
    "points_avg_last_10": "c.points_avg_last_10",
    "points_avg_season": "c.points_avg_season",
    "points_std_last_10": "c.points_std_last_10",
    "games_in_last_7_days": "u.games_last_7d",
    "fatigue_score": "f.fatigue_score",
    "shot_zone_mismatch_score": "CASE WHEN f.has_zone_matchup THEN f.shot_zone_mismatch_score END",
    "pace_score": "CASE WHEN f.has_pace THEN f.pace_score END",
    "rest_advantage": _clamp("u.days_rest - tg.opponent_days_rest", -2, 2),
    "recent_trend": "c.recent_trend",
    "minutes_change": """CASE WHEN c.minutes_avg_season > 0 THEN CASE
            WHEN (c.minutes_avg_last_10 - c.minutes_avg_season) / c.minutes_avg_season >= 0.2 THEN 2
            WHEN (c.minutes_avg_last_10 - c.minutes_avg_season) / c.minutes_avg_season >= 0.1 THEN 1
            WHEN (c.minutes_avg_last_10 - c.minutes_avg_season) / c.minutes_avg_season <= -0.2 THEN -2
            WHEN (c.minutes_avg_last_10 - c.minutes_avg_season) / c.minutes_avg_season <= -0.1 THEN -1
            ELSE 0 END END""",
    "opponent_def_rating": "o.defensive_rating",
    "opponent_pace": "o.opponent_pace",
    "home_away": "CASE WHEN u.is_home THEN 1 ELSE 0 END",
    "back_to_back": "CASE WHEN u.back_to_back THEN 1 WHEN u.back_to_back IS NOT NULL THEN 0 END",
    "playoff_game": "CASE WHEN u.season_type IN ('playoffs', 'play-in') THEN 1 ELSE 0 END",
    "pct_paint": "z.paint_rate_last_10 / 100.0",
    "pct_mid_range": "z.mid_range_rate_last_10 / 100.0",
    "pct_three": "z.three_rate_last_10 / 100.0",
    "pct_free_throw": _clamp("c.ft_points_share_last_10", 0, 0.5),
    "team_pace": "c.team_pace_last_10",
    "team_off_rating": "c.team_off_rating_last_10",
    "team_win_pct": "CASE WHEN tg.game_number_in_season - 1 >= 5 THEN tg.team_win_pct_entering END",
    "vegas_points_line": "v.points_now",
    "vegas_opening_line": "v.points_open",
    "vegas_line_move": "v.points_now - v.points_open",
    "has_vegas_line": "CASE WHEN v.points_now IS NOT NULL THEN 1 ELSE 0 END",
    "avg_points_vs_opponent": "vo.avg_points",
    "games_vs_opponent": "coalesce(vo.games, 0)",
    "minutes_avg_last_10": "c.minutes_avg_last_10",
    "ppm_avg_last_10": "c.ppm_avg_last_10",
    "dnp_rate": "c.dnp_rate_last_10",
    "pts_slope_10g": "c.points_slope_last_10",
    "pts_vs_season_zscore": f"""CASE WHEN c.points_std_last_10 > 0 THEN
            {_clamp("(c.points_avg_last_5 - c.points_avg_season) / c.points_std_last_10", -3, 3)} END""",
    "breakout_flag": """CASE WHEN c.points_std_last_10 IS NOT NULL THEN
            CASE WHEN c.points_avg_last_5 > c.points_avg_season + 1.5 * c.points_std_last_10 THEN 1 ELSE 0 END END""",
    "game_total_line": "u.game_total",
    "days_rest": "u.days_rest",
    "minutes_load_last_7d": "u.minutes_last_7d",
    "spread_magnitude": "abs(u.game_spread)",
    "implied_team_total": "u.game_total / 2.0 - u.game_spread / 2.0",
    "points_avg_last_3": "c.points_avg_last_3",
    "usage_rate_last_10": "c.usage_rate_last_10",
    "ts_pct_last_10": "c.ts_pct_last_10",
    "reb_avg_last_10": "c.reb_avg_last_10",
    "ast_avg_last_10": "c.ast_avg_last_10",
    "pra_avg_last_10": "c.pra_avg_last_10",
    "reb_avg_season": "c.reb_avg_season",
    "ast_avg_season": "c.ast_avg_season",
    "fg3m_avg_last_10": "c.fg3m_avg_last_10",
    "fg3a_avg_last_10": "c.fg3a_avg_last_10",
    "fg3m_avg_season": "c.fg3m_avg_season",
    "vegas_threes_line": "v.threes_now",
    "vegas_pra_line": "v.pra_now",
}

if tuple(EXPRESSIONS) != FEATURE_NAMES:
    raise ModelError("precompute.ml_feature_store: EXPRESSIONS must list exactly the contract's FEATURES in order; "
                     f"differs at {sorted(set(EXPRESSIONS) ^ set(FEATURE_NAMES)) or 'order'}")

_REQUIRED = [f.name for f in FEATURES if not f.optional]


# Features that need no ROUND (about 7 ms of CPU each over all seasons): whole numbers (flags, counts, buckets,
# day differences) are exact as DOUBLE; the others pass through (or negate) a double the analytics models
# already rounded to 4 decimals.
_WHOLE = {"games_in_last_7_days", "rest_advantage", "minutes_change", "home_away", "back_to_back", "playoff_game",
          "has_vegas_line", "games_vs_opponent", "breakout_flag", "days_rest"}
_ROUNDED_UPSTREAM = {"game_total_line", "minutes_load_last_7d", "spread_magnitude", "team_win_pct"}


def _column(name: str) -> str:
    """The feature's SQL as a DOUBLE rounded to 4 decimals. A bare column of a precompute table is already
    rounded (those models ROUND every double they write, and ROUND is idempotent), so it is only cast."""
    expr = EXPRESSIONS[name]
    if re.fullmatch(r"[cfzo]\.\w+", expr) or name in _WHOLE or name in _ROUNDED_UPSTREAM:
        return f"CAST({expr} AS DOUBLE) AS {name}"
    return f"ROUND(CAST({expr} AS DOUBLE), 4) AS {name}"


_FEATURE_COLS = ",\n       ".join(_column(n) for n in FEATURE_NAMES)
# which features are NULL, as one BIGINT bit set in contract order (bit i = FEATURES[i]; 53 < 63 bits): a list of
# names per row cost ~0.4 s of CPU over all seasons (building 53-element lists and copying strings), the bit
# set a tenth of that. Written as ONE dot product of the 53 NULL flags with their bit values: 53 CASEs and 52
# additions were ~105 functions to bind, ~20 ms of a one-date batch; the flags come from one lambda over the list
# of the 53 (DOUBLE) features, not from 53 IS NULL and 53 casts to bind (another ~4 ms of a one-date batch).
# Exact: every partial sum is an integer below 2**53, which a DOUBLE holds exactly, whatever the order.
_MASK = ("list_dot_product(list_transform([" + ", ".join(FEATURE_NAMES) + "], lambda x: (x IS NULL)::DOUBLE), ["
         + ", ".join(f"{float(DEFAULTED_BIT[n]):.1f}" for n in FEATURE_NAMES) + "])")
_REQUIRED_MASK = sum(DEFAULTED_BIT[n] for n in _REQUIRED)

# The same-date tables whose features join the context rows: (table, alias, join key beside the date).
_SAME_DATE = (
    ("precompute.player_daily_cache", "c", "player_id = u.player_id"),
    ("precompute.player_composite_factors", "f", "player_id = u.player_id"),
    ("precompute.player_shot_zone_analysis", "z", "player_id = u.player_id"),
    ("precompute.team_defense_zone_analysis", "o", "team_abbr = u.opponent_abbr"),
    ("analytics.upcoming_team_game_context", "tg", "team_abbr = u.team_abbr"),
)
_ON_RANGE = "game_date BETWEEN $start AND $end AND game_date IN $dates"


def _sql(on_dates: str, joins: str) -> str:
    """The statement, given the filter of its reads on the target dates and its joins of the five same-date tables."""
    return f"""
WITH ctx AS (
    SELECT game_date, player_id, game_id, season, season_type, team_abbr, opponent_abbr, player_lookup, is_home,
           days_rest, back_to_back, games_last_7d, minutes_last_7d, game_spread, game_total
    FROM analytics.upcoming_player_game_context WHERE {on_dates}
),
lines AS (   -- the consensus lines of predictions.prop_lines (pre-tip snapshots only, main line per book,
             -- median over books), one row per player and date: one join instead of one per market
             -- (max() of the one consensus row per market: any_value's FILTER does not transpile)
    SELECT game_date, player_id,
           max(line_value) FILTER (WHERE market = 'points') AS points_now,
           max(opening_line) FILTER (WHERE market = 'points') AS points_open,
           max(n_books) FILTER (WHERE market = 'points') AS points_books,
           max(line_value) FILTER (WHERE market = 'threes') AS threes_now,
           max(line_value) FILTER (WHERE market = 'pra') AS pra_now
    FROM predictions.prop_lines
    WHERE {on_dates} AND is_consensus AND market IN ('points', 'threes', 'pra')
    GROUP BY game_date, player_id
),
vs_opponent AS (
    SELECT t.game_date, t.player_id, avg(p.pts) AS avg_points, count(*) AS games
    FROM ctx t JOIN (SELECT player_id, opponent_abbr, game_date, pts FROM analytics.player_game_summary
                     WHERE game_date >= $start - INTERVAL 365 DAY AND game_date < $end
                       AND NOT is_dnp AND (coalesce(minutes, 0) > 0 OR coalesce(pts, 0) > 0)) p
      ON p.player_id = t.player_id AND p.opponent_abbr = t.opponent_abbr
     AND p.game_date >= t.game_date - INTERVAL 365 DAY AND p.game_date < t.game_date
    GROUP BY ALL
),
features AS (
    SELECT u.game_date, u.player_id, u.game_id, u.season, u.season_type, u.team_abbr, u.opponent_abbr,
           u.player_lookup, '{FEATURE_VERSION}' AS feature_version,
           coalesce(v.points_books, 0)::INTEGER AS vegas_points_books,
       {_FEATURE_COLS}
    FROM ctx u
{joins}
    LEFT JOIN vs_opponent vo ON vo.game_date = u.game_date AND vo.player_id = u.player_id
    LEFT JOIN lines v ON v.game_date = u.game_date AND v.player_id = u.player_id
),
masked AS (
    SELECT *, ({_MASK})::BIGINT AS defaulted_mask FROM features
)
SELECT *,
       bit_count(defaulted_mask)::INTEGER AS default_feature_count,
       bit_count(defaulted_mask & {_REQUIRED_MASK})::INTEGER AS required_default_count,
       ROUND(100.0 - 60.0 * bit_count(defaulted_mask & {_REQUIRED_MASK}) / {len(_REQUIRED)}, 4) AS feature_quality_score,
       defaulted_mask & {_REQUIRED_MASK} = 0 AS is_quality_ready
FROM masked
"""


SQL = _sql(_ON_RANGE, "\n".join(
    f"    LEFT JOIN (SELECT * FROM {table} WHERE {_ON_RANGE}) {a} ON {a}.game_date = u.game_date AND {a}.{key}"
    for table, a, key in _SAME_DATE))
# One date (the daily path): the tables joined as they are, filtered in the join, and the date one value instead of
# a range and a list. The same rows (tests/test_one_date_batches.py; all 1,247 dates checked) for less to bind:
# 34.9 -> 31.8 ms a statement, paired. (The range keeps its subqueries: joined directly, 0.37-0.43 s against 0.37-0.40.)
ONE_DATE_SQL = _sql("game_date = $start", "\n".join(
    f"    LEFT JOIN {table} {a} ON {a}.game_date = $start AND {a}.game_date = u.game_date AND {a}.{key}"
    for table, a, key in _SAME_DATE))

MODEL = Model(
    name="precompute.ml_feature_store",
    layer="precompute",
    grain=("game_date", "player_id"),
    description=f"per upcoming player: the {len(FEATURES)} contract features ({FEATURE_VERSION}), raw, with quality",
    sql=SQL,
    edges=(
        Edge("analytics.upcoming_player_game_context", Window.same_date()),
        Edge("analytics.upcoming_team_game_context", Window.same_date()),
        Edge("analytics.player_game_summary", Window.days_before(365)),
        Edge("precompute.player_daily_cache", Window.same_date()),
        Edge("precompute.player_composite_factors", Window.same_date()),
        Edge("precompute.player_shot_zone_analysis", Window.same_date()),
        Edge("precompute.team_defense_zone_analysis", Window.same_date()),
        Edge("predictions.prop_lines", Window.same_date()),
    ),
    expected="""SELECT game_date, count(*) AS expected FROM analytics.upcoming_player_game_context
                WHERE game_date BETWEEN $start AND $end AND game_date IN $dates GROUP BY 1""",
    params={"feature_version": FEATURE_VERSION},
    one_date_sql=ONE_DATE_SQL,
    checks=(
        *not_null("game_date", "player_id", "feature_version", "defaulted_mask", "feature_quality_score",
                  "is_quality_ready"),
        in_range("fatigue_score", 0, 100),
        in_range("shot_zone_mismatch_score", -10, 10),
        in_range("pace_score", -3, 3),
        in_range("rest_advantage", -2, 2),
        in_range("pct_free_throw", 0, 0.5),
        in_range("pts_vs_season_zscore", -3, 3),
        in_range("feature_quality_score", 40, 100),
    ),
    key_columns=("points_avg_last_10", "fatigue_score", "feature_quality_score"),
)
