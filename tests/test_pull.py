"""`courtside data pull` against a real HTTP server on loopback serving the original bytes of real files."""

from __future__ import annotations

import base64
import functools
import gzip
import http.server
import json
import threading
from pathlib import Path

import pytest

from courtside.sources.pull import (
    PullError,
    build_manifest,
    git_blob_sha1,
    packaged_manifest,
    pull,
)

# Real staged files served by the fake origin (original = gunzipped staged bytes, or the zip as is).
GOOD = [
    "nbaapi_regular_season_donjuanpond/team_stats_adv_2020-21.csv.gz",   # plain path at the SOURCE.md HEAD
    "playoffs_nocturnebear/play_off_box_scores_2010_2024.csv.gz",        # "parent state" ref (56e30347^)
    "player_logs_subset_rodgers20/player_game_logs_checkpoint_2023-24_to_2025-26.csv.gz",  # short commit
    "pra_props_silvercrocus/events_2023-24.json.gz",
]
CORRUPT = "nbaapi_regular_season_donjuanpond/team_stats_base_2020-21.csv.gz"
# Pinned to a full commit, but the raw host answers 404 for it: only GitHub's blob endpoint has it.
BLOB_ONLY = "nbaapi_regular_season_donjuanpond/games_2020-21.csv.gz"
MISSING = "nbastats_meharpalbasi/standings_2021-22.csv.gz"  # in the manifest, not served: HTTP 404


class _Origin:
    """GitHub's raw host and blob endpoint on 127.0.0.1: `{repo}/{ref}/{path}` and
    `repos/{repo}/git/blobs/{sha}` under a temp folder; counts requests. Like GitHub, the blob endpoint
    returns the bytes only for the raw media type (else JSON with the content in base64)."""

    def __init__(self, root: Path):
        self.requests: list[str] = []
        origin = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:
                origin.requests.append(self.path)
                if self.path.startswith("/repos/") and "vnd.github.raw" not in self.headers.get("Accept", ""):
                    blob = root / self.path.lstrip("/")
                    if blob.is_file():
                        body = json.dumps({"encoding": "base64",
                                           "content": base64.b64encode(blob.read_bytes()).decode()}).encode()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                super().do_GET()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _original_bytes(staged: Path) -> bytes:
    return gzip.decompress(staged.read_bytes()) if staged.suffix == ".gz" else staged.read_bytes()


@pytest.fixture(scope="module")
def manifest():
    return packaged_manifest()


@pytest.fixture
def origin(tmp_path, data_dir, manifest):
    by_staged = {f"{o.folder}/{o.staged}": o for o in manifest.originals if o.staged}
    root = tmp_path / "origin"
    for name in GOOD + [CORRUPT, BLOB_ONLY]:
        o = by_staged[name]
        content = _original_bytes(data_dir / name)
        assert git_blob_sha1(content) == o.blob, f"staged {name} does not match its own provenance"
        if name == CORRUPT:
            content = content.replace(b",", b";", 1)  # one byte changed, same length
        # the raw host resolves full commits only; everything else lives behind the blob endpoint
        raw = o.raw_resolvable and name != BLOB_ONLY
        target = root / o.repo / o.ref / o.path if raw else root / "repos" / o.repo / "git" / "blobs" / o.blob
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    server = _Origin(root)
    yield server
    server.close()


def test_git_blob_sha1_is_gits_object_id():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
    assert git_blob_sha1(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git hash-object /dev/null


def test_packaged_manifest_matches_the_data_folder(data_dir, manifest):
    """The copy shipped in the package is exactly what PROVENANCE.json + SOURCE.md say (no drift)."""
    assert build_manifest(data_dir) == manifest


def test_manifest_covers_every_staged_file_honestly(data_dir, manifest):
    staged = {f"{p.parent.name}/{p.name}" for p in data_dir.glob("*/*") if p.name != "SOURCE.md"}
    verifiable = {f"{o.folder}/{o.staged}" for o in manifest.originals if o.kind == "staged"}
    derived = {f"{d.folder}/{d.file}": d for d in manifest.derived}
    assert verifiable | set(derived) == staged and not (verifiable & set(derived))
    # The SQLite exports point at the verified database blob; the concatenations at their verified parts.
    blobs = {o.blob for o in manifest.originals}
    for d in derived.values():
        assert d.made_from and set(d.made_from) <= blobs, d
    assert len(derived["betting_mylesthomas/props_player_threes_2024_25.csv.gz"].made_from) == 163
    assert {o.kind for o in manifest.originals} == {"staged", "part", "database"}
    assert all(len(o.blob) == 40 for o in manifest.originals)


def test_pull_places_verified_files_and_refuses_the_corrupt_one(tmp_path, data_dir, origin):
    cache = tmp_path / "cache"
    report = pull(cache, base_url=origin.base_url, api_url=origin.base_url, only=GOOD + [CORRUPT, MISSING])
    status = {f.name: f for f in report.files}
    assert set(status) == set(GOOD + [CORRUPT, MISSING])

    for name in GOOD:
        assert status[name].status == "verified", status[name]
        cached = cache / name
        assert _original_bytes(cached) == _original_bytes(data_dir / name)

    bad = status[CORRUPT]
    assert bad.status == "refused"
    assert not (cache / CORRUPT).exists()
    assert not list((cache / CORRUPT).parent.glob("*.part")), "no half-written temp file left behind"
    good_blob = next(o.blob for o in packaged_manifest().originals if o.staged and CORRUPT.endswith(o.staged))
    assert good_blob in bad.detail and bad.actual in bad.detail and bad.actual != good_blob
    assert "team_stats_base_2020-21.csv" in bad.detail

    assert status[MISSING].status == "failed" and "HTTP 404" in status[MISSING].detail
    assert not report.ok
    with pytest.raises(PullError, match="team_stats_base_2020-21"):
        report.raise_for_problems()


def test_short_refs_and_raw_404s_come_from_the_blob_endpoint(tmp_path, data_dir, origin, manifest):
    by_staged = {f"{o.folder}/{o.staged}": o for o in manifest.originals if o.staged}
    short = [n for n in GOOD if not by_staged[n].raw_resolvable]
    assert len(short) == 2, "the manifest pins `56e30347^` and `be62adf`: the raw host resolves neither"
    report = pull(tmp_path / "cache", base_url=origin.base_url, api_url=origin.base_url, only=GOOD + [BLOB_ONLY])
    status = {f.name: f for f in report.files}
    assert report.ok, report.problems
    for name in short + [BLOB_ONLY]:
        assert status[name].status == "verified"
        assert status[name].url.endswith(f"/repos/{by_staged[name].repo}/git/blobs/{by_staged[name].blob}")
        assert _original_bytes(tmp_path / "cache" / name) == _original_bytes(data_dir / name)
    raw_paths = [r for r in origin.requests if not r.startswith("/repos/")]
    assert len(raw_paths) == len(GOOD) - len(short) + 1, "short refs never try the raw host; the 404 does"


def test_second_pull_reuses_the_verified_cache(tmp_path, origin):
    cache = tmp_path / "cache"
    first = pull(cache, base_url=origin.base_url, api_url=origin.base_url, only=GOOD)
    assert first.ok and first.counts() == {"verified": len(GOOD)}
    served = len(origin.requests)
    second = pull(cache, base_url=origin.base_url, api_url=origin.base_url, only=GOOD)
    assert second.ok and second.counts() == {"cached": len(GOOD)}
    assert len(origin.requests) == served, "a verified cached file is not downloaded again"

    # A cached file damaged on disk is fetched again and repaired.
    damaged = cache / GOOD[0]
    damaged.write_bytes(gzip.compress(b"not the original"))
    third = pull(cache, base_url=origin.base_url, api_url=origin.base_url, only=GOOD)
    assert third.ok and {f.name: f.status for f in third.files}[GOOD[0]] == "verified"
    assert len(origin.requests) == served + 1


def test_derived_files_are_reported_unverifiable(tmp_path, origin):
    report = pull(tmp_path / "cache", base_url=origin.base_url,
                  only=["game_odds_kyleskom_sbr/odds_2020-21.csv.gz",
                        "betting_mylesthomas/props_player_threes_2025_26.csv.gz"])
    assert [f.status for f in report.files] == ["unverifiable", "unverifiable"]
    assert all(f.detail.startswith("unverifiable: derived file") for f in report.files)
    assert report.ok and origin.requests == []


def test_unreachable_origin_names_the_url(tmp_path):
    # A port nothing listens on (bound then closed): the error names the file's URL, nothing is cached.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = pull(tmp_path / "cache", base_url=f"http://127.0.0.1:{port}", only=[GOOD[0]], timeout=5)
    (only,) = report.problems
    assert only.status == "failed" and f"127.0.0.1:{port}" in only.detail
    assert not (tmp_path / "cache" / GOOD[0]).exists()


# -- the command ----------------------------------------------------------------------------------
def test_cli_pull_json_and_exit_code(tmp_path, origin):
    import json

    from typer.testing import CliRunner

    from courtside.cli.app import app

    runner = CliRunner()
    cache = tmp_path / "cache"
    ok = runner.invoke(app, ["data", "pull", "--cache", str(cache), "--base-url", origin.base_url, "--api-url", origin.base_url,
                             "--only", GOOD[0], "--only", GOOD[1], "--json"])
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["ok"] and payload["counts"] == {"verified": 2}
    assert {f["name"] for f in payload["files"]} == {GOOD[0], GOOD[1]}

    bad = runner.invoke(app, ["data", "pull", "--cache", str(cache), "--base-url", origin.base_url, "--api-url", origin.base_url,
                              "--only", CORRUPT])
    assert bad.exit_code == 1
    assert "team_stats_base_2020-21" in bad.output and "mismatch" in bad.output
    assert not (cache / CORRUPT).exists()
