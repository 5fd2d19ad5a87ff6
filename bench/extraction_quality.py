"""Extraction quality on real pages: migdigest's extract_page() against bare trafilatura, side by side.

Run on demand (never by the test suite; the data is not part of the repository):

    .venv/bin/python -m bench.extraction_quality \
        --scrapinghub /work/shared/benchmarks/scrapinghub-aeb \
        --trafilatura-eval /work/shared/benchmarks/trafilatura-eval [--limit N] [--jobs 2] [--dump DIR]

Columns: migdigest = extract.page.extract_page(html, url).body; bare = trafilatura.bare_extraction(html,
url=url, with_metadata=True).text; extract() = trafilatura.extract(html) with its defaults (comments
included); extract(nc) = trafilatura.extract(html, include_comments=False), the setting both benchmarks
published their trafilatura scores with (a check that the scoring here reproduces theirs).

Scoring follows each benchmark's own evaluation code:
- ScrapingHub article-extraction-benchmark (evaluate.py): tokens are `\\w+` runs (case kept), shingles are
  4 consecutive tokens counted as a multiset; per page tp/fp/fn. Precision is averaged over pages with a
  non-empty prediction, recall over pages with a non-empty truth (an empty prediction counts recall 0 and
  is left out of precision); the benchmark F1 is the harmonic mean of those two averages. The mean of
  per-page F1s (empty prediction = 0) is shown as well.
- trafilatura tests/eval_common.py: whitespace-normalised substring matching; each `with` snippet found is a
  true positive (else a false negative), each `without` snippet found a false positive (else a true
  negative); precision, recall and F1 over the totals. A crash counts as a full miss. Title, date and
  author accuracy are scored where evaldata.json has a non-empty value (trafilatura's eval_authors.py
  compares the author string exactly; a lenient name-set comparison is shown too).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import html as html_lib
import importlib
import json
import multiprocessing
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura

from bench.scoring import Guess, Truth, held_out, index_rates, mean_scores, score, word_f1
from extract.page import extract_page

DEFAULT_ROOT = Path("/work/shared/benchmarks")
EXTRACTORS = ("migdigest", "bare", "extract", "extract_nc")
HEADERS = {
    "migdigest": "migdigest",
    "bare": "bare trafilatura",
    "extract": "extract()",
    "extract_nc": "extract(nc)",
}
META_EXTRACTORS = ("migdigest", "bare")  # the two that return title, date and author


@dataclass
class Output:
    """What one extractor made of one page."""

    text: str | None  # None when the extractor raised
    seconds: float
    title: str = ""
    authors: list[str] = field(default_factory=list)
    author: str = ""  # as one string, trafilatura style ("A; B")
    date: str = ""
    page_type: str = "article"
    error: str = ""


@dataclass
class Task:
    """One page to run every extractor on."""

    dataset: str  # "sh", "te" or "wcxb"
    key: str
    path: Path
    url: str
    title: str = ""  # the ground truth's title, where it has one
    extractors: tuple[str, ...] = EXTRACTORS
    truth: Truth | None = None  # WCXB's ground truth (scored with bench/scoring.py)


@dataclass
class PageResult:
    """All extractors' outputs for one page."""

    task: Task
    outputs: dict[str, Output]
    title_on_page: bool | None = None  # the true title occurs verbatim in the page (None: no true title)


def _run_migdigest(html: bytes, url: str) -> Output:
    """migdigest's own extractor."""
    ex = extract_page(html, url)
    return Output(
        text=ex.body,
        seconds=0.0,
        title=ex.title,
        authors=list(ex.authors),
        author="; ".join(ex.authors),
        date=ex.published or "",
        page_type=ex.page_type,
    )


def _run_bare(html: bytes, url: str) -> Output:
    """trafilatura.bare_extraction with metadata, everything else default."""
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Output(text="", seconds=0.0)
    author = getattr(doc, "author", None) or ""
    return Output(
        text=getattr(doc, "text", None) or "",
        seconds=0.0,
        title=getattr(doc, "title", None) or "",
        authors=[a.strip() for a in author.split(";") if a.strip()],
        author=author,
        date=getattr(doc, "date", None) or "",
    )


def _run_extract(html: bytes, url: str) -> Output:
    """trafilatura.extract with its defaults (txt output, comments included)."""
    return Output(text=trafilatura.extract(html) or "", seconds=0.0)


def _run_extract_nc(html: bytes, url: str) -> Output:
    """trafilatura.extract without comments, as both benchmarks ran it."""
    return Output(text=trafilatura.extract(html, include_comments=False) or "", seconds=0.0)


RUNNERS: dict[str, Callable[[bytes, str], Output]] = {
    "migdigest": _run_migdigest,
    "bare": _run_bare,
    "extract": _run_extract,
    "extract_nc": _run_extract_nc,
}


def _warm_up() -> None:
    """Pay lazy imports and caches in each worker before anything is timed."""
    words = b"some words here " * 40
    page = b"<html><head><title>t</title></head><body><article><p>" + words + b"</p></article></body></html>"
    for run in RUNNERS.values():
        run(page, "https://example.org/a")


def run_page(task: Task) -> PageResult:
    """Run every extractor on one page, timing each call."""
    html = gzip.decompress(task.path.read_bytes())
    outputs: dict[str, Output] = {}
    for name in task.extractors:
        run = RUNNERS[name]
        start = time.perf_counter()
        try:
            out = run(html, task.url)
        except Exception as exc:  # a crash is scored as a full miss, like the benchmarks do
            out = Output(text=None, seconds=0.0, error=f"{type(exc).__name__}: {exc}")
        out.seconds = time.perf_counter() - start
        outputs[name] = out
    on_page = None
    if task.title:
        # Any text or attribute value of the page, entities decoded: what an extractor could copy as is.
        page = " ".join(html_lib.unescape(trafilatura.utils.decode_file(html)).split())
        on_page = norm(task.title) in page
    return PageResult(task, outputs, on_page)


# --- ScrapingHub shingle metric ----------------------------------------------------------------------

_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingles(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; a text shorter than n tokens is one short shingle."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_counts(truth: str, pred: str | None) -> tuple[float, float, float]:
    """(tp, fp, fn) over shingles, normalised to sum 1 so that long pages weigh no more than short ones."""
    t, p = shingles(truth), shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (tp, fp, fn)


def sh_precision(tp: float, fp: float, fn: float) -> float:
    """Per-page precision as the benchmark defines it."""
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def sh_recall(tp: float, fp: float, fn: float) -> float:
    """Per-page recall as the benchmark defines it."""
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def page_f1(counts: tuple[float, float, float]) -> float:
    """Per-page F1 (0 for an empty prediction)."""
    p, r = sh_precision(*counts), sh_recall(*counts)
    return 2 * p * r / (p + r) if p + r else 0.0


def sh_scores(all_counts: list[tuple[float, float, float]]) -> dict[str, float]:
    """Benchmark precision, recall and F1, plus the mean of per-page F1s."""
    precisions = [sh_precision(*c) for c in all_counts if c[0] + c[1] > 0]
    recalls = [sh_recall(*c) for c in all_counts if c[0] + c[2] > 0]
    p = statistics.mean(precisions) if precisions else 0.0
    r = statistics.mean(recalls) if recalls else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "f1_page_mean": statistics.mean(page_f1(c) for c in all_counts) if all_counts else 0.0,
    }


# --- trafilatura-eval snippet metric ------------------------------------------------------------------


def norm(text: str) -> str:
    """Collapse whitespace, as trafilatura's eval_common.norm does."""
    return re.sub(r"\s+", " ", text).strip()


def snippet_counts(item: dict[str, Any], text: str | None) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) for one page's with/without snippets."""
    if text is None:
        return 0, 0, len(item["with"]), len(item["without"])
    resn = norm(text)
    tp = sum(1 for w in item["with"] if norm(w) in resn)
    fp = sum(1 for w in item["without"] if norm(w) in resn)
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def _author_set(text: str) -> frozenset[str]:
    """Author names as a case-folded set, split on ; , and/und/&."""
    parts = re.split(r";|,|\s+(?:and|und|et|y)\s+|\s*&\s*", text)
    return frozenset(" ".join(p.split()).casefold() for p in parts if p.strip())


def meta_hits(item: dict[str, Any], out: Output) -> dict[str, bool]:
    """Which metadata fields match the ground truth (only fields the truth has a value for)."""
    hits: dict[str, bool] = {}
    if item.get("title"):
        hits["title"] = norm(out.title) == norm(item["title"])
        hits["title_nocase"] = norm(out.title).casefold() == norm(item["title"]).casefold()
    if item.get("date"):
        hits["date"] = out.date[:10] == item["date"]
    if item.get("author"):
        gold = item["author"] if isinstance(item["author"], str) else "; ".join(item["author"])
        hits["author"] = norm(out.author) == norm(gold)
        hits["author_lenient"] = bool(out.author) and _author_set(out.author) == _author_set(gold)
    return hits


# --- loading ------------------------------------------------------------------------------------------


def sh_tasks(root: Path, limit: int | None) -> tuple[list[Task], dict[str, dict[str, str]]]:
    """ScrapingHub pages and their ground truth."""
    truth: dict[str, dict[str, str]] = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit]
    tasks = [Task("sh", k, root / "html" / f"{k}.html.gz", truth[k].get("url", "")) for k in keys]
    return tasks, {k: truth[k] for k in keys}


def te_tasks(root: Path, limit: int | None) -> tuple[list[Task], dict[str, dict[str, Any]]]:
    """trafilatura-eval pages (file in eval/ or cache/, gzip-compressed) and their annotations."""
    data: dict[str, dict[str, Any]] = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    tasks, items = [], {}
    for url, item in list(data.items())[:limit]:
        found = [root / sub / f"{item['file']}.gz" for sub in ("cache", "eval")]
        path = next((p for p in found if p.is_file()), None)
        if path is None:
            print(f"trafilatura-eval: {item['file']} not found, skipped", file=sys.stderr)
            continue
        tasks.append(Task("te", url, path, url, item.get("title") or ""))
        items[url] = item
    return tasks, items


def wcxb_tasks(root: Path, sample: int | None) -> list[Task]:
    """WCXB pages with their ground truth (title, author, date, body, page type)."""
    files = json.loads((root / "metadata-dev.json").read_text(encoding="utf-8"))["files"]
    keys = sorted(files)
    if sample is not None:
        keys = sorted(keys, key=lambda k: hashlib.sha256(k.encode()).hexdigest())[:sample]
    tasks = []
    for key in sorted(keys):
        data = json.loads((root / "dev" / "ground-truth" / f"{key}.json").read_text(encoding="utf-8"))
        gt = data["ground_truth"]
        author = gt.get("author") or ""
        truth = Truth(
            body=gt.get("main_content") or "",
            title=gt.get("title") or "",
            date=gt.get("publish_date") or "",
            author=author if isinstance(author, str) else "; ".join(author),
            kind=data["_internal"]["page_type"]["primary"],
        )
        url = data.get("url") or files[key].get("url", "")
        tasks.append(Task("wcxb", key, root / "dev" / "html" / f"{key}.html.gz", url, extractors=META_EXTRACTORS,
                          truth=truth))  # fmt: skip
    return tasks


def run_all(tasks: list[Task], jobs: int) -> tuple[list[PageResult], float]:
    """Run every page (in a pool when jobs > 1); results in task order and wall-clock seconds."""
    start = time.perf_counter()
    if jobs <= 1:
        _warm_up()
        results = [run_page(t) for t in tasks]
    else:
        with multiprocessing.Pool(jobs, initializer=_warm_up) as pool:
            results = []
            for i, res in enumerate(pool.imap_unordered(run_page, tasks, chunksize=4), 1):
                results.append(res)
                if i % 100 == 0:
                    print(f"  {i}/{len(tasks)} pages", file=sys.stderr)
        order = {(t.dataset, t.key): i for i, t in enumerate(tasks)}
        results.sort(key=lambda r: order[(r.task.dataset, r.task.key)])
    return results, time.perf_counter() - start


# --- report -------------------------------------------------------------------------------------------

Row = tuple[str, dict[str, float | None], str]  # label, value per extractor, format


def _fmt(value: float | None, fmt: str) -> str:
    """One table cell."""
    return "n/a" if value is None else format(value, fmt)


def table(title: str, rows: list[Row]) -> str:
    """A markdown table: metric, migdigest, bare, difference, ratio, then the extract() columns."""
    head = [
        "metric",
        HEADERS["migdigest"],
        HEADERS["bare"],
        "mig − bare",
        "mig / bare",
        HEADERS["extract"],
        HEADERS["extract_nc"],
    ]
    lines = [f"**{title}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, values, fmt in rows:
        mig, bare = values.get("migdigest"), values.get("bare")
        diff = ratio = "n/a"
        if mig is not None and bare is not None:
            diff = format(mig - bare, "+" + fmt)
            ratio = f"{mig / bare:.3f}" if bare else "n/a"
        cells = [
            label,
            _fmt(mig, fmt),
            _fmt(bare, fmt),
            diff,
            ratio,
            _fmt(values.get("extract"), fmt),
            _fmt(values.get("extract_nc"), fmt),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _speed_rows(results: list[PageResult]) -> list[Row]:
    """Errors, empty outputs and pages per second of extraction time (one process)."""
    n = len(results)
    errors: dict[str, float | None] = {}
    empty: dict[str, float | None] = {}
    for e in EXTRACTORS:
        texts = [r.outputs[e].text for r in results]
        errors[e] = float(sum(t is None for t in texts))
        empty[e] = float(sum(t is not None and not t.strip() for t in texts))
    speed: dict[str, float | None] = {}
    for e in EXTRACTORS:
        secs = sum(r.outputs[e].seconds for r in results)
        speed[e] = n / secs if secs else None
    return [
        ("errors (pages)", errors, ".0f"),
        ("empty output (pages)", empty, ".0f"),
        ("pages/s (one core)", speed, ".1f"),
    ]


def _line_shingles(line: str) -> set[tuple[str, ...]]:
    """The shingle set of one line."""
    return set(shingles(line))


def _mostly_in(line: str, pool: set[tuple[str, ...]]) -> bool:
    """True when most of a line's shingles occur in pool."""
    s = _line_shingles(line)
    return bool(s) and len(s & pool) / len(s) > 0.5


def diff_lines(truth: str, mig: str, bare: str, limit: int = 3) -> tuple[list[str], list[str]]:
    """Truth lines migdigest lost and migdigest lines not in the truth, each tagged with what bare did."""
    mig_pool, bare_pool, truth_pool = set(shingles(mig)), set(shingles(bare)), set(shingles(truth))
    lost = [
        f"{'[bare has it] ' if _mostly_in(ln, bare_pool) else '[bare too] '}{ln}"
        for ln in truth.splitlines()
        if len(ln.split()) >= 4 and not _mostly_in(ln, mig_pool)
    ]
    added = [
        f"{'[bare too] ' if _mostly_in(ln, bare_pool) else '[not in bare] '}{ln}"
        for ln in mig.splitlines()
        if len(ln.split()) >= 4 and not _mostly_in(ln, truth_pool)
    ]
    return lost[:limit], added[:limit]


def _clip(text: str, width: int = 110) -> str:
    """One line, at most width characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def not_articles(results: list[PageResult]) -> str:
    """Every benchmark page is an article: those migdigest classes otherwise would never be stored."""
    wrong = [r for r in results if r.outputs["migdigest"].page_type != "article"]
    kinds = Counter(r.outputs["migdigest"].page_type for r in wrong)
    named = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    return f"Pages migdigest classes as not an article: {len(wrong)} of {len(results)}" + (
        f" ({named})." if named else "."
    )


def _mean_word_f1(results: list[PageResult], truth: dict[str, dict[str, str]], extractor: str) -> float:
    """Mean per-page word F1 on ScrapingHub pages, scored as WCXB scores bodies."""
    return statistics.fmean(word_f1(truth[r.task.key]["articleBody"], r.outputs[extractor].text)[2] for r in results)


def report_sh(results: list[PageResult], truth: dict[str, dict[str, str]], worst: int, dump: Path | None) -> str:
    """ScrapingHub table plus the pages where migdigest loses most against bare trafilatura."""
    counts = {
        e: [shingle_counts(truth[r.task.key]["articleBody"], r.outputs[e].text) for r in results] for e in EXTRACTORS
    }
    scores = {e: sh_scores(c) for e, c in counts.items()}
    rows: list[Row] = [
        ("body precision", {e: scores[e]["precision"] for e in EXTRACTORS}, ".3f"),
        ("body recall", {e: scores[e]["recall"] for e in EXTRACTORS}, ".3f"),
        ("body F1 (benchmark: from mean P and R)", {e: scores[e]["f1"] for e in EXTRACTORS}, ".3f"),
        ("body F1 (mean of per-page F1)", {e: scores[e]["f1_page_mean"] for e in EXTRACTORS}, ".3f"),
        ("body word F1 (WCXB's rule)", {e: _mean_word_f1(results, truth, e) for e in EXTRACTORS}, ".3f"),
        *_speed_rows(results),
    ]
    out = [table(f"ScrapingHub article-extraction-benchmark, {len(results)} pages, 4-word shingles", rows)]
    out.append("\n" + not_articles(results))

    deltas = []
    for i in range(len(results)):
        mig_f1, bare_f1 = page_f1(counts["migdigest"][i]), page_f1(counts["bare"][i])
        deltas.append((mig_f1 - bare_f1, i, mig_f1, bare_f1))
    worse = sum(d < -1e-9 for d, *_ in deltas)
    better = sum(d > 1e-9 for d, *_ in deltas)
    equal = len(deltas) - worse - better
    out.append(f"\nPer page F1, migdigest vs bare: {worse} worse, {better} better, {equal} equal.")
    gains = [f"{results[i].task.key[:10]} {d:+.3f}" for d, i, *_ in sorted(deltas, reverse=True) if d > 1e-9]
    if gains:
        out.append("Better than bare: " + ", ".join(gains[:10]) + ".")
    out.append(f"\n**{worst} ScrapingHub pages where migdigest's F1 is lowest relative to bare**\n")
    out.append("| id | url | mig P | mig R | mig F1 | bare F1 | Δ F1 | words truth / mig / bare |")
    out.append("|---|---|---|---|---|---|---|---|")
    notes = []
    # most negative difference first; among equal differences, migdigest's lowest F1 first
    for delta, i, mig_f1, bare_f1 in sorted(deltas, key=lambda d: (round(d[0], 9), d[2]))[:worst]:
        r = results[i]
        c = counts["migdigest"][i]
        body = truth[r.task.key]["articleBody"]
        mig, bare = r.outputs["migdigest"].text or "", r.outputs["bare"].text or ""
        words = f"{len(body.split())} / {len(mig.split())} / {len(bare.split())}"
        out.append(
            f"| {r.task.key[:10]} | {r.task.url} | {sh_precision(*c):.3f} | {sh_recall(*c):.3f} | "
            f"{mig_f1:.3f} | {bare_f1:.3f} | {delta:+.3f} | {words} |"
        )
        lost, added = diff_lines(body, mig, bare)
        error = r.outputs["migdigest"].error
        repeats = Counter(" ".join(ln.split()) for ln in mig.splitlines() if len(ln.split()) >= 5)
        repeated = sum(n - 1 for n in repeats.values() if n > 1)
        if lost or added or error or repeated:
            head = f" error {error}" if error else ""
            head += f" {repeated} body lines are repeats of earlier ones (each counts as extra)" if repeated else ""
            notes.append(f"- {r.task.key[:10]}:{head}")
            notes += [f"    - lost:  {_clip(ln)}" for ln in lost]
            notes += [f"    - added: {_clip(ln)}" for ln in added]
        if dump:
            dump.mkdir(parents=True, exist_ok=True)
            for name, text in (("truth", body), ("migdigest", mig), ("bare", bare)):
                (dump / f"{r.task.key[:10]}.{name}.txt").write_text(text, encoding="utf-8")
    if notes:
        out.append(
            "\nWhat differs on those pages (lost: truth lines missing from migdigest's body; "
            "added: body lines that are not in the truth; first 3 of each):\n"
        )
        out += notes
    return "\n".join(out)


def report_te(results: list[PageResult], items: dict[str, dict[str, Any]]) -> str:
    """trafilatura-eval table: snippet scores, metadata accuracy, speed."""
    totals = {e: [0, 0, 0, 0] for e in EXTRACTORS}
    for r in results:
        for e in EXTRACTORS:
            for j, v in enumerate(snippet_counts(items[r.task.key], r.outputs[e].text)):
                totals[e][j] += v
    prec: dict[str, float | None] = {}
    rec: dict[str, float | None] = {}
    f1: dict[str, float | None] = {}
    acc: dict[str, float | None] = {}
    for e, (tp, fp, fn, tn) in totals.items():
        prec[e] = tp / (tp + fp) if tp + fp else 0.0
        rec[e] = tp / (tp + fn) if tp + fn else 0.0
        f1[e] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        acc[e] = (tp + tn) / (tp + fp + fn + tn) if tp + fp + fn + tn else 0.0
    rows: list[Row] = [
        ("snippet precision", prec, ".3f"),
        ("snippet recall", rec, ".3f"),
        ("snippet F1", f1, ".3f"),
        ("snippet accuracy", acc, ".3f"),
    ]
    fields = (
        ("title", "title exact"),
        ("title_nocase", "title, ignoring case"),
        ("date", "date (YYYY-MM-DD)"),
        ("author", "author exact string"),
        ("author_lenient", "author, same name set"),
    )
    hits: dict[str, dict[str, list[bool]]] = {e: {f: [] for f, _ in fields} for e in META_EXTRACTORS}
    for r in results:
        for e in META_EXTRACTORS:
            for f, ok in meta_hits(items[r.task.key], r.outputs[e]).items():
                hits[e][f].append(ok)
    for f, label in fields:
        n = len(hits["migdigest"][f])
        if n:
            rows.append((f"{label} accuracy (n={n})", {e: sum(hits[e][f]) / n for e in META_EXTRACTORS}, ".3f"))
    missing = [f for f, _ in fields if not hits["migdigest"][f]]
    rows += _speed_rows(results)
    out = table(f"trafilatura-eval, {len(results)} pages, with/without snippets", rows)
    on_page = [r.title_on_page for r in results if r.title_on_page is not None]
    if on_page:
        # Titles the annotators reworded or typed as CSS renders them (upper case) are on no page: no extractor
        # that copies the page's text can match them exactly.
        out += (
            f"\n\nTrue titles found verbatim in their page: {sum(on_page)} of {len(on_page)} "
            f"({sum(on_page) / len(on_page):.3f}, the ceiling of exact title accuracy for any extractor)."
        )
    out += "\n\n" + not_articles(results)
    if missing:
        out += "\n\nNo page here has ground truth for: " + ", ".join(missing) + " (no accuracy row)."
    return out


def guess_of(out: Output, extractor: str) -> Guess:
    """One extractor's output in the scorer's terms (only migdigest tells a page kind)."""
    kind = out.page_type if extractor == "migdigest" and out.text is not None else None
    return Guess(body=out.text, title=out.title, date=out.date, authors=out.authors, kind=kind)


WCXB_FIELDS = (
    ("body_f1", "body word F1"),
    ("title", "title (same words)"),
    ("date", "date (same day)"),
    ("author", "author (a name in common)"),
    ("author_strict", "author (same name set)"),
    ("kind", "page kind (publication/index/other)"),
)


def _wcxb_rows(results: list[PageResult]) -> list[str]:
    """Markdown rows: field, migdigest, bare, difference, pages scored."""
    per = {e: mean_scores(score(r.task.truth or Truth(), guess_of(r.outputs[e], e)) for r in results)
           for e in META_EXTRACTORS}  # fmt: skip
    lines = []
    for key, label in WCXB_FIELDS:
        mig, bare = per["migdigest"].get(key), per["bare"].get(key)
        if mig is None:
            continue
        cells = [label, f"{mig[0]:.3f}", f"{bare[0]:.3f}" if bare else "n/a"]
        cells += [f"{mig[0] - bare[0]:+.3f}" if bare else "n/a", str(mig[1])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report_wcxb(results: list[PageResult]) -> str:
    """WCXB: every field side by side, for all pages, per page type, and per half (tuned / held out)."""
    head = ["| field | migdigest | bare trafilatura | mig − bare | pages |", "|---|---|---|---|---|"]
    out = [f"**WCXB dev, {len(results)} pages: migdigest vs bare trafilatura**", ""]
    groups: list[tuple[str, list[PageResult]]] = [("all pages", results)]
    groups += [("tuning half", [r for r in results if not held_out(r.task.key)])]
    groups += [("held-out half", [r for r in results if held_out(r.task.key)])]
    kinds = sorted({r.task.truth.kind for r in results if r.task.truth})
    groups += [(f"{k} pages", [r for r in results if r.task.truth and r.task.truth.kind == k]) for k in kinds]
    held = [r for r in results if held_out(r.task.key) and r.task.truth and r.task.truth.kind == "article"]
    groups.insert(3, ("article pages, held-out half", held))
    for label, group in groups:
        if group:
            out += [f"{label} ({len(group)})", "", *head, *_wcxb_rows(group), ""]
    pairs = [(r.task.truth.kind, r.outputs["migdigest"].page_type) for r in results if r.task.truth]
    rates = index_rates(pairs)
    out.append(
        f"Index pages (listing, collection) recognised as index: {rates['index_recognised']:.3f}; "
        f"articles taken for index pages: {rates['publications_as_index']:.3f}."
    )
    confusion = Counter((r.task.truth.kind, r.outputs["migdigest"].page_type) for r in results if r.task.truth)
    out.append("migdigest page kind by WCXB type: " + "; ".join(
        f"{t}: " + ", ".join(f"{g} {n}" for (tt, g), n in sorted(confusion.items()) if tt == t) for t in kinds
    ) + ".")  # fmt: skip
    errors = sum(r.outputs["migdigest"].text is None for r in results)
    out.append(f"migdigest errors: {errors}.")
    return "\n".join(out)


def write_pages(results: list[PageResult], path: Path) -> None:
    """One JSON line per WCXB page: its truth, and each extractor's fields and scores, for a closer look."""
    with path.open("w", encoding="utf-8") as out:
        for r in results:
            truth = r.task.truth or Truth()
            row: dict[str, Any] = {
                "id": r.task.key,
                "url": r.task.url,
                "kind": truth.kind,
                "held_out": held_out(r.task.key),
            }
            row["truth"] = {"title": truth.title, "date": truth.date, "author": truth.author}
            for e in META_EXTRACTORS:
                o = r.outputs[e]
                row[e] = {"title": o.title, "date": o.date, "authors": o.authors, "kind": o.page_type, "error": o.error,
                          "words": len((o.text or "").split()), "scores": score(truth, guess_of(o, e))}  # fmt: skip
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def flows_fingerprint() -> str:
    """Short hashes of the extract/ files that decide extraction, to tell which code a table measured."""
    here = Path(importlib.import_module("extract").__file__ or ".").parent
    names = ("page.py", "page_kind.py", "body_tree.py", "boilerplate.py", "byline.py", "metadata.py", "normalise.py")
    return ", ".join(
        f"{name} {hashlib.sha256((here / name).read_bytes()).hexdigest()[:10]}"
        for name in names
        if (here / name).is_file()
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run both benchmarks, print the report."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument(
        "--scrapinghub",
        type=Path,
        default=DEFAULT_ROOT / "scrapinghub-aeb",
        help="folder with ground-truth.json and html/<id>.html.gz",
    )
    ap.add_argument(
        "--trafilatura-eval",
        type=Path,
        default=DEFAULT_ROOT / "trafilatura-eval",
        help="folder with evaldata.json, eval/ and cache/",
    )
    ap.add_argument(
        "--wcxb",
        type=Path,
        default=DEFAULT_ROOT / "wcxb-dev",
        help="folder with metadata-dev.json, dev/html/ and dev/ground-truth/",
    )
    ap.add_argument("--limit", type=int, default=None, help="at most N pages from ScrapingHub and trafilatura-eval")
    ap.add_argument("--sample", type=int, default=None, help="N WCXB pages picked by a hash of their id")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--worst", type=int, default=10, help="how many worst ScrapingHub pages to list")
    ap.add_argument("--dump", type=Path, help="write truth/migdigest/bare text of the worst pages here")
    ap.add_argument("--skip-scrapinghub", action="store_true")
    ap.add_argument("--skip-trafilatura-eval", action="store_true")
    ap.add_argument("--skip-wcxb", action="store_true")
    ap.add_argument("--pages-out", type=Path, help="write each WCXB page's truth, scores and outputs here (JSONL)")
    args = ap.parse_args(argv)

    sh, sh_truth = ([], {}) if args.skip_scrapinghub else sh_tasks(args.scrapinghub, args.limit)
    te, te_items = ([], {}) if args.skip_trafilatura_eval else te_tasks(args.trafilatura_eval, args.limit)
    wcxb = [] if args.skip_wcxb else wcxb_tasks(args.wcxb, args.sample)
    print(
        f"{len(sh)} ScrapingHub pages, {len(te)} trafilatura-eval pages, {len(wcxb)} WCXB pages, {args.jobs} jobs; "
        f"trafilatura {trafilatura.__version__}",
        file=sys.stderr,
    )
    results, wall = run_all(sh + te + wcxb, args.jobs)
    sh_res = [r for r in results if r.task.dataset == "sh"]
    te_res = [r for r in results if r.task.dataset == "te"]
    wcxb_res = [r for r in results if r.task.dataset == "wcxb"]

    print(f"extract/ code measured: {flows_fingerprint()}.")
    print(
        f"trafilatura {trafilatura.__version__}; columns: migdigest = extract_page().body, "
        "bare trafilatura = bare_extraction(html, url=url, with_metadata=True).text, "
        "extract() = trafilatura.extract(html), "
        "extract(nc) = extract(html, include_comments=False). Ratio and difference compare migdigest "
        "with bare trafilatura.\n"
    )
    if sh_res:
        print(report_sh(sh_res, sh_truth, args.worst, args.dump))
        print()
    if te_res:
        print(report_te(te_res, te_items))
        print()
    if wcxb_res:
        print(report_wcxb(wcxb_res))
        print()
        if args.pages_out:
            write_pages(wcxb_res, args.pages_out)
    print(
        f"{len(results)} pages in {wall:.0f} s wall clock with {args.jobs} jobs "
        "(pages/s rows: pages per second of extraction time, one process)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
