"""Kill -9 mid-run (the crawl, and separately the store step): rerun, and every publication is there exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import Digest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_env(prefect_harness: None) -> dict[str, str]:
    """Child processes talk to the session's Prefect server instead of starting their own."""
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


def _start(db: Path, mirror: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "cli.app", "run", "-s", "mpi", "--base-url", f"mpi={mirror}", "--db", str(db)]
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip


def _crawl_pids(run: subprocess.Popen[bytes]) -> list[int]:
    """The crawl processes of `run` only: members of the session it leads (started with start_new_session)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # Fields after the command name (in parentheses): state, ppid, pgrp, session.
                session = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[3])
                if session == run.pid and b"spiders.crawl" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _pages_fetched(db: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in (db.parent / "runs").glob("mpi/*/pages.jsonl"))


def _wait(predicate: object, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert proc.poll() is None, (
            f"the run ended before the kill: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
        assert time.monotonic() < deadline, "timed out waiting for the moment to kill"
        time.sleep(0.01)


def _assert_complete_after_rerun(db: Path, mirror: str, env: dict[str, str]) -> None:
    from mirrors import SITES

    with _start(db, mirror, env) as rerun:
        assert rerun.wait(timeout=300) == 0, rerun.stderr.read() if rerun.stderr else ""
    with Digest(db) as digest:
        docs = digest.documents("mpi")
        assert digest.integrity_check() == []
    assert len(docs) == len({d["canonical_url"] for d in docs}) == len(SITES["mpi"].publications())
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_kill_the_crawl_mid_run(mpi_mirror: str, run_env: dict[str, str], tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    after = random.Random(seed).randint(3, 40)
    db = tmp_path / "digest.db"
    with _start(db, mpi_mirror, run_env) as proc:
        _wait(lambda: _crawl_pids(proc) and _pages_fetched(db) >= after, proc)
        for pid in _crawl_pids(proc):
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=120)  # the flow records the crawl as failed and stores what it had
    with Digest(db) as digest:
        stored = len(digest.documents("mpi"))
        assert digest.integrity_check() == []
    assert stored < 47, f"seed {seed}: killed after {after} pages, yet everything was stored"
    _assert_complete_after_rerun(db, mpi_mirror, run_env)


def test_kill_the_store_step(mpi_mirror: str, run_env: dict[str, str], tmp_path: Path) -> None:
    db = tmp_path / "digest.db"

    def storing() -> bool:
        if not db.exists():
            return False
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as conn:
                return bool(conn.execute("SELECT 1 FROM crawl_runs WHERE status = 'running'").fetchone())
        except sqlite3.Error:
            return False

    with _start(db, mpi_mirror, run_env) as proc:
        _wait(storing, proc)
        time.sleep(random.uniform(0, 0.05))
        os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group: it leads the session it started
        proc.wait(timeout=30)
    with Digest(db) as digest:  # opening also recovers the WAL left by the killed writer
        assert digest.integrity_check() == []
    _assert_complete_after_rerun(db, mpi_mirror, run_env)
