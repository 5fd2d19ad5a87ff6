"""Digest snapshots: consistent while a writer writes, published to the store behind a pointer (issue 21)."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from migdigest.models import Publication
from migdigest.objectstore import ObjectStore, StoreError
from storage import Digest
from storage.snapshot import (
    LATEST,
    NoSnapshot,
    fetch_latest_snapshot,
    latest_snapshot,
    publish_snapshot,
    write_snapshot,
)

BATCH = 20


def batch(n: int) -> list[Publication]:
    """The n-th batch of publications a writer stores in one transaction."""
    return [
        Publication(source="mpi", url=f"https://m.org/{n}/{i}", canonical_url=f"https://m.org/{n}/{i}",
                    title=f"Batch {n} item {i}", body=f"asylum remittances batch{n} " * 30)
        for i in range(BATCH)
    ]  # fmt: skip


def check(snapshot: Path) -> int:
    """The snapshot is a whole, self-contained digest; returns its publication count."""
    conn = sqlite3.connect(f"{snapshot.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # no -wal file needed beside it
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        # The search index agrees with the table: both are from the same commit.
        indexed = conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'asylum'").fetchone()[0]
    finally:
        conn.close()
    assert indexed == docs
    assert docs % BATCH == 0, "a snapshot holds part of a transaction"
    with Digest.open_read(snapshot) as db:  # the reader's own check: schema version and all
        assert len(db.documents()) == docs
    return int(docs)


def test_a_snapshot_holds_committed_transactions_only(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store(batch(0), seen_at="2026-12-06")
        with db.transaction():  # a writer in the middle of a transaction, not committed yet
            db.store(batch(1), seen_at="2026-12-06")
            assert check(write_snapshot(db_path, tmp_path / "during.db")) == BATCH
        assert check(write_snapshot(db_path, tmp_path / "after.db")) == 2 * BATCH
    assert not list(tmp_path.glob(".partial-*"))


def test_snapshots_taken_while_a_writer_stores_are_consistent(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    Digest(db_path).close()
    batches = 40
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            with Digest(db_path) as db:
                for n in range(batches):
                    db.store(batch(n), seen_at="2026-12-06")
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    counts: list[int] = []
    while not done.is_set():
        counts.append(check(write_snapshot(db_path, tmp_path / f"snap-{len(counts)}.db")))
    thread.join()
    assert not errors
    counts.append(check(write_snapshot(db_path, tmp_path / "last.db")))
    assert counts == sorted(counts)
    assert counts[-1] == batches * BATCH


def test_publish_keeps_the_newest_and_moves_the_pointer_last(object_store: ObjectStore, tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    keys = []
    with Digest(db_path) as db:
        for n in range(5):
            db.store(batch(n), seen_at="2026-12-06")
            keys.append(publish_snapshot(object_store, db_path, keep=3))
    assert keys == sorted(keys)
    assert len(set(keys)) == 5
    assert object_store.keys("snapshots/") == sorted([*keys[-3:], LATEST])
    pointer = latest_snapshot(object_store)
    assert pointer["key"] == keys[-1]
    fetched = fetch_latest_snapshot(object_store, tmp_path / "cache")
    assert fetched == tmp_path / "cache" / "digest.db"
    assert check(fetched) == 5 * BATCH
    assert fetched.stat().st_size == pointer["bytes"]
    # The same pointer again: nothing is downloaded (the file is the same inode).
    inode = fetched.stat().st_ino
    assert fetch_latest_snapshot(object_store, tmp_path / "cache").stat().st_ino == inode
    with Digest(db_path) as db:
        db.store(batch(5), seen_at="2026-12-06")
    publish_snapshot(object_store, db_path)
    assert check(fetch_latest_snapshot(object_store, tmp_path / "cache")) == 6 * BATCH


def test_a_store_without_a_snapshot_says_so(object_store: ObjectStore, tmp_path: Path) -> None:
    with pytest.raises(NoSnapshot, match=r"no digest snapshot yet \(snapshots/latest.json is missing\)"):
        fetch_latest_snapshot(object_store, tmp_path / "cache")
    assert not (tmp_path / "cache" / "digest.db").exists()


def test_a_damaged_snapshot_is_refused_and_the_cached_one_kept(object_store: ObjectStore, tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store(batch(0), seen_at="2026-12-06")
    publish_snapshot(object_store, db_path)
    cached = fetch_latest_snapshot(object_store, tmp_path / "cache")
    good = cached.read_bytes()
    key = publish_snapshot(object_store, db_path)
    object_store.put_bytes(key, b"SQLite format 3\0" + b"\0" * 100)  # a snapshot cut short or altered
    with pytest.raises(StoreError, match="does not match its SHA-256"):
        fetch_latest_snapshot(object_store, tmp_path / "cache")
    assert cached.read_bytes() == good
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["digest.db", "digest.json"]


def test_keeping_one_drops_every_older_snapshot_after_the_pointer_moved(
    object_store: ObjectStore, tmp_path: Path
) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store(batch(0), seen_at="2026-12-06")
    old = publish_snapshot(object_store, db_path)
    stale = json.loads(object_store.get_bytes(LATEST))
    new = publish_snapshot(object_store, db_path, keep=1)
    assert not object_store.exists(old)
    assert stale["key"] == old
    assert latest_snapshot(object_store)["key"] == new
    assert check(fetch_latest_snapshot(object_store, tmp_path / "cache")) == BATCH


def test_snapshot_of_a_missing_digest_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no digest at"):
        write_snapshot(tmp_path / "none.db", tmp_path / "x.db")
