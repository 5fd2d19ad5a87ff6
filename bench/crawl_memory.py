"""Peak memory of a crawl of N pages against 10N pages: it must not grow with the crawl's size.

    .venv/bin/python -m bench.crawl_memory [--small 1000] [--large 10000]

Crawls the scaled MPI mirror (mirrors/scaled) at both sizes with the real crawler process and reads that process's
peak resident memory from the kernel: its VmHWM, which the crawl writes into stats.json (spiders.crawl.PEAK_RSS_STAT).
Not Scrapy's memusage/max (sampled once a minute), and not getrusage of the waited-for child, printed beside it for
comparison: that maximum includes this process's memory copied at fork before the crawl's exec, and this process
holds the mirror's site (bench/README.md, issue 20). Target (issue 20): large <= 1.1x small.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    """Crawl both sizes and print peak RSS, pages and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--nightly", type=int, help="instead: a whole night 1 of N publications, peak per process")
    args = parser.parse_args()
    if args.nightly:
        nightly_peak(args.nightly)
        return

    from migdigest.config import load_config
    from mirrors.scaled import register
    from mirrors.server import MirrorServer
    from spiders.crawl import run_crawl

    source = load_config().source("mpi")

    from spiders.crawl import PEAK_RSS_STAT

    peaks: dict[int, float] = {}
    print(f"{'publications':>14}{'responses':>12}{'seconds':>10}{'peak RSS MB':>14}{'getrusage MB':>14}")
    for n in (args.small, args.large):
        with tempfile.TemporaryDirectory(prefix="migdigest-mem-") as tmp, MirrorServer(register(n)) as server:
            run_dir = Path(tmp) / "run"
            # The crawl runs as `python -m spiders.crawl`, a child of this process: its peak RSS is its own.
            outcome = run_crawl(source, run_dir, base_url=server.base_url)
            assert outcome.ok, outcome.stderr_tail
            seconds, stats = outcome.seconds, outcome.stats
        peaks[n] = stats[PEAK_RSS_STAT] / 1024  # KiB
        forked = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux; max so far
        print(f"{n:>14}{stats['downloader/response_count']:>12}{seconds:>10.1f}{peaks[n]:>14.1f}{forked:>14.1f}")
    ratio = peaks[args.large] / peaks[args.small]
    print(f"peak at {args.large} / peak at {args.small} = {ratio:.2f}x (target <= 1.1x, issue 20)")


def nightly_peak(n: int) -> None:
    """Night 1 of the scaled mirror of `n` publications: peak RSS of the flow's process and of its largest child."""
    import flows  # noqa: F401  (Prefect offline settings before Prefect is imported)
    from flows.nightly import nightly

    # The mirror runs in a process of its own, so that the flow's peak is the flow's.
    spawn = multiprocessing.get_context("spawn")
    ready: Any = spawn.Queue()
    server = spawn.Process(target=_serve, args=(n, ready), daemon=True)
    server.start()
    base_url = ready.get(timeout=600)
    with tempfile.TemporaryDirectory(prefix="migdigest-mem-") as tmp:
        started = time.perf_counter()
        rows = nightly(sources=["mpi"], db_path=Path(tmp) / "digest.db", base_urls={"mpi": base_url})
        seconds = time.perf_counter() - started
    server.terminate()
    flow_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"night 1 of {n} publications in {seconds:.0f} s, {rows[0]['new']} stored: peak RSS of the flow's process "
        f"{flow_mb:.0f} MB (Prefect, the store, the digest); of its largest child {child_mb:.0f} MB (the crawl, an "
        "extraction worker, a PDF reader or Prefect's server, whichever was largest)"
    )


def _serve(n: int, ready: Any) -> None:
    from mirrors import SITES
    from mirrors.scaled import register
    from mirrors.server import MirrorServer

    name = register(n)
    with MirrorServer(name) as server:
        SITES[name].rendering(server.base_url)
        ready.put(server.base_url)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
