"""Prefect's temporary API server, started by us so it cannot outlive the process it serves.

Prefect starts it on first use (a `uvicorn` child, ~200 MB) and stops it at exit; killed by a signal, the
process would leave it running for good. Here it is started up front and watched by a reaper: a small child
that waits for EOF on a pipe from this process, which the kernel closes however this process ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prefect.server.api.server import SubprocessASGIServer

_REAPER = """
import os, signal, sys, time
pid = int(sys.argv[1])
sys.stdin.buffer.read()
for sig in (signal.SIGTERM, signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        break
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            sys.exit(0)
        time.sleep(0.1)
"""

_reaper: subprocess.Popen[bytes] | None = None
_server: SubprocessASGIServer | None = None


def start_api_server() -> None:
    """Start the temporary server when no API is configured (PREFECT_API_URL), with its reaper; else nothing."""
    global _reaper, _server
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value() or _reaper is not None:
        return
    server = SubprocessASGIServer()  # the instance Prefect's clients use when they find no API URL
    server.start()
    assert server.server_process is not None
    _server = server
    _reaper = subprocess.Popen(
        [sys.executable, "-c", _REAPER, str(server.server_process.pid)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_api_server() -> None:
    """Stop the temporary server start_api_server() started, if it did (the reaper does it if we die first)."""
    global _reaper, _server
    if _server is not None:
        _server.stop()
        _server = None
    if _reaper is not None:
        if _reaper.stdin is not None:
            _reaper.stdin.close()
        _reaper.wait(timeout=30)
        _reaper = None


@contextmanager
def temporary_server() -> Iterator[None]:
    """Flow runs of this block on the temporary server (start_api_server), stopped at its end; without heartbeats.

    A flow run's heartbeat thread sleeps in steps of 1 s and Prefect joins it when the run ends: 0.5 s on average
    after every night's last line, for heartbeats no one can watch on a server that lives only as long as this
    process (bench/README.md, issue 20). With an API configured (PREFECT_API_URL: a real server, the fleet's
    zombie detection), Prefect's own settings stay as they are.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    start_api_server()
    try:
        if _server is None:
            yield
            return
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
    finally:
        stop_api_server()
