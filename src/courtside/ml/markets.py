"""The prop markets: one path for all of them, only the target expression and a few scales differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Market:
    name: str             # as in raw.player_props.market
    target_sql: str       # over analytics.player_game_summary columns
    pick_edge: float      # |edge| needed for an OVER/UNDER recommendation
    sigma_floor: float    # smallest per-player spread used for P(over)


MARKETS: dict[str, Market] = {
    "points": Market("points", "pts", 2.0, 3.0),
    "threes": Market("threes", "fg3m", 0.5, 0.8),
    "pra": Market("pra", "pts + reb + ast", 2.5, 4.0),
}

MARKET_NAMES = tuple(MARKETS)


def markets_values_sql() -> str:
    """A VALUES relation (market) of every market, for cross joins."""
    return "(VALUES " + ", ".join(f"('{m}')" for m in MARKETS) + ") AS mk(market)"


def target_unpivot_sql(alias: str = "g") -> str:
    """Columns `points`, `threes`, `pra` (DOUBLE) from a player_game_summary alias."""
    return ", ".join(f"({_qualify(m.target_sql, alias)})::DOUBLE AS {m.name}" for m in MARKETS.values())


def _qualify(expr: str, alias: str) -> str:
    return " ".join(f"{alias}.{tok}" if tok.isidentifier() else tok for tok in expr.split())
