"""grading.prediction_accuracy (definition and settlement rules in courtside.ml.grading)."""

from courtside.ml.grading import ACCURACY as MODEL

__all__ = ["MODEL"]
