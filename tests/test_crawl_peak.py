"""The crawl reports its own peak memory (spiders.crawl.PEAK_RSS_STAT), not its parent's copied at fork."""

from __future__ import annotations

import resource
from pathlib import Path

from migdigest.config import load_config
from spiders.crawl import PEAK_RSS_STAT, run_crawl


def test_the_crawls_peak_memory_is_its_own(mpi_mirror: str, tmp_path: Path) -> None:
    # This process grows by 256 MiB before the crawl starts: getrusage of the child counts it (fork copies it before
    # exec), the crawl's own VmHWM does not.
    ballast = bytearray(256 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))
    outcome = run_crawl(load_config().source("mpi"), tmp_path / "run", base_url=mpi_mirror)
    assert outcome.ok, outcome.describe()
    own_kb = outcome.stats[PEAK_RSS_STAT]
    forked_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert 20 * 1024 < own_kb < 200 * 1024, own_kb
    assert forked_kb > 256 * 1024 > own_kb
    del ballast
