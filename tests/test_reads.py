"""The tables a model's SQL reads are remembered across processes, and a changed SQL is parsed again."""

from __future__ import annotations

import subprocess
import sys

from courtside.models import reads

SQL = "WITH x AS (SELECT * FROM raw.a) SELECT * FROM x JOIN analytics.b USING (k) WHERE d BETWEEN $start AND $end"

# A fresh process in which SQLGlot cannot be imported: only the cache can answer.
NO_SQLGLOT = """
import sys
sys.modules["sqlglot"] = None
from courtside.models.reads import tables_read
print(sorted(tables_read(sys.argv[1])))
"""


def test_a_fresh_process_answers_from_the_cache_and_parses_a_changed_sql(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reads._cache.cache_clear()
    try:
        assert reads.tables_read(SQL) == {"raw.a", "analytics.b"}   # CTE names are not tables
    finally:
        reads._cache.cache_clear()
    assert reads._cache_file().is_file()

    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": ""}
    cached = subprocess.run([sys.executable, "-c", NO_SQLGLOT, SQL], capture_output=True, text=True, env=env)
    assert cached.returncode == 0, cached.stderr
    assert cached.stdout.strip() == "['analytics.b', 'raw.a']"

    changed = SQL.replace("analytics.b", "analytics.c")
    parsed = subprocess.run([sys.executable, "-c", NO_SQLGLOT, changed], capture_output=True, text=True, env=env)
    assert parsed.returncode != 0 and "sqlglot" in parsed.stderr, "a changed SQL must be parsed, not looked up"
