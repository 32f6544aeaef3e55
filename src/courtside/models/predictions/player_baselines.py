"""predictions.player_baselines (definition in courtside.ml.baselines)."""

from courtside.ml.baselines import MODEL

__all__ = ["MODEL"]
