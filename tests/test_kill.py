"""Kills: of the crawl mid-run (rerun, and every publication is there exactly once); of the nightly by SIGTERM,
SIGINT or SIGKILL (nothing it started is left running, and its run is closed as interrupted). The kill -9 at each
stage of a night is the fault matrix (tests/test_fault_matrix.py)."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import Digest
from tests.sessions import assert_nothing_left

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
    with Digest(db) as digest:
        (run,) = digest.last_runs()
    assert run["status"] == "failed"
    assert run["message"].startswith("crawl process killed by SIGKILL"), run["message"]
    _assert_complete_after_rerun(db, mpi_mirror, run_env)


def _own_server_env() -> dict[str, str]:
    """No API URL: the run starts Prefect's temporary server of its own, as `migdigest run` does for a user."""
    return {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_nightly_stops_its_crawls_and_prefects_server(
    sig: signal.Signals, mpi_mirror: str, tmp_path: Path
) -> None:
    db = tmp_path / "digest.db"
    with _start(db, mpi_mirror, _own_server_env()) as proc:
        _wait(lambda: _crawl_pids(proc) and _pages_fetched(db) >= 3, proc, timeout=300)
        proc.send_signal(sig)
        assert proc.wait(timeout=120) == 128 + sig
        assert_nothing_left(proc.pid)
    with Digest(db) as digest:
        (run,) = digest.last_runs()
    assert run["status"] == "interrupted"


def test_kill_9_of_the_nightly_leaves_no_orphans_and_the_ghost_run_is_closed(
    mpi_mirror: str, run_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "digest.db"
    with _start(db, mpi_mirror, _own_server_env()) as proc:
        _wait(lambda: _crawl_pids(proc) and _pages_fetched(db) >= 3, proc, timeout=300)
        proc.kill()
        proc.wait(timeout=30)
        assert_nothing_left(proc.pid)
    with Digest(db) as digest:
        (ghost,) = digest.last_runs()
    assert ghost["status"] == "running"
    assert (ghost["pid"], ghost["host"]) == (proc.pid, socket.gethostname())
    health = subprocess.run([sys.executable, "-m", "cli.app", "health", "--db", str(db)], cwd=REPO,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert f"WARN mpi: running since {ghost['started']} by pid {proc.pid} on {socket.gethostname()}" in health.stdout
    _assert_complete_after_rerun(db, mpi_mirror, run_env)
    with Digest(db) as digest:
        latest, killed = digest.last_runs()
    assert (latest["status"], killed["status"]) == ("ok", "interrupted")
    assert f"pid {proc.pid} on {socket.gethostname()}" in killed["message"]
