"""grading.prop_lines_attested: lines whose pre-tip timing the source attests but the data cannot prove.

Same rows as predictions.prop_lines where a snapshot is proven pre-tip, plus, for books without one,
the fallback rules (snapshot_rule): `tip_unknown_earliest` (snapshot time known, tip-off not: the
earliest snapshot) and `untimed` (no snapshot time). These are the untimed threes files of
2024-10-22..2025-03-30 and every PRA 2023-24 row.

Why they are kept, and why only here:
- nothing that predicts reads this table (features and predictions read predictions.prop_lines); only
  grading does, after the game, and every graded row carries its snapshot_rule so reports can split on it;
- the sources describe them as morning (threes) and shortly-before-tip (PRA) collections. On the real
  data their behaviour matches proven pre-tip lines: threes main-line MAE against the actual makes is
  1.23 untimed vs 1.25 timed (1.13 vs 1.19 on games tipping before 5 pm ET, which an evening collection
  would have caught in play), and PRA 2024-25 snapshots, whose tip-offs are known, are a median 4 min
  before the scheduled tip (80 of 20,957 rows after it, which predictions.prop_lines drops).
That is evidence, not proof, so these lines never reach a feature or a prediction.
"""

from courtside.models.predictions.prop_lines import LINE_CHECKS, lines_sql
from courtside.models.registry import Edge, Model, Window

MODEL = Model(
    "grading.prop_lines_attested", "grading", ("game_date", "player_id", "market", "book"),
    "prop lines incl. snapshots not provably pre-tip (labelled by snapshot_rule); read by grading only",
    sql=lines_sql(proven_only=False),
    edges=(Edge("raw.player_props", Window.same_date()),),
    checks=LINE_CHECKS,
    grading_only=True,
)
