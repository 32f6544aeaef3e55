"""courtside: NBA player-prop analytics with a backfill planner that knows what exists."""

from courtside.errors import CourtsideError

__all__ = ["CourtsideError"]
__version__ = "0.1.0"
