"""The night's dedupe step with stored fingerprints, against clustering the texts (as main did), on one digest.

    .venv/bin/python -m bench.dedupe_speed [--docs 10000] [--copies 0.05] [--repeat 3] [--profile] [--code DIR]

Builds the search bench's synthetic digest (`bench.search.build`: 600-1,000 words a publication) of DOCS
publications in a temporary folder, plus a republished copy (an intro line, a few words edited) of COPIES of them
under another source, so LSH has pairs to propose. Then, each timed REPEAT times (CPU seconds of this process):

- texts: `Digest.documents()` and `extract.dedupe.cluster` over every text (what the dedupe task did before);
  with `--code DIR`, the same with DIR's `extract.dedupe.cluster` (e.g. main exported by `git archive`), in a
  subprocess reading the same digest;
- prints made: `fingerprint()` of every text: the share the extraction workers now do beside the crawl;
- dedupe, no prints: `flows.nightly.dedupe_digest` on a digest whose prints are missing (an older digest, once);
- dedupe, prints stored: `flows.nightly.dedupe_digest` as a night runs it.

`--profile` prints cProfile's top functions of one "prints stored" dedupe. Clusters are checked equal each time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MAIN_CLUSTER = """
import json, sqlite3, sys, time
from extract.dedupe import DocText, cluster
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT canonical_url, source, title, body, published, word_count FROM documents ORDER BY id")
started = time.process_time()
docs = [DocText(u, s, t or "", b or "", p, w) for u, s, t, b, p, w in rows]
found = cluster(docs)
print(json.dumps({"cpu": time.process_time() - started, "clusters": found}))
"""


def build(db_path: Path, docs: int, copies: float) -> None:
    """The search bench's digest of `docs` publications, and edited copies of a share of them from another source."""
    from bench.search import build as build_digest
    from migdigest.models import Publication
    from storage import Digest

    build_digest(db_path, docs)
    rng = random.Random(3)
    with Digest(db_path) as db:
        db.upsert_source("copies", "Copies", "https://copies.example.org/")
        originals = rng.sample(db.documents(), int(docs * copies))
        batch = []
        for n, doc in enumerate(originals):
            tokens = doc["body"].split()
            for _ in range(rng.randint(0, 15)):
                tokens[rng.randrange(len(tokens))] = "edited"
            url = f"https://copies.example.org/{n}"
            batch.append(Publication(source="copies", url=url, canonical_url=url, title=doc["title"],
                                     body="Republished with permission. " + " ".join(tokens),
                                     published=doc["published"]))  # fmt: skip
        db.store(batch, "2026-11-26T02:00:00+00:00")


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of this process for one call, and what it returned."""
    started = time.process_time()
    value = fn()
    return time.process_time() - started, value


def clusters_of(db_path: Path) -> dict[str, str]:
    """canonical URL -> its cluster's canonical URL, as the digest holds them."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT id, canonical_url, cluster_id FROM documents").fetchall()
    finally:
        conn.close()
    urls = {i: u for i, u, _ in rows}
    return {u: urls[c] for _, u, c in rows if c is not None}


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--copies", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--code", type=Path, help="also time this checkout's extract.dedupe.cluster over the texts")
    args = parser.parse_args()

    from extract.dedupe import DocText, cluster, fingerprint
    from flows.nightly import dedupe_digest
    from storage import Digest

    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="migdigest-dedupe-") as tmp:
        db_path = Path(tmp) / "digest.db"
        build(db_path, args.docs, args.copies)
        with Digest(db_path) as db:
            texts = [DocText(d["canonical_url"], d["source"], d["title"] or "", d["body"] or "", d["published"],
                             d["word_count"]) for d in db.documents()]  # fmt: skip
        expected = cluster(texts)
        for _ in range(args.repeat):

            def by_texts() -> dict[str, str]:
                with Digest(db_path) as db:
                    docs = [DocText(d["canonical_url"], d["source"], d["title"] or "", d["body"] or "",
                                    d["published"], d["word_count"]) for d in db.documents()]  # fmt: skip
                return cluster(docs)

            seconds, found = cpu(by_texts)
            assert found == expected
            times.setdefault("texts: documents() + cluster()", []).append(seconds)
            if args.code:
                command = [sys.executable, "-c", _MAIN_CLUSTER, str(db_path)]
                env = {"PYTHONPATH": str(args.code)}
                out = subprocess.run(command, cwd=args.code, env=env, capture_output=True, text=True, check=True)
                given = json.loads(out.stdout)
                assert given["clusters"] == expected, "the other checkout clusters differently"
                times.setdefault(f"texts, {args.code.name}'s cluster()", []).append(given["cpu"])
            seconds, _ = cpu(lambda: [fingerprint(t.title, t.body) for t in texts])
            times.setdefault("prints made (the workers' share)", []).append(seconds)
            conn = sqlite3.connect(db_path)
            conn.execute("DELETE FROM document_prints")
            conn.execute("UPDATE documents SET cluster_id = NULL")
            conn.commit()
            conn.close()
            seconds, _ = cpu(lambda: dedupe_digest.fn(db_path))
            assert clusters_of(db_path) == expected
            times.setdefault("dedupe task, no prints stored", []).append(seconds)
            conn = sqlite3.connect(db_path)
            conn.execute("UPDATE documents SET cluster_id = NULL")
            conn.commit()
            conn.close()
            seconds, _ = cpu(lambda: dedupe_digest.fn(db_path))
            assert clusters_of(db_path) == expected
            times.setdefault("dedupe task, prints stored", []).append(seconds)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(dedupe_digest.fn, db_path)
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
            print(text.getvalue())
    n = len(texts)
    print(f"{n:,} publications ({args.docs:,} of the search bench + {n - args.docs:,} edited copies), "
          f"{len(expected):,} in a cluster; CPU s of this process, median (min-max) of {args.repeat}")  # fmt: skip
    base = statistics.median(times["texts: documents() + cluster()"])
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label:42} {median:7.2f} ({min(values):.2f}-{max(values):.2f})  {median / base:5.2f}x")


if __name__ == "__main__":
    main()
