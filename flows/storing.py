"""Apply one run's extraction result to the digest: moves, upserts, confirmations and removals."""

from __future__ import annotations

from extract.stage import ExtractResult
from storage import Digest
from storage.digest import PDF_MAX_ATTEMPTS, REVISIT_MAX_DAYS


def apply_result(
    db: Digest,
    result: ExtractResult,
    seen_at: str,
    *,
    pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
    revisit_max_days: int = REVISIT_MAX_DAYS,
) -> dict[str, int]:
    """Store a run's publications and what it confirmed; returns new/changed/unchanged/gone counts."""
    # Every step is limited to the run's own source: a page of one source never moves, confirms or retires
    # another source's publication.
    source = result.source or None
    for pub in result.publications:
        if pub.moved_from and pub.moved_from != pub.canonical_url:
            db.move(pub.moved_from, pub.canonical_url, source=pub.source)  # before storing: the move keeps history
    counts = db.store(
        result.publications, seen_at=seen_at, pdf_max_attempts=pdf_max_attempts, revisit_max_days=revisit_max_days
    )
    counts["unchanged"] += db.touch(
        result.unchanged, seen_at=seen_at, source=source, page_urls=result.unchanged_urls or None
    )
    counts["gone"] = db.mark_gone(result.gone, source=source, page_urls=result.gone_urls or None)
    return counts
