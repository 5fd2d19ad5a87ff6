"""Page kind on real pages: extract_page()'s page_type against a benchmark's labels, as a confusion table.

Run on demand (the data is not part of the repository):

    .venv/bin/python -m bench.page_kind /work/shared/benchmarks/wcxb-dev [--limit N] [--jobs 2]

The folder is laid out as WCXB's: `metadata-dev.json` (or `metadata-*.json`) maps page ids to a URL and a page
type; `dev/html/<id>.html.gz` holds the page. The page-kind model was fitted on all of WCXB's dev pages, so this
is the tuned result; `bench/page_kind_fit.py` gives the held-out one (sites split in folds). The two halves by a
hash of the page id (`half()`, which the first pass tuned on and held out) are still printed, then all pages.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import multiprocessing
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from trafilatura.utils import load_html

from extract.metadata import read_meta
from extract.page import extract_page
from extract.page_kind import page_kind
from migdigest.models import INDEX_KINDS, OTHER_KINDS

# How WCXB's labels map onto what the digest needs to know.
FAMILY: dict[str, str] = {
    "article": "article",
    **dict.fromkeys(INDEX_KINDS, "index"),
    **dict.fromkeys(OTHER_KINDS, "other"),
}


def half(page_id: str) -> str:
    """'a' (tuned on) or 'b' (held out), by a stable hash of the page's id."""
    return "a" if hashlib.sha1(page_id.encode()).digest()[0] % 2 == 0 else "b"


def _kind(job: tuple[str, str, str, str]) -> tuple[tuple[str, str, str, str], float]:
    """The page's row for table() and the milliseconds page_kind() took on it (parsing and extraction apart)."""
    page_id, url, truth, path = job
    got: str
    ms = math.nan
    try:
        html = gzip.decompress(Path(path).read_bytes())
        extracted = extract_page(html, url)
        got = extracted.page_type
        tree = load_html(html)
        if tree is not None:
            meta = read_meta(tree)
            start = time.perf_counter()
            page_kind(tree, meta, url, extracted.body)
            ms = (time.perf_counter() - start) * 1000
    except Exception as exc:  # a page the extractor cannot read is scored as a miss, with its reason
        got = f"error:{type(exc).__name__}"
    return (page_id, truth, got, half(page_id)), ms


def _jobs(root: Path, limit: int | None) -> list[tuple[str, str, str, str]]:
    meta_file = next(iter(sorted(root.glob("metadata-*.json"))), None)
    if meta_file is None:
        sys.exit(f"{root}: no metadata-*.json (a WCXB folder is expected)")
    files = json.loads(meta_file.read_text(encoding="utf-8"))["files"]
    html_dir = next((d for d in root.glob("*/html") if d.is_dir()), None)
    if html_dir is None:
        sys.exit(f"{root}: no */html folder of pages")
    jobs = [(pid, f["url"], f["page_type"], str(html_dir / f"{pid}.html.gz")) for pid, f in sorted(files.items())]
    jobs = [j for j in jobs if Path(j[3]).exists()]
    return jobs[:limit] if limit else jobs


def table(rows: list[tuple[str, str, str, str]], title: str) -> str:
    """A confusion table (labelled kind by found kind) and the share recognised, as markdown."""
    found_kinds = sorted({r[2] for r in rows}, key=lambda k: (FAMILY.get(k, "z"), k))
    truths = sorted({r[1] for r in rows}, key=lambda k: (FAMILY.get(k, "z"), k))
    counts = Counter((r[1], r[2]) for r in rows)
    lines = [f"**{title}, {len(rows)} pages**", ""]
    lines.append("| labelled \\ found | " + " | ".join(found_kinds) + " | n | same kind | same family |")
    lines.append("|---" * (len(found_kinds) + 4) + "|")
    for truth in truths:
        n = sum(counts[(truth, k)] for k in found_kinds)
        same = counts[(truth, truth)] / n
        family = sum(counts[(truth, k)] for k in found_kinds if FAMILY.get(k) == FAMILY.get(truth)) / n
        cells = " | ".join(str(counts[(truth, k)] or "") for k in found_kinds)
        lines.append(f"| {truth} | {cells} | {n} | {same:.3f} | {family:.3f} |")
    articles = [r for r in rows if r[1] == "article"]
    index = [r for r in rows if FAMILY.get(r[1]) == "index"]
    other = [r for r in rows if FAMILY.get(r[1]) == "other"]

    def share(group: list[tuple[str, str, str, str]], test: str) -> str:
        hits = sum(1 for r in group if FAMILY.get(r[2]) == test)
        return f"{hits / len(group):.3f} ({hits}/{len(group)})" if group else "n/a"

    lines += [
        "",
        f"- index pages (listing, collection) found as index: {share(index, 'index')}; "
        f"not stored (any kind but article): {_not_article(index)}",
        f"- articles taken for index pages: {share(articles, 'index')}; for other pages: {share(articles, 'other')}",
        f"- other pages (service, product, forum, documentation) not stored: {_not_article(other)}",
        "",
    ]
    return "\n".join(lines)


def _not_article(group: list[tuple[str, str, str, str]]) -> str:
    hits = sum(1 for r in group if r[2] != "article")
    return f"{hits / len(group):.3f} ({hits}/{len(group)})" if group else "n/a"


def main(argv: list[str] | None = None) -> None:
    """Run extract_page over every page of the folder and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    jobs = _jobs(args.folder, args.limit)
    with multiprocessing.get_context("forkserver").Pool(args.jobs) as pool:
        results = pool.map(_kind, jobs, chunksize=8)
    rows = [row for row, _ in results]
    times = sorted(ms for _, ms in results if not math.isnan(ms))
    code = hashlib.sha1(Path(__file__).with_name("..").joinpath("extract/page_kind.py").resolve().read_bytes())
    print(f"extract/page_kind.py {code.hexdigest()[:10]}; {args.folder}\n")
    if times:
        print(
            f"page_kind() per page (tree parsed): mean {statistics.fmean(times):.1f} ms, "
            f"median {statistics.median(times):.1f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.1f} ms\n"
        )
    print(table([r for r in rows if r[3] == "a"], "Half a"))
    print(table([r for r in rows if r[3] == "b"], "Half b"))
    print(table(rows, "All pages (the model was fitted on them)"))


if __name__ == "__main__":
    main()
