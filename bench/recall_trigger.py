"""The recall pass's trigger on WCXB articles: the page's words alone, or also the container the body fills.

    PYTHONPATH=. .venv/bin/python bench/recall_trigger.py OUT.jsonl

"old" switches `_fills_a_container` off (every body under 80% of the page's words is tried); "new" is the code.
Prints body word F1, pages where the second pass was tried and taken, and the CPU seconds of extract_page, over
every WCXB dev article; OUT.jsonl keeps each page's numbers. Two processes.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lxml.html import HtmlElement

ROOT = Path("../shared/benchmarks/wcxb-dev")


def _patch(mode: str, log: list[tuple[bool, bool]]) -> None:
    """Set this process's trigger for `mode` and log (tried, taken) of each second pass into `log`."""
    import extract.body_tree as bt
    import extract.page as pg

    # A worker process runs pages of both modes: the real functions are kept once and chosen per page.
    real_fills = bt.__dict__.setdefault("_real_fills", bt._fills_a_container)
    real_pass = bt.__dict__.setdefault("_real_pass", bt.trafilatura_body)
    real_fuller = bt.__dict__.setdefault("_real_fuller", bt.fuller_body)

    def never(tree: HtmlElement, body: str) -> bool:
        return False

    def counting(tree: HtmlElement, url: str, *, favor_recall: bool = False) -> str:
        if favor_recall:
            log.append((True, False))
        return str(real_pass(tree, url, favor_recall=favor_recall))

    def fuller(tree: HtmlElement, prepared: HtmlElement, url: str, body: str) -> str | None:
        out: str | None = real_fuller(tree, prepared, url, body)
        if out is not None:
            log.append((True, True))
        return out

    bt._fills_a_container = never if mode == "old" else real_fills
    bt.trafilatura_body = counting
    setattr(pg, "fuller_body", fuller)  # noqa: B010 (page.py imports the name; the module's copy is the one called)


def run(args: tuple[str, str, str, str]) -> dict[str, Any]:
    """One page in one mode: body F1, CPU seconds, whether the second pass was tried and taken."""
    key, path, url, mode = args
    from bench.scoring import word_f1
    from extract.page import extract_page

    log: list[tuple[bool, bool]] = []
    _patch(mode, log)
    html = gzip.decompress(Path(path).read_bytes())
    t = time.process_time()
    ex = extract_page(html, url)
    cpu = time.process_time() - t
    truth = json.loads((ROOT / "dev" / "ground-truth" / f"{key}.json").read_text())["ground_truth"]
    f1 = word_f1(truth.get("main_content") or "", ex.body)[2] if truth.get("main_content") else None
    return {
        "key": key,
        "mode": mode,
        "f1": f1,
        "cpu": cpu,
        "tried": any(a for a, _ in log),
        "taken": any(b for _, b in log),
        "kind": ex.page_type,
    }


def main() -> None:
    """Every WCXB article in both modes, two processes; a summary line per mode."""
    files = json.loads((ROOT / "metadata-dev.json").read_text())["files"]
    tasks = []
    for key in sorted(files):
        data = json.loads((ROOT / "dev" / "ground-truth" / f"{key}.json").read_text())
        if data["_internal"]["page_type"]["primary"] != "article":
            continue
        url = data.get("url") or files[key].get("url", "")
        for mode in ("old", "new"):
            tasks.append((key, str(ROOT / "dev" / "html" / f"{key}.html.gz"), url, mode))
    with ProcessPoolExecutor(2) as pool:
        rows = list(pool.map(run, tasks, chunksize=4))
    Path(sys.argv[1]).write_text("\n".join(json.dumps(r) for r in rows))
    for mode in ("old", "new"):
        rs = [r for r in rows if r["mode"] == mode]
        scored = [r["f1"] for r in rs if r["f1"] is not None]
        print(
            mode,
            "pages",
            len(rs),
            "body f1",
            round(sum(scored) / len(scored), 4),
            "tried",
            sum(r["tried"] for r in rs),
            "taken",
            sum(r["taken"] for r in rs),
            "cpu",
            round(sum(r["cpu"] for r in rs), 1),
        )


if __name__ == "__main__":
    main()
