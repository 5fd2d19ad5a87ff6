"""Dedupe fingerprints: made once, stored with the text, clustered to exactly what clustering the texts gives."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from extract.dedupe import (
    DocPrint,
    DocText,
    cluster,
    cluster_prints,
    fingerprint,
    pack_print,
    unpack_print,
    words,
)
from migdigest.models import Publication
from storage import Digest
from storage.migrations import apply_migrations
from tests.dedupe_reference import reference_cluster
from tests.test_dedupe import ARTICLE, OTHER_ARTICLE, corpus, syndicated


def planted(seed: int, n: int = 1200, copies: int = 150) -> list[DocText]:
    """Random texts with edited copies (some with an intro, some undated, some short), as a digest holds."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(600)]
    docs = [
        DocText(f"https://a.org/{i}", "a", f"T{i % 40}", " ".join(rng.choices(vocabulary, k=rng.randint(3, 400))),
                f"2024-01-{i % 28 + 1:02d}" if i % 7 else None)
        for i in range(n)
    ]  # fmt: skip
    for i in range(copies):
        original = rng.choice(docs)
        tokens = original.body.split()
        for _ in range(rng.randint(0, len(tokens) // 8)):
            if tokens:
                tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
        intro = "Republished with permission. " if i % 3 else ""
        docs.append(DocText(f"https://b.org/{i}", "b", original.title, intro + " ".join(tokens),
                            None if i % 5 == 0 else "2024-02-01"))  # fmt: skip
    return docs


def from_prints(
    docs: list[DocText], *, threshold: float = 0.8, num_perm: int = 128, min_words: int = 50
) -> tuple[dict[str, str], set[int]]:
    """cluster_prints over packed and unpacked fingerprints, and which documents' texts it read again."""
    made = [fingerprint(d.title, d.body, num_perm=num_perm, min_words=min_words) for d in docs]
    prints = [unpack_print(pack_print(fp), num_perm=num_perm, min_words=min_words) for fp in made]
    read: set[int] = set()

    def tokens_of(indices: list[int]) -> list[list[str]]:
        read.update(indices)
        return [words(docs[i].body) for i in indices]

    items = [DocPrint(d.key, p, d.published, d.word_count) for d, p in zip(docs, prints, strict=True) if p]
    assert len(items) == len(docs)
    found = cluster_prints(items, tokens_of, threshold=threshold, num_perm=num_perm, min_words=min_words)
    return found, read


@pytest.mark.parametrize("threshold", [0.5, 0.65, 0.8, 0.95])
def test_clusters_from_stored_prints_are_todays_clusters(threshold: float) -> None:
    docs = planted(7)
    expected = reference_cluster(docs, threshold=threshold)  # datasketch's LSH over the texts, as on main
    assert len(expected) > 30
    assert cluster(docs, threshold=threshold) == expected
    found, read = from_prints(docs, threshold=threshold)
    assert found == expected
    assert len(read) < len(docs) / 2  # only the documents of proposed pairs are read again


def test_clusters_from_prints_with_other_parameters_and_the_test_corpora() -> None:
    docs = planted(3, n=600, copies=80)
    expected = reference_cluster(docs, num_perm=64, min_words=20)
    assert from_prints(docs, num_perm=64, min_words=20)[0] == expected
    assert cluster(docs, num_perm=64, min_words=20) == expected
    for sample in (corpus(), [DocText("https://a.org/1", "a", "Cities", ARTICLE),
                              DocText("https://b.org/1", "b", "Cities", syndicated(ARTICLE)),
                              DocText("https://c.org/1", "c", "Other", OTHER_ARTICLE)]):  # fmt: skip
        assert from_prints(sample)[0] == reference_cluster(sample) == cluster(sample)
        assert reference_cluster(sample)


def test_a_print_round_trips_and_one_made_otherwise_is_not_used() -> None:
    long, short, empty = fingerprint("T", ARTICLE), fingerprint("T", "Registration is closed."), fingerprint("T", "")
    for fp in (long, short, empty):
        back = unpack_print(pack_print(fp))
        assert back is not None
        assert (back.words, back.exact, back.num_perm, back.min_words) == (fp.words, fp.exact, 128, 50)
        assert (back.signature is None) == (fp.signature is None)
        if fp.signature is not None:
            assert back.signature is not None
            assert (back.signature == fp.signature).all()
    assert long.signature is not None
    assert short.signature is None
    assert empty.words == 0
    data = pack_print(long)
    assert unpack_print(data, num_perm=64) is None  # made with 128 hash functions
    assert unpack_print(data, min_words=20) is None
    assert unpack_print(None) is None
    assert unpack_print(b"") is None
    assert unpack_print(data[:-8]) is None  # cut short
    assert unpack_print(b"XXXX" + data[4:]) is None  # another format
    assert unpack_print(pack_print(short) + data[-1024:]) is None  # a signature on a text too short for one
    with pytest.raises(ValueError, match="other parameters"):
        cluster_prints([DocPrint("https://a.org/1", long)], lambda _: [], num_perm=64)


def pub(key: str, body: str, *, title: str = "Cities", published: str = "2024-01-10", made: bool = True) -> Publication:
    p = Publication(source="mpi", url=key, canonical_url=key, title=title, body=body, published=published)
    if made:  # as the extraction worker does
        p.dedupe_print = pack_print(fingerprint(p.title, p.body))
    return p


def stored_prints(db_path: Path) -> dict[str, bytes]:
    conn = sqlite3.connect(db_path)
    try:
        sql = "SELECT d.canonical_url, p.print FROM document_prints AS p JOIN documents AS d ON d.id = p.document_id"
        return dict(conn.execute(sql).fetchall())
    finally:
        conn.close()


def clusters(db_path: Path) -> dict[str, str]:
    with Digest(db_path) as db:
        docs = db.documents()
    ids = {d["id"]: d["canonical_url"] for d in docs}
    return {d["canonical_url"]: ids[d["cluster_id"]] for d in docs if d["cluster_id"] is not None}


def texts_of(db_path: Path) -> list[DocText]:
    with Digest(db_path) as db:
        return [
            DocText(d["canonical_url"], d["source"], d["title"], d["body"], d["published"], d["word_count"])
            for d in db.documents()
        ]


def test_the_print_is_stored_with_its_text_and_reused(tmp_path: Path) -> None:
    from flows.nightly import dedupe_digest

    db_path = tmp_path / "digest.db"
    original, copy = (
        pub("https://a.org/1", ARTICLE),
        pub("https://b.org/1", syndicated(ARTICLE), published="2024-01-12"),
    )
    other = pub("https://c.org/1", OTHER_ARTICLE)
    # Stored as made: and a print is what the dedupe reads, not the text: one made from ARTICLE makes this
    # unrelated text an exact copy of the original.
    planted_print = replace(other, dedupe_print=original.dedupe_print)
    with Digest(db_path) as db:
        db.store([original, copy, planted_print], seen_at="2024-01-13T00:00:00+00:00")
    assert stored_prints(db_path) == {p.canonical_url: p.dedupe_print for p in (original, copy, planted_print)}
    assert dedupe_digest.fn(db_path) == 3
    assert clusters(db_path) == dict.fromkeys(["https://a.org/1", "https://b.org/1", "https://c.org/1"],
                                              "https://a.org/1")  # fmt: skip

    # Seen again unchanged: the stored print stays. The text changes with a print of its own: the new print
    # replaces the old; without one, the old is dropped (the next dedupe makes it from the text).
    with Digest(db_path) as db:
        assert db.store([other], seen_at="2024-01-14T00:00:00+00:00")["unchanged"] == 1
    assert stored_prints(db_path)["https://c.org/1"] == original.dedupe_print
    other = pub("https://c.org/1", OTHER_ARTICLE + " Updated.")
    with Digest(db_path) as db:
        db.store([other], seen_at="2024-01-14T00:00:00+00:00")
        db.store([pub("https://b.org/1", syndicated(ARTICLE) + " Edited.", published="2024-01-12", made=False)],
                 seen_at="2024-01-14T00:00:00+00:00")  # fmt: skip
    prints = stored_prints(db_path)
    assert prints["https://c.org/1"] == other.dedupe_print
    assert "https://b.org/1" not in prints
    assert dedupe_digest.fn(db_path) == 2
    assert clusters(db_path) == dict.fromkeys(["https://a.org/1", "https://b.org/1"], "https://a.org/1")
    made = pack_print(fingerprint("Cities", syndicated(ARTICLE) + " Edited."))
    assert stored_prints(db_path)["https://b.org/1"] == made


def test_an_older_digest_gets_its_prints_once_and_the_same_clusters(tmp_path: Path) -> None:
    from flows.nightly import dedupe_digest

    db_path = tmp_path / "digest.db"
    conn = sqlite3.connect(db_path)
    apply_migrations(Database(conn), target=14)  # before fingerprints were stored
    conn.close()
    docs = planted(11, n=400, copies=60)
    rows = [
        Publication(source=d.source, url=d.key, canonical_url=d.key, title=d.title, body=d.body, published=d.published)
        for d in docs
    ]
    conn = sqlite3.connect(db_path)
    db = Database(conn)
    db.table("sources").insert_all([{"name": s, "title": s, "base_url": f"https://{s}.org"} for s in ("a", "b")])
    db.table("documents").insert_all(
        [{"canonical_url": p.canonical_url, "url": p.url, "source": p.source, "title": p.title, "body": p.body,
          "published": p.published, "content_hash": str(i), "first_seen": "2024-03-01", "last_seen": "2024-03-01",
          "last_changed": "2024-03-01"} for i, p in enumerate(rows)]
    )  # fmt: skip
    conn.commit()
    conn.close()
    with Digest(db_path) as opened:  # migrates to the table of prints, empty
        assert opened.schema_version >= 15
    assert stored_prints(db_path) == {}
    expected = reference_cluster(texts_of(db_path))
    assert len(expected) > 15
    assert dedupe_digest.fn(db_path) == len(expected)
    assert clusters(db_path) == expected
    prints = stored_prints(db_path)
    assert prints == {d.key: pack_print(fingerprint(d.title, d.body)) for d in texts_of(db_path)}
    assert dedupe_digest.fn(db_path) == len(expected)  # from the stored prints now: the same
    assert clusters(db_path) == expected
    assert stored_prints(db_path) == prints


def test_a_page_seen_unchanged_brings_the_print_an_older_digest_lacks(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store([pub("https://a.org/1", ARTICLE, made=False)], seen_at="2024-01-13T00:00:00+00:00")
        assert stored_prints(db_path) == {}
        assert db.store([pub("https://a.org/1", ARTICLE)], seen_at="2024-01-14T00:00:00+00:00")["unchanged"] == 1
    assert stored_prints(db_path) == {"https://a.org/1": pack_print(fingerprint("Cities", ARTICLE))}
