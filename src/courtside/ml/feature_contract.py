"""The feature contract of precompute.ml_feature_store: names, order, version, source and default.

This module is the single source of truth for the feature columns (the ML code reads features by these
names, in this order). Append-only within a version; any change to names, order, meaning or defaults
bumps FEATURE_VERSION.

Storage rule: the feature store holds the RAW value — NULL when it cannot be computed from data before D.
It never writes a default. `default` is what a consumer that cannot take NULL should substitute; the row's
`defaulted_mask` marks exactly the features that are NULL (i.e. would need that default): bit i (value
2**i) is FEATURES[i], the `index` of feature_contract.json. `defaulted_names(mask)` and
`defaulted_names_sql(column)` decode it to the names; `export ml-ready` writes the names as
`defaulted_features`. (A bit set, not a list of names, in the table: building a 53-name list per row was
~0.4 s of CPU of a full build.)
`optional` features may be NULL without blocking `is_quality_ready` (zones where no shot data exists,
betting lines that were never published, history that cannot exist yet). Vegas features are NULL where no
real pre-tip line exists; their default is None: a placeholder line is never substituted.

No previous-season priors: at a season's start the history features are NULL and listed as defaulted.

Features of the original (section 6) that our data cannot support are listed in UNSUPPORTED with the
reason, instead of being shipped as constants.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

FEATURE_VERSION = "cs_v1_53features"

PDC = "precompute.player_daily_cache"
PCF = "precompute.player_composite_factors"
PSZA = "precompute.player_shot_zone_analysis"
TDZA = "precompute.team_defense_zone_analysis"
UPCG = "analytics.upcoming_player_game_context"
UTGC = "analytics.upcoming_team_game_context"
PGS = "analytics.player_game_summary"
PROPS = "predictions.prop_lines"


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    source: str
    default: float | None
    optional: bool = False
    original_index: int | None = None  # index in the original's list (section 6), where there is one


F = Feature
FEATURES: tuple[Feature, ...] = (
    F("points_avg_last_5", "mean points, last 5 played games before D this season", PDC, 10.0, False, 0),
    F("points_avg_last_10", "mean points, last 10 played games", PDC, 10.0, False, 1),
    F("points_avg_season", "mean points, played games this season before D", PDC, 10.0, False, 2),
    F("points_std_last_10", "sample std of points, last 10 played games (needs 2)", PDC, 5.0, False, 3),
    F("games_in_last_7_days", "games in the 7 days before D", UPCG, 3.0, False, 4),
    F("fatigue_score", "0-100, 100 = fully rested", PCF, 50.0, False, 5),
    F("shot_zone_mismatch_score", "player primary zone vs opponent zone defense, [-10, 10]; NULL without zone data",
      PCF, 0.0, True, 6),
    F("pace_score", "pace differential / 2, [-3, 3]; NULL when pace is unknown", PCF, 0.0, False, 7),
    F("rest_advantage", "clamp(player days_rest - opponent days_rest, -2, 2)", UTGC, 0.0, True, 9),
    F("recent_trend", "mean(2 newest) - mean(3 older) of L5 bucketed to -2..2 (needs 5 games)", PDC, 0.0, False, 11),
    F("minutes_change", "(L10 minutes - season minutes) / season minutes bucketed to -2..2", PDC, 0.0, False, 12),
    F("opponent_def_rating", "opponent's mean defensive rating, last 15 games", TDZA, 112.0, False, 13),
    F("opponent_pace", "opponent's opponents' mean pace, last 15 games", TDZA, 100.0, False, 14),
    F("home_away", "1 home, 0 away", UPCG, 0.0, False, 15),
    F("back_to_back", "1 if days_rest = 0", UPCG, 0.0, False, 16),
    F("playoff_game", "1 for play-in and playoff games", UPCG, 0.0, False, 17),
    F("pct_paint", "share of zone attempts in the paint, last 10 games with shot data (0-1)", PSZA, None, True, 18),
    F("pct_mid_range", "share of zone attempts from mid-range (0-1)", PSZA, None, True, 19),
    F("pct_three", "share of zone attempts from three (0-1)", PSZA, None, True, 20),
    F("pct_free_throw", "sum(FTM) / sum(points) over L10 games with FT data, clamp [0, 0.5] (needs 5)",
      PDC, 0.15, True, 21),
    F("team_pace", "team mean pace, last 10 games", PDC, 100.0, False, 22),
    F("team_off_rating", "team mean offensive rating, last 10 games", PDC, 112.0, False, 23),
    F("team_win_pct", "team wins / games this season before D (needs 5 games)", UTGC, 0.5, False, 24),
    F("vegas_points_line", "consensus main points line, latest pre-tip snapshot per book", PROPS, None, True, 25),
    F("vegas_opening_line", "consensus main points line, earliest pre-tip snapshot per book", PROPS, None, True, 26),
    F("vegas_line_move", "vegas_points_line - vegas_opening_line", PROPS, None, True, 27),
    F("has_vegas_line", "1 if a real pre-tip points line exists", PROPS, 0.0, False, 28),
    F("avg_points_vs_opponent", "mean points vs this opponent, played games in the 365 days before D",
      PGS, None, True, 29),
    F("games_vs_opponent", "played games vs this opponent in the 365 days before D", PGS, 0.0, False, 30),
    F("minutes_avg_last_10", "mean minutes, last 10 played games", PDC, None, False, 31),
    F("ppm_avg_last_10", "points per minute, last 10 played games", PDC, None, False, 32),
    F("dnp_rate", "DNP share of the last 10 box-score rows (needs 3)", PDC, 0.0, True, 33),
    F("pts_slope_10g", "OLS slope of points vs game index over L10, oldest to newest (needs 5)", PDC, 0.0, False, 34),
    F("pts_vs_season_zscore", "(L5 - season) / std L10, clamp [-3, 3]", PDC, 0.0, False, 35),
    F("breakout_flag", "1 if L5 > season + 1.5 * std L10", PDC, 0.0, False, 36),
    F("game_total_line", "closing game total", UPCG, None, True, 38),
    F("days_rest", "days between games minus one (back-to-back = 0)", UPCG, None, True, 39),
    F("minutes_load_last_7d", "minutes played in the 7 days before D", UPCG, 0.0, False, 40),
    F("spread_magnitude", "|game spread|", UPCG, None, True, 41),
    F("implied_team_total", "game total / 2 - team spread / 2", UPCG, None, True, 42),
    F("points_avg_last_3", "mean points, last 3 played games", PDC, None, False, 43),
    F("usage_rate_last_10", "mean usage rate over L10 games with attempts", PDC, None, True, None),
    F("ts_pct_last_10", "true shooting over L10 games with attempts", PDC, None, True, None),
    F("reb_avg_last_10", "mean rebounds, last 10 played games", PDC, None, False, None),
    F("ast_avg_last_10", "mean assists, last 10 played games", PDC, None, False, None),
    F("pra_avg_last_10", "mean points + rebounds + assists, last 10 played games", PDC, None, False, None),
    F("reb_avg_season", "mean rebounds this season", PDC, None, False, None),
    F("ast_avg_season", "mean assists this season", PDC, None, False, None),
    F("fg3m_avg_last_10", "mean threes made over L10 games with three-point data", PDC, None, True, None),
    F("fg3a_avg_last_10", "mean threes attempted over L10 games with three-point data", PDC, None, True, None),
    F("fg3m_avg_season", "mean threes made this season", PDC, None, True, None),
    F("vegas_threes_line", "consensus main threes line, latest pre-tip snapshot per book", PROPS, None, True, None),
    F("vegas_pra_line", "consensus main points+rebounds+assists line, latest pre-tip snapshot per book",
      PROPS, None, True, None),
)
del F

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_COUNT = len(FEATURES)
# the bit of each feature in a row's `defaulted_mask` (BIGINT; bit 63 is the sign, so at most 63 features)
DEFAULTED_BIT: dict[str, int] = {name: 1 << i for i, name in enumerate(FEATURE_NAMES)}
if FEATURE_COUNT > 63:
    raise ValueError(f"{FEATURE_COUNT} features do not fit the BIGINT defaulted_mask (63 bits)")

UNSUPPORTED: dict[str, str] = {
    "usage_spike_score": "needs a projected usage rate; nothing provides one (the original's was always NULL)",
    "injury_risk": "no injury reports in the data",
    "star_teammates_out": "no injury reports in the data",
    "player_age": "no birth dates in the data",
}


def feature(name: str) -> Feature:
    for f in FEATURES:
        if f.name == name:
            return f
    raise KeyError(f"unknown feature {name!r}; known: {', '.join(FEATURE_NAMES)}")


def defaulted_names(mask: int) -> list[str]:
    """The names of the defaulted (NULL) features of a row's `defaulted_mask`, in contract order."""
    return [name for name, bit in DEFAULTED_BIT.items() if mask & bit]


def defaulted_names_sql(mask: str) -> str:
    """SQL decoding a `defaulted_mask` expression to the list of defaulted feature names (VARCHAR[])."""
    names = "[" + ", ".join(f"'{n}'" for n in FEATURE_NAMES) + "]"
    return f"list_filter({names}, lambda name, i: ({mask} >> (i - 1)) & 1 = 1)"


def to_dict() -> dict:
    return {
        "feature_version": FEATURE_VERSION,
        "feature_count": FEATURE_COUNT,
        "features": [{"index": i, **asdict(f)} for i, f in enumerate(FEATURES)],
        "unsupported": UNSUPPORTED,
        "storage": "raw values; NULL when not computable before D; in the table, defaulted_mask has bit `index` set "
                   "for each NULL feature; the export decodes it to defaulted_features (the names)",
        "quality": "feature_quality_score = mean over required features of 100 (value) / 40 (defaulted); "
                   "is_quality_ready = no required feature defaulted",
    }


def to_json(indent: int | None = 2) -> str:
    return json.dumps(to_dict(), indent=indent, sort_keys=False)
