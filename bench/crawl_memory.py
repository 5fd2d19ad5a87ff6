"""Peak memory of a crawl of N pages against 10N pages: it must not grow with the crawl's size.

    .venv/bin/python bench/crawl_memory.py [--small 1000] [--large 10000]

Crawls the scaled MPI mirror (mirrors/scaled) at both sizes with the real crawler process and reads the peak
resident memory Scrapy's MemoryUsage extension records (memusage/max). Target: large <= 1.3x small.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Crawl both sizes and print peak RSS, pages and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    args = parser.parse_args()

    from mirrors.scaled import register
    from mirrors.server import MirrorServer
    from spiders.crawl import run_crawl

    peaks: dict[int, float] = {}
    print(f"{'publications':>14}{'responses':>12}{'seconds':>10}{'peak RSS MB':>14}")
    for n in (args.small, args.large):
        with tempfile.TemporaryDirectory(prefix="migdigest-mem-") as tmp, MirrorServer(register(n)) as server:
            started = time.perf_counter()
            outcome = run_crawl("mpi", Path(tmp) / "run", base_url=server.base_url)
            seconds = time.perf_counter() - started
        assert outcome.ok, outcome.stderr_tail
        peaks[n] = outcome.stats["memusage/max"] / 2**20
        print(f"{n:>14}{outcome.stats['downloader/response_count']:>12}{seconds:>10.1f}{peaks[n]:>14.1f}")
    ratio = peaks[args.large] / peaks[args.small]
    print(f"peak at {args.large} / peak at {args.small} = {ratio:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
