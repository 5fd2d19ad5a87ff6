"""The title chain alone (extract/title.py's page_title, as extract_page calls it) on WCXB dev, in seconds.

    .venv/bin/python -m bench.title_chain [--kind article|all] [--misses] [--out FILE] [--before FILE]

Accuracy (bench/scoring.py's title rule) per half (`bench.scoring.held_out`: tune on the first, check on the
second), per WCXB page type, and by even and odd page id. --misses lists the tuning half's misses only, with
each page's <h1>s, og:title, <title> and JSON-LD headline, so that held-out pages stay unseen. --out writes
every page's title; --before FILE (an earlier --out) lists which pages gained or lost, tuning half by name.
Only the title changes between two runs of this: a page whose title is unchanged extracts the same otherwise.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
from pathlib import Path
from typing import Any

from trafilatura.utils import load_html

from bench.scoring import held_out, title_match
from extract.metadata import ARTICLE_TYPES, read_meta
from extract.page import _TrafilaturaMeta
from extract.repair import adopt_stray_content
from extract.title import page_title

WCXB = Path("/work/shared/benchmarks/wcxb-dev")


def _pages(root: Path, kind: str) -> list[dict[str, Any]]:
    """Every page of `kind` (or all) with a true title: its title as migdigest gives it and what the page offers."""
    files = json.loads((root / "metadata-dev.json").read_text(encoding="utf-8"))["files"]
    out = []
    for key in sorted(files):
        data = json.loads((root / "dev" / "ground-truth" / f"{key}.json").read_text(encoding="utf-8"))
        page_type, truth = data["_internal"]["page_type"]["primary"], data["ground_truth"].get("title") or ""
        if not truth or kind not in ("all", page_type):
            continue
        url = data.get("url") or files[key].get("url", "")
        tree = load_html(gzip.decompress((root / "dev" / "html" / f"{key}.html.gz").read_bytes()))
        if tree is None:
            continue
        tree = adopt_stray_content(tree)
        meta, fallback = read_meta(tree), _TrafilaturaMeta(tree, url)
        got = page_title(tree, meta, url, fallback=functools.partial(fallback.get, "title"))
        h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")][:4]
        out.append({
            "key": key, "kind": page_type, "held_out": held_out(key), "truth": truth, "title": got,
            "ok": title_match(truth, got), "url": url, "h1": h1s, "og": meta.first("og:title"),
            "title_tag": " ".join((tree.findtext(".//title") or "").split()),
            "headline": meta.ld("headline", ARTICLE_TYPES),
        })  # fmt: skip
    return out


def _rate(pages: list[dict[str, Any]]) -> str:
    hits = sum(p["ok"] for p in pages)
    return f"{hits / len(pages):.4f} ({hits}/{len(pages)})" if pages else "n/a"


def main(argv: list[str] | None = None) -> int:
    """Score the title chain; list tuning misses or the change against an earlier run."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--wcxb", type=Path, default=WCXB)
    ap.add_argument("--kind", default="article", help="a WCXB page type, or all (default article)")
    ap.add_argument("--misses", action="store_true", help="list the tuning half's misses")
    ap.add_argument("--out", type=Path, help="write every page's title and score here (JSON)")
    ap.add_argument("--before", type=Path, help="an earlier --out: list pages gained and lost")
    args = ap.parse_args(argv)
    pages = _pages(args.wcxb, args.kind)
    tuning, check = [p for p in pages if not p["held_out"]], [p for p in pages if p["held_out"]]
    print(f"title, WCXB {args.kind}: tuning half {_rate(tuning)}, held-out half {_rate(check)}, all {_rate(pages)}")
    even = [p for p in pages if p["key"].isdigit() and int(p["key"]) % 2 == 0]
    odd = [p for p in pages if p["key"].isdigit() and int(p["key"]) % 2 == 1]
    print(f"  by id: even {_rate(even)}, odd {_rate(odd)}")
    for kind in sorted({p["kind"] for p in pages}):
        print(f"  {kind}: {_rate([p for p in pages if p['kind'] == kind])}")
    if args.misses:
        for p in (p for p in tuning if not p["ok"]):
            print(f"\n{p['key']} {p['url']}\n  truth:    {p['truth']}\n  migdigest: {p['title']}")
            print(f"  h1: {p['h1']}\n  og:title: {p['og']}\n  <title>: {p['title_tag']}\n  headline: {p['headline']}")
    if args.before:
        before = {p["key"]: p for p in json.loads(args.before.read_text(encoding="utf-8"))}
        for half, name in ((tuning, "tuning"), (check, "held-out")):
            moved = [p for p in half if p["key"] in before and before[p["key"]]["ok"] != p["ok"]]
            gained = [p for p in moved if p["ok"]]
            print(f"{name} half: +{len(gained)} -{len(moved) - len(gained)}")
            for p in moved if name == "tuning" else []:
                print(f"  {'+' if p['ok'] else '-'} {p['key']}: {before[p['key']]['title']!r} -> {p['title']!r}")
    if args.out:
        args.out.write_text(json.dumps(pages, ensure_ascii=False, indent=0), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
