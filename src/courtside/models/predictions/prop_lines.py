"""predictions.prop_lines: the line a prediction is made and graded against, per book and as a consensus.

One row per (game_date, player_id, market, book), plus one row with book = 'consensus'.

Point in time (the original chose in-game snapshots as the "latest line" in 16 places, section 13.1):
a snapshot counts only when it is PROVEN to be taken before tip-off: snapshot_at < tipoff_at, both
known. A row without a tip-off borrows it from any other row of the same game (same date, home and
away team: the Odds API's commence time is a pre-game fact, and the threes files carry it for games
whose PRA rows lack it). pit.truncate_to_before keeps exactly these rows of D, so the model is
point-in-time by the generic test.

Snapshots whose time or tip-off is unknown (the untimed threes files of 2024-10-22..2025-03-30, all
PRA 2023-24 rows) are not lines here. They are kept, labelled, in grading.prop_lines_attested, which
only grading reads after the game (see that model for the evidence that they are pre-game).

Per book the LATEST proven pre-tip snapshot wins. Alternate lines: within a snapshot the main line is
the one whose over/under prices are closest to even (smallest gap between implied probabilities),
ties to the lower line. Consensus = median of the books' main lines, with the books and their count.
Lines are only ever real rows: no line -> no row -> the prediction has no pick (never a placeholder).
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

# snapshot_rule ranks: 1 is proven pre-tip; 2 and 3 exist only in the attested (grading-only) table.
_RULES = {1: "pre_tip_verified", 2: "tip_unknown_earliest", 3: "untimed"}


def lines_sql(proven_only: bool) -> str:
    """The per-book and consensus lines; `proven_only` keeps only snapshots proven to precede tip-off.

    Without it, a book with no proven row falls back to: tip-off unknown -> its EARLIEST snapshot (a
    later one might be in-game), then the untimed group. A snapshot at or after a known tip-off is
    never used either way.
    """
    keep = "time_class = 1" if proven_only else "TRUE"
    return f"""
WITH props AS (
    SELECT game_date, player_id, market, lower(trim(book)) AS book, game_id, line_value,
           over_price, under_price, snapshot_at,
           -- a tip-off missing on one row may be known from another row of the same game
           coalesce(tipoff_at, max(tipoff_at) OVER (PARTITION BY game_date, home_team, away_team)) AS tipoff_at,
           CASE WHEN over_price < 0 THEN -over_price / (100.0 - over_price)
                WHEN over_price > 0 THEN 100.0 / (over_price + 100.0) END AS p_over,
           CASE WHEN under_price < 0 THEN -under_price / (100.0 - under_price)
                WHEN under_price > 0 THEN 100.0 / (under_price + 100.0) END AS p_under
    FROM raw.player_props
    WHERE game_date BETWEEN $start AND $end
),
classified AS (
    SELECT *,
           CASE WHEN snapshot_at IS NOT NULL AND tipoff_at IS NOT NULL THEN 1
                WHEN snapshot_at IS NOT NULL THEN 2 ELSE 3 END AS time_class,
           coalesce(abs(p_over - p_under), 1.0) AS price_gap
    FROM props
    -- in-game and post-game snapshots are dropped here, before anything else sees them
    WHERE player_id IS NOT NULL AND line_value IS NOT NULL AND line_value > 0
      AND NOT (snapshot_at IS NOT NULL AND tipoff_at IS NOT NULL AND snapshot_at >= tipoff_at)
),
best_class AS (
    SELECT * FROM classified
    WHERE {keep}
    QUALIFY time_class = min(time_class) OVER (PARTITION BY game_date, player_id, market, book)
),
snapshot_main AS (   -- the main line of every snapshot of every book
    SELECT *, CASE WHEN time_class = 1 THEN epoch(snapshot_at) ELSE -epoch(snapshot_at) END AS rank_key
    FROM best_class
    QUALIFY row_number() OVER (PARTITION BY game_date, player_id, market, book, snapshot_at
                               ORDER BY price_gap, line_value, over_price, under_price) = 1
),
per_book AS (
    SELECT game_date, player_id, market, book,
           any_value(game_id) AS game_id,
           -- class 1: latest pre-tip snapshot; class 2: earliest; class 3: the single untimed group
           -- (where rank_key is NULL, so arg_max yields NULL and any_value is taken instead)
           coalesce(arg_max(line_value, rank_key), any_value(line_value)) AS line_value,
           coalesce(arg_max(over_price, rank_key), any_value(over_price)) AS over_price,
           coalesce(arg_max(under_price, rank_key), any_value(under_price)) AS under_price,
           coalesce(arg_max(p_over / (p_over + p_under), rank_key), any_value(p_over / (p_over + p_under)))
               AS no_vig_over_prob,
           CASE WHEN min(time_class) = 1 THEN max(snapshot_at) ELSE min(snapshot_at) END AS snapshot_at,
           max(tipoff_at) AS tipoff_at,
           min(time_class) AS time_class,
           count(*) AS n_snapshots,
           arg_min(line_value, snapshot_at) AS opening_line
    FROM snapshot_main
    GROUP BY game_date, player_id, market, book
),
books AS (
    SELECT game_date, game_id, player_id, market, book, line_value, over_price, under_price, no_vig_over_prob,
           snapshot_at, tipoff_at,
           CASE time_class WHEN 1 THEN '{_RULES[1]}' WHEN 2 THEN '{_RULES[2]}' ELSE '{_RULES[3]}' END AS snapshot_rule,
           n_snapshots,
           CASE WHEN n_snapshots > 1 THEN opening_line END AS opening_line
    FROM per_book
)
SELECT game_date, game_id, player_id, market, book, line_value, over_price, under_price,
       ROUND(no_vig_over_prob, 4) AS no_vig_over_prob, snapshot_at, tipoff_at, snapshot_rule,
       n_snapshots::INTEGER AS n_snapshots, opening_line,
       ROUND(line_value - opening_line, 4) AS line_move,
       1 AS n_books, book AS source_books, NULL::DOUBLE AS line_std, FALSE AS is_consensus
FROM books
UNION ALL
SELECT game_date, any_value(game_id), player_id, market, 'consensus',
       ROUND(median(line_value), 4), NULL::INTEGER, NULL::INTEGER,
       ROUND(median(no_vig_over_prob), 4), max(snapshot_at), max(tipoff_at),
       -- the weakest rule among the books that contributed
       CASE max(CASE snapshot_rule WHEN '{_RULES[1]}' THEN 1 WHEN '{_RULES[2]}' THEN 2 ELSE 3 END)
            WHEN 1 THEN '{_RULES[1]}' WHEN 2 THEN '{_RULES[2]}' ELSE '{_RULES[3]}' END,
       sum(n_snapshots)::INTEGER, ROUND(median(opening_line), 4),
       ROUND(median(line_value) - median(opening_line), 4),
       count(*)::INTEGER, string_agg(book, ',' ORDER BY book), ROUND(stddev_pop(line_value), 4), TRUE
FROM books
GROUP BY game_date, player_id, market
"""


LINE_CHECKS = (*not_null("player_id", "market", "book", "line_value"), in_range("line_value", 0.5, 120),
               in_range("n_books", 1, 30))

MODEL = Model(
    "predictions.prop_lines", "predictions", ("game_date", "player_id", "market", "book"),
    "per-book main line (latest snapshot proven before tip-off, odds closest to even) and the median consensus",
    sql=lines_sql(proven_only=True),
    edges=(Edge("raw.player_props", Window.same_date()),),
    checks=LINE_CHECKS,
)
