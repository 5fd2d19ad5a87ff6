"""What extract/body_tree.py's recall pass costs on a site read without a body selector: CPU time per page.

    .venv/bin/python -m bench.recall_cost RUN_DIR [N]

RUN_DIR is a crawl's run directory (e.g. a night-1 run of the scaled MPI mirror kept by `night_two.py --workdir`).
Bare `trafilatura.extract`, `extract_page` with the source's body selector removed, and the same with the recall
pass switched off, interleaved page by page (the load hits all three alike), thread CPU time, second of two
rounds; the recall passes tried and taken are counted.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    """Time the three extractors page by page and print CPU seconds, pages per CPU second and the ratio to bare."""
    import trafilatura

    import extract.body_tree as body_tree
    import extract.page as page
    from migdigest.config import load_config
    from spiders.rundir import read_body, read_pages

    run_dir = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    source = load_config().source("mpi")
    plain = source.model_copy(update={"selectors": source.selectors.model_copy(update={"body": None})})
    bodies = [(p, read_body(run_dir, p)) for p in read_pages(run_dir) if not p.hints.get("pdf_of")][:n]
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
    cpu: dict[str, list[float]] = {"bare": [], "recall on": [], "recall off": []}
    for round_ in range(2):
        for p, b in bodies:
            for name, times in cpu.items():
                started = time.thread_time()
                if name == "bare":
                    trafilatura.extract(b, url=p.url)
                else:
                    setattr(page, "fuller_body", counted if name == "recall on" else off)  # noqa: B010
                    page.extract_page(b, p.url, source=plain, hints=p.hints)
                if round_:
                    times.append(time.thread_time() - started)
    total = {name: sum(times) for name, times in cpu.items()}
    print(f"{len(bodies)} pages (no body selector), CPU time interleaved page by page, second of two rounds")
    for name, times in cpu.items():
        print(
            f"  {name:<11} {total[name]:7.2f} s CPU  {len(times) / total[name]:6.1f} pages/CPU-s"
            f"  {total['bare'] / total[name]:.2f}x bare  (median {statistics.median(times) * 1000:.1f} ms)"
        )
    print(f"  recall pass tried on {calls['tried'] // 2} pages, taken on {calls['taken'] // 2} (per round)")


if __name__ == "__main__":
    main()
