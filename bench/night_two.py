"""A quiet night (nothing changed) at two site sizes side by side, against night 1 of each.

    .venv/bin/python -m bench.night_two [--sizes 2000 10000] [--repeat 3] [--workdir DIR]
    .venv/bin/python -m bench.night_two --bundled [--sources mpi ...] [--repeat 3]

Each size is the MPI source crawled from the scaled mirror of N publications (mirrors/scaled). Night 1 builds a
fresh digest per size (timed once); then quiet nights run over the unchanged mirrors, alternating between the
sizes (2,000, 10,000, 2,000, 10,000, ...) so both see the same load. A quiet night leaves the digest as it found
it (only last-seen times move), so repeats are nights 2, 3, 4 of one digest. `--workdir` keeps each size's
digest after night 1 and reuses it next time (night 1 is then read from its record there, not re-run).

The nights run on Prefect's temporary server, as `migdigest run` runs them (`flows.server.temporary_server`).

Targets (issue 20): quiet night at the large size <= 1.2x the small size, and <= 2% of night 1; no publication
page downloaded in full on a quiet night. `--bundled` runs the older form: night 1 and night 2 over the bundled
mirrors of every configured source (a fresh digest each repeat).
"""

from __future__ import annotations

import argparse
import json
import os
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


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _sizes(args: argparse.Namespace) -> None:
    """Night 1 once per size, then quiet nights alternating between the sizes."""
    from flows.nightly import nightly
    from mirrors.scaled import register

    tmp = None if args.workdir else tempfile.TemporaryDirectory(prefix="migdigest-bench-")
    work = Path(args.workdir or tmp.name)  # type: ignore[union-attr]
    names = {n: register(n) for n in args.sizes}
    servers = {n: MirrorServer(names[n]).start() for n in args.sizes}
    night_one: dict[int, float] = {}
    quiet: dict[int, list[float]] = {n: [] for n in args.sizes}
    loads = [_load()]
    try:
        for n in args.sizes:
            home = work / f"n{n}"
            record = home / "night1.json"
            if record.exists():
                night_one[n] = json.loads(record.read_text())["seconds"]
                continue
            home.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            nightly(sources=["mpi"], db_path=home / "digest.db", base_urls={"mpi": servers[n].base_url})
            night_one[n] = time.perf_counter() - started
            record.write_text(json.dumps({"seconds": night_one[n], "load": _load()}))
            print(f"night 1 at {n}: {night_one[n]:.1f} s (load {_load()})", flush=True)
        for _ in range(args.repeat):
            for n in args.sizes:
                started = time.perf_counter()
                db = work / f"n{n}" / "digest.db"
                rows = nightly(sources=["mpi"], db_path=db, base_urls={"mpi": servers[n].base_url})
                quiet[n].append(time.perf_counter() - started)
                assert not any(r["new"] or r["changed"] or r["gone"] for r in rows), rows
            loads.append(_load())
        downloads = {n: _downloads(work / f"n{n}" / "runs", -1) for n in args.sizes}
        unchanged = {n: rows_unchanged(work / f"n{n}" / "digest.db") for n in args.sizes}
    finally:
        for server in servers.values():
            server.stop()
        if tmp is not None:
            tmp.cleanup()

    small, large = min(args.sizes), max(args.sizes)
    print(f"scaled MPI mirror; quiet nights alternating between sizes, {args.repeat} each")
    print(f"load average (1, 5, 15 min) before night 1 and after each round: {' / '.join(loads)}")
    print(f"{'publications':>14}{'night 1':>12}{'quiet night, median (min-max)':>34}{'quiet / night 1':>18}"
          f"{'pages in full':>15}{'responses':>11}{'confirmed':>11}")  # fmt: skip
    for n in args.sizes:
        share = statistics.median(quiet[n]) / night_one[n]
        print(f"{n:>14}{night_one[n]:>10.1f} s{_cell(quiet[n]):>34}{share:>18.1%}{downloads[n][0]:>15}"
              f"{downloads[n][1]:>11}{unchanged[n]:>11}")  # fmt: skip
    per_pair = [b / a for a, b in zip(quiet[small], quiet[large], strict=True)]
    ratio = statistics.median(quiet[large]) / statistics.median(quiet[small])
    print(f"quiet night at {large} / at {small} = {ratio:.2f}x (pairs: {', '.join(f'{r:.2f}' for r in per_pair)};"
          f" target <= 1.2x)")  # fmt: skip
    print(f"quiet night / night 1 at {large} = {statistics.median(quiet[large]) / night_one[large]:.1%} (target <= 2%)")


def rows_unchanged(db_path: Path) -> int:
    """How many publications the last run of the digest confirmed unchanged."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT unchanged FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return int(row[0]) if row else 0


def _bundled(args: argparse.Namespace) -> None:
    """Night 1 and night 2 over the bundled mirrors, a fresh digest each repeat."""
    from flows.nightly import nightly

    config = load_config()
    names = args.sources or [n for n, s in config.sources.items() if s.mirror]
    mirror_of = {n: config.source(n).mirror or n for n in names}
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
    one, two = [n[0] for n in nights], [n[1] for n in nights]
    print(f"sources: {', '.join(f'{n} ({mirror_of[n]})' for n in names)}; {args.repeat} repeats; fresh digest each")
    print(f"{'':28}{'night 1':>28}{'night 2':>28}")
    print(f"{'wall time, median (min-max)':28}{_cell(one):>28}{_cell(two):>28}")
    d = downloads[-1]
    print(f"{'publication pages in full':28}{d[0]:>28}{d[2]:>28}")
    print(f"{'HTTP responses (all kinds)':28}{d[1]:>28}{d[3]:>28}")
    print(f"night 2 / night 1 = {statistics.median(two) / statistics.median(one):.1%} (0 pages in full on night 2)")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[2000, 10000], help="scaled mirror sizes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep night 1's digests here and reuse them")
    parser.add_argument("--bundled", action="store_true", help="the bundled mirrors instead of the scaled one")
    parser.add_argument("--sources", nargs="*", help="with --bundled: default every source with a bundled mirror")
    args = parser.parse_args()

    from prefect import flow

    from flows.server import temporary_server

    # Prefect's temporary server as `migdigest run` starts it (cli/nightly.py: flow runs there send no heartbeats,
    # whose thread Prefect joins for 0-1 s after each run), up before the clock starts.
    with temporary_server():
        flow(name="warm-up")(_warm_up)()
        _bundled(args) if args.bundled else _sizes(args)


if __name__ == "__main__":
    main()
