"""Serving the digest with Datasette: the command line with migdigest's metadata, templates and plugin."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from migdigest.paths import CONFIG_DIR

HERE = Path(__file__).resolve().parent
METADATA = CONFIG_DIR / "datasette.yaml"
TEMPLATES_DIR = HERE / "datasette_templates"
PLUGINS_DIR = HERE / "datasette_plugins"
# Datasette names a database after its file; metadata, canned queries and templates are written for this name.
DATABASE_NAME = "digest"

# Settings for a digest of 100,000+ publications (rows of several KB each) on a small machine.
SETTINGS: dict[str, str] = {
    # A ranked search or a facet over the whole table should never take long; cut it off rather than queue.
    "sql_time_limit_ms": "3000",
    "facet_time_limit_ms": "60",
    # Suggested facets run one extra query per column on every table page: slow on wide, big tables.
    "suggest_facets": "off",
    # The documents table shows bodies of thousands of characters: the publication page has the full text.
    "truncate_cells_html": "160",
    "default_page_size": "50",
    # 64 MB of page cache per connection keeps the FTS index and the small indexes in memory.
    "cache_size_kb": "65536",
    # A downloaded digest can be gigabytes; the JSON and CSV APIs are the way to get data out.
    "allow_download": "off",
}


def datasette_args(db: Path, host: str, port: int, *, metadata: Path = METADATA, immutable: bool = False) -> list[str]:
    """The full `python -m datasette serve ...` argv that serves `db` with migdigest's configuration.

    `immutable`: the file never changes while served (a snapshot), so Datasette opens it without locks.
    """
    db = Path(db)
    if db.stem != DATABASE_NAME:
        raise ValueError(
            f"Datasette's configuration ({METADATA.name}) is written for a database named {DATABASE_NAME!r}, "
            f"but {db.name!r} would be served as {db.stem!r}: name the file {DATABASE_NAME}.db"
        )
    args = [
        sys.executable, "-m", "datasette", "serve", *(["-i", str(db)] if immutable else [str(db)]),
        "--host", host, "--port", str(port),
        "--metadata", str(metadata),
        "--template-dir", str(TEMPLATES_DIR),
        "--plugins-dir", str(PLUGINS_DIR),
    ]  # fmt: skip
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_answering(url: str, proc: subprocess.Popen[bytes], log: IO[bytes] | None, timeout: float) -> None:
    """Poll `url` until the server `proc` started answers; RuntimeError with the tail of its `log` if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                output = ""
                if log is not None:
                    log.seek(0)
                    output = log.read().decode("utf-8", "replace")[-3000:]
                raise RuntimeError(f"nothing answered at {url}:\n{output}") from None
            time.sleep(0.2)


@contextmanager
def running_datasette(
    db: Path, *, host: str = "127.0.0.1", metadata: Path = METADATA, timeout: float = 60.0
) -> Iterator[str]:
    """Serve `db` in a child process on a free port until the block ends; yields the base URL."""
    port = free_port(host)
    base = f"http://{host}:{port}"
    with tempfile.TemporaryFile() as log:
        args = datasette_args(db, host, port, metadata=metadata)
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_answering(base + "/-/versions.json", proc, log, timeout)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
