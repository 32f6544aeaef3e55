"""Staging and writing: several files of one spec in one SELECT, one transaction, one INSERT per table.

Files of one spec are parsed one by one (a structurally broken file is refused before any SQL
runs), then the good ones are staged together: one scan of their text rows, with each row's
file index packed into the high bits of `_line` so the spec's SELECT needs no change. The write
replaces exactly these files' rows, rejects and loaded_files entries in one transaction.

If staging or writing the batch fails for any other reason, each file is retried on its own, so
one bad file cannot cost the others their rows; a file that still fails is refused by name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from courtside.errors import SourceError
from courtside.sources.files import FileResult, FileSpec, decompress, read_text_table, sha256_bytes, source_view

_FILE_SHIFT = 32            # _line = file index << 32 | physical line
_LINE_MASK = (1 << 32) - 1


@dataclass
class ParsedFile:
    """One changed file, parsed into an all-text table (or refused with `error`)."""

    rel: str
    sha256: str
    table: pa.Table | None = None
    parser_rejects: list[tuple[int | None, str, str]] = field(default_factory=list)
    error: SourceError | None = None


def read_file(spec: FileSpec, path: Path, rel: str, known_sha: str | None) -> ParsedFile | None:
    """Read, hash and parse one file; None when its content hash is already loaded.

    Pure Python/Arrow (no database): safe to run in a worker thread ahead of the SQL.
    """
    raw = path.read_bytes()
    sha = sha256_bytes(raw)
    if sha == known_sha:
        return None
    try:
        text = decompress(path, rel, raw, spec.member_suffix)
        del raw
        table, bad = read_text_table(rel, text, spec.required, spec.only_required)
    except SourceError as exc:
        return ParsedFile(rel, sha, error=exc)
    for col in spec.optional:
        if col not in table.column_names:
            table = table.append_column(col, pa.nulls(table.num_rows, pa.string()))
    return ParsedFile(rel, sha, table, bad)


def load_files(engine, spec: FileSpec, files: list[ParsedFile]) -> list[FileResult]:
    """Write the files (good ones loaded, broken ones refused); results in the order given."""
    try:
        return _load_together(engine, spec, files)
    except Exception as exc:  # noqa: BLE001 - isolate the culprit, then name it
        if len(files) > 1:
            return [r for f in files for r in load_files(engine, spec, [f])]
        only = files[0]
        error = SourceError(only.rel, f"cannot load ({type(exc).__name__}: {exc})")
        return _load_together(engine, spec, [dataclasses.replace(only, table=None, error=error)])


def _load_together(engine, spec: FileSpec, files: list[ParsedFile]) -> list[FileResult]:
    good = [f for f in files if f.error is None]
    counts = _stage(engine, spec, good) if good else {}
    with engine.transaction() as con:
        if good:
            _write(con, spec, good, counts)
        for f in files:
            if f.error is not None:
                _record_refusal(con, f.rel, spec.target, f.error)
    results, fid = [], 0
    for f in files:
        if f.error is not None:
            results.append(FileResult(f.rel, spec.target, "refused", error=str(f.error)))
            continue
        rows, rejected, skipped = counts.get(fid, (0, 0, 0))
        results.append(FileResult(f.rel, spec.target, "loaded", rows, rejected + len(f.parser_rejects), skipped))
        fid += 1
    return results


def _stage(engine, spec: FileSpec, good: list[ParsedFile]) -> dict[int, tuple[int, int, int]]:
    """Temp tables `_parsed` (target rows and rejects, with `_fid`) and `_parsed_raw` (raw text of rejects).

    Returns file index -> (good rows, rejected rows, skipped rows).
    """
    tables = []
    for fid, f in enumerate(good):
        i = f.table.schema.get_field_index("_line")
        packed = pc.add(pc.cast(f.table.column(i), pa.int64()), pa.scalar(fid << _FILE_SHIFT, pa.int64()))
        tables.append(f.table.set_column(i, "_line", packed))
    src = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    select = spec.select(spec)
    engine.register_df("_src_text", src)
    try:
        # Skipped rows (out of scope by design) carry no reason: they are counted, not rejected.
        engine.execute(f"""CREATE OR REPLACE TEMP TABLE _parsed AS
                           WITH src AS ({source_view(spec, '_src_text', select)})
                           SELECT * REPLACE (CASE WHEN NOT _skip THEN _reason END AS _reason,
                                             CAST(q._line & {_LINE_MASK} AS INTEGER) AS _line),
                                  CAST(q._line >> {_FILE_SHIFT} AS INTEGER) AS _fid
                           FROM ({select}) q""")
    finally:
        engine.unregister("_src_text")
    if spec.key:  # no natural key (e.g. shots): nothing to call a duplicate
        _mark_duplicates(engine, spec.key)
    counts = {fid: (rows, rejected, skipped) for fid, rows, rejected, skipped in engine.fetchall("""
        SELECT _fid, count(*) FILTER (WHERE _reason IS NULL AND NOT _skip), count(*) FILTER (WHERE _reason IS NOT NULL),
               count(*) FILTER (WHERE _reason IS NULL AND _skip) FROM _parsed GROUP BY _fid""")}
    # The raw text of rejected rows, from that file's own text table (most files have none).
    engine.execute("CREATE OR REPLACE TEMP TABLE _parsed_raw (_fid INTEGER, _line INTEGER, raw_row VARCHAR)")
    for fid, f in enumerate(good):
        if counts.get(fid, (0, 0, 0))[1]:
            engine.register_df("_src_one", f.table)
            try:
                engine.execute(f"""INSERT INTO _parsed_raw SELECT {fid}, s._line, to_json(s)::VARCHAR FROM _src_one s
                                   WHERE s._line IN (SELECT _line FROM _parsed WHERE _fid = {fid} AND _reason IS NOT NULL)""")
            finally:
                engine.unregister("_src_one")
    return counts


def _mark_duplicates(engine, key: tuple[str, ...]) -> None:
    """A good row whose key an earlier good row of the same file already has becomes a reject naming that line.

    A hash aggregate over the good rows (duplicates are rare), not a window sort of every row.
    NULL key parts compare equal, as they did under PARTITION BY.
    """
    cols = ", ".join(key)
    match = " AND ".join(f"p.{k} IS NOT DISTINCT FROM d.{k}" for k in ("_fid", *key))
    engine.execute(f"""
        UPDATE _parsed p SET _reason = 'duplicate row: same ({cols}) as line ' || d._first
        FROM (SELECT _fid, {cols}, min(_line) AS _first FROM _parsed WHERE _reason IS NULL AND NOT _skip
              GROUP BY ALL HAVING count(*) > 1) d
        WHERE p._reason IS NULL AND NOT p._skip AND {match} AND p._line > d._first""")


def _write(con, spec: FileSpec, good: list[ParsedFile], counts: dict[int, tuple[int, int, int]]) -> None:
    """Replace exactly these files' rows in the target, their rejects and loaded_files entries (inside a transaction)."""
    described = [c for c, *_ in con.execute("DESCRIBE _parsed").fetchall()]
    cols = ", ".join(c for c in described if c not in ("_line", "_reason", "_skip", "_warning", "_fid"))
    target = spec.target
    batch = pa.table({
        "_fid": pa.array(range(len(good)), pa.int32()),
        "file": [f.rel for f in good],
        "sha256": [f.sha256 for f in good],
        "rows_loaded": pa.array([counts.get(i, (0, 0, 0))[0] for i in range(len(good))], pa.int32()),
        "rows_rejected": pa.array([counts.get(i, (0, 0, 0))[1] + len(f.parser_rejects) for i, f in enumerate(good)],
                                  pa.int32()),
    })
    con.register("_batch_src", batch)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _batch AS SELECT * FROM _batch_src")
    finally:
        con.unregister("_batch_src")
    con.execute(f"DELETE FROM {target} WHERE file IN (SELECT file FROM _batch)")
    con.execute("DELETE FROM raw.rejects WHERE target = ? AND file IN (SELECT file FROM _batch)", [target])
    con.execute("CREATE OR REPLACE TEMP TABLE _now AS SELECT now()::TIMESTAMP AS t")
    # The file name by list index (a projection keeps the rows in file and line order; a join might not).
    con.execute(f"""INSERT INTO {target} ({cols}, source, file, line, loaded_at)
                    SELECT {cols}, ?, list_extract(?::VARCHAR[], _fid + 1), _line, (SELECT t FROM _now) FROM _parsed
                    WHERE _reason IS NULL AND NOT _skip""", [spec.source, [f.rel for f in good]])
    con.execute("""INSERT INTO raw.rejects
                   SELECT b.file, p._line, ?, p._reason, r.raw_row, (SELECT t FROM _now)
                   FROM _parsed p JOIN _batch b USING (_fid) LEFT JOIN _parsed_raw r USING (_fid, _line)
                   WHERE p._reason IS NOT NULL""", [target])
    if "_warning" in described:  # loaded, but a value was nulled: the reject row says which and why
        con.execute("""INSERT INTO raw.rejects
                       SELECT b.file, p._line, ?, p._warning, NULL, (SELECT t FROM _now) FROM _parsed p JOIN _batch b USING (_fid)
                       WHERE p._reason IS NULL AND NOT p._skip AND p._warning IS NOT NULL""", [target])
    parser_rejects = [[f.rel, line, target, reason, text] for f in good for line, reason, text in f.parser_rejects]
    if parser_rejects:
        con.executemany("INSERT INTO raw.rejects VALUES (?, ?, ?, ?, ?, (SELECT t FROM _now))", parser_rejects)
    con.execute("DELETE FROM raw.loaded_files WHERE target = ? AND file IN (SELECT file FROM _batch)", [target])
    con.execute("""INSERT INTO raw.loaded_files
                   SELECT file, ?, sha256, rows_loaded, rows_rejected, (SELECT t FROM _now) FROM _batch ORDER BY _fid""",
                [target])


def _record_refusal(con, rel: str, target: str, error: SourceError) -> None:
    """A refused file leaves one reject row (replacing an earlier refusal), never touching its loaded rows."""
    con.execute("DELETE FROM raw.rejects WHERE file = ? AND target = ? AND reason LIKE 'file refused:%'", [rel, target])
    con.execute("INSERT INTO raw.rejects VALUES (?, ?, ?, ?, NULL, now()::TIMESTAMP)",
                [rel, error.line, target, f"file refused: {error.problem}"])


def loaded_shas(engine) -> dict[tuple[str, str], str]:
    """(file, target) -> content hash of every loaded file, in one query."""
    return {(f, t): sha for f, t, sha in engine.fetchall("SELECT file, target, sha256 FROM raw.loaded_files")}
