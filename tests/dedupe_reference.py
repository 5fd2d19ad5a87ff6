"""Clustering as it was before fingerprints (datasketch's MinHashLSH over texts): the reference the new path matches."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from extract.dedupe import _SEED, SHINGLE, DocText, _Components, _Shingler, _words, normalise, similar


def reference_cluster(
    docs: Sequence[DocText], *, threshold: float = 0.8, num_perm: int = 128, min_words: int = 50
) -> dict[str, str]:
    """extract.dedupe.cluster as of main 2746882, verbatim but for the argument checks."""
    assert not [k for k, n in Counter(d.key for d in docs).items() if n > 1]
    shingler = _Shingler(num_perm)
    tokens = [_words(d.body) for d in docs]
    components = _Components(len(docs))
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
        canonical = min(
            group,
            key=lambda i: (
                docs[i].published is None,
                docs[i].published or "",
                -(docs[i].word_count or len(tokens[i])),
                docs[i].key,
            ),
        )
        for i in group:
            result[docs[i].key] = docs[canonical].key
    return result
