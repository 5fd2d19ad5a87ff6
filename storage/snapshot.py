"""Consistent copies of the digest for readers on other machines: written with VACUUM INTO, published to the store.

    snapshots/digest-<UTC stamp>.db   one snapshot (a whole SQLite file, rollback journal, no WAL)
    snapshots/latest.json             the pointer: which snapshot is newest, its size and SHA-256 (written last)

A reader follows the pointer, so it never sees a snapshot still uploading; older snapshots are deleted only
after the pointer has moved past them, and the newest `keep` stay, so a reader that read the pointer just
before it moved still finds its file.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migdigest.objectstore import ObjectStore, StoreError, StoreKeyMissing

SNAPSHOTS = "snapshots/"
LATEST = SNAPSHOTS + "latest.json"
SNAPSHOT_NAME = "digest.db"  # the name a fetched snapshot gets: Datasette's configuration serves "digest"
KEEP = 3


class NoSnapshot(StoreError):
    """The store holds no snapshot yet."""


def write_snapshot(db_path: Path, dest: Path) -> Path:
    """A consistent copy of the digest at `dest`, taken while writers may be writing (VACUUM INTO); returns `dest`.

    VACUUM INTO reads in one read transaction, so the copy is the digest as of one commit, compacted; it is written
    beside `dest` under a temporary name and renamed into place.
    """
    if not db_path.is_file():
        raise FileNotFoundError(f"no digest at {db_path} to snapshot")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".partial-", suffix=".db")
    os.close(fd)
    os.unlink(tmp_name)  # VACUUM INTO wants a file that does not exist yet
    tmp = Path(tmp_name)
    try:
        source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.execute("PRAGMA busy_timeout = 30000")
            source.execute("VACUUM INTO ?", [str(tmp)])
        finally:
            source.close()
        copy = sqlite3.connect(tmp)
        try:
            # The copy keeps the digest's WAL flag; a reader of a downloaded file should need no -wal/-shm files.
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def publish_snapshot(store: ObjectStore, db_path: Path, *, keep: int = KEEP) -> str:
    """Snapshot the digest into the store, move the pointer to it, then drop all but the newest `keep`; its key."""
    if keep < 1:
        raise ValueError("keep at least 1 snapshot (the one the pointer names)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = f"{SNAPSHOTS}digest-{stamp}.db"
    with tempfile.TemporaryDirectory(prefix="migdigest-snapshot-") as tmp:
        snapshot = write_snapshot(db_path, Path(tmp) / SNAPSHOT_NAME)
        pointer = {
            "key": key,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "bytes": snapshot.stat().st_size,
            "sha256": _sha256(snapshot),
        }
        store.put_file(key, snapshot)
    store.put_bytes(LATEST, json.dumps(pointer, indent=2).encode("utf-8"))  # last: now readers see it
    snapshots = [k for k in store.keys(SNAPSHOTS) if k.startswith(f"{SNAPSHOTS}digest-") and k.endswith(".db")]
    for old in snapshots[:-keep]:
        if old != key:
            store.delete(old)
    return key


def latest_snapshot(store: ObjectStore) -> dict[str, Any]:
    """The pointer: key, created, bytes, sha256 of the newest snapshot; NoSnapshot when there is none yet."""
    try:
        pointer: dict[str, Any] = json.loads(store.get_bytes(LATEST))
    except StoreKeyMissing:
        raise NoSnapshot(
            f"{store.url}: no digest snapshot yet ({LATEST} is missing); the writer publishes one after it stores runs"
        ) from None
    return pointer


def fetch_latest_snapshot(store: ObjectStore, dest_dir: Path) -> Path:
    """Download the newest snapshot to `dest_dir`/digest.db (kept when it is already that one); returns the path.

    The file is checked against the pointer's SHA-256 and renamed into place whole; `dest_dir`/digest.json keeps the
    pointer it came from, so the next call downloads only when the pointer has moved.
    """
    pointer = latest_snapshot(store)
    try:
        return _download(store, pointer, dest_dir)
    except StoreKeyMissing:
        # Pruned between reading the pointer and the download: the pointer has moved on, follow it once more.
        return _download(store, latest_snapshot(store), dest_dir)


def _download(store: ObjectStore, pointer: dict[str, Any], dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    target, record = dest_dir / SNAPSHOT_NAME, dest_dir / "digest.json"
    if target.exists() and record.exists() and json.loads(record.read_text(encoding="utf-8")) == pointer:
        return target
    partial = store.get_file(pointer["key"], dest_dir / f".partial-{SNAPSHOT_NAME}")
    if _sha256(partial) != pointer["sha256"]:
        partial.unlink()
        raise StoreError(f"{store.url}: snapshot {pointer['key']} does not match its SHA-256 in {LATEST}")
    os.replace(partial, target)
    record.write_text(json.dumps(pointer), encoding="utf-8")
    return target
