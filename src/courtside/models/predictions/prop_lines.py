"""predictions.prop_lines: the line a prediction is graded against, per book and as a consensus.

One row per (game_date, player_id, market, book), plus one row with book = 'consensus'.

Point in time (the original chose in-game snapshots as the "latest line" in 16 places, section 13.1):
a snapshot counts only when it was taken strictly before tip-off. Each book's rows for a
player-game fall into one of three classes, and the best class present is used:

  1 pre_tip_verified      snapshot_at and tipoff_at known, snapshot_at < tipoff_at: the LATEST such snapshot
  2 tip_unknown_earliest  snapshot_at known, tip-off unknown (also not known from any other row of the
                          same player-game): the EARLIEST snapshot - the conservative choice, because a
                          later one might be in-game
  3 untimed               the file carries no snapshot time (early 2024-25 threes files): one group; used
                          only when the book has no timed row. In this data every timed row of those files
                          was taken 2-13 h before tip (the source's daily morning collection).

A snapshot with snapshot_at >= tipoff_at is never used. Alternate lines: within a snapshot the main
line is the one whose over/under prices are closest to even (smallest gap between implied probabilities),
ties to the lower line. Consensus = median of the books' main lines, with the books and their count.
Lines are only ever real rows: no line -> no row -> the prediction has no pick (never a placeholder).
"""

from courtside.models.registry import Edge, Model, Window, in_range, not_null

SQL = """
WITH props AS (
    SELECT game_date, player_id, market, lower(trim(book)) AS book, game_id, line_value,
           over_price, under_price, snapshot_at,
           -- a tip-off missing on one row may be known from another row of the same player-game
           coalesce(tipoff_at, min(tipoff_at) OVER (PARTITION BY game_date, player_id)) AS tipoff_at,
           CASE WHEN over_price < 0 THEN -over_price / (100.0 - over_price)
                WHEN over_price > 0 THEN 100.0 / (over_price + 100.0) END AS p_over,
           CASE WHEN under_price < 0 THEN -under_price / (100.0 - under_price)
                WHEN under_price > 0 THEN 100.0 / (under_price + 100.0) END AS p_under
    FROM raw.player_props
    WHERE game_date BETWEEN $start AND $end
      AND player_id IS NOT NULL AND line_value IS NOT NULL AND line_value > 0
),
classified AS (
    SELECT *,
           CASE WHEN snapshot_at IS NOT NULL AND tipoff_at IS NOT NULL THEN 1
                WHEN snapshot_at IS NOT NULL THEN 2 ELSE 3 END AS time_class,
           coalesce(abs(p_over - p_under), 1.0) AS price_gap
    FROM props
    -- in-game and post-game snapshots are dropped here, before anything else sees them
    WHERE NOT (snapshot_at IS NOT NULL AND tipoff_at IS NOT NULL AND snapshot_at >= tipoff_at)
),
best_class AS (
    SELECT * FROM classified
    QUALIFY time_class = min(time_class) OVER (PARTITION BY game_date, player_id, market, book)
),
snapshot_main AS (   -- the main line of every snapshot of every book
    SELECT * FROM best_class
    QUALIFY row_number() OVER (PARTITION BY game_date, player_id, market, book, snapshot_at
                               ORDER BY price_gap, line_value, over_price, under_price) = 1
),
per_book AS (
    SELECT game_date, player_id, market, book,
           any_value(game_id) AS game_id,
           -- class 1: latest pre-tip snapshot; class 2: earliest; class 3: the single untimed group
           arg_max(line_value, CASE WHEN time_class = 1 THEN epoch(snapshot_at) ELSE -epoch(snapshot_at) END)
               AS line_value_ranked,
           arg_max(over_price, CASE WHEN time_class = 1 THEN epoch(snapshot_at) ELSE -epoch(snapshot_at) END)
               AS over_price_ranked,
           arg_max(under_price, CASE WHEN time_class = 1 THEN epoch(snapshot_at) ELSE -epoch(snapshot_at) END)
               AS under_price_ranked,
           arg_max(p_over / (p_over + p_under),
                   CASE WHEN time_class = 1 THEN epoch(snapshot_at) ELSE -epoch(snapshot_at) END) AS nv_ranked,
           any_value(line_value) AS any_line, any_value(over_price) AS any_over,
           any_value(under_price) AS any_under, any_value(p_over / (p_over + p_under)) AS any_nv,
           CASE WHEN time_class = 1 THEN max(snapshot_at) ELSE min(snapshot_at) END AS snapshot_at,
           max(tipoff_at) AS tipoff_at,
           min(time_class) AS time_class,
           count(*) AS n_snapshots,
           arg_min(line_value, snapshot_at) AS opening_line
    FROM snapshot_main
    GROUP BY game_date, player_id, market, book, time_class
),
books AS (
    SELECT game_date, game_id, player_id, market, book,
           -- class 3 has a single (NULL-time) group, where arg_max over NULL keys yields NULL
           CASE WHEN time_class = 3 THEN any_line ELSE line_value_ranked END AS line_value,
           CASE WHEN time_class = 3 THEN any_over ELSE over_price_ranked END AS over_price,
           CASE WHEN time_class = 3 THEN any_under ELSE under_price_ranked END AS under_price,
           CASE WHEN time_class = 3 THEN any_nv ELSE nv_ranked END AS no_vig_over_prob,
           snapshot_at, tipoff_at,
           CASE time_class WHEN 1 THEN 'pre_tip_verified' WHEN 2 THEN 'tip_unknown_earliest'
                ELSE 'untimed' END AS snapshot_rule,
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
       CASE max(CASE snapshot_rule WHEN 'pre_tip_verified' THEN 1 WHEN 'tip_unknown_earliest' THEN 2 ELSE 3 END)
            WHEN 1 THEN 'pre_tip_verified' WHEN 2 THEN 'tip_unknown_earliest' ELSE 'untimed' END,
       sum(n_snapshots)::INTEGER, ROUND(median(opening_line), 4),
       ROUND(median(line_value) - median(opening_line), 4),
       count(*)::INTEGER, string_agg(book, ',' ORDER BY book), ROUND(stddev_pop(line_value), 4), TRUE
FROM books
GROUP BY game_date, player_id, market
"""

MODEL = Model(
    "predictions.prop_lines", "predictions", ("game_date", "player_id", "market", "book"),
    "per-book main line (latest pre-tip snapshot, odds closest to even) and the median consensus",
    sql=SQL,
    edges=(Edge("raw.player_props", Window.same_date()),),
    checks=(*not_null("player_id", "market", "book", "line_value"), in_range("line_value", 0.5, 120),
            in_range("n_books", 1, 30)),
)
