"""Engine adapters. Only this package imports duckdb."""

from courtside.engine.duckdb import Engine

__all__ = ["Engine"]
