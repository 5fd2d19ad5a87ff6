"""Runs in the object store: a crawl's run directory, its extracted result and its finished marker.

    runs/<source>/<run_key>/<file>              the run directory's files (spiders/rundir.py), as written
    runs/<source>/<run_key>/extracted.jsonl.gz  the extraction result (extract/result_io.py)
    runs/<source>/<run_key>/finished.json       the marker, written LAST: a run without it is unfinished
    finished/<run_key>/<source>                 an empty entry written just before the marker

A worker killed mid-upload leaves a run without its marker, which the writer never ingests. The entries under
`finished/` let the writer list only the runs that started after a point (S3's StartAfter) instead of every file
of every run ever archived; the marker stays the one sign that a run is finished. Run keys sort by
start time (`20261206T212200Z-1a2b3c4d`), so listing a source's runs lists them in the order they started.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from migdigest.objectstore import ObjectStore, StoreKeyMissing

RUNS = "runs"
EXTRACTED = "extracted.jsonl.gz"
FINISHED = "finished.json"
INDEX = "finished/"
_KEY_TIME = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True, slots=True)
class RunRef:
    """One run in the store: whose, and which (sort by `order` for start order)."""

    source: str
    run_key: str

    def __post_init__(self) -> None:
        _check_name("source", self.source)
        _check_name("run key", self.run_key)

    @property
    def order(self) -> tuple[str, str]:
        """Start order: by run key (its start time comes first), then source."""
        return (self.run_key, self.source)

    @property
    def prefix(self) -> str:
        """The run's folder in the store, with a trailing '/'."""
        return run_prefix(self.source, self.run_key)

    def __str__(self) -> str:
        return f"{self.source}/{self.run_key}"


def _check_name(what: str, value: str) -> str:
    if not _NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"bad {what} {value!r}: letters, digits, '.', '_' and '-' only (one folder name)")
    return value


def new_run_key(started: float | None = None) -> str:
    """A fresh run key: the UTC start time to the second, then 8 random hex digits (two workers never collide)."""
    moment = datetime.fromtimestamp(started, UTC) if started is not None else datetime.now(UTC)
    return f"{moment.strftime(_KEY_TIME)}-{secrets.token_hex(4)}"


def run_key_started(run_key: str) -> datetime | None:
    """When a run started, read from its key (None for a key not made by new_run_key)."""
    try:
        return datetime.strptime(run_key.split("-", 1)[0], _KEY_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None


def run_prefix(source: str, run_key: str) -> str:
    """`runs/<source>/<run_key>/`."""
    return f"{RUNS}/{_check_name('source', source)}/{_check_name('run key', run_key)}/"


def publish_run(store: ObjectStore, run_dir: Path, source: str, run_key: str) -> list[str]:
    """Upload every file of a run directory (not the marker: finish_run writes it last); returns the keys."""
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no such run directory to publish")
    prefix = run_prefix(source, run_key)
    keys = []
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(run_dir).as_posix()
        if rel in (FINISHED, EXTRACTED):
            continue  # written only by finish_run / publish_extracted
        store.put_file(prefix + rel, path)
        keys.append(prefix + rel)
    return keys


def publish_extracted(store: ObjectStore, source: str, run_key: str, data: bytes) -> str:
    """Upload a run's extraction result (extract.result_io.dump_result's bytes); returns the key."""
    key = run_prefix(source, run_key) + EXTRACTED
    store.put_bytes(key, data)
    return key


def fetch_extracted(store: ObjectStore, ref: RunRef) -> bytes:
    """A run's extraction result as published (StoreKeyMissing when the run has none)."""
    return store.get_bytes(ref.prefix + EXTRACTED)


def fetch_run(store: ObjectStore, source: str, run_key: str, dest: Path) -> Path:
    """Download a run's files into the run directory `dest` (spiders/rundir.py reads it); returns `dest`."""
    prefix = run_prefix(source, run_key)
    keys = [key for key in store.keys(prefix) if key[len(prefix) :] not in (FINISHED, EXTRACTED)]
    if not keys:
        raise StoreKeyMissing(store.url, prefix)
    dest.mkdir(parents=True, exist_ok=True)
    for key in keys:
        rel = key[len(prefix) :]
        target = (dest / rel).resolve()
        if not target.is_relative_to(dest.resolve()):  # store keys are checked; this keeps a bad one out anyway
            raise ValueError(f"{store.url}: key {key!r} points outside the run directory")
        store.get_file(key, target)
    return dest


def finish_run(store: ObjectStore, source: str, run_key: str, stats: dict[str, Any]) -> None:
    """Write the run's marker, after every file and the extracted result: from now on the run is finished."""
    marker = {
        "source": source,
        "run_key": run_key,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "extracted": store.exists(run_prefix(source, run_key) + EXTRACTED),
        "stats": stats,
    }
    store.put_bytes(f"{INDEX}{run_key}/{source}", b"")  # before the marker: a marked run is always listed
    store.put_bytes(run_prefix(source, run_key) + FINISHED, json.dumps(marker, ensure_ascii=False).encode("utf-8"))


def read_finished(store: ObjectStore, ref: RunRef) -> dict[str, Any]:
    """A finished run's marker: source, run_key, finished_at, extracted (bool) and the worker's stats."""
    try:
        marker = json.loads(store.get_bytes(ref.prefix + FINISHED))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{store.url}: {ref.prefix}{FINISHED} is not a run marker ({exc})") from None
    if not isinstance(marker, dict) or not isinstance(marker.get("stats", {}), dict):
        raise ValueError(f"{store.url}: {ref.prefix}{FINISHED} is not a run marker (expected an object with stats)")
    return marker


def finished_runs(store: ObjectStore, source: str | None = None) -> list[RunRef]:
    """Every run with its marker (of one source, or all), in start order: by run key, then source."""
    refs = []
    for key in store.keys(f"{RUNS}/{source}/" if source else f"{RUNS}/"):
        parts = key.split("/")
        if len(parts) == 4 and parts[3] == FINISHED:
            try:
                refs.append(RunRef(source=parts[1], run_key=parts[2]))
            except ValueError:
                continue  # a folder someone else put there, not a run
    return sorted(refs, key=lambda ref: ref.order)


def indexed_runs(store: ObjectStore, since: str = "") -> list[RunRef]:
    """Runs whose worker began to finish them, from run key `since` on (a key, or a time prefix of one), in start
    order; only a run's marker (is_finished) says whether it got there."""
    refs = []
    for key in store.keys(INDEX, start_after=INDEX + since if since else ""):
        parts = key.split("/")
        if len(parts) == 3:
            try:
                refs.append(RunRef(source=parts[2], run_key=parts[1]))
            except ValueError:
                continue
    return sorted(refs, key=lambda ref: ref.order)


def is_finished(store: ObjectStore, ref: RunRef) -> bool:
    """Whether the run's marker is there."""
    return store.exists(ref.prefix + FINISHED)


def key_time(moment: datetime) -> str:
    """The time part of run keys started at `moment`: run keys after it started after it."""
    return moment.strftime(_KEY_TIME)
