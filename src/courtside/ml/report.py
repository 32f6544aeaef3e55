"""The grade report: per system, market and season - MAE, bias, the line's MAE on the same rows, hit
rates by edge threshold (OVER and UNDER apart) with 95% Wilson intervals against the -110 break-even
and against the prices actually offered (the mean implied probability of the side taken: a 56% hit
rate on sides priced at 57% loses money), and the baselines (season average, last 5, last 10, EWMA)
on exactly the same player-games.

"Same player-games": for each (system, market, season) the MAE comparison uses only rows where the
system and all four baselines have a value and the game was not voided; the line comparison uses the
rows of those that also have a line.

Lines: the line figures and hit rates of a row use the lines proven to precede tip-off (the only ones
a prediction sees). Predictions that had no such line but have one in grading.prop_lines_attested
(pre-tip timing attested by the source, not provable from the data) are reported apart, under
`attested`, so that the weaker evidence never mixes into the main figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from courtside.ml.grading import BREAK_EVEN_110, EDGE_THRESHOLDS, wilson
from courtside.ml.inputs import exact_mean_sql

BASELINES = ("base_season_avg", "base_last5", "base_last10", "base_ewma")
RED_FLAG_RATE, RED_FLAG_MIN_N = 0.60, 100


@dataclass
class HitRate:
    threshold: float
    side: str                  # 'ALL' | 'OVER' | 'UNDER'
    picks: int
    wins: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    above_break_even: bool     # the whole interval is above 52.38%
    red_flag: bool             # >= 60% on >= 100 picks: check for leakage before believing it
    priced: int = 0            # picks whose line came with prices (the rest have no price to compare)
    priced_rate: float | None = None      # hit rate on those picks
    implied_prob: float | None = None     # mean implied (no-vig where possible) probability of the side taken
    beats_prices: bool = False            # the Wilson interval of priced_rate lies above implied_prob


@dataclass
class GradeRow:
    system: str
    market: str
    season: str
    graded: int
    mae: float | None
    bias: float | None
    same_rows: int                      # rows where the system and every baseline have a value
    mae_same_rows: float | None
    baseline_mae: dict[str, float | None]
    best_baseline: str | None
    improvement_vs_best_pct: float | None
    line_rows: int
    mae_on_line_rows: float | None
    line_mae: float | None
    hit_rates: list[HitRate] = field(default_factory=list)
    # the same line figures on attested (not proven pre-tip) lines, for predictions without a proven line
    attested_line_rows: int = 0
    attested_mae_on_line_rows: float | None = None
    attested_line_mae: float | None = None
    attested_hit_rates: list[HitRate] = field(default_factory=list)


def grade_report(engine, phase: str = "regular", seasons: list[str] | None = None) -> dict:
    if not engine.table_exists("grading.prediction_accuracy"):
        return {"break_even": BREAK_EVEN_110, "phase": phase, "rows": []}
    where, params = _where(phase, seasons)
    base_ok = " AND ".join(f"{b} IS NOT NULL" for b in BASELINES)
    mae_rows = engine.fetch_dicts(f"""
        SELECT system, market, season, count(absolute_error) AS graded,
               {_mean("absolute_error")} AS mae, {_mean("signed_error")} AS bias,
               count(*) FILTER (WHERE absolute_error IS NOT NULL AND {base_ok}) AS same_rows,
               {_mean("absolute_error", base_ok)} AS mae_same_rows,
               {", ".join(f"{_mean(f'abs({b} - actual)', f'absolute_error IS NOT NULL AND {base_ok}')} AS {b}"
                          for b in BASELINES)},
               {_line_stats("line_rule = 'pre_tip_verified'", "")},
               {_line_stats("line_rule <> 'pre_tip_verified'", "attested_")}
        FROM grading.prediction_accuracy {where}
        GROUP BY ALL ORDER BY market, season, system""", params)
    thresholds = ", ".join(f"({t})" for t in EDGE_THRESHOLDS)
    hit_rows = engine.fetch_dicts(f"""
        SELECT a.system, a.market, a.season, a.line_rule = 'pre_tip_verified' AS proven, t.threshold, s.side,
               count(*) AS picks, count(*) FILTER (WHERE a.side_correct) AS wins,
               count(a.side_implied_prob) AS priced,
               count(a.side_implied_prob) FILTER (WHERE a.side_correct) AS priced_wins,
               {_mean("a.side_implied_prob")} AS implied_prob
        FROM grading.prediction_accuracy a
        CROSS JOIN (VALUES {thresholds}) AS t(threshold)
        CROSS JOIN (VALUES ('ALL'), ('OVER'), ('UNDER')) AS s(side)
        {where.replace('WHERE', 'WHERE a.side_correct IS NOT NULL AND') if where else 'WHERE a.side_correct IS NOT NULL'}
          AND (CASE WHEN t.threshold = 0 THEN abs(a.edge) > 0 ELSE abs(a.edge) >= t.threshold END)
          AND (s.side = 'ALL' OR s.side = a.edge_side)
        GROUP BY ALL""", params)
    hits: dict[tuple, list[HitRate]] = {}
    for h in sorted(hit_rows, key=lambda r: (r["threshold"], ["ALL", "OVER", "UNDER"].index(r["side"]))):
        lo, hi = wilson(h["wins"], h["picks"])
        rate = h["wins"] / h["picks"] if h["picks"] else None
        hits.setdefault((h["system"], h["market"], h["season"], h["proven"]), []).append(HitRate(
            h["threshold"], h["side"], h["picks"], h["wins"], _r(rate), _r(lo), _r(hi),
            bool(lo is not None and lo > BREAK_EVEN_110),
            bool(rate is not None and rate >= RED_FLAG_RATE and h["picks"] >= RED_FLAG_MIN_N),
            h["priced"], _r(h["priced_wins"] / h["priced"]) if h["priced"] else None, _r(h["implied_prob"]),
            bool(h["priced"] and h["implied_prob"] is not None
                 and wilson(h["priced_wins"], h["priced"])[0] > h["implied_prob"])))
    out = []
    for r in mae_rows:
        base = {b.removeprefix("base_"): _r(r[b]) for b in BASELINES}
        known = {k: v for k, v in base.items() if v is not None}
        best = min(known, key=known.get) if known else None
        improvement = (None if best is None or r["mae_same_rows"] is None
                       else _r(100 * (known[best] - r["mae_same_rows"]) / known[best], 2))
        out.append(GradeRow(r["system"], r["market"], r["season"], r["graded"], _r(r["mae"]), _r(r["bias"]),
                            r["same_rows"], _r(r["mae_same_rows"]), base, best, improvement, r["line_rows"],
                            _r(r["mae_on_line_rows"]), _r(r["line_mae"]),
                            hits.get((r["system"], r["market"], r["season"], True), []),
                            r["attested_line_rows"], _r(r["attested_mae_on_line_rows"]), _r(r["attested_line_mae"]),
                            hits.get((r["system"], r["market"], r["season"], False), [])))
    return {"break_even": round(BREAK_EVEN_110, 4), "phase": phase, "edge_thresholds": list(EDGE_THRESHOLDS),
            "rows": [asdict(g) for g in out]}


def _mean(value: str, where: str | None = None) -> str:
    """avg() of 4-decimal values, summed as exact decimals: a double mean's last bits depend on the order
    a parallel sum adds them in, and the report rounds to 4 decimals (two identical builds once printed
    an implied probability of 0.4974 and 0.4973)."""
    return exact_mean_sql(value) + (f" FILTER (WHERE {where})" if where else "")


def _line_stats(rule: str, prefix: str) -> str:
    """Rows with a line of `rule`, the system's MAE on them and the line's own MAE."""
    lined = f"absolute_error IS NOT NULL AND line_absolute_error IS NOT NULL AND {rule}"
    return (f"count(*) FILTER (WHERE {lined}) AS {prefix}line_rows, "
            f"{_mean('absolute_error', lined)} AS {prefix}mae_on_line_rows, "
            f"{_mean('line_absolute_error', lined)} AS {prefix}line_mae")


def _where(phase: str, seasons: list[str] | None) -> tuple[str, list]:
    conds, params = [], []
    if phase and phase != "all":
        conds.append("season_type = ?")
        params.append(phase)
    if seasons:
        conds.append("season IN (SELECT unnest(?::VARCHAR[]))")
        params.append(seasons)
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


def _r(v, digits: int = 4):
    return None if v is None else round(float(v), digits)
