"""One night at a time per source of a digest: advisory lock files next to it (`<digest>.locks/<source>.lock`).

Per source, not per digest, so that the nightly fan-out (one run per source, on several workers) still stores
into one digest in parallel, while two nights never crawl the same site at once. The locks are fcntl.flock: the
kernel drops one when its holder dies, however it dies, so a lock left by a killed night is never stale. Each
file also says who holds it (pid, host, since when, what), for the one that finds it taken.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

# Locks this process holds, by lock file: taking one again (the CLI, then the flow it calls) is a no-op.
_held: dict[Path, int] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class Holder:
    """Who holds a digest's lock."""

    pid: int
    host: str
    since: str
    command: str

    def describe(self) -> str:
        """One line for an operator."""
        return f"pid {self.pid} on {self.host} since {self.since} ({self.command})"


class LockHeld(RuntimeError):
    """Another process holds the lock of one of the sources."""

    def __init__(self, path: Path, source: str, holder: Holder | None) -> None:
        self.path, self.source, self.holder = path, source, holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"another nightly is crawling {source} into this digest: {who}; lock file {path}")


def lock_path(db_path: Path, source: str) -> Path:
    """The lock file of one source of a digest: in a folder next to the digest, named after it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".locks") / f"{source}.lock"


def read_holder(path: Path) -> Holder | None:
    """What the lock file says about its holder (None when empty or unreadable)."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data.get("command", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(handle: IO[str]) -> None:
    holder = Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        since=datetime.now(UTC).isoformat(timespec="seconds"),
        command=" ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
    )
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(asdict(holder)))
    handle.flush()


@contextmanager
def _source_lock(path: Path, source: str, wait: bool) -> Iterator[None]:
    with _guard:
        nested = path in _held
        if nested:
            _held[path] += 1
    if nested:  # this process holds it already (the CLI, then the flow it calls)
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Opened without truncating: the holder's details stay readable until we own the lock.
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise LockHeld(path, source, read_holder(path)) from None
        _write_holder(handle)
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            # The details go before the lock does, so nobody reads a finished holder as the current one.
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def digest_lock(db_path: Path, sources: Iterable[str], *, wait: bool = False) -> Iterator[None]:
    """Hold the locks of `sources` in this digest for the block; LockHeld at once if one is taken, unless `wait`.

    Taken in sorted order, so two nights waiting for each other's sources cannot deadlock.
    """
    with ExitStack() as stack:
        for source in sorted(set(sources)):
            path = lock_path(Path(db_path), source).resolve()
            stack.enter_context(_source_lock(path, source, wait))
        yield
