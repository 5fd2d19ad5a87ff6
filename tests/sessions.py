"""The processes of a session a test started: found through /proc, and ended by PID, never by name."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def session_members(leader: int) -> list[str]:
    """Live (not zombie) processes of the session `leader` started, whatever their parent now is."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == leader and fields[0] != "Z":
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:150]
                    found.append(f"{entry.name}: {command!r}")
            except (OSError, IndexError, ValueError):
                continue
    return found


def assert_nothing_left(leader: int, timeout: float = 60) -> None:
    """Wait until the session `leader` started has no live process; fail (after ending them) if some stay."""
    deadline = time.monotonic() + timeout
    while (left := session_members(leader)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for line in left:  # ours (the session the test started): ended so a failure leaves nothing running either
        os.kill(int(line.split(":")[0]), signal.SIGKILL)
    assert not left, f"processes left behind by the killed run: {left}"
