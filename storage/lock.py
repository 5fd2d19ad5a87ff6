"""One writer at a time per digest: an advisory lock file next to it (`<digest>.lock`, fcntl.flock).

The kernel drops a flock when its holder dies, however it dies, so a lock left by a killed night is never stale.
The file also says who holds the lock (pid, host, since when, what), for the one that finds it taken.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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
    """Another process holds the digest's lock."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path, self.holder = path, holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"another nightly is writing this digest: {who}; lock file {path}")


def lock_path(db_path: Path) -> Path:
    """The lock file of a digest: next to it, named after it."""
    return Path(db_path).with_name(Path(db_path).name + ".lock")


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
def digest_lock(db_path: Path, *, wait: bool = False) -> Iterator[Path]:
    """Hold the digest's lock for the block; LockHeld at once if taken, unless `wait` (then block until free)."""
    path = lock_path(db_path).resolve()
    with _guard:
        if path in _held:
            _held[path] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
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
            raise LockHeld(path, read_holder(path)) from None
        _write_holder(handle)
        with _guard:
            _held[path] = 1
        try:
            yield path
        finally:
            with _guard:
                del _held[path]
            # The details go before the lock does, so nobody reads a finished holder as the current one.
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
