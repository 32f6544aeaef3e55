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
               l.snapshot_rule AS line_snapshot_rule
        FROM ctx c
        JOIN b ON b.game_date = c.game_date AND b.player_id = c.player_id
        LEFT JOIN b bp ON bp.game_date = c.game_date AND bp.player_id = c.player_id AND bp.market = 'points'
        LEFT JOIN pcf f ON f.game_date = c.game_date AND f.player_id = c.player_id
        LEFT JOIN psza z ON z.game_date = c.game_date AND z.player_id = c.player_id
        LEFT JOIN tdza o ON o.game_date = c.game_date AND o.team_abbr = c.opponent_abbr
        LEFT JOIN lines l ON l.game_date = c.game_date AND l.player_id = c.player_id AND l.market = b.market
        """, [start, end] * 6)
    return engine.scalar(f"SELECT count(*) FROM {table}")
