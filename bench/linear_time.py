"""Guards against quadratic work: time at n and at 2n, side by side, for the text steps that met long input.

    .venv/bin/python -m bench.linear_time [--repeat 3]

- PDF paragraph joining (`extract.pdftext._assemble`): pages of full lines without a sentence end, so the
  whole document is one paragraph (the case that once took minutes).
- Tagging (`extract.taxonomy.tag`) of 1,000-word bodies drawn from real text with many acronym matches.

Each row prints the median seconds at n and 2n and their ratio: about 2 is linear, about 4 quadratic.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Time each step at n and 2n and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from extract.pdftext import _assemble
    from extract.taxonomy import load_taxonomy, tag
    from mirrors import SITES

    def pdf(pages: int) -> Callable[[], object]:
        doc = [["w" * 100 + str(i) for i in range(60)] for _ in range(pages)]
        return lambda: _assemble(doc)

    taxonomy = load_taxonomy()
    truth = SITES["mpi"].publications()
    words = " ".join(f"{p.summary} {p.first_sentence} {p.last_sentence}" for p in truth).split()
    words += ["US", "EU", "Kenya"] * 50
    rng = random.Random(3)

    def tagging(bodies: int) -> Callable[[], object]:
        texts = [" ".join(rng.choice(words) for _ in range(1000)) for _ in range(bodies)]
        return lambda: [tag("Title", "Summary", body, taxonomy) for body in texts]

    print(f"{'step':<34} {'n':>6} {'s at n':>8} {'s at 2n':>8} {'ratio':>6}")
    for label, make, n in (("PDF paragraph joining (pages)", pdf, 300), ("tagging (1,000-word bodies)", tagging, 100)):
        one, two = _median(make(n), args.repeat), _median(make(2 * n), args.repeat)
        print(f"{label:<34} {n:>6} {one:>8.3f} {two:>8.3f} {two / one:>6.2f}")


if __name__ == "__main__":
    main()
