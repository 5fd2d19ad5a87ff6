"""Crawl processes started ahead (spiders.crawl.prestart_crawls): one crawl each, as a new process crawls, logged in
its run directory, and ended with their parent or when no crawl takes them."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from migdigest.config import load_config
from spiders import crawl
from spiders.crawl import prestart_crawls, release_spares, run_crawl
from spiders.rundir import read_pages
from tests.sessions import assert_nothing_left, session_members

REPO = Path(__file__).resolve().parents[1]


def test_a_crawl_started_ahead_runs_one_crawl_as_a_new_process_does(mpi_mirror: str, tmp_path: Path) -> None:
    source = load_config().source("mpi")
    new = run_crawl(source, tmp_path / "new", base_url=mpi_mirror)
    (ahead,) = prestart_crawls(1)
    assert prestart_crawls(1) == []  # one waits already
    taken = run_crawl(source, tmp_path / "ahead", base_url=mpi_mirror)
    assert ahead.poll() == 0  # it ran this crawl and ended: one process per crawl
    assert new.ok, new.describe()
    assert taken.ok, taken.describe()
    assert taken.stats["downloader/response_count"] == new.stats["downloader/response_count"] > 40
    assert {p.url for p in read_pages(tmp_path / "ahead")} == {p.url for p in read_pages(tmp_path / "new")}
    release_spares([ahead])  # taken: nothing to end
    assert ahead not in crawl._live


def test_its_log_is_the_runs_crawl_log(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on: every request fails, and says so
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    source = load_config().source("mpi")
    prestart_crawls(1)
    outcome = run_crawl(source, tmp_path / "run", base_url=closed)
    assert outcome.stats.get("downloader/response_count", 0) == 0
    assert "Connection refused" in (tmp_path / "run" / "crawl.log").read_text(), outcome.stderr_tail
    assert "Connection refused" in outcome.stderr_tail


def test_what_it_wrote_before_its_crawl_came_is_in_the_log(tmp_path: Path) -> None:
    script = (
        "import os, sys\nfrom pathlib import Path\nfrom spiders.crawl import _stderr_to\n"
        "os.write(2, b'while waiting\\n')\n_stderr_to(Path(sys.argv[1]))\nos.write(2, b'crawling\\n')\n"
    )
    log = tmp_path / "crawl.log"
    with tempfile.TemporaryFile() as early:
        subprocess.run([sys.executable, "-c", script, str(log)], stderr=early, cwd=REPO, check=True)
    assert log.read_text() == "while waiting\ncrawling\n"


def test_unused_ones_end_when_released_and_with_their_parent() -> None:
    procs = prestart_crawls(2)
    assert len(procs) == 2
    release_spares(procs)
    assert [proc.returncode for proc in procs] == [0, 0]
    assert not set(procs) & crawl._live
    # A parent killed while its crawl process waits (or imports): the crawl process ends too.
    with subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom spiders.crawl import prestart_crawls\n"
         "print(prestart_crawls(1)[0].pid, flush=True)\ntime.sleep(600)\n"],
        cwd=REPO, stdout=subprocess.PIPE, text=True, start_new_session=True,
    ) as parent:  # fmt: skip
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert any(line.startswith(f"{pid}:") for line in session_members(parent.pid))
        time.sleep(0.2)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    assert_nothing_left(parent.pid)


@pytest.mark.slow
def test_a_night_that_fails_before_crawling_leaves_no_crawl_process(prefect_harness: None, tmp_path: Path) -> None:
    from flows.nightly import nightly
    from migdigest.yamlconf import ConfigError

    config = tmp_path / "config"
    config.mkdir()
    (config / "sources.yaml").write_text((REPO / "config" / "sources.d" / "mpi.yaml").read_text(), encoding="utf-8")
    (config / "taxonomy.yaml").write_text("topics: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        nightly(sources=["mpi"], db_path=tmp_path / "digest.db", config_dir=config)
    assert crawl._spares == []
    assert not [proc for proc in crawl._live if proc.poll() is None]
    assert not (tmp_path / "runs").exists()
