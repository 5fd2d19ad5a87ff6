"""Apply one run's extraction result to the digest: moves, upserts, confirmations and removals."""

from __future__ import annotations

from extract.stage import ExtractResult
from storage import Digest


def apply_result(db: Digest, result: ExtractResult, seen_at: str) -> dict[str, int]:
    """Store a run's publications and what it confirmed; returns new/changed/unchanged/gone counts."""
    for pub in result.publications:
        if pub.moved_from and pub.moved_from != pub.canonical_url:
            db.move(pub.moved_from, pub.canonical_url)  # before storing, so the move keeps the history
    counts = db.store(result.publications, seen_at=seen_at)
    counts["unchanged"] += db.touch(result.unchanged, seen_at=seen_at)
    counts["gone"] = db.mark_gone(result.gone)
    return counts
