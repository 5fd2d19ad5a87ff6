"""Fit the page-kind model's weights on a benchmark's pages, with a held-out result split by site.

    .venv/bin/python -m bench.page_kind_fit /work/shared/benchmarks/wcxb-dev [--cache FILE] [--write]

Reads each page's signals once as extract_page() hands the page to page_kind() (stray content adopted, the body
the default pass keeps; `extract.page_kind.signals`, cached to --cache as JSON), then fits a logistic
regression of index (listing, collection) against article pages over `features()` by plain gradient descent.
Pages are put in five folds by a hash of their site, so no site is on both sides; each fold is scored by a model
fitted on the other four. The threshold is set on out-of-fold scores of the training pages (each of their folds
scored by a model fitted without it), to take at most --budget of their articles. --write stores the weights
fitted on every page in extract/page_kind_weights.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import multiprocessing
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from trafilatura.utils import load_html

from bench.page_kind import _jobs, table
from extract.body_tree import prepare_body_tree, trafilatura_body
from extract.boilerplate import strip_boilerplate
from extract.metadata import read_meta
from extract.page import _declares_article
from extract.page_kind import WEIGHTS_FILE, Model, Signals, classify, features, signals
from extract.repair import adopt_stray_content

FOLDS = 5
INDEX = frozenset({"listing", "collection"})
# Share of the training articles the threshold may take for index pages: below the target of 1%.
ARTICLE_BUDGET = 0.008
L2 = 0.02


def site(url: str) -> str:
    """The site a page belongs to, for splitting by site."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def fold(url: str) -> int:
    """Which of the folds a page's site falls in."""
    return hashlib.sha1(site(url).encode()).digest()[0] % FOLDS


def _read(job: tuple[str, str, str, str]) -> dict[str, object] | None:
    page_id, url, truth, path = job
    tree = load_html(gzip.decompress(Path(path).read_bytes()))
    if tree is None:
        return None
    # The page as extract_page() hands it to page_kind(): stray content adopted, and the body the default pass read.
    tree = adopt_stray_content(tree)
    meta = read_meta(tree)
    body = strip_boilerplate(trafilatura_body(prepare_body_tree(tree, one_article=_declares_article(meta, url)), url))
    sig = signals(tree, meta, body, url)
    row = {f: getattr(sig, f) for f in Signals.__slots__}
    row["ld_types"] = sorted(sig.ld_types)
    row["microdata"] = sorted(sig.microdata)
    return {"id": page_id, "url": url, "truth": truth, "signals": row}


def load_rows(folder: Path, cache: Path | None, jobs: int) -> list[dict[str, object]]:
    """Every page's signals, read once and cached."""
    if cache and cache.exists():
        return list(json.loads(cache.read_text(encoding="utf-8")))
    with multiprocessing.get_context("forkserver").Pool(jobs) as pool:
        rows = [r for r in pool.map(_read, _jobs(folder, None), chunksize=8) if r]
    if cache:
        cache.write_text(json.dumps(rows), encoding="utf-8")
    return rows


def to_signals(row: dict[str, object]) -> Signals:
    """A cached row back to the page's Signals."""
    raw = dict(row["signals"])  # type: ignore[call-overload]
    raw["ld_types"] = frozenset(raw["ld_types"])
    raw["microdata"] = frozenset(raw.get("microdata", ()))
    return Signals(**raw)


def fit(xs: list[list[float]], ys: list[int], steps: int = 2000, rate: float = 2.0, l2: float = 0.003) -> list[float]:
    """Logistic regression by full-batch gradient descent, classes weighted equally; the last weight is the bias."""
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    pos = y.sum() or 1.0
    neg = (len(y) - y.sum()) or 1.0
    weight = np.where(y > 0, 0.5 / pos, 0.5 / neg)
    w = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(steps):
        z = np.clip(x @ w + bias, -30, 30)
        err = weight * (1 / (1 + np.exp(-z)) - y)
        w -= rate * (x.T @ err + l2 * w)
        bias -= rate * float(err.sum())
    return [*map(float, w), bias]


def score(w: list[float], x: list[float]) -> float:
    """The model's log-odds of an index page."""
    return w[-1] + sum(a * b for a, b in zip(w, x, strict=False))


def main(argv: list[str] | None = None) -> None:
    """Fit, cross-validate by site, print the results, and optionally write the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--l2", type=float, default=L2, help="weight decay of the fit")
    parser.add_argument("--budget", type=float, default=ARTICLE_BUDGET, help="share of articles the threshold may take")
    args = parser.parse_args(argv)
    rows = load_rows(args.folder, args.cache, args.jobs)
    names = list(features(to_signals(rows[0]), str(rows[0]["url"])))
    data: list[Example] = []
    for row in rows:
        truth, url = str(row["truth"]), str(row["url"])
        if truth != "article" and truth not in INDEX:
            continue
        sig = to_signals(row)
        if classify(sig, url, _ALWAYS_INDEX) not in INDEX | {"archive"}:
            continue  # decided before the model is asked (a forum's address, a product's markup ...)
        data.append((fold(url), [features(sig, url)[n] for n in names], int(truth in INDEX), sig, url))
    if not data:
        sys.exit("no article or index pages")
    held_out: list[tuple[str, str, str, str]] = []
    ranked: list[tuple[float, str]] = []  # every page's held-out index score above its fold's threshold
    for k in range(FOLDS):
        train = [d for d in data if d[0] != k]
        # The budget counts every article of the training sites, also those decided before the model.
        allowed = int(args.budget * sum(1 for r in rows if r["truth"] == "article" and fold(str(r["url"])) != k))
        model = _model(names, train, allowed, args.l2)
        held_out += [_classified(row, model) for row in rows if fold(str(row["url"])) == k]
        ranked += [(_margin(row, model), str(row["truth"])) for row in rows if fold(str(row["url"])) == k]
    allowed = int(args.budget * sum(1 for r in rows if r["truth"] == "article"))
    model = _model(names, data, allowed, args.l2)
    tuned = [_classified(row, model) for row in rows]
    print(table(held_out, f"Held out by site ({FOLDS} folds; each fold classified by a model fitted on the others)"))
    print(curve(ranked))
    for page_id, truth, got, where in held_out:
        if truth == "article" and got != "article":
            print(f"  held out, article taken for {got}: {page_id} (fold {where})")
    print(table(tuned, "Fitted on all pages (tuned)"))
    for name, value in sorted(model.weights.items(), key=lambda p: -abs(p[1])):
        print(f"  {name:18} {value:+.3f}")
    print(f"  {'(bias)':18} {model.bias:+.3f}; threshold {model.threshold:+.3f}")
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps({
            "fitted_on": args.folder.name, "features": model.weights, "bias": model.bias,
            "threshold": model.threshold,
        }, indent=1) + "\n", encoding="utf-8")  # fmt: skip
        print(f"wrote {WEIGHTS_FILE}")


_ALWAYS_INDEX = Model(weights={}, bias=0.0, threshold=-math.inf)


Example = tuple[int, list[float], int, Signals, str]  # fold, features, index or not, signals, address


def _model(names: list[str], data: list[Example], allowed: int, l2: float) -> Model:
    """Weights fitted on `data`; the threshold set on out-of-fold scores, as unseen sites will be scored.

    Set on the training pages' own scores, the threshold fits the articles it was fitted on and takes about twice
    the share of unseen sites' articles; scored by models fitted without their fold, they are read as unseen.
    """
    xs, ys = [d[1] for d in data], [d[2] for d in data]
    w = fit(xs, ys, l2=l2)
    unseen: list[float] = []
    for k in sorted({d[0] for d in data}):
        inner = [d for d in data if d[0] != k]
        w_k = fit([d[1] for d in inner], [d[2] for d in inner], l2=l2)
        unseen += [score(w_k, d[1]) for d in data if d[0] == k and not d[2]]
    unseen.sort(reverse=True)
    cut = unseen[allowed] + 1e-6 if len(unseen) > allowed else -math.inf
    return Model(weights=dict(zip(names, w, strict=False)), bias=w[-1], threshold=cut)


_NEVER_INDEX = Model(weights={}, bias=0.0, threshold=math.inf)


def _margin(row: dict[str, object], model: Model) -> float:
    """The model's log-odds of an index page; +inf when a rule makes it one, -inf when a rule keeps it out."""
    sig, url = to_signals(row), str(row["url"])
    if classify(sig, url, _ALWAYS_INDEX) not in INDEX | {"archive"}:
        return -math.inf
    if classify(sig, url, _NEVER_INDEX) in INDEX | {"archive"}:
        return math.inf
    return model.score(sig, url)


def curve(ranked: list[tuple[float, str]], takes: tuple[int, ...] = (4, 6, 8, 10, 12)) -> str:
    """Held-out index recall when the folds' scores are cut so that a given number of articles is taken:
    models compared at equal cost, free of where each fold's threshold happened to fall."""
    index = sorted((m for m, t in ranked if t in INDEX), reverse=True)
    articles = sorted((m for m, t in ranked if t == "article"), reverse=True)
    cells = []
    for n in takes:
        cut = articles[n] if n < len(articles) else -math.inf
        found = sum(1 for m in index if m > cut)
        cells.append(f"{n} articles: {found / len(index):.3f} ({found})")
    return "Held-out index recall at equal cost: " + "; ".join(cells) + "\n"


def _classified(row: dict[str, object], model: Model) -> tuple[str, str, str, str]:
    url = str(row["url"])
    return str(row["id"]), str(row["truth"]), classify(to_signals(row), url, model), str(fold(url))


if __name__ == "__main__":
    main()
