"""One failing source does not stop the night: the others are stored, the failure is recorded with its step and
reason, the summary is printed, and the exit code says a source failed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from storage import Digest

REPO = Path(__file__).resolve().parents[1]
SOURCES = ["cgd", "ecre", "mpi"]  # the second one meets a full disk when it stores


@pytest.fixture(scope="module")
def mirrors() -> Iterator[dict[str, str]]:
    from mirrors.server import MirrorServer

    with ExitStack() as stack:
        yield {name: stack.enter_context(MirrorServer(name)).base_url for name in SOURCES}


def test_a_full_disk_while_storing_one_source_fails_that_source_only(
    prefect_harness: None, mirrors: dict[str, str], tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    db = tmp_path / "digest.db"
    Digest(db).close()
    # SQLite's own disk-full error, for the second source's rows only: the store of that source fails as on a
    # full disk, while the run records (and the other sources) can still be written.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER disk_full BEFORE INSERT ON documents WHEN NEW.source = 'ecre'"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    cmd = [sys.executable, "-m", "cli.app", "run", "--db", str(db)]
    for name, url in mirrors.items():
        cmd += ["-s", name, "--base-url", f"{name}={url}"]
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    progress, table = out.stdout.split("nightly run", 1)
    # Progress, source by source, as it went (plain lines: this output is not a terminal).
    for name in ("cgd", "mpi"):
        assert f"nightly: {name}: crawling: 0 pages kept" in progress
        assert f"nightly: {name}: extracted: " in progress
        assert f"nightly: {name}: stored: " in progress
    assert "nightly: ecre: failed: " in progress
    for name in SOURCES:
        assert f"│ {name}" in table, f"{name} missing from the summary:\n{table}"
    assert "ALERT ecre: failed: store failed: IntegrityError: database or disk is full" in " ".join(out.stdout.split())
    with Digest(db) as digest:
        stored = {name: len(digest.documents(name)) for name in SOURCES}
        runs = {r["source"]: r for r in digest.last_runs()}
    assert stored["ecre"] == 0
    assert stored["cgd"] > 0
    assert stored["mpi"] > 0, "the source after the failing one was not stored"
    assert runs["ecre"]["status"] == "failed"
    assert "database or disk is full" in runs["ecre"]["message"]
    assert runs["ecre"]["errors"] == {"store_error": 1}
    assert runs["cgd"]["status"] == runs["mpi"]["status"] == "ok"
