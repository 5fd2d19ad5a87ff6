"""The nightly dedupe step groups a syndicated copy with its original across sources, in the digest."""

from __future__ import annotations

from pathlib import Path

from migdigest.models import Publication
from storage import Digest

ORIGINAL = " ".join(
    f"Sentence {i} explains how remittances to Central America kept rising while migrants faced new costs."
    for i in range(40)
)


def pub(source: str, key: str, body: str, published: str) -> Publication:
    return Publication(source=source, url=key, canonical_url=key, title=f"Remittances ({source})", body=body,
                       published=published)  # fmt: skip


def test_dedupe_step_sets_one_cluster_named_after_the_original(tmp_path: Path) -> None:
    from flows.nightly import dedupe_digest

    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store(
            [
                pub("mpi", "https://a.org/original", ORIGINAL, "2024-01-10"),
                pub("odi", "https://b.org/copy", "Republished with permission. " + ORIGINAL, "2024-01-12"),
                pub("cgd", "https://c.org/other", ORIGINAL.replace("remittances", "visas").replace("rising", "x")
                    .replace("Central America", "Europe").replace("costs", "rules")[::-1], "2024-01-11"),
            ],
            seen_at="2024-01-13T00:00:00+00:00",
        )  # fmt: skip
    assert dedupe_digest.fn(db_path) == 2
    with Digest(db_path) as db:
        original, copy, other = (db.document(k) for k in ("https://a.org/original", "https://b.org/copy",
                                                          "https://c.org/other"))  # fmt: skip
    assert original
    assert copy
    assert other
    assert original["cluster_id"] == copy["cluster_id"] == original["id"]
    assert other["cluster_id"] is None
