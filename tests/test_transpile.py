"""Every SQL model transpiles to the distributed dialects, and the result is valid SQL there."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from courtside.engine.transpile import transpile
from courtside.errors import CourtsideError
from courtside.models.registry import discover_models

SQL_MODELS = [m for m in discover_models() if m.kind == "sql"]


@pytest.mark.parametrize("dialect", ["bigquery", "spark"])
@pytest.mark.parametrize("model", SQL_MODELS, ids=[m.name for m in SQL_MODELS])
def test_model_transpiles(model, dialect):
    out = transpile(model.sql, dialect, dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert "$start" not in out and "2024-01-31" in out
    sqlglot.parse_one(out, read=dialect)  # parses back in the target dialect


def test_known_rewrite_and_bad_dialect():
    sql = "SELECT game_date, list(player_id) AS ids FROM raw.schedule WHERE game_date BETWEEN $start AND $end GROUP BY 1"
    out = transpile(sql, "bigquery", dt.date(2024, 1, 1))
    assert "ARRAY_AGG" in out.upper()
    with pytest.raises(CourtsideError, match="unknown dialect"):
        transpile(sql, "oracle9")
