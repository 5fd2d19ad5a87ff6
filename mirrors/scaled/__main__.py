"""Serve a scaled MPI mirror in the foreground: `python -m mirrors.scaled --n 2000 [--seed S] [--port P]`."""

from __future__ import annotations

import argparse
import resource
import time

from mirrors import SITES
from mirrors.scaled import register
from mirrors.server import MirrorServer


def main(argv: list[str] | None = None) -> None:
    """Index the site for its base URL, print that URL once ready, then serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m mirrors.scaled", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="number of publications (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--edition", type=int, default=1, choices=(1, 2), help="2: the night after, unchanged")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--quiet", action="store_true", help="print the base URL only")
    args = parser.parse_args(argv)
    try:
        name = register(args.n, args.seed, args.edition)
    except ValueError as exc:
        parser.error(str(exc))
    site = SITES[name]
    server = MirrorServer(name, host=args.host, port=args.port)

    def ready(url: str) -> None:
        started = time.perf_counter()
        site.rendering(url)  # index now, so that the first request is not the slow one
        if not args.quiet:
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{name}: {args.n} publications indexed in {time.perf_counter() - started:.1f} s, {rss:.0f} MB")
        print(url, flush=True)

    server.serve_forever(announce=ready)


if __name__ == "__main__":
    main()
