"""Peak memory of a crawl of N pages against 10N pages: it must not grow with the crawl's size.

    .venv/bin/python -m bench.crawl_memory [--small 1000] [--large 10000]

Crawls the scaled MPI mirror (mirrors/scaled) at both sizes with the real crawler process and reads that process's
peak resident memory from the kernel (getrusage of the waited-for child: Scrapy's own memusage/max samples only
once a minute, so a short crawl would report its start-up size). Target: large <= 1.3x small.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path


def main() -> None:
    """Crawl both sizes and print peak RSS, pages and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    args = parser.parse_args()

    from migdigest.config import load_config
    from mirrors.scaled import register
    from mirrors.server import MirrorServer
    from spiders.crawl import run_crawl

    source = load_config().source("mpi")

    peaks: dict[int, float] = {}
    print(f"{'publications':>14}{'responses':>12}{'seconds':>10}{'peak RSS MB':>14}")
    # RUSAGE_CHILDREN keeps the maximum over all children so far, so the small crawl must come first.
    for n in (args.small, args.large):
        with tempfile.TemporaryDirectory(prefix="migdigest-mem-") as tmp, MirrorServer(register(n)) as server:
            run_dir = Path(tmp) / "run"
            # The crawl runs as `python -m spiders.crawl`, a child of this process: its peak RSS is its own.
            outcome = run_crawl(source, run_dir, base_url=server.base_url)
            assert outcome.ok, outcome.stderr_tail
            seconds, stats = outcome.seconds, outcome.stats
        peaks[n] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        print(f"{n:>14}{stats['downloader/response_count']:>12}{seconds:>10.1f}{peaks[n]:>14.1f}")
    ratio = peaks[args.large] / peaks[args.small]
    print(f"peak at {args.large} / peak at {args.small} = {ratio:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
