"""Store throughput: publications upserted per second with the full-text index maintained, at 10k and 100k rows.

    .venv/bin/python -m bench.store [--sizes 10000 100000] [--batch 1000]

Builds a fresh digest of synthetic publications (about 800 words each, drawn from the MPI mirror's vocabulary)
in batches, as the nightly flow does, and prints the throughput of the batch that crosses each size, plus the
throughput of re-storing an unchanged batch (what a quiet night costs).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Fill a digest batch by batch and report publications/s at each size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    from migdigest.models import Publication
    from mirrors import SITES
    from storage import Digest

    words = " ".join(f"{p.summary} {p.first_sentence} {p.last_sentence}" for p in SITES["mpi"].publications())
    vocab = words.split()
    rng = random.Random(0)

    def pub(i: int) -> Publication:
        body = " ".join(rng.choices(vocab, k=800))
        url = f"https://example.org/p/{i}"
        return Publication(source="bench", url=url, canonical_url=url, title=" ".join(rng.choices(vocab, k=9)),
                           body=body, summary=body[:300], authors=[f"Author {i % 500}"], published="2024-01-01",
                           topics=["Labour migration"], regions=["Europe"])  # fmt: skip

    print(f"{'rows':>9}{'batch pubs/s':>15}{'unchanged re-store pubs/s':>28}")
    with tempfile.TemporaryDirectory(prefix="migdigest-store-") as tmp, Digest(Path(tmp) / "digest.db") as db:
        stored = 0
        for size in sorted(args.sizes):
            while stored + args.batch < size:
                db.store([pub(stored + k) for k in range(args.batch)], seen_at="2024-01-02T00:00:00+00:00")
                stored += args.batch
            batch = [pub(stored + k) for k in range(args.batch)]
            started = time.perf_counter()
            db.store(batch, seen_at="2024-01-02T00:00:00+00:00")
            rate = args.batch / (time.perf_counter() - started)
            stored += args.batch
            started = time.perf_counter()
            db.store(batch, seen_at="2024-01-03T00:00:00+00:00")
            again = args.batch / (time.perf_counter() - started)
            print(f"{stored:>9}{rate:>15.0f}{again:>28.0f}")


if __name__ == "__main__":
    main()
