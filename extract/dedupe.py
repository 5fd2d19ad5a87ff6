"""Near-duplicate clustering across sources: exact copies by a normalised hash, then MinHash + LSH on 5-shingles.

- Exact: bodies equal after normalisation (NFKC, lowercase, typographic quotes and dashes made plain,
  whitespace collapsed) are one cluster. A body under `min_words` words must also have the same title: short
  texts ("Registration is closed.") repeat across unrelated pages. An empty body is never clustered.
- Near: bodies of at least `min_words` words get a MinHash signature (datasketch `LeanMinHash`, `num_perm`
  values) of their word 5-shingles; `MinHashLSH` proposes candidate pairs, and a pair is a near duplicate when
  the exact Jaccard similarity of the two shingle sets is at least `threshold`, or when the smaller set lies at
  least 90% (and at least `threshold`) inside the larger and has at least 70% of its size: a copy with its own
  boilerplate intro and outro, which Jaccard alone misses on short articles. Clusters are connected components.
- The canonical member of a cluster is the earliest published (undated last), then the longest body (word
  count), then the smallest key: deterministic, whatever the input order.
- `cluster` maps the key of every document in a cluster of two or more to the key of its canonical member
  (the canonical member maps to itself); a document that has no duplicate is not in the result.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

SHINGLE = 5
MIN_WORDS = 50
# A copy with boilerplate of its own: most of the smaller text inside the larger, boilerplate under ~30%.
CONTAINMENT = 0.9
MIN_SIZE_RATIO = 0.7
_SEED = 1  # fixed: the same documents give the same signatures in every run

# Typographic characters that differ between copies of one text (str.replace: translate is slow on non-ASCII).
_PLAIN = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("«", '"'), ("»", '"'), ("–", "-"), ("—", "-"),
          ("\u00ad", ""))  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocText:
    """The parts of a publication that duplicate detection reads."""

    key: str  # canonical URL
    source: str
    title: str
    body: str
    published: str | None = None  # ISO 8601
    word_count: int = 0  # 0: counted from the body


def _words(text: str) -> list[str]:
    for old, new in _PLAIN:
        if old in text:
            text = text.replace(old, new)
    if not text.isascii() and not unicodedata.is_normalized("NFKC", text):  # the check is cheaper than the work
        text = unicodedata.normalize("NFKC", text)
    return text.casefold().split()


def normalise(text: str) -> str:
    """Text as compared for exact duplicates: NFKC, lowercase, plain quotes and dashes, single spaces."""
    return " ".join(_words(text))


def text_hash(text: str) -> str:
    """SHA-256 of the normalised text: equal for copies that differ only in case, spacing or quote style."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


class _Shingler:
    """Word 5-shingles as 64-bit hashes (numpy), from CRC-32s of words cached for one clustering run."""

    # Multipliers of a polynomial over the five word hashes, and a multiply-shift hash family for the
    # signature: (a * x + b) mod 2**64, a odd, compared by its high bits. Fixed seeds keep runs reproducible.
    _POLY = np.uint64(0x100000001B3)

    def __init__(self, num_perm: int) -> None:
        rng = np.random.default_rng(_SEED)
        self.a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)
        self.b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self.words: dict[str, int] = {}

    def shingles(self, tokens: list[str]) -> np.ndarray:
        """One uint64 per 5-word window (duplicates kept)."""
        cache = self.words
        for word in set(tokens).difference(cache):
            cache[word] = zlib.crc32(word.encode("utf-8"))
        hashes = np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
        n = len(tokens) - SHINGLE + 1
        out = hashes[:n].copy()
        with np.errstate(over="ignore"):  # wrap-around is the point of the polynomial
            for k in range(1, SHINGLE):
                out = out * self._POLY + hashes[k : k + n]
        return out

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """MinHash values: for each hash function, the least hash of any shingle."""
        # Comparing whole 64-bit values orders them by their high bits: the same minimum as multiply-shift,
        # without the shift. One row per hash function keeps the reduction on contiguous memory.
        with np.errstate(over="ignore"):
            values = np.multiply.outer(self.a, shingles)
            values += self.b[:, None]
        signature: np.ndarray = values.min(axis=1)
        return signature


class _Components:
    """Union-find over document indices."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        """The root of i's component."""
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        """Join the components of i and j."""
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def similar(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    """Near duplicates: Jaccard >= threshold, or the smaller set mostly inside a larger one of similar size."""
    small, large = sorted((len(a), len(b)))
    if not large:
        return False
    common = len(np.intersect1d(a, b, assume_unique=True))
    if common / (small + large - common) >= threshold:
        return True
    return small >= MIN_SIZE_RATIO * large and common >= max(CONTAINMENT, threshold) * small


def cluster(
    docs: Sequence[DocText],
    *,
    threshold: float = 0.8,
    num_perm: int = 128,
    min_words: int = MIN_WORDS,
) -> dict[str, str]:
    """Key of each document that has duplicates -> key of its cluster's canonical member (itself included)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 16:
        raise ValueError(f"num_perm must be at least 16, got {num_perm}")
    twice = sorted(key for key, n in Counter(d.key for d in docs).items() if n > 1)
    if twice:
        raise ValueError(f"each document needs its own key; repeated: {', '.join(twice[:5])}")

    shingler = _Shingler(num_perm)
    tokens = [_words(d.body) for d in docs]
    components = _Components(len(docs))

    # Exact copies first: one representative per group goes on to MinHash.
    groups: dict[bytes, int] = {}
    representatives = []
    for i, doc in enumerate(docs):
        if not tokens[i]:
            continue
        long_enough = len(tokens[i]) >= min_words
        basis = " ".join(tokens[i]) if long_enough else normalise(doc.title) + "\x1f" + " ".join(tokens[i])
        digest = hashlib.sha256(basis.encode("utf-8")).digest()
        if digest in groups:
            components.union(groups[digest], i)
        else:
            groups[digest] = i
            if long_enough and len(tokens[i]) >= SHINGLE:
                representatives.append(i)

    # Near copies: LSH buckets propose pairs, the exact shingle sets decide. LSH is tuned well below the
    # threshold: tuned at 0.8 it would miss about one pair in five at a true Jaccard of 0.83, and a contained
    # copy can have a Jaccard near 0.6. Tuned at 0.5 (25 bands of 5 with 128 values) it finds 99% of pairs at
    # 0.7 and 84% at 0.59; its extra candidates cost one verification each.
    lsh = MinHashLSH(threshold=max(0.1, min(threshold - 0.15, 0.5)), num_perm=num_perm, weights=(0.3, 0.7))
    with lsh.insertion_session() as session:
        for i in representatives:
            values = shingler.signature(shingler.shingles(tokens[i]))
            session.insert(i, LeanMinHash(seed=_SEED, hashvalues=values), check_duplication=False)
    sets: dict[int, np.ndarray] = {}

    def shingle_set(i: int) -> np.ndarray:
        if i not in sets:
            sets[i] = np.unique(shingler.shingles(tokens[i]))
        return sets[i]

    # Reading the buckets directly: one pass over the tables instead of one query per document. Components
    # do not depend on the order pairs are checked in, so input order does not change the result.
    different: set[tuple[int, int]] = set()
    for table in lsh.hashtables:
        for bucket, size in table.itemcounts().items():
            if size < 2:
                continue
            together = sorted(table.get(bucket))
            for n, i in enumerate(together):
                for j in together[n + 1 :]:
                    if (i, j) in different or components.find(i) == components.find(j):
                        continue
                    if similar(shingle_set(i), shingle_set(j), threshold):
                        components.union(i, j)
                    else:
                        different.add((i, j))

    members: dict[int, list[int]] = {}
    for i in range(len(docs)):
        members.setdefault(components.find(i), []).append(i)
    result: dict[str, str] = {}
    for group in members.values():
        if len(group) < 2:
            continue
        canonical = min(group, key=lambda i: _rank(docs[i], len(tokens[i])))
        for i in group:
            result[docs[i].key] = docs[canonical].key
    return result


def _rank(doc: DocText, words: int) -> tuple[bool, str, int, str]:
    # Earliest published first (undated last), then the longest body, then the key.
    return (doc.published is None, doc.published or "", -(doc.word_count or words), doc.key)
