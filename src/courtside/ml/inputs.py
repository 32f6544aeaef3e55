"""The input table of one prediction batch: every (player-game of the upcoming context) x market, with the
pre-game numbers the systems use and the consensus line. Built once per batch, set-based."""

from __future__ import annotations

from courtside.ml.markets import MARKETS

# Tables the prediction model reads for the batch's own dates (same_date edges).
SAME_DATE_READS = (
    "analytics.upcoming_player_game_context", "predictions.player_baselines", "predictions.prop_lines",
    "precompute.player_composite_factors", "precompute.player_shot_zone_analysis",
    "precompute.team_defense_zone_analysis", "precompute.ml_feature_store",
)


def implied_prob_sql(price: str) -> str:
    """American odds -> implied probability (with the book's margin)."""
    return (f"CASE WHEN {price} < 0 THEN -{price} / (100.0 - {price}) "
            f"WHEN {price} > 0 THEN 100.0 / ({price} + 100.0) END")


def exact_mean_sql(value: str) -> str:
    """A mean summed as exact decimals (6 places; for values of at most 6 decimals, e.g. probabilities over
    books, or the grade report's errors): a double mean can land either side of the 4th-decimal rounding
    depending on the summation order, i.e. on how much data the statement saw (found by the point-in-time test)."""
    return f"avg(({value})::DECIMAL(18, 6))"


def create_inputs(engine, table: str, start, end) -> int:
    floor = "CASE b.market " + " ".join(f"WHEN '{m.name}' THEN {m.sigma_floor}" for m in MARKETS.values()) + " END"
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        WITH ctx AS (
            SELECT * FROM analytics.upcoming_player_game_context WHERE game_date BETWEEN ? AND ?
        ),
        b AS (SELECT * FROM predictions.player_baselines WHERE game_date BETWEEN ? AND ?),
        lines AS (
            SELECT game_date, player_id, market, line_value, n_books, source_books, snapshot_rule
            FROM predictions.prop_lines WHERE is_consensus AND game_date BETWEEN ? AND ?
        ),
        -- the prices of the consensus line: per book at exactly that line, the no-vig probability of each
        -- side where both prices exist, else the side's own implied probability; averaged over the books
        prices AS (
            SELECT l.game_date, l.player_id, l.market,
                   {exact_mean_sql(f"coalesce(b.no_vig_over_prob, {implied_prob_sql('b.over_price')})")} AS over_prob,
                   {exact_mean_sql(f"coalesce(1 - b.no_vig_over_prob, {implied_prob_sql('b.under_price')})")}
                       AS under_prob
            FROM lines l
            JOIN predictions.prop_lines b
              ON b.game_date = l.game_date AND b.player_id = l.player_id AND b.market = l.market
             AND NOT b.is_consensus AND b.line_value = l.line_value
            WHERE b.game_date BETWEEN ? AND ?
            GROUP BY ALL
        ),
        pcf AS (SELECT * FROM precompute.player_composite_factors WHERE game_date BETWEEN ? AND ?),
        psza AS (SELECT * FROM precompute.player_shot_zone_analysis WHERE game_date BETWEEN ? AND ?),
        tdza AS (SELECT * FROM precompute.team_defense_zone_analysis WHERE game_date BETWEEN ? AND ?)
        SELECT c.game_date, c.game_id, c.season, c.season_type, c.player_id, c.player_lookup, c.team_abbr,
               c.opponent_abbr, c.is_home, c.days_rest, c.back_to_back, c.opponent_def_rating_last_10,
               b.market, b.games_in_sample, b.season_avg, b.last5, b.last10, b.ewma, b.std_last10,
               {floor} AS sigma_floor, greatest(coalesce(b.std_last10, {floor} * 2), {floor}) AS sigma,
               bp.season_avg AS pts_season_avg,
               f.fatigue_score, f.shot_zone_mismatch_score, f.pace_score, f.usage_spike_score,
               z.paint_rate_last_10, z.mid_range_rate_last_10, z.three_rate_last_10,
               o.paint_defense_vs_league_avg, o.mid_range_defense_vs_league_avg, o.three_defense_vs_league_avg,
               o.defensive_rating AS opp_def_rating,
               l.line_value, l.n_books AS line_books, l.source_books AS line_source_books,
               l.snapshot_rule AS line_snapshot_rule,
               ROUND(pr.over_prob, 4) AS line_over_prob, ROUND(pr.under_prob, 4) AS line_under_prob
        FROM ctx c
        JOIN b ON b.game_date = c.game_date AND b.player_id = c.player_id
        LEFT JOIN b bp ON bp.game_date = c.game_date AND bp.player_id = c.player_id AND bp.market = 'points'
        LEFT JOIN pcf f ON f.game_date = c.game_date AND f.player_id = c.player_id
        LEFT JOIN psza z ON z.game_date = c.game_date AND z.player_id = c.player_id
        LEFT JOIN tdza o ON o.game_date = c.game_date AND o.team_abbr = c.opponent_abbr
        LEFT JOIN lines l ON l.game_date = c.game_date AND l.player_id = c.player_id AND l.market = b.market
        LEFT JOIN prices pr ON pr.game_date = c.game_date AND pr.player_id = c.player_id AND pr.market = b.market
        """, [start, end] * 7)
    return engine.scalar(f"SELECT count(*) FROM {table}")
