"""`courtside data pull`: fetch the public source files from their pinned commits and verify them.

Every staged file in the data folder came from a public GitHub repository at a pinned commit;
PROVENANCE.json lists each original's repository, path and git blob SHA, and each folder's
SOURCE.md names the commit. A download is accepted only when the git blob SHA-1 of its bytes
("blob <len>\\0" + content) equals the recorded one; anything else is refused and never reaches
the cache.

Three kinds of original (see `build_manifest`):
- `staged`: the staged file is the original, gzip-compressed (or unchanged for .zip). Cached in
  the staged form under `{folder}/{file}`, so a cache folder can stand in for the data folder.
- `part`: a daily snapshot file that was concatenated into a staged file. Each part is verified
  and cached under `{folder}/originals/...`; the concatenation itself is a derived file.
- `database`: the SQLite file whose tables were exported to the staged CSVs. Verified and cached
  under `originals/`; the CSV exports are derived files.
Derived staged files cannot be verified against a blob SHA (none exists for them): the report
lists them as "unverifiable: derived file" with the originals they were made from.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from courtside.dates import parse_date, season_of
from courtside.errors import CourtsideError

DEFAULT_BASE_URL = "https://raw.githubusercontent.com"
# GitHub's git-blob endpoint serves a file by its blob SHA (the hash we verify anyway). It is used for
# refs the raw host cannot resolve (an abbreviated commit, `<commit>^`) and when the raw URL answers 404.
DEFAULT_API_URL = "https://api.github.com"
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
PACKAGED_MANIFEST = Path(__file__).with_name("pull_manifest.json")
USER_AGENT = "courtside-data-pull/0.1"


class PullError(CourtsideError):
    """One or more downloads were refused (hash mismatch, HTTP error); names each file."""


# -- the manifest ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Original:
    """One file of a public repository at a pinned commit, with its git blob SHA."""

    folder: str
    repo: str
    ref: str            # commit (full or abbreviated) or `<commit>^` for "parent state"
    path: str           # path inside the repository
    blob: str
    kind: str           # staged | part | database
    staged: str | None  # staged file name for kind == staged

    def url(self, base_url: str) -> str:
        quoted = urllib.parse.quote(f"{self.repo}/{self.ref}/{self.path}", safe="/")
        return f"{base_url.rstrip('/')}/{quoted}"

    def blob_url(self, api_url: str) -> str:
        return f"{api_url.rstrip('/')}/repos/{self.repo}/git/blobs/{self.blob}"

    @property
    def raw_resolvable(self) -> bool:
        """The raw host needs a full commit SHA (or a branch); it resolves neither `abc1234` nor `abc^`."""
        return bool(_FULL_SHA.fullmatch(self.ref))

    @property
    def cache_path(self) -> str:
        """Where the verified file lands, relative to the cache folder."""
        if self.kind == "staged" and self.staged:
            return f"{self.folder}/{self.staged}"
        ref = self.ref.replace("^", "-parent")
        return f"{self.folder}/originals/{ref}/{self.path}"

    @property
    def name(self) -> str:
        return self.cache_path


@dataclass(frozen=True)
class Derived:
    """A staged file made from originals (export or concatenation): no blob SHA of its own."""

    folder: str
    file: str
    reason: str
    made_from: tuple[str, ...]  # blob SHAs of the originals it was made from


@dataclass(frozen=True)
class Manifest:
    originals: tuple[Original, ...]
    derived: tuple[Derived, ...]

    def to_json(self) -> str:
        payload = {"originals": [asdict(o) for o in self.originals],
                   "derived": [dict(asdict(d), made_from=list(d.made_from)) for d in self.derived]}
        return json.dumps(payload, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        payload = json.loads(text)
        return cls(tuple(Original(**o) for o in payload["originals"]),
                   tuple(Derived(**dict(d, made_from=tuple(d["made_from"]))) for d in payload["derived"]))

    def select(self, patterns: list[str] | None) -> "Manifest":
        """Keep the entries whose cache path or staged name matches any glob (all when None)."""
        if not patterns:
            return self

        def hit(*names: str) -> bool:
            return any(fnmatch.fnmatch(n, p) for n in names for p in patterns)

        return Manifest(tuple(o for o in self.originals if hit(o.cache_path, f"{o.folder}/{o.path}")),
                        tuple(d for d in self.derived if hit(f"{d.folder}/{d.file}")))


_HEAD = re.compile(r"\*\*Repository\*\*: github\.com/(?P<repo>[\w.-]+/[\w.-]+)[^`]*?HEAD `(?P<sha>[0-9a-f]{7,40})`")
_SQLITE = re.compile(r'^(?P<path>\S+) @ commit (?P<ref>[0-9a-f]{7,40}) \([^)]*\) table "(?P<table>[^"]+)"')
_AT_COMMIT = re.compile(r"^(?P<path>\S+) \((?P<blob_from>blob from )?commit (?P<ref>[0-9a-f]{7,40})(?P<rest>[^)]*)\)$")
_SNAPSHOT_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_SEASON_IN_NAME = re.compile(r"(\d{4})_(\d{2})")


def build_manifest(data_dir: str | Path) -> Manifest:
    """Read PROVENANCE.json and the SOURCE.md files of a data folder into a manifest."""
    data_dir = Path(data_dir)
    prov_file = data_dir / "PROVENANCE.json"
    try:
        entries = json.loads(prov_file.read_text())
    except (OSError, ValueError) as exc:
        raise PullError(f"{prov_file}: cannot read the provenance list ({exc})") from None
    heads = _heads(data_dir)
    originals: dict[tuple, Original] = {}
    derived: list[Derived] = []
    parts_by_folder: dict[str, list[Original]] = {}
    for i, e in enumerate(entries):
        try:
            folder, file, repo, path, blob = e["folder"], e["file"], e["repo"], e["path"], e["blob"]
        except KeyError as exc:
            raise PullError(f"{prov_file}, entry {i}: missing field {exc}") from None
        if m := _SQLITE.match(path):
            o = Original(folder, repo, m["ref"], m["path"], blob, "database", None)
            originals.setdefault((repo, o.ref, o.path, blob), o)
            derived.append(Derived(folder, file, f'CSV export of SQLite table "{m["table"]}" of {m["path"]} '
                                                 f'at commit {m["ref"]}', (blob,)))
            continue
        if m := _AT_COMMIT.match(path):
            # "blob from commit X, ... parent state": the blob is the version X replaced.
            ref = f'{m["ref"]}^' if "parent" in m["rest"] else m["ref"]
            path = m["path"]
        else:
            ref = heads.get(repo)
            if ref is None:
                raise PullError(f"{data_dir / folder / 'SOURCE.md'}: no pinned commit for {repo} "
                                f"(needed by {folder}/{file})")
        if file == "(concatenated)":
            o = Original(folder, repo, ref, path, blob, "part", None)
            parts_by_folder.setdefault(folder, []).append(o)
        else:
            o = Original(folder, repo, ref, path, blob, "staged", file)
        originals.setdefault((repo, o.ref, o.path, blob), o)
    derived.extend(_concatenations(data_dir, entries, parts_by_folder))
    return Manifest(tuple(originals.values()), tuple(derived))


def _heads(data_dir: Path) -> dict[str, str]:
    """repo -> pinned commit, from the `**Repository**: github.com/x/y (HEAD `sha`)` line of each SOURCE.md."""
    heads = {}
    for source_md in sorted(data_dir.glob("*/SOURCE.md")):
        for m in _HEAD.finditer(source_md.read_text()):
            heads[m["repo"]] = m["sha"]
    return heads


def _concatenations(data_dir: Path, entries: list[dict], parts: dict[str, list[Original]]) -> list[Derived]:
    """Staged files with no provenance entry of their own, in a folder that has concatenated parts."""
    listed = {(e["folder"], e["file"]) for e in entries}
    out = []
    for folder, folder_parts in sorted(parts.items()):
        for staged in sorted((data_dir / folder).iterdir()):
            if staged.name == "SOURCE.md" or (folder, staged.name) in listed:
                continue
            season = _SEASON_IN_NAME.search(staged.name)
            made_from = tuple(p.blob for p in folder_parts if season and _part_season(p) == f"{season[1]}-{season[2]}")
            out.append(Derived(folder, staged.name,
                               f"concatenation of {len(made_from)} daily snapshot files (a date column added); "
                               "its parts are pulled and verified one by one", made_from))
    return out


def _part_season(part: Original) -> str | None:
    m = _SNAPSHOT_DATE.search(Path(part.path).name)
    return season_of(parse_date(m[1])) if m else None


def packaged_manifest() -> Manifest:
    """The manifest shipped with courtside (so `pull` works on a machine without the staged data)."""
    return Manifest.from_json(PACKAGED_MANIFEST.read_text())


def write_packaged_manifest(data_dir: str | Path) -> Path:
    PACKAGED_MANIFEST.write_text(build_manifest(data_dir).to_json())
    return PACKAGED_MANIFEST


# -- verification ------------------------------------------------------------------------------
def git_blob_sha1(content: bytes) -> str:
    """The id git gives a file's content: sha1 of "blob <len>\\0" + content."""
    h = hashlib.sha1(b"blob %d\0" % len(content))
    h.update(content)
    return h.hexdigest()


def _original_bytes(cached: Path, original: Original) -> bytes:
    raw = cached.read_bytes()
    return gzip.decompress(raw) if _stored_gzipped(original) else raw


def _stored_gzipped(original: Original) -> bool:
    return bool(original.staged) and original.staged.endswith(".gz") and not original.path.endswith(".gz")


# -- the pull -------------------------------------------------------------------------------------
@dataclass
class FileResult:
    name: str            # path inside the cache
    status: str          # verified | cached | refused | failed | unverifiable
    url: str | None = None
    expected: str | None = None
    actual: str | None = None
    bytes: int = 0
    detail: str = ""


@dataclass
class PullReport:
    cache: str
    base_url: str
    api_url: str = DEFAULT_API_URL
    files: list[FileResult] = field(default_factory=list)

    @property
    def problems(self) -> list[FileResult]:
        return [f for f in self.files if f.status in ("refused", "failed")]

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def raise_for_problems(self) -> None:
        if self.problems:
            lines = [f"{f.name}: {f.detail}" for f in self.problems]
            raise PullError(f"{len(lines)} file(s) not placed in {self.cache}:\n  " + "\n  ".join(lines))


def pull(cache: str | Path, *, base_url: str = DEFAULT_BASE_URL, api_url: str = DEFAULT_API_URL,
         manifest: Manifest | None = None, only: list[str] | None = None, workers: int = 4,
         timeout: float = 60.0) -> PullReport:
    """Download every original of the manifest into `cache`, verifying each git blob SHA.

    A file pinned to a full commit comes from `base_url` (the raw host), falling back to the git-blob
    endpoint of `api_url` on a 404; a file pinned to an abbreviated or `^` ref comes from the blob
    endpoint directly. `GITHUB_TOKEN`, when set, is sent to the API (its anonymous limit is 60 calls
    an hour).

    A file already in the cache whose content still hashes right is not downloaded again.
    A mismatch or HTTP failure leaves nothing in the cache for that file; the report names it
    (with both hashes for a mismatch) and `report.ok` is False. Other files still proceed.
    """
    cache = Path(cache)
    manifest = (manifest or packaged_manifest()).select(only)
    report = PullReport(str(cache), base_url, api_url)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        report.files.extend(pool.map(lambda o: _pull_one(o, cache, base_url, api_url, timeout),
                                     manifest.originals))
    for d in manifest.derived:
        report.files.append(FileResult(f"{d.folder}/{d.file}", "unverifiable",
                                       detail=f"unverifiable: derived file ({d.reason})"))
    return report


def _pull_one(original: Original, cache: Path, base_url: str, api_url: str, timeout: float) -> FileResult:
    target = cache / original.cache_path
    url = original.url(base_url) if original.raw_resolvable else original.blob_url(api_url)
    result = FileResult(original.name, "verified", url=url, expected=original.blob)
    if target.is_file():
        try:
            content = _original_bytes(target, original)
            if git_blob_sha1(content) == original.blob:
                result.status, result.actual, result.bytes = "cached", original.blob, len(content)
                return result
        except (OSError, EOFError, gzip.BadGzipFile):
            pass  # a damaged cache entry is simply fetched again
    try:
        try:
            content = _get(url, timeout, api=not original.raw_resolvable)
        except urllib.error.HTTPError as exc:
            if exc.code != 404 or not original.raw_resolvable:
                raise
            # the raw host does not have it (e.g. a commit only reachable by SHA): ask for the blob itself
            result.url = url = original.blob_url(api_url)
            content = _get(url, timeout, api=True)
    except urllib.error.HTTPError as exc:
        result.status, result.detail = "failed", f"HTTP {exc.code} for {url}"
        return result
    except (urllib.error.URLError, OSError) as exc:
        result.status, result.detail = "failed", f"download failed for {url}: {getattr(exc, 'reason', exc)}"
        return result
    result.actual, result.bytes = git_blob_sha1(content), len(content)
    if result.actual != original.blob:
        result.status = "refused"
        result.detail = (f"git blob hash mismatch for {original.repo}@{original.ref}:{original.path}: "
                         f"expected {original.blob}, got {result.actual} ({len(content)} bytes from {url}); "
                         "not placed in the cache")
        return result
    _write_atomically(target, gzip.compress(content, mtime=0) if _stored_gzipped(original) else content)
    return result


def _get(url: str, timeout: float, *, api: bool) -> bytes:
    headers = {"User-Agent": USER_AGENT}
    if api:
        # the raw media type returns the blob's bytes, not base64 inside JSON
        headers.update({"Accept": "application/vnd.github.raw+json", "X-GitHub-Api-Version": "2022-11-28"})
        token = os.environ.get("GITHUB_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
        return response.read()


def _write_atomically(target: Path, data: bytes) -> None:
    """Write beside the target, then rename: a crash never leaves a half file under the real name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
