"""Reading source files robustly into all-text tables, and the SQL helpers every loader's SELECT uses.

Conventions every loader shares:
- A file is named by its path relative to the data folder (stable across machines).
- Every CSV is read with all columns as text; casts and checks happen in SQL, so a bad value
  becomes a reject with a reason instead of failing the file.
- `line` is the 1-based physical line in the (decompressed) CSV: the header is line 1, the
  first data row is line 2. (Quoted fields with embedded newlines would shift it; none of
  our sources have them.)
- A structurally broken file (corrupt/truncated compression, no header, missing required
  column) raises SourceError and is refused whole: its earlier rows stay untouched.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from courtside.errors import SourceError


@dataclass(frozen=True)
class FileSpec:
    """One family of source files -> one target table.

    `select(spec)` returns SQL over the text table `src` producing the target's columns
    (without provenance) plus `_line`, `_reason` (NULL = good row) and `_skip` (TRUE = out of
    scope by design, e.g. preseason: counted, not loaded, not a reject).
    """

    source: str
    pattern: str
    target: str
    required: tuple[str, ...]
    select: Callable[["FileSpec"], str]
    key: tuple[str, ...]
    member_suffix: str | None = None  # for zips: the CSV inside whose name ends with this
    exclude: tuple[str, ...] = ()     # glob matches to leave out (e.g. a cross-check copy)
    optional: tuple[str, ...] = ()    # columns some files lack: added as NULL text
    only_required: bool = False       # parse just the required columns (wide, large files)
    prepare: str | None = None        # a REPLACE list cleaning text columns before numbers are cast


@dataclass
class FileResult:
    file: str
    target: str
    status: str  # loaded | unchanged | refused
    rows: int = 0
    rejected: int = 0
    skipped: int = 0
    error: str | None = None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decompress(path: Path, rel: str, raw: bytes, member_suffix: str | None = None) -> bytes:
    """The CSV text of a .csv, .csv.gz or .zip file; broken compression refuses the file."""
    name = path.name.lower()
    try:
        if name.endswith(".gz"):
            return gzip.decompress(raw)
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                members = [m for m in zf.namelist() if not m.startswith("__MACOSX/")
                           and m.lower().endswith(member_suffix or ".csv")]
                if len(members) != 1:
                    raise SourceError(rel, f"zip should hold exactly one CSV, found {members}")
                return zf.read(members[0])
    except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
        raise SourceError(rel, f"corrupt or truncated compressed file ({exc})") from None
    return raw


def read_text_table(rel: str, text: bytes, required: tuple[str, ...],
                    only_required: bool = False) -> tuple[pa.Table, list[tuple[int | None, str, str]]]:
    """Parse CSV bytes into an all-text Arrow table with a `_line` column.

    Returns the table and the rows the parser itself could not split (wrong column count):
    (line, reason, raw text) each, for raw.rejects.
    """
    if not text or text.isspace():
        raise SourceError(rel, "empty file: no header and no rows")
    header_end = text.find(b"\n")
    header = text[: header_end if header_end >= 0 else len(text)].decode("utf-8-sig").strip("\r")
    names = next(iter(_csv_rows(header)))
    missing = [c for c in required if c not in names]
    if missing:
        raise SourceError(rel, f"missing required column(s) {', '.join(missing)} (header has: {', '.join(names)})", line=1)
    columns = list(required) if only_required else None
    table, bad = _parse(rel, text, names, columns, threads=True)
    data_lines = text.count(b"\n") - (1 if text.endswith(b"\n") else 0)  # physical lines after the header
    if not bad and table.num_rows == data_lines:
        lines = np.arange(2, table.num_rows + 2, dtype=np.int32)
    else:
        # A row was skipped (wrong column count) or a line was blank. The threaded parser does not
        # know row numbers: re-read serially (rare) and map its numbers, which skip blank lines,
        # to physical lines.
        table, bad = _parse(rel, text, names, columns, threads=False)
        physical = [n for n, line in enumerate(text.split(b"\n"), 1) if line not in (b"", b"\r")]
        bad = [(physical[n - 1] if n is not None else None, reason, raw) for n, reason, raw in bad]
        skipped = {line for line, *_ in bad}
        lines = [n for n in physical[1:] if n not in skipped][: table.num_rows]
    table = table.append_column("_line", pa.array(lines, type=pa.int32()))
    return table, bad


def _parse(rel: str, text: bytes, names: list[str], columns: list[str] | None,
           threads: bool) -> tuple[pa.Table, list[tuple[int | None, str, str]]]:
    """All-text Arrow table plus the rows the parser could not split, as (row number, reason, text).

    The row number (1 = header, blank lines not counted) is known only in a serial read (`threads=False`).
    """
    bad: list[tuple[int | None, str, str]] = []

    def on_invalid(row) -> str:
        bad.append((row.number, f"expected {row.expected_columns} columns, found {row.actual_columns}", row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            # default 1 MiB blocks: faster than one big block (cache-friendly, parsed in parallel)
            read_options=pacsv.ReadOptions(use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 include_columns=columns,
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise SourceError(rel, f"cannot parse CSV ({exc})") from None
    return table, bad


def _csv_rows(text: str):
    import csv

    return csv.reader([text])


_NUM_REF = re.compile(r'"((?:[^"]|"")+)#num"')

# Functions of one text value that `source_view` computes once per distinct value and joins back:
# source columns repeat a few values (names, team codes, dates, game ids) over many rows.
PER_VALUE = {
    "lookup": "player_lookup(v)",                            # regex-heavy name normalisation
    "abbr": "_abbr(v)",                                      # team code or full name -> abbreviation
    "gid": "_gid(v)",                                        # game id left-padded to 10
    "mdy": "CAST(try_strptime(v, '%m-%d-%Y') AS DATE)",      # MM-DD-YYYY date
    "opp": "_matchup_opp(v)",                                # "BOS @ NYK" -> NYK
    "mteam": "_matchup_team(v)",                             # "BOS @ NYK" -> BOS
}
_PER_VALUE_REF = re.compile(r'"((?:[^"]|"")+)#(' + "|".join(PER_VALUE) + r')"')


def source_view(spec: FileSpec, relation: str, select_sql: str) -> str:
    """The text table plus derived columns the select refers to, each computed once:

    - `"COL#num"` (from `num()`): TRY_CAST(COL AS DOUBLE), instead of once in every value and check;
    - `"COL#fn"` (from `per_value(COL, fn)`, e.g. `lookup()`): a PER_VALUE function of COL, computed
      per distinct value (tens to a few thousand per file) and joined back.
    `spec.prepare` (a REPLACE list) cleans text columns first.
    """
    nums = sorted({m.group(1).replace('""', '"') for m in _NUM_REF.finditer(select_sql)})
    derived = sorted({(m.group(1).replace('""', '"'), m.group(2)) for m in _PER_VALUE_REF.finditer(select_sql)})
    inner = f"SELECT * REPLACE ({spec.prepare}) FROM {relation}" if spec.prepare else f"SELECT * FROM {relation}"
    casts = "".join(f", TRY_CAST(t.{q(c)} AS DOUBLE) AS {q(c + '#num')}" for c in nums)
    # The text relation is written out in each place rather than shared as a CTE: a CTE used twice is
    # materialized, i.e. every text column copied, where a list of distinct values needs one column.
    joins = "".join(f""" LEFT JOIN (SELECT v, {PER_VALUE[fn]} AS k FROM (SELECT DISTINCT {q(c)} AS v FROM ({inner})))
                           l{i} ON l{i}.v = t.{q(c)}""" for i, (c, fn) in enumerate(derived))
    values = "".join(f", l{i}.k AS {q(c + '#' + fn)}" for i, (c, fn) in enumerate(derived))
    return f"SELECT t.*{casts}{values} FROM ({inner}) t{joins}"


def per_value(col: str, fn: str) -> str:
    """PER_VALUE[fn] of col, computed once per distinct value by `source_view`."""
    assert fn in PER_VALUE, fn
    return q(f"{col}#{fn}")


def lookup(col: str) -> str:
    """player_lookup(col), computed once per distinct name by `source_view`."""
    return per_value(col, "lookup")


# -- SQL helpers for validated casts ---------------------------------------------------------

def q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def num(col: str, typ: str = "INTEGER", *, nonneg: bool = False, most: int | None = None,
        what: str = "a plausible value") -> tuple[str, str]:
    """(value expression, check expression) for a numeric text column; blank stays NULL.

    `most`: the largest plausible value (of `what`); a row above it is rejected.
    The cast itself happens once per row, in `source_view` (column `"COL#num"`).
    """
    raw = q(col)
    val = q(col + "#num")  # TRY_CAST(col AS DOUBLE): accepts "+145"; "NaN" becomes NULL below
    expr = f"nullif({val}, 'NaN'::DOUBLE)" if typ == "DOUBLE" else f"TRY_CAST(round({val}) AS {typ})"
    neg = f"WHEN {val} < 0 THEN '{col} is negative (' || {raw} || ')'" if nonneg else ""
    said = what.replace("'", "''")
    big = f"WHEN {val} > {most} THEN '{col} ' || {raw} || ' is above {most}: not {said}'" if most is not None else ""
    check = (f"CASE WHEN {val} IS NULL AND {raw} IS NOT NULL AND lower({raw}) NOT IN ('nan', '')"
             f" THEN '{col} ''' || {raw} || ''' is not a number' {neg} {big} END")
    return expr, check


def reasons(*checks: str) -> str:
    """The first failing check's message per row (NULL when all pass)."""
    return "coalesce(" + ", ".join(checks) + ", NULL)" if checks else "NULL"


def missing(col: str, what: str | None = None) -> str:
    return f"CASE WHEN {q(col)} IS NULL THEN '{what or col} is missing' END"


def asdict(obj) -> dict:
    return dataclasses.asdict(obj)


# Reduced logs carry no game id: a team plays at most one game a day, so team + date is the key.
# MATCHUP's home side is not trusted (neutral-site games, e.g. Paris or the Cup in Las Vegas,
# differ by source).
NO_GAME_REASON = ("CASE WHEN g.game_id IS NULL THEN 'no game found for ' || coalesce(s.TEAM_ABBREVIATION, '?') "
                  "|| ' on ' || coalesce(s.GAME_DATE, '?') || ' (' || coalesce(s.MATCHUP, '?') || ')' END")
GAME_INDEX_JOIN = """FROM src s LEFT JOIN _game_index g
          ON g.team_abbr = s."TEAM_ABBREVIATION#abbr" AND g.game_date = TRY_CAST(s.GAME_DATE AS DATE)"""
