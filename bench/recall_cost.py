"""What an unconfigured site's extraction costs against bare trafilatura, in CPU time per page, and the recall
pass's share of it; optionally side by side with another checkout of migdigest (main).

    .venv/bin/python -m bench.recall_cost RUN_DIR [N] [--wcxb K] [--against CHECKOUT]

RUN_DIR is a crawl's run directory of the scaled MPI mirror (e.g. night 1 of `night_two.py --workdir`); its first
N publication pages are read with the source's body selector removed. --wcxb K adds K WCXB dev pages (every
n-th of ../shared/benchmarks/wcxb-dev, read with no source configuration at all). Bare `trafilatura.extract`,
`extract_page`, and `extract_page` with the recall pass switched off are interleaved page by page (the load hits
all three alike); thread CPU time, second of two rounds; the recall passes tried and taken are counted.
--against runs this same script at the same time in a second process on CHECKOUT's code (its extract/ and
config/), so both rows meet the same load; each is a ratio to its own bare trafilatura.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WCXB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "wcxb-dev"

_Page = tuple[bytes, str, Any, dict[str, str]]  # html, url, source, hints


def _pages(run_dir: Path, n: int, wcxb: int) -> dict[str, list[_Page]]:
    from migdigest.config import load_config
    from spiders.rundir import read_body, read_pages

    source = load_config().source("mpi")
    plain = source.model_copy(update={"selectors": source.selectors.model_copy(update={"body": None})})
    mpi = [(read_body(run_dir, p), p.url, plain, p.hints) for p in read_pages(run_dir) if not p.hints.get("pdf_of")]
    corpora: dict[str, list[_Page]] = {"MPI mirror, no body selector": mpi[:n]}
    if wcxb:
        files = json.loads((WCXB / "metadata-dev.json").read_text(encoding="utf-8"))["files"]
        keys = sorted(files)[:: max(1, len(files) // wcxb)][:wcxb]
        corpora["WCXB dev, no source"] = [
            (gzip.decompress((WCXB / "dev" / "html" / f"{k}.html.gz").read_bytes()), files[k]["url"], None, {})
            for k in keys
        ]
    return corpora


def _measure(pages: list[_Page]) -> tuple[dict[str, list[float]], dict[str, int]]:
    import trafilatura

    import extract.body_tree as body_tree
    import extract.page as page

    calls = {"tried": 0, "taken": 0}
    default_pass, fuller_body = body_tree.trafilatura_body, body_tree.fuller_body

    def counted_pass(tree: Any, url: str, *, favor_recall: bool = False) -> str:
        calls["tried"] += favor_recall
        return default_pass(tree, url, favor_recall=favor_recall)

    def counted(tree: Any, prepared: Any, url: str, body: str) -> str | None:
        fuller = fuller_body(tree, prepared, url, body)
        calls["taken"] += fuller is not None
        return fuller

    def off(tree: Any, prepared: Any, url: str, body: str) -> str | None:
        return None

    body_tree.trafilatura_body = counted_pass  # what fuller_body calls for its recall pass
    runs: dict[str, Callable[[_Page], object]] = {
        "bare": lambda p: trafilatura.extract(p[0], url=p[1]),
        "extract_page": lambda p: page.extract_page(p[0], p[1], source=p[2], hints=p[3]),
        "recall off": lambda p: page.extract_page(p[0], p[1], source=p[2], hints=p[3]),
    }
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(2):
        calls.update(tried=0, taken=0)
        for p in pages:
            for name, run in runs.items():
                setattr(page, "fuller_body", off if name == "recall off" else counted)  # noqa: B010
                started = time.thread_time()
                run(p)
                if round_:
                    cpu[name].append(time.thread_time() - started)
    return cpu, calls


def main() -> None:
    """Time the extractors page by page and print CPU seconds, pages per CPU second and the ratio to bare."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("n", type=int, nargs="?", default=300)
    parser.add_argument("--wcxb", type=int, default=0)
    parser.add_argument("--against", type=Path, help="another checkout, measured at the same time")
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    other = None
    if args.against:
        command = [sys.executable, __file__, str(args.run_dir), str(args.n), "--wcxb", str(args.wcxb)]
        env = {**os.environ, "PYTHONPATH": str(args.against)}
        other = subprocess.Popen(
            [*command, "--label", str(args.against)], cwd=args.against, env=env, stdout=subprocess.PIPE, text=True
        )
    import extract.page

    lines = [f"{args.label}: extract/ of {Path(extract.page.__file__).parent.parent}"]
    for corpus, pages in _pages(args.run_dir, args.n, args.wcxb).items():
        cpu, calls = _measure(pages)
        total = {name: sum(times) for name, times in cpu.items()}
        lines.append(f"  {len(pages)} pages, {corpus}: CPU time interleaved page by page, second of two rounds")
        for name, times in cpu.items():
            lines.append(
                f"    {name:<13} {total[name]:7.2f} s CPU {len(times) / total[name]:6.1f} pages/CPU-s"
                f"  {total['bare'] / total[name]:.2f}x bare  (median {statistics.median(times) * 1000:.1f} ms)"
            )
        lines.append(f"    recall pass tried on {calls['tried']} pages, taken on {calls['taken']}")
    if other is not None:
        out, _ = other.communicate()
        print(out, end="")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
