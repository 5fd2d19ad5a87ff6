"""The quality gate: migdigest's extractor on a fixed sample of real pages, scored against pinned floors.

    .venv/bin/python -m tests.quality.gate                  # print the scores next to the floors
    .venv/bin/python -m tests.quality.gate --update-floors  # re-pin: floors = scores - MARGIN, into floors.json

tests/test_quality_gate.py fails when a score falls below its floor. Scoring is bench/scoring.py's, the same
the benchmark uses.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from pathlib import Path

from bench.scoring import Truth, index_rates, mean_scores, migdigest_guess, score

HERE = Path(__file__).resolve().parent
FLOORS = HERE / "floors.json"
MARGIN = 0.01  # room for harmless wobble (a date parser's update, a tie broken the other way)


def measure() -> dict[str, float]:
    """Scores of the sample: WCXB body, title and page kind on all pages; every field on its articles; the
    ScrapingHub body."""
    truth = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
    wcxb, wcxb_articles, scrapinghub, kinds = [], [], [], []
    for name, item in sorted(truth.items()):
        dataset, key = name.split("/")
        html = gzip.decompress((HERE / dataset / f"{key}.html.gz").read_bytes())
        guess = migdigest_guess(html, item["url"])
        if dataset == "wcxb":
            t = Truth(item["body"], item["title"], item["date"], item["author"], item["kind"])
            scores = score(t, guess)
            wcxb.append(scores)
            kinds.append((item["kind"], guess.kind))
            if item["kind"] == "article":
                # What the digest stores: fields of other kinds of page are dropped once a page is not a
                # publication, so a better page-kind step must not look like worse authors or dates.
                wcxb_articles.append(scores)
        else:
            scrapinghub.append(score(Truth(body=item["body"]), guess))
    out = {f"wcxb_{k}": v for k, (v, _) in mean_scores(wcxb).items() if k in ("body_f1", "title", "kind")}
    out |= {f"wcxb_article_{k}": v for k, (v, _) in mean_scores(wcxb_articles).items() if k != "kind"}
    out["wcxb_index_recognised"] = index_rates(kinds)["index_recognised"]
    out["scrapinghub_body_f1"] = mean_scores(scrapinghub)["body_f1"][0]
    return out


def floors() -> dict[str, float]:
    """The pinned floors."""
    found: dict[str, float] = json.loads(FLOORS.read_text(encoding="utf-8"))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print scores and floors; with --update-floors, write new floors."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--update-floors", action="store_true", help=f"pin floors at the scores minus {MARGIN}")
    args = ap.parse_args(argv)
    scores = measure()
    old = floors() if FLOORS.exists() else {}
    for key, value in sorted(scores.items()):
        print(f"{key:32} {value:.3f}  floor {old.get(key, float('nan')):.3f}")
    if args.update_floors:
        new = {key: math.floor((value - MARGIN) * 1000) / 1000 for key, value in sorted(scores.items())}
        FLOORS.write_text(json.dumps(new, indent=2) + "\n", encoding="utf-8")
        print(f"floors written to {FLOORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
