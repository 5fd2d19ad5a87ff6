"""Near-duplicate clusters over a whole digest, from the fingerprints stored with its texts (extract/dedupe.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from extract.dedupe import DocPrint, Fingerprint, cluster_prints, fingerprint, pack_print, unpack_print, words
from storage import Digest


def load_prints(db: Digest, rows: Sequence[dict[str, Any]]) -> dict[int, Fingerprint]:
    """Each row's fingerprint by document id (rows of `Digest.dedupe_rows`); one it lacks is made and stored, once.

    The extraction workers make each print beside the crawl and the store keeps it with the text; a document
    stored without one (an older digest, a pipeline that makes none, other parameters) gets it here.
    """
    prints = {row["id"]: unpack_print(row["print"]) for row in rows}
    missing = [doc_id for doc_id, found in prints.items() if found is None]
    made: dict[int, Fingerprint] = {}
    if missing:
        made = {doc_id: fingerprint(title, body) for doc_id, (title, body) in db.texts(missing).items()}
        db.set_prints({doc_id: pack_print(made_print) for doc_id, made_print in made.items()})
    return {doc_id: found if found is not None else made[doc_id] for doc_id, found in prints.items()}


def cluster_digest(db: Digest) -> int:
    """Group exact and near-duplicate publications across sources; returns how many are in a cluster."""
    rows = db.dedupe_rows()
    prints = load_prints(db, rows)
    docs = [DocPrint(r["canonical_url"], prints[r["id"]], r["published"], r["word_count"]) for r in rows]

    def tokens_of(indices: list[int]) -> list[list[str]]:
        # Only the documents of the pairs LSH proposes are read again, to compare their shingles exactly.
        texts = db.texts([rows[i]["id"] for i in indices])
        return [words(texts[rows[i]["id"]][1]) for i in indices]

    canonical = cluster_prints(docs, tokens_of)
    ids = {r["canonical_url"]: r["id"] for r in rows}
    # A cluster is named after its canonical member's id; rows whose cluster did not change are left alone.
    changed = {}
    for r in rows:
        key = r["canonical_url"]
        wanted = ids[canonical[key]] if key in canonical else None
        if wanted != r["cluster_id"]:
            changed[key] = wanted
    db.set_clusters(changed)
    return len(canonical)
