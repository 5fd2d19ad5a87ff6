"""Copy the quality gate's fixed sample of real pages from the shared benchmarks into tests/quality/.

Run once by hand when the sample is to change (the gate itself never reads ../shared/):

    .venv/bin/python -m bench.quality_sample [--wcxb DIR] [--scrapinghub DIR]

Pages are picked per WCXB page type (and from ScrapingHub) by a hash of their id, so the same call picks the
same pages. The .html.gz files are copied unchanged; their ground truth goes into tests/quality/truth.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

DEFAULT_ROOT = Path("/work/shared/benchmarks")
OUT = Path(__file__).resolve().parent.parent / "tests" / "quality"
# Pages per WCXB type: articles are what the digest stores; the others are what it must recognise and skip.
PER_KIND = {
    "article": 80,
    "listing": 20,
    "collection": 20,
    "service": 20,
    "product": 15,
    "forum": 15,
    "documentation": 10,
}
SCRAPINGHUB_PAGES = 30


def _by_hash(keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda k: hashlib.sha256(k.encode()).hexdigest())


def main(argv: list[str] | None = None) -> int:
    """Pick the pages, copy them, write truth.json."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--wcxb", type=Path, default=DEFAULT_ROOT / "wcxb-dev")
    ap.add_argument("--scrapinghub", type=Path, default=DEFAULT_ROOT / "scrapinghub-aeb")
    args = ap.parse_args(argv)

    truth: dict[str, dict[str, str]] = {}
    files = json.loads((args.wcxb / "metadata-dev.json").read_text(encoding="utf-8"))["files"]
    for kind, n in PER_KIND.items():
        for key in sorted(_by_hash([k for k, v in files.items() if v["page_type"] == kind])[:n]):
            data = json.loads((args.wcxb / "dev" / "ground-truth" / f"{key}.json").read_text(encoding="utf-8"))
            gt = data["ground_truth"]
            truth[f"wcxb/{key}"] = {
                "url": data["url"],
                "kind": data["_internal"]["page_type"]["primary"],
                "title": gt.get("title") or "",
                "author": gt.get("author") or "",
                "date": gt.get("publish_date") or "",
                "body": gt.get("main_content") or "",
            }
            (OUT / "wcxb").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.wcxb / "dev" / "html" / f"{key}.html.gz", OUT / "wcxb" / f"{key}.html.gz")
    sh = json.loads((args.scrapinghub / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(_by_hash(list(sh))[:SCRAPINGHUB_PAGES]):
        truth[f"scrapinghub/{key}"] = {"url": sh[key].get("url", ""), "kind": "article", "body": sh[key]["articleBody"]}
        (OUT / "scrapinghub").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.scrapinghub / "html" / f"{key}.html.gz", OUT / "scrapinghub" / f"{key}.html.gz")
    (OUT / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(truth)} pages written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
