"""grading.system_daily_performance (definition in courtside.ml.grading)."""

from courtside.ml.grading import DAILY as MODEL

__all__ = ["MODEL"]
