"""One night at a time per source of a digest: the second says who holds it and exits 75, or waits with --wait;
nights of other sources (the fan-out) go on beside it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import Digest
from storage.lock import LockHeld, digest_lock, lock_path, read_holder

REPO = Path(__file__).resolve().parents[1]
_TAKE = "import sys, time; from storage.lock import digest_lock\nwith digest_lock(sys.argv[1], ['ecre']):\n"
_HOLD = _TAKE + " print('held', flush=True); time.sleep(600)"


def test_a_second_holder_is_told_who_holds_it(tmp_path: Path) -> None:
    db = tmp_path / "digest.db"
    with digest_lock(db, ["ecre"]):
        holder = read_holder(lock_path(db, "ecre"))
        assert holder is not None
        assert (holder.pid, holder.host) == (os.getpid(), socket.gethostname())
        with digest_lock(db, ["ecre", "mpi"]):  # the same process again (the CLI, then its flow): no deadlock
            pass
        proc = subprocess.run(
            [sys.executable, "-c", _TAKE + " pass", str(db)], cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode != 0
        assert f"crawling ecre into this digest: pid {os.getpid()} on {socket.gethostname()}" in proc.stderr
    with digest_lock(db, ["ecre"]):  # released
        pass


def test_the_lock_of_a_killed_holder_is_free(tmp_path: Path) -> None:
    db = tmp_path / "digest.db"
    with subprocess.Popen([sys.executable, "-c", _HOLD, str(db)], cwd=REPO, stdout=subprocess.PIPE) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"), digest_lock(db, ["cgd", "ecre"]):
            pass
        with digest_lock(db, ["mpi"]):  # another source of the same digest: free
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with digest_lock(db, ["ecre"]):  # the kernel dropped it with its holder: nothing stale to clean
        pass


def test_a_second_nightly_exits_75_and_says_who_runs(tmp_path: Path) -> None:
    db = tmp_path / "digest.db"
    with digest_lock(db, ["ecre"]):
        out = subprocess.run(
            [sys.executable, "-m", "cli.app", "run", "-s", "ecre", "--db", str(db)],
            cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert out.returncode == 75, out.stderr
    message = " ".join(out.stderr.split())
    assert (
        f"another nightly is crawling ecre into this digest: pid {os.getpid()} on {socket.gethostname()} since"
        in message
    )
    assert "--wait" in message
    assert not (tmp_path / "runs").exists(), "the second night crawled anyway"


def test_with_wait_the_second_nightly_waits_then_runs(prefect_harness: None, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    from mirrors.server import MirrorServer

    db = tmp_path / "digest.db"
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    with MirrorServer("ecre") as mirror:
        cmd = [sys.executable, "-m", "cli.app", "run", "-s", "ecre", "--base-url", f"ecre={mirror.base_url}",
               "--db", str(db), "--wait"]  # fmt: skip
        with digest_lock(db, ["ecre"]):
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert proc.stderr is not None
            assert "waiting: another nightly is crawling ecre into this digest" in proc.stderr.readline()
            time.sleep(1)
            assert proc.poll() is None
            assert not (tmp_path / "runs").exists(), "it crawled while the other night held the lock"
        _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    with Digest(db) as digest:
        assert digest.documents("ecre")
