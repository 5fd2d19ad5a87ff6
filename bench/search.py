"""Search speed at 100,000 publications: storage's FTS (Digest.search) and the analyst's search page, p50/p95.

Run on demand (never by the test suite; building the digest takes ~3 minutes, once: it is kept in
tmp/bench/n<DOCS>/ and reused by later runs until --rebuild):

    .venv/bin/python -m bench.search [--docs 100000] [--rebuild] [--rounds 3] [--per-kind 40] [--skip-datasette]
                                     [--profile]

The digest is synthetic but sized like the real thing: 600-1,000 words of body per publication (plus title,
summary and 1-3 authors), words drawn with a Zipf distribution (s = 1.05) over a 60,000-word vocabulary whose
most frequent ranks are the real words of the bundled MPI mirror and the seed pages, ordered by their
frequency there, and whose tail is made-up words (names, places and rare terms). It is written through
`storage.Digest.store()` in batches, as the pipeline writes it, and searched as users search it:

- rare: one word seen in a few publications;
- common: one frequent content word (thousands to tens of thousands of matches);
- phrase: two or three words in a row taken from a stored body, quoted;
- words: two or three mid-frequency words (all must match).

FTS = `Digest.search(q, limit=20)` (bm25 ranking and snippets) in this process. Search page = HTTP GET of
`/-/search?q=q` (the analyst's page: 20 results ranked, snippets, exact total and all seven facets) from a real
Datasette started with `outputs.datasette.datasette_args()`; "filtered" adds a publisher and a year to a common
word. `--profile` prints where an FTS search's time goes, step by step, side by side with and without
storage's READ_PRAGMAS (memory-mapped reads, a 64 MB page cache). The digest's FTS index is merged after
the build, as the nightly flow does after each run. Targets (issue 17): search page p95 <= 150 ms for every kind;
FTS p50 <= 5 ms for rare words and phrases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import sqlite3  # noqa: E402

from migdigest.models import DOC_TYPES, Publication  # noqa: E402
from outputs.datasette import running_datasette  # noqa: E402
from storage import Digest, QueryError, build_match  # noqa: E402
from storage.digest import READ_PRAGMAS  # noqa: E402
from storage.search import RANK, _ranked_phrase, run_search  # noqa: E402
from storage.snippets import fts_snippets  # noqa: E402

VOCABULARY = 60_000
ZIPF_S = 1.05
BATCH = 2_000
FTS_TARGET_P50_MS = 5.0  # rare words and phrases
PAGE_TARGET_P95_MS = 150.0
CACHE = REPO / "tmp" / "bench"

SOURCES = {"mmc": 20, "mpi": 25, "odi": 15, "iom": 12, "unhcr": 10, "cgd": 6, "ecre": 5, "eui": 4, "reliefweb": 3}
TYPE_WEIGHTS = {"report": 20, "policy brief": 12, "commentary": 25, "article": 25, "working paper": 8,
                "event": 4, "podcast": 2, "video": 1, "dataset": 1, "other": 2}  # fmt: skip
LANGUAGES = {"en": 85, "fr": 6, "es": 5, "de": 2, "ar": 2}
TOPICS = ("Asylum", "Climate and Environment", "Border Control", "Labour Migration", "Remittances",
          "Smuggling and Trafficking", "Integration", "Return and Reintegration", "Statelessness", "Urban Migration",
          "Internal Displacement", "Children and Youth", "Gender", "Health", "Data and Statistics",
          "Legal Pathways", "Detention", "Diaspora", "Education", "Protection")  # fmt: skip
REGIONS = ("Africa", "Americas", "Asia", "Europe", "Middle East", "Oceania", "Sahel", "Horn of Africa",
           "Central Mediterranean", "Latin America", "Central America", "South Asia", "Southeast Asia")  # fmt: skip
# Words too frequent and empty of meaning for anyone to search them alone.
_FUNCTION_WORDS_TEXT = """
    the of and to in a for on that is are as with by from this its it be or an at their have has was were which not
    more than also but they been can these who had other into would will such all about most one two new how what
    some many both while there those between across over under after before may up out so s
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())
_WORD = re.compile(r"[A-Za-z][A-Za-z’']*[A-Za-z]|[A-Za-z]")


def real_words() -> list[str]:
    """Words of the bundled texts (MPI mirror content, seed pages), most frequent first."""
    texts = [p.read_text(encoding="utf-8") for p in (REPO / "mirrors" / "mpi").glob("*.yaml")]
    seeds = Path("/work/shared/seeds")
    if seeds.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    counts = Counter(w.lower().replace("’", "'") for text in texts for w in _WORD.findall(text))
    return [w for w, n in counts.most_common() if (n >= 2 and len(w) > 1) or w == "a"]


def made_up_words(n: int, rng: random.Random, taken: set[str]) -> list[str]:
    """Pronounceable invented words for the tail of the vocabulary (names, places, rare terms)."""
    onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr", "st", "tr", "sh"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ou", "ea"]
    codas = ["", "", "n", "r", "s", "l", "m", "t", "nd", "rk"]
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4))) + rng.choice(codas)
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


@dataclass
class Corpus:
    """The synthetic corpus: its vocabulary (by rank) and the queries drawn from it."""

    vocab: list[str]
    phrases: list[str] = field(default_factory=list)


def vocabulary(rng: random.Random) -> list[str]:
    """Real words first (by frequency), invented ones after, VOCABULARY in all."""
    words = real_words()[: VOCABULARY // 2]
    return words + made_up_words(VOCABULARY - len(words), rng, set(words))


def generate(n_docs: int, seed: int = 7) -> tuple[Corpus, Iterator[list[Publication]]]:
    """The corpus description and an iterator of publication batches (deterministic for a seed)."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    corpus = Corpus(vocab)
    words = np.array(vocab, dtype=object)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    cdf = np.cumsum(1.0 / ranks**ZIPF_S)
    cdf /= cdf[-1]
    nprng = np.random.default_rng(seed)
    people = [f"{a.capitalize()} {b.capitalize()}" for a, b in zip(vocab[-4000:-2000], vocab[-2000:], strict=True)]

    def draw(count: int) -> list[str]:
        return list(words[np.searchsorted(cdf, nprng.random(count))])

    def text(count: int) -> str:
        tokens = draw(count)
        paragraphs: list[str] = []
        sentences: list[str] = []
        i = 0
        while i < count:
            length = rng.randint(8, 28)
            sentence = tokens[i : i + length]
            i += length
            sentences.append(" ".join([sentence[0].capitalize(), *sentence[1:]]) + ".")
            if len(sentences) >= rng.randint(3, 6) or i >= count:
                paragraphs.append(" ".join(sentences))
                sentences = []
        return "\n".join(paragraphs)

    def batches() -> Iterator[list[Publication]]:
        start = dt.date(2005, 1, 1)
        days = (dt.date(2026, 11, 24) - start).days
        for first in range(0, n_docs, BATCH):
            batch: list[Publication] = []
            for n in range(first, min(first + BATCH, n_docs)):
                source = rng.choices(list(SOURCES), weights=list(SOURCES.values()))[0]
                body = text(rng.randint(600, 1000))
                if n % 500 == 0:  # a phrase that is sure to be in the digest
                    tokens = body.split()
                    at = rng.randrange(len(tokens) - 3)
                    corpus.phrases.append(" ".join(re.sub(r"\W", "", t) for t in tokens[at : at + rng.choice((2, 3))]))
                title_words = draw(rng.randint(5, 12))
                batch.append(
                    Publication(
                        source=source,
                        url=f"https://{source}.example.org/publications/{n}",
                        canonical_url=f"https://{source}.example.org/publications/{n}",
                        title=" ".join(w.capitalize() for w in title_words),
                        body=body,
                        summary=text(rng.randint(30, 60)),
                        authors=rng.sample(people, rng.choice((1, 1, 2, 3))),
                        published=(start + dt.timedelta(days=rng.randrange(days))).isoformat(),
                        language=rng.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0],
                        doc_type=rng.choices(DOC_TYPES, weights=[TYPE_WEIGHTS[t] for t in DOC_TYPES])[0],
                        pdf_url=f"https://{source}.example.org/files/{n}.pdf" if rng.random() < 0.4 else None,
                        topics=rng.sample(TOPICS, rng.choice((0, 1, 1, 2, 2, 3))),
                        regions=rng.sample(REGIONS, rng.choice((0, 1, 1, 2))),
                        word_count=len(body.split()),
                    )
                )
            yield batch

    return corpus, batches()


def build(db_path: Path, n_docs: int) -> Corpus:
    """Write the synthetic digest through Digest.store() in batches; return its corpus description."""
    corpus, batches = generate(n_docs)
    started = time.perf_counter()
    done = 0
    with Digest(db_path) as digest:
        for source in SOURCES:
            digest.upsert_source(source, source.upper(), f"https://{source}.example.org/")
        for batch in batches:
            digest.store(batch, "2026-11-25T02:00:00+00:00")
            done += len(batch)
            rate = done / (time.perf_counter() - started)
            print(f"\r  stored {done:,}/{n_docs:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return corpus


def queries(corpus: Corpus, per_kind: int, seed: int = 11) -> dict[str, list[str]]:
    """Query mix by kind: rare words, common words, phrases, two or three words."""
    rng = random.Random(seed)
    vocab = corpus.vocab

    def content(lo: int, hi: int) -> str:
        while True:
            word = vocab[rng.randrange(lo, hi)]
            if word not in _FUNCTION_WORDS and len(word) > 3 and "'" not in word:
                return word

    # Nobody searches for "of the": keep phrases that begin and end with a word that means something.
    phrases = [p for p in corpus.phrases if not {p.split()[0], p.split()[-1]} & _FUNCTION_WORDS]
    return {
        "rare": [content(4_000, VOCABULARY) for _ in range(per_kind)],
        "common": [content(25, 400) for _ in range(per_kind)],
        "phrase": [f'"{p}"' for p in rng.sample(phrases, min(per_kind, len(phrases)))],
        "words": [" ".join(content(100, 4_000) for _ in range(rng.choice((2, 3)))) for _ in range(per_kind)],
    }


def timed(fn: Callable[[str], object], qs: list[str], rounds: int, cpu: list[float] | None = None) -> list[float]:
    """Milliseconds per call (wall clock), after one warm-up pass over the queries; `cpu` gets this thread's CPU
    milliseconds per call, which a loaded machine inflates far less (it leaves out the time spent waiting for a
    core)."""
    for q in qs:
        fn(q)
    times: list[float] = []
    for _ in range(rounds):
        for q in qs:
            c0, t0 = time.thread_time(), time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
            if cpu is not None:
                cpu.append((time.thread_time() - c0) * 1000)
    return times


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def fetch(url: str) -> bytes:
    """GET a URL; any HTTP error fails the benchmark (a 4xx/5xx is not a fast search)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


def prepare(n_docs: int, rebuild: bool) -> tuple[Path, Corpus]:
    """The synthetic digest of n_docs in tmp/bench/n<n_docs>/, built (and its FTS index merged) if not there."""
    workdir = CACHE / f"n{n_docs}"
    workdir.mkdir(parents=True, exist_ok=True)
    db_path, phrases, done = workdir / "digest.db", workdir / "phrases.txt", workdir / "complete"
    if done.exists() and db_path.exists() and not rebuild:
        corpus, _ = generate(0)
        corpus.phrases = phrases.read_text(encoding="utf-8").splitlines()
        print(f"reusing {db_path}")
        return db_path, corpus
    done.unlink(missing_ok=True)
    for stale in workdir.glob("digest.db*"):
        stale.unlink()
    started = time.perf_counter()
    corpus = build(db_path, n_docs)
    phrases.write_text("\n".join(corpus.phrases), encoding="utf-8")
    built = time.perf_counter() - started
    with Digest(db_path) as digest:
        digest.optimize_search()  # as flows/nightly.py does after a run
    print(f"built {db_path} in {built:.0f} s, FTS index merged in {time.perf_counter() - started - built:.0f} s")
    done.write_text("ok\n", encoding="utf-8")
    return db_path, corpus


def profile_steps(
    match: dict[str, str], top: dict[str, list[int]]
) -> dict[str, Callable[[sqlite3.Connection, str], object]]:
    """The steps of an FTS search (and one alternative), each run alone on a connection for a query."""
    snippet = "snippet(documents_fts, -1, '[', ']', '…', 28)"
    return {
        "MATCH alone (every rowid)": lambda c, q: c.execute(
            "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?", [match[q]]
        ).fetchall(),
        "MATCH + bm25, top 20": lambda c, q: c.execute(
            f"SELECT rowid, {RANK} AS s FROM documents_fts WHERE documents_fts MATCH ? ORDER BY s, rowid LIMIT 20",
            [match[q]],
        ).fetchall(),
        "count(*)": lambda c, q: c.execute(
            "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [match[q]]
        ).fetchall(),
        "snippets of the top 20": lambda c, q: fts_snippets(c, top[q], match[q], "[", "]"),
        "snippet() with the ranking, top 20": lambda c, q: c.execute(
            f"SELECT rowid, {RANK} AS s, {snippet} FROM documents_fts WHERE documents_fts MATCH ?"
            " ORDER BY s, rowid LIMIT 20",
            [match[q]],
        ).fetchall(),
        "one pass: matches, snippets, hits (<= 20)": lambda c, q: _ranked_phrase(c, match[q], 20),
        "Digest.search (the FTS column)": lambda c, q: run_search(c, q, limit=20),
    }


def profile(db_path: Path, mix: dict[str, list[str]], rounds: int) -> None:
    """Where an FTS search's time goes, step by step, with SQLite's default connection settings and with storage's
    READ_PRAGMAS, side by side (each query runs on both connections in turn, so load hits both alike)."""
    uri = f"file:{db_path}?mode=ro"
    conns = {"default": sqlite3.connect(uri, uri=True), "read pragmas": sqlite3.connect(uri, uri=True)}
    for pragma in READ_PRAGMAS:
        conns["read pragmas"].execute(pragma)
    for kind in ("phrase", "rare"):
        qs = mix[kind]
        match = {q: build_match(q) for q in qs}
        top = {
            q: [r[0] for r in conns["default"].execute(
                f"SELECT rowid, {RANK} AS s FROM documents_fts WHERE documents_fts MATCH ? ORDER BY s, rowid LIMIT 20",
                [match[q]])]
            for q in qs
        }  # fmt: skip
        steps = profile_steps(match, top)
        times: dict[tuple[str, str], list[float]] = {(step, name): [] for step in steps for name in conns}
        cpu: dict[tuple[str, str], list[float]] = {(step, name): [] for step in steps for name in conns}
        # Step by step, each over all the queries in turn as the FTS column runs them (the first round warms up).
        for step, fn in steps.items():
            for r in range(rounds + 1):
                for q in qs:
                    for name, conn in conns.items():
                        c0, t0 = time.thread_time(), time.perf_counter()
                        fn(conn, q)
                        if r:
                            times[step, name].append((time.perf_counter() - t0) * 1000)
                            cpu[step, name].append((time.thread_time() - c0) * 1000)
        print(f"profile of {kind} FTS searches ({len(qs)} queries x {rounds}), p50 ms wall / cpu:")
        print(f"  {'':<40}" + "".join(f" {n:>15}" for n in conns))
        for step in steps:
            print(
                f"  {step:<40}"
                + "".join(f" {pct(times[step, n], 50):>7.2f} / {pct(cpu[step, n], 50):<5.2f}" for n in conns)
            )
    for conn in conns.values():
        conn.close()


def main() -> None:
    """Build (or reuse) the synthetic digest, time the searches and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true", help="build the digest again even if it is cached")
    parser.add_argument("--per-kind", type=int, default=40, help="queries of each kind")
    parser.add_argument("--rounds", type=int, default=3, help="times each query is run (after a warm-up)")
    parser.add_argument("--skip-datasette", action="store_true", help="time storage's FTS only, not the page")
    parser.add_argument("--profile", action="store_true", help="where an FTS search's time goes, step by step")
    parser.add_argument("--fts-runs", type=int, default=1, help="run the FTS part this many times (a loaded machine)")
    args = parser.parse_args()

    db_path, corpus = prepare(args.docs, args.rebuild)
    size_mb = sum(p.stat().st_size for p in db_path.parent.glob("digest.db*")) / 1e6
    with Digest(db_path) as digest:
        segments = digest.search_segments()
        n_docs = digest.counts()["documents"]
        words = digest._db.execute("SELECT avg(word_count) FROM documents").fetchone()[0]
        mix = queries(corpus, args.per_kind)
        rng = random.Random(5)
        years = [str(y) for y in range(2008, 2026)]
        filtered = [(q, rng.choice(list(SOURCES)), rng.choice(years)) for q in mix["common"]]

        def fts(q: str) -> list[object]:
            try:
                return list(digest.search(q, limit=20))
            except QueryError:
                return []

        # On a loaded machine the FTS part runs --fts-runs times: its p50 is then the median of the runs' medians.
        fts_cpu: dict[str, list[float]] = {kind: [] for kind in mix}
        fts_times: dict[str, list[float]] = {kind: [] for kind in mix}
        run_medians: dict[str, list[float]] = {kind: [] for kind in mix}
        for _ in range(args.fts_runs):
            for kind, qs in mix.items():
                times = timed(fts, qs, args.rounds, fts_cpu[kind])
                fts_times[kind] += times
                run_medians[kind].append(pct(times, 50))
        # How many publications each query matches (the FTS index alone answers this, in a few ms).
        count = "SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?"
        matches = {
            kind: [digest._db.execute(count, [build_match(q)]).fetchone()[0] for q in qs] for kind, qs in mix.items()
        }
        matches["filtered"] = matches["common"]
        # What ranking a common word costs: bm25 over every match, against the page's bound (title matches only).
        every_match = f"SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY {RANK} LIMIT 20"
        title_only = (
            "SELECT group_concat(rowid) FROM"
            f" (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY {RANK})"
        )
        rank_costs = {
            "bm25 over every match (top 20)": timed(
                lambda q: digest._db.execute(every_match, [build_match(q)]).fetchall(), mix["common"], 1
            ),
            "bm25 over the title matches (all, in order)": timed(
                lambda q: digest._db.execute(title_only, ["{title} : (" + build_match(q) + ")"]).fetchall(),
                mix["common"],
                1,
            ),
        }

    if args.profile:
        profile(db_path, mix, args.rounds)
        print()
    page_times: dict[str, list[float]] = {}
    if not args.skip_datasette:
        with running_datasette(db_path) as base:

            def page(q: str) -> bytes:
                return fetch(f"{base}/-/search?" + urllib.parse.urlencode({"q": q}))

            by_text = {q: (source, year) for q, source, year in filtered}

            def narrowed(q: str) -> bytes:
                source, year = by_text[q]
                return fetch(f"{base}/-/search?" + urllib.parse.urlencode({"q": q, "publisher": source, "year": year}))

            assert b'class="facet"' in page(mix["common"][0])  # the page under test, facets and all
            page_times = {kind: timed(page, qs, args.rounds) for kind, qs in mix.items()}
            page_times["filtered"] = timed(narrowed, [q for q, _, _ in filtered], args.rounds)

    print()
    print(f"date: {dt.date.today().isoformat()}  machine: {os.cpu_count()} cores, {platform.machine()},"
          f" Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version},"
          f" load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"digest: {n_docs:,} publications, {words:,.0f} words of body on average, {size_mb:,.0f} MB,"
          f" FTS index in {segments} segment(s)")  # fmt: skip
    print(f"queries: {args.per_kind} of each kind, each run {args.rounds} times after a warm-up")
    print()
    columns = ("FTS", "FTS cpu", "page")
    header = f"{'kind':<8} {'matches (median)':>16}" + "".join(f" {c + ' p50':>11} {c + ' p95':>11}" for c in columns)
    print(header)
    print("-" * len(header))
    series = {"FTS": fts_times, "FTS cpu": fts_cpu, "page": page_times}
    every: dict[str, list[float]] = {c: [] for c in columns}

    def cells(values: list[float]) -> str:
        if not values:
            return f" {'-':>11} {'-':>11}"
        return f" {pct(values, 50):>9.1f}ms {pct(values, 95):>9.1f}ms"

    for kind in [*mix, "filtered"]:
        line = f"{kind:<8} {statistics.median(matches[kind]):>16,.0f}"
        for c in columns:
            values = series[c].get(kind, [])
            every[c] += values
            if c == "FTS" and values:
                line += f" {statistics.median(run_medians[kind]):>9.1f}ms {pct(values, 95):>9.1f}ms"
            else:
                line += cells(values)
        print(line)
    print(f"{'all':<8} {'':>16}" + "".join(cells(every[c]) for c in columns))
    print()
    print("ranking a common word (in process):")
    for label, values in rank_costs.items():
        print(f"  {label:<44} p50 {pct(values, 50):7.1f} ms  p95 {pct(values, 95):7.1f} ms")
    print()
    if args.fts_runs > 1:
        print(f"FTS p50 of each of the {args.fts_runs} runs (the table's FTS p50 is their median):")
        for kind, medians in run_medians.items():
            print(f"  {kind:<8}" + "".join(f" {m:6.1f}" for m in medians))
        print()
    for kind in ("rare", "phrase"):
        p50 = statistics.median(run_medians[kind])
        print(f"FTS p50 {kind} {p50:.1f} ms (target <= {FTS_TARGET_P50_MS:.0f}): "
              f"{'ok' if p50 <= FTS_TARGET_P50_MS else 'MISSED'}")  # fmt: skip
    for kind, values in page_times.items():
        p95 = pct(values, 95)
        print(f"search page p95 {kind} {p95:.1f} ms (target <= {PAGE_TARGET_P95_MS:.0f}):"
              f" {'ok' if p95 <= PAGE_TARGET_P95_MS else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
