"""Which tables a model's SQL reads, by SQLGlot, remembered across processes.

Parsing every model's SQL with SQLGlot takes about a second; a daily run in a fresh process paid it
before building anything. The answer depends only on the SQL text and the SQLGlot version, so it is
kept in a small JSON file in the user's cache folder keyed by both; an unwritable cache just means
parsing again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path


def tables_read(sql: str) -> set[str]:
    """Schema-qualified tables a SELECT reads (CTE names excluded)."""
    key = hashlib.sha256(sql.encode()).hexdigest()
    cache = _cache()
    if key not in cache:
        cache[key] = sorted(_parse(sql))
        _save(cache)
    return set(cache[key])


def _parse(sql: str) -> set[str]:
    import sqlglot
    from sqlglot import exp

    literal = re.sub(r"\$(start|end|season_start|prior_season_start)\b", "DATE '2000-01-01'", sql)
    tree = sqlglot.parse_one(literal, read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    out = set()
    for t in tree.find_all(exp.Table):
        if not t.db and t.name in ctes:
            continue
        out.add(f"{t.db}.{t.name}" if t.db else t.name)
    return out


def _cache_file() -> Path:
    from importlib.metadata import version

    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "courtside" / f"tables-read-sqlglot-{version('sqlglot')}.json"


@lru_cache(maxsize=1)
def _cache() -> dict[str, list[str]]:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _save(cache: dict[str, list[str]]) -> None:
    """Write beside the file, then rename: two processes at once never leave a torn file."""
    try:
        target = _cache_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "w") as fh:
            json.dump(cache, fh)
        os.replace(tmp, target)
    except OSError:
        pass
