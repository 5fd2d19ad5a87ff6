"""Near-duplicate clusters over a whole digest, from the fingerprints stored with its texts (extract/dedupe.py).

Pure: the digest's rows come in and the changes to make go out; reading more text goes through the `Texts`
callable the caller passes, so that storage/ stays the only package that touches the digest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from extract.dedupe import DocPrint, Fingerprint, cluster_prints, fingerprint, unpack_print, words

# Document ids -> (title, body) of each: `Digest.texts`.
Texts = Callable[[list[int]], Mapping[int, tuple[str, str]]]


def missing_prints(rows: Sequence[dict[str, Any]], texts: Texts) -> dict[int, Fingerprint]:
    """The fingerprints the rows (of `Digest.dedupe_rows`) lack, made from their texts: to be stored, once.

    The extraction workers make each print beside the crawl and the store keeps it with the text; a document
    stored without one (an older digest, a pipeline that makes none, other parameters) gets it here.
    """
    missing = [row["id"] for row in rows if unpack_print(row["print"]) is None]
    if not missing:
        return {}
    return {doc_id: fingerprint(title, body) for doc_id, (title, body) in texts(missing).items()}


def cluster_changes(
    rows: Sequence[dict[str, Any]], made: Mapping[int, Fingerprint], texts: Texts
) -> tuple[dict[str, int | None], int]:
    """Each row whose cluster changes, by canonical URL, and how many documents are in a cluster."""
    stored = {row["id"]: unpack_print(row["print"]) for row in rows}
    prints = {doc_id: found if found is not None else made[doc_id] for doc_id, found in stored.items()}
    docs = [DocPrint(r["canonical_url"], prints[r["id"]], r["published"], r["word_count"]) for r in rows]

    def tokens_of(indices: list[int]) -> list[list[str]]:
        # Only the documents of the pairs LSH proposes are read again, to compare their shingles exactly.
        read = texts([rows[i]["id"] for i in indices])
        return [words(read[rows[i]["id"]][1]) for i in indices]

    canonical = cluster_prints(docs, tokens_of)
    ids = {r["canonical_url"]: r["id"] for r in rows}
    # A cluster is named after its canonical member's id; rows whose cluster did not change are left alone.
    changed: dict[str, int | None] = {}
    for r in rows:
        key = r["canonical_url"]
        wanted = ids[canonical[key]] if key in canonical else None
        if wanted != r["cluster_id"]:
            changed[key] = wanted
    return changed, len(canonical)
