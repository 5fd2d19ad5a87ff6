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
- What clustering needs of each text (word count, exact-copy hash, MinHash signature) is its `Fingerprint`:
  computed once per text (by the extraction workers, beside the crawl), stored with the publication as bytes
  (`pack_print`), and clustered by `cluster_prints`, which reads a body only for the pairs LSH proposes.
  `cluster` is `cluster_prints` over fingerprints computed on the spot: one code path, the same clusters.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

SHINGLE = 5
MIN_WORDS = 50
# A copy with boilerplate of its own: most of the smaller text inside the larger, boilerplate under ~30%.
CONTAINMENT = 0.9
MIN_SIZE_RATIO = 0.7
_SEED = 1  # fixed: the same documents give the same signatures in every run
NUM_PERM = 128
THRESHOLD = 0.8

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


_WORD_CACHE = 500_000  # CRC-32s of words kept by one shingler (~60 MB at most)


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
        if len(cache) > _WORD_CACHE:  # a worker process fingerprints for nights on end: the cache must not grow
            cache.clear()
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


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What clustering reads of one text, made with `num_perm` hash functions and `min_words`."""

    words: int  # normalised words of the body (0: empty, never clustered)
    exact: bytes  # SHA-256 of what exact copies share: the body, and the title too under min_words
    signature: np.ndarray | None  # MinHash of the body's 5-shingles (num_perm uint64s); None under min_words
    num_perm: int = NUM_PERM
    min_words: int = MIN_WORDS


@lru_cache(maxsize=4)
def _shingler(num_perm: int) -> _Shingler:
    return _Shingler(num_perm)


def fingerprint(title: str, body: str, *, num_perm: int = NUM_PERM, min_words: int = MIN_WORDS) -> Fingerprint:
    """The fingerprint of one publication's title and body."""
    return _fingerprint(title, _words(body), _shingler(num_perm), min_words)


def _fingerprint(title: str, tokens: list[str], shingler: _Shingler, min_words: int) -> Fingerprint:
    num_perm = len(shingler.a)
    if not tokens:
        return Fingerprint(0, b"", None, num_perm, min_words)
    long_enough = len(tokens) >= min_words
    basis = " ".join(tokens) if long_enough else normalise(title) + "\x1f" + " ".join(tokens)
    exact = hashlib.sha256(basis.encode("utf-8")).digest()
    signature = shingler.signature(shingler.shingles(tokens)) if long_enough and len(tokens) >= SHINGLE else None
    return Fingerprint(len(tokens), exact, signature, num_perm, min_words)


# Packed: a tag (format 1), num_perm, min_words, words, the exact hash, then the signature (little-endian uint64s)
# or nothing. The tag and parameters let a reader tell a fingerprint made otherwise from one it can use.
_PRINT_TAG = b"MDF1"
_PRINT_HEAD = struct.Struct("<4sHHI32s")


def pack_print(fp: Fingerprint) -> bytes:
    """The fingerprint as bytes, to store with the publication."""
    exact = fp.exact or bytes(32)
    head = _PRINT_HEAD.pack(_PRINT_TAG, fp.num_perm, fp.min_words, fp.words, exact)
    return head if fp.signature is None else head + fp.signature.astype("<u8").tobytes()


def unpack_print(data: bytes | None, *, num_perm: int = NUM_PERM, min_words: int = MIN_WORDS) -> Fingerprint | None:
    """The fingerprint `pack_print` wrote, or None: no bytes, another format, or made with other parameters."""
    if not data or len(data) < _PRINT_HEAD.size:
        return None
    tag, perms, least, words, exact = _PRINT_HEAD.unpack_from(data)
    if tag != _PRINT_TAG or perms != num_perm or least != min_words:
        return None
    rest = len(data) - _PRINT_HEAD.size
    if rest not in (0, 8 * num_perm):
        return None
    signature = np.frombuffer(data, dtype="<u8", offset=_PRINT_HEAD.size).astype(np.uint64) if rest else None
    if (signature is not None) != (words >= max(min_words, SHINGLE)):  # not what fingerprint() makes: redo it
        return None
    return Fingerprint(words, exact if words else b"", signature, num_perm, min_words)


@dataclass(frozen=True, slots=True)
class DocPrint:
    """A publication as `cluster_prints` reads it: its key, its fingerprint and what ranks it in a cluster."""

    key: str
    fingerprint: Fingerprint
    published: str | None = None  # ISO 8601
    word_count: int = 0  # 0: the fingerprint's word count


def cluster(
    docs: Sequence[DocText],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    min_words: int = MIN_WORDS,
) -> dict[str, str]:
    """Key of each document that has duplicates -> key of its cluster's canonical member (itself included)."""
    _check(threshold, num_perm)
    shingler = _Shingler(num_perm)  # one run's word cache
    tokens = [_words(d.body) for d in docs]
    prints = [
        DocPrint(d.key, _fingerprint(d.title, t, shingler, min_words), d.published, d.word_count)
        for d, t in zip(docs, tokens, strict=True)
    ]
    return cluster_prints(
        prints,
        lambda indices: [tokens[i] for i in indices],
        threshold=threshold,
        num_perm=num_perm,
        min_words=min_words,
        shingler=shingler,
    )


def _check(threshold: float, num_perm: int) -> None:
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if num_perm < 16:
        raise ValueError(f"num_perm must be at least 16, got {num_perm}")


# datasketch's choice for the tuning of THRESHOLD and NUM_PERM (and of any threshold from 0.65 up), so that a night's
# dedupe need not import it: its LSH module imports scipy.integrate, ~0.7 s of the first night in a process
# (bench/README.md, issue 20). tests/test_dedupe_bands.py checks that datasketch still chooses these.
TUNED_BANDS = {(0.5, 128): (25, 5)}


def _tuning(threshold: float) -> float:
    """The threshold LSH is tuned at for a clustering `threshold` (see _bands)."""
    return max(0.1, min(threshold - 0.15, 0.5))


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows per band (datasketch's choice), tuned well below the threshold.

    Tuned at 0.8 it would miss about one pair in five at a true Jaccard of 0.83, and a contained copy can have a
    Jaccard near 0.6. Tuned at 0.5 (25 bands of 5 with 128 values) it finds 99% of pairs at 0.7 and 84% at 0.59;
    its extra candidates cost one verification each.
    """
    if (known := TUNED_BANDS.get((_tuning(threshold), num_perm))) is not None:
        return known
    from datasketch import MinHashLSH  # here: the extraction workers import this module, and need none of it

    lsh = MinHashLSH(threshold=_tuning(threshold), num_perm=num_perm, weights=(0.3, 0.7))
    return lsh.b, lsh.r


def _buckets(signatures: np.ndarray, bands: int, rows: int) -> list[list[int]]:
    """Rows (of `signatures`) that share all values of some band, one sorted list per shared band of 2 or more.

    The buckets of datasketch's MinHashLSH (a band's values, compared whole), found with numpy in one sort per
    band instead of a dict insert per document and band.
    """
    found: list[list[int]] = []
    if len(signatures) < 2:
        return found
    for band in range(bands):
        values = np.ascontiguousarray(signatures[:, band * rows : (band + 1) * rows])
        keys = values.view(np.dtype((np.void, values.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1], [True])))
        for start, end in itertools.pairwise(starts.tolist()):
            if end - start > 1:
                found.append(sorted(order[start:end].tolist()))
    return found


def cluster_prints(
    docs: Sequence[DocPrint],
    tokens_of: Callable[[list[int]], Sequence[list[str]]],
    *,
    threshold: float = THRESHOLD,
    num_perm: int = NUM_PERM,
    min_words: int = MIN_WORDS,
    shingler: _Shingler | None = None,
) -> dict[str, str]:
    """`cluster` over fingerprints; `tokens_of(indices)` gives those documents' body words (`words`), read only
    for the pairs LSH proposes."""
    _check(threshold, num_perm)
    twice = sorted(key for key, n in Counter(d.key for d in docs).items() if n > 1)
    if twice:
        raise ValueError(f"each document needs its own key; repeated: {', '.join(twice[:5])}")
    other = next(
        (d.key for d in docs if (d.fingerprint.num_perm, d.fingerprint.min_words) != (num_perm, min_words)), None
    )
    if other is not None:
        raise ValueError(f"the fingerprint of {other} was made with other parameters than num_perm={num_perm}, "
                         f"min_words={min_words}")  # fmt: skip
    components = _Components(len(docs))

    # Exact copies first: one representative per group goes on to MinHash.
    groups: dict[bytes, int] = {}
    representatives: list[int] = []
    signatures: list[np.ndarray] = []
    for i, doc in enumerate(docs):
        fp = doc.fingerprint
        if not fp.words:
            continue
        if fp.exact in groups:
            components.union(groups[fp.exact], i)
        else:
            groups[fp.exact] = i
            if fp.signature is not None:
                representatives.append(i)
                signatures.append(fp.signature)

    # Near copies: LSH buckets propose pairs, the exact shingle sets decide. Components do not depend on the
    # order pairs are checked in, so input order does not change the result.
    bands, rows = _bands(threshold, num_perm)
    found = _buckets(np.stack(signatures), bands, rows) if signatures else []
    buckets = [[representatives[n] for n in bucket] for bucket in found]
    wanted = sorted({i for bucket in buckets for i in bucket})
    shingler = shingler or _Shingler(num_perm)
    sets: dict[int, np.ndarray] = {}
    texts = dict(zip(wanted, tokens_of(wanted), strict=True)) if wanted else {}

    def shingle_set(i: int) -> np.ndarray:
        if i not in sets:
            sets[i] = np.unique(shingler.shingles(texts[i]))
        return sets[i]

    different: set[tuple[int, int]] = set()
    for together in buckets:
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
        canonical = min(group, key=lambda i: _rank(docs[i]))
        for i in group:
            result[docs[i].key] = docs[canonical].key
    return result


def words(text: str) -> list[str]:
    """A text's words as clustering compares them (`tokens_of` of cluster_prints)."""
    return _words(text)


def _rank(doc: DocPrint) -> tuple[bool, str, int, str]:
    # Earliest published first (undated last), then the longest body, then the key.
    return (doc.published is None, doc.published or "", -(doc.word_count or doc.fingerprint.words), doc.key)
