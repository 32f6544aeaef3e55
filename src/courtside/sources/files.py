"""Reading source files robustly, and replacing one file's rows in one transaction.

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
from dataclasses import dataclass, field
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
    bad: list[tuple[int | None, str, str]] = []

    def on_invalid(row) -> str:
        line = row.number + 1 if row.number is not None else None  # parser counts the header as row 1
        bad.append((line, f"expected {row.expected_columns} columns, found {row.actual_columns}", row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 include_columns=list(required) if only_required else None,
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise SourceError(rel, f"cannot parse CSV ({exc})") from None
    # Physical line of each data row; skipped invalid rows leave gaps we must account for.
    lines = _data_lines(table.num_rows, sorted(b[0] for b in bad if b[0] is not None))
    table = table.append_column("_line", pa.array(lines, type=pa.int32()))
    return table, bad


def _data_lines(n: int, bad_lines: list[int]) -> list[int]:
    if not bad_lines:
        return np.arange(2, n + 2, dtype=np.int32)
    out, line, skip = [], 2, set(bad_lines)
    while len(out) < n:
        if line not in skip:
            out.append(line)
        line += 1
    return out


def _csv_rows(text: str):
    import csv

    return csv.reader([text])


@dataclass
class Staged:
    """A parsed file ready to be written: target rows and rejects sit in temp table `_parsed`."""

    rel: str
    sha256: str
    parser_rejects: list[tuple[int | None, str, str]] = field(default_factory=list)
    rows: int = 0       # good rows to load
    rejected: int = 0   # rows with a reason (parser rejects not included)
    skipped: int = 0    # out of scope by design


def stage(engine, spec: FileSpec, path: Path, rel: str, raw: bytes, sha256: str | None = None) -> Staged:
    """Parse one file into temp table `_parsed` (outside any transaction; may raise SourceError)."""
    text = decompress(path, rel, raw, spec.member_suffix)
    table, bad = read_text_table(rel, text, spec.required, spec.only_required)
    del text
    for col in spec.optional:
        if col not in table.column_names:
            table = table.append_column(col, pa.nulls(table.num_rows, pa.string()))
    engine.register_df("_src_text", table)
    try:
        select = spec.select(spec)
        # Skipped rows (out of scope by design) carry no reason: they are counted, not rejected.
        engine.execute(f"""CREATE OR REPLACE TEMP TABLE _parsed AS
                           WITH src AS ({source_view(spec, '_src_text', select)})
                           SELECT * REPLACE (CASE WHEN NOT _skip THEN _reason END AS _reason)
                           FROM ({select}) q""")
        if spec.key:  # no natural key (e.g. shots): nothing to call a duplicate
            _mark_duplicates(engine, spec.key)
        counts = engine.fetchall("""
            SELECT count(*) FILTER (WHERE _reason IS NULL AND NOT _skip), count(*) FILTER (WHERE _reason IS NOT NULL),
                   count(*) FILTER (WHERE _reason IS NULL AND _skip) FROM _parsed""")[0]
        # The raw text of rejected rows (most files have none: skip the scan then).
        engine.execute(f"""CREATE OR REPLACE TEMP TABLE _parsed_raw AS
                           SELECT s._line, to_json(s)::VARCHAR AS raw_row FROM _src_text s
                           WHERE {'TRUE' if counts[1] else 'FALSE'}
                             AND s._line IN (SELECT _line FROM _parsed WHERE _reason IS NOT NULL)""")
    finally:
        engine.unregister("_src_text")
    return Staged(rel, sha256 or sha256_bytes(raw), bad, *counts)


_NUM_REF = re.compile(r'"((?:[^"]|"")+)#num"')
_LOOKUP_REF = re.compile(r'"((?:[^"]|"")+)#lookup"')


def source_view(spec: FileSpec, relation: str, select_sql: str) -> str:
    """The text table plus derived columns the select refers to, each computed once:

    - `"COL#num"` (from `num()`): TRY_CAST(COL AS DOUBLE), instead of once in every value and check;
    - `"COL#lookup"` (from `lookup()`): player_lookup(COL), computed per distinct name (a few
      hundred per file) and joined back, since the normalisation is regex-heavy.
    `spec.prepare` (a REPLACE list) cleans text columns first.
    """
    def refs(pattern: re.Pattern) -> list[str]:
        return sorted({m.group(1).replace('""', '"') for m in pattern.finditer(select_sql)})

    inner = f"SELECT * REPLACE ({spec.prepare}) FROM {relation}" if spec.prepare else f"SELECT * FROM {relation}"
    casts = "".join(f", TRY_CAST(t.{q(c)} AS DOUBLE) AS {q(c + '#num')}" for c in refs(_NUM_REF))
    names = refs(_LOOKUP_REF)
    joins = "".join(f""" LEFT JOIN (SELECT v, player_lookup(v) AS k FROM (SELECT DISTINCT {q(c)} AS v FROM _text))
                           l{i} ON l{i}.v = t.{q(c)}""" for i, c in enumerate(names))
    looked = "".join(f", l{i}.k AS {q(c + '#lookup')}" for i, c in enumerate(names))
    return f"WITH _text AS ({inner}) SELECT t.*{casts}{looked} FROM _text t{joins}"


def lookup(col: str) -> str:
    """player_lookup(col), computed once per distinct name by `source_view`."""
    return q(col + "#lookup")


def _mark_duplicates(engine, key: tuple[str, ...]) -> None:
    """A good row whose key an earlier good row already has becomes a reject naming that line.

    A hash aggregate over the good rows (duplicates are rare), not a window sort of every row.
    NULL key parts compare equal, as they did under PARTITION BY.
    """
    cols = ", ".join(key)
    match = " AND ".join(f"p.{k} IS NOT DISTINCT FROM d.{k}" for k in key)
    engine.execute(f"""
        UPDATE _parsed p SET _reason = 'duplicate row: same ({cols}) as line ' || d._first
        FROM (SELECT {cols}, min(_line) AS _first FROM _parsed WHERE _reason IS NULL AND NOT _skip
              GROUP BY ALL HAVING count(*) > 1) d
        WHERE p._reason IS NULL AND NOT p._skip AND {match} AND p._line > d._first""")


def write_staged(engine, spec: FileSpec, staged: Staged) -> FileResult:
    """Replace exactly this file's rows in the target, its rejects and its loaded_files entry, atomically."""
    described = [c for c, *_ in engine.fetchall("DESCRIBE _parsed")]
    cols = [c for c in described if c not in ("_line", "_reason", "_skip", "_warning")]
    col_list = ", ".join(cols)
    rel, target = staged.rel, spec.target
    with engine.transaction() as con:
        con.execute(f"DELETE FROM {target} WHERE file = ?", [rel])
        con.execute("DELETE FROM raw.rejects WHERE file = ? AND target = ?", [rel, target])
        con.execute("CREATE OR REPLACE TEMP TABLE _now AS SELECT now()::TIMESTAMP AS t")
        con.execute(f"""INSERT INTO {target} ({col_list}, source, file, line, loaded_at)
                        SELECT {col_list}, ?, ?, _line, (SELECT t FROM _now) FROM _parsed
                        WHERE _reason IS NULL AND NOT _skip""", [spec.source, rel])
        con.execute("""INSERT INTO raw.rejects
                       SELECT ?, p._line, ?, p._reason, r.raw_row, (SELECT t FROM _now)
                       FROM _parsed p LEFT JOIN _parsed_raw r USING (_line) WHERE p._reason IS NOT NULL""",
                    [rel, target])
        if "_warning" in described:  # loaded, but a value was nulled: the reject row says which and why
            con.execute("""INSERT INTO raw.rejects
                           SELECT ?, _line, ?, _warning, NULL, (SELECT t FROM _now) FROM _parsed
                           WHERE _reason IS NULL AND NOT _skip AND _warning IS NOT NULL""", [rel, target])
        if staged.parser_rejects:
            con.executemany("INSERT INTO raw.rejects VALUES (?, ?, ?, ?, ?, (SELECT t FROM _now))",
                            [[rel, line, target, reason, text] for line, reason, text in staged.parser_rejects])
        rows, skipped = staged.rows, staged.skipped
        rejected = staged.rejected + len(staged.parser_rejects)
        con.execute("DELETE FROM raw.loaded_files WHERE file = ? AND target = ?", [rel, target])
        con.execute("INSERT INTO raw.loaded_files VALUES (?, ?, ?, ?, ?, (SELECT t FROM _now))",
                    [rel, target, staged.sha256, rows, rejected])
    return FileResult(rel, target, "loaded", int(rows), int(rejected), int(skipped))


def record_refusal(engine, rel: str, target: str, error: SourceError) -> None:
    """A refused file leaves one reject row (replacing an earlier refusal), never touching its loaded rows."""
    with engine.transaction() as con:
        con.execute("DELETE FROM raw.rejects WHERE file = ? AND target = ? AND reason LIKE 'file refused:%'",
                    [rel, target])
        con.execute("INSERT INTO raw.rejects VALUES (?, ?, ?, ?, NULL, now()::TIMESTAMP)",
                    [rel, error.line, target, f"file refused: {error.problem}"])


def loaded_sha(engine, rel: str, target: str) -> str | None:
    # fetchall, not fetchone: a half-read result would block registering the next Arrow table
    rows = engine.fetchall("SELECT sha256 FROM raw.loaded_files WHERE file = ? AND target = ?", [rel, target])
    return rows[0][0] if rows else None


# -- SQL helpers for validated casts ---------------------------------------------------------

def q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def num(col: str, typ: str = "INTEGER", *, nonneg: bool = False) -> tuple[str, str]:
    """(value expression, check expression) for a numeric text column; blank stays NULL.

    The cast itself happens once per row, in `source_view` (column `"COL#num"`).
    """
    raw = q(col)
    val = q(col + "#num")  # TRY_CAST(col AS DOUBLE): accepts "+145"; "NaN" becomes NULL below
    expr = f"nullif({val}, 'NaN'::DOUBLE)" if typ == "DOUBLE" else f"TRY_CAST(round({val}) AS {typ})"
    neg = f"WHEN {val} < 0 THEN '{col} is negative (' || {raw} || ')'" if nonneg else ""
    check = (f"CASE WHEN {val} IS NULL AND {raw} IS NOT NULL AND lower({raw}) NOT IN ('nan', '')"
             f" THEN '{col} ''' || {raw} || ''' is not a number' {neg} END")
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
          ON g.team_abbr = _abbr(s.TEAM_ABBREVIATION) AND g.game_date = TRY_CAST(s.GAME_DATE AS DATE)"""
