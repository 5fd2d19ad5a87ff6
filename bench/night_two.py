"""Night 1 against night 2 with nothing changed: wall time side by side, and what night 2 downloaded.

    .venv/bin/python -m bench.night_two [--n 2000] [--sources mpi ...] [--repeat 3]

With --n, the MPI source is crawled from the scaled mirror of N publications (mirrors/scaled); without it, from
the bundled mirrors of every configured source.

Each repeat builds a fresh digest: night 1 crawls the bundled mirrors from scratch, night 2 runs again over the
unchanged mirrors. Prefect's ephemeral server is started once before timing, so both nights pay the same
orchestration costs. Prints median (min-max) seconds and the ratio; the target is night 2 <= 10% of night 1 with
zero publication pages downloaded in full.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import flows  # noqa: F401  (Prefect offline settings before Prefect is imported)
from migdigest.config import load_config
from mirrors.server import MirrorServer


def _downloads(runs: Path, night: int) -> tuple[int, int]:
    """Publication pages downloaded in full and responses of all kinds, over every source of one night."""
    full = responses = 0
    for source_dir in runs.iterdir():
        run_dir = sorted(source_dir.iterdir())[night]
        lines = (run_dir / "pages.jsonl").read_text(encoding="utf-8").splitlines()
        full += sum(1 for line in lines if "pdf_of" not in json.loads(line)["hints"])
        stats = json.loads((run_dir / "stats.json").read_text(encoding="utf-8"))
        responses += int(stats.get("downloader/response_count", 0))
    return full, responses


def _warm_up() -> None:
    """A flow that does nothing, run once so Prefect's server is up before the clock starts."""


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", nargs="*", help="default: every source with a bundled mirror")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, help="crawl a scaled MPI mirror of N publications")
    args = parser.parse_args()

    from prefect import flow

    from flows.nightly import nightly

    config = load_config()
    names = args.sources or [n for n, s in config.sources.items() if s.mirror]
    mirror_of = {n: config.source(n).mirror or n for n in names}
    if args.n:
        from mirrors.scaled import register

        names, mirror_of = ["mpi"], {"mpi": register(args.n)}
    flow(name="warm-up")(_warm_up)()  # start Prefect's ephemeral server outside the timings
    servers = {n: MirrorServer(mirror_of[n]).start() for n in names}
    base_urls = {n: s.base_url for n, s in servers.items()}
    nights: list[tuple[float, float]] = []
    downloads: list[tuple[int, int, int, int]] = []
    try:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="migdigest-bench-") as tmp:
                db = Path(tmp) / "digest.db"
                timings = []
                for _night in range(2):
                    started = time.perf_counter()
                    nightly(sources=names, db_path=db, base_urls=base_urls)
                    timings.append(time.perf_counter() - started)
                nights.append((timings[0], timings[1]))
                downloads.append((*_downloads(Path(tmp) / "runs", 0), *_downloads(Path(tmp) / "runs", 1)))
    finally:
        for server in servers.values():
            server.stop()

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):7.2f} s ({min(values):.2f}-{max(values):.2f})"

    one, two = [n[0] for n in nights], [n[1] for n in nights]
    ratio = statistics.median(two) / statistics.median(one)
    print(f"sources: {', '.join(f'{n} ({mirror_of[n]})' for n in names)}; {args.repeat} repeats; fresh digest each")
    print(f"{'':28}{'night 1':>28}{'night 2':>28}")
    print(f"{'wall time, median (min-max)':28}{cell(one):>28}{cell(two):>28}")
    d = downloads[-1]
    print(f"{'publication pages in full':28}{d[0]:>28}{d[2]:>28}")
    print(f"{'HTTP responses (all kinds)':28}{d[1]:>28}{d[3]:>28}")
    print(f"night 2 / night 1 = {ratio:.1%} (target <= 10%, and 0 pages in full on night 2)")


if __name__ == "__main__":
    main()
