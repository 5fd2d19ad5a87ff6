"""Small SQL helpers shared by the storage modules."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlite_utils import Database

T = TypeVar("T")

# Well under SQLite's limit on bound parameters (32,766 since 3.32), so IN (...) lists never hit it.
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placeholders(n: int) -> str:
    """Return "?, ?, ..." with n marks."""
    return ", ".join("?" * n)


@contextmanager
def write_transaction(db: Database) -> Iterator[sqlite3.Connection]:
    """Run the block in one BEGIN IMMEDIATE transaction, rolled back on any error.

    Inside a transaction already open (Digest.transaction()) the block is a savepoint of it: it rolls back alone
    on an error, and its changes are committed only with the outer transaction.
    """
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT write_block")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:  # some errors (a full disk) end the whole transaction already
                conn.execute("ROLLBACK TO write_block")
                conn.execute("RELEASE write_block")
            raise
        else:
            conn.execute("RELEASE write_block")
        return
    # IMMEDIATE takes the write lock up front: a deferred transaction that upgrades to a writer later can
    # fail with SQLITE_BUSY at once (the busy timeout cannot help there) when another process wrote meanwhile.
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
