"""predictions.player_prop_predictions: one row per (game_date, player_id, system, market).

Python model (courtside.ml.predict). Edges: the batch's own dates of the context, features, factors,
zones, baselines and lines; and every date before D of the context, baselines, feature store and box
scores - the walk-forward training data and the similarity history (a model for a game on D is trained
on games before D's window end, the first day of D's two-month period, hence strictly before D).
"""

from courtside.ml.predict import EXPECTED, ML_CODE_VERSION, READS, SYSTEM_NAMES, predict
from courtside.models.registry import Edge, Model, Window, in_range, not_null

W_SAME, W_ALL = Window.same_date(), Window.all_before()

MODEL = Model(
    "predictions.player_prop_predictions", "predictions", ("game_date", "player_id", "system", "market"),
    "predicted value, 0-1 confidence, edge vs the consensus line and OVER/UNDER/PASS, per system and market",
    kind="python", python=predict, reads=READS, expected=EXPECTED,
    edges=(
        Edge("analytics.upcoming_player_game_context", W_SAME),
        Edge("analytics.upcoming_player_game_context", W_ALL),
        Edge("predictions.player_baselines", W_SAME),
        Edge("predictions.player_baselines", W_ALL),
        Edge("predictions.prop_lines", W_SAME),
        Edge("precompute.player_composite_factors", W_SAME),
        Edge("precompute.player_shot_zone_analysis", W_SAME),
        Edge("precompute.team_defense_zone_analysis", W_SAME),
        Edge("precompute.ml_feature_store", W_SAME),
        Edge("precompute.ml_feature_store", W_ALL),
        Edge("analytics.player_game_summary", W_ALL),
    ),
    checks=(*not_null("player_id", "system", "market", "recommendation", "confidence"),
            in_range("confidence", 0, 1), in_range("predicted_value", 0, 150)),
    # the transform spans several ml/ modules: their source hash is part of the code version
    params={"systems": list(SYSTEM_NAMES), "ml_code": ML_CODE_VERSION},
)
