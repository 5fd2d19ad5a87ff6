"""The fault matrix: for each stage of a night (crawl, extract, store, dedupe), kill -9 the nightly at a random
moment (seeded, printed), check it left no process behind, rerun, and the digest equals a clean run's, compared
by a hash of every document's fields, PDF text included. docs/reliability.md has the table."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Digest
from tests.sessions import assert_nothing_left

REPO = Path(__file__).resolve().parents[1]
SOURCE = "cgd"  # small (22 publications) and every publication but seven has a PDF
# What a reader sees of a document, and where it stands; ids and timestamps differ between any two runs.
FIELDS = ("canonical_url", "url", "source", "title", "summary", "body", "authors", "published", "modified",
          "language", "doc_type", "pdf_url", "pdf_text", "pdf_pages", "word_count", "content_hash", "topics",
          "regions", "status")  # fmt: skip


def digest_hash(db: Path) -> tuple[str, int, int]:
    """Hash of every document's fields (a cluster named by its member's URL), with the document and PDF counts."""
    with Digest(db) as digest:
        docs = digest.documents()
        assert digest.integrity_check() == []
    urls = {d["id"]: d["canonical_url"] for d in docs}
    rows = sorted(
        [*(d[f] for f in FIELDS), urls.get(d["cluster_id"]) if d["cluster_id"] else None] for d in docs
    )  # fmt: skip
    text = json.dumps(rows, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest(), len(docs), sum(1 for d in docs if d["pdf_text"])


@pytest.fixture(scope="module")
def mirror() -> Iterator[str]:
    from mirrors.server import MirrorServer

    with MirrorServer(SOURCE) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def clean(prefect_harness: None, mirror: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int, int]:
    from flows.nightly import nightly

    db = tmp_path_factory.mktemp("clean") / "digest.db"
    (row,) = nightly(sources=[SOURCE], db_path=db, base_urls={SOURCE: mirror})
    assert row["status"] == "ok", row
    return digest_hash(db)


def start_run(
    db: Path, mirror: str, env: dict[str, str]
) -> tuple[subprocess.Popen[str], queue.Queue[str], threading.Thread]:
    """`migdigest run` in a session of its own, its plain progress lines read as they come."""
    cmd = [sys.executable, "-m", "cli.app", "run", "-s", SOURCE, "--base-url", f"{SOURCE}={mirror}", "--db", str(db)]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return proc, lines, reader


def wait_for(proc: subprocess.Popen[str], lines: queue.Queue[str], marker: str, seen: list[str]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.05)
        except queue.Empty:
            assert proc.poll() is None, f"the run ended before {marker!r}:\n{''.join(seen)}"
            continue
        seen.append(line)
        if marker in line:
            return
    raise AssertionError(f"no {marker!r} within 300 s:\n{''.join(seen)}")


def pages_kept(db: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in (db.parent / "runs").glob(f"{SOURCE}/*/pages.jsonl"))


# The line of the run's progress that opens each stage, and how long after it the kill may come (seconds).
STAGES: dict[str, tuple[str, float]] = {
    "extract": (f"{SOURCE}: extracting", 0.5),
    "store": (f"{SOURCE}: storing", 0.2),
    "dedupe": ("all sources: dedupe", 0.1),
}


@pytest.mark.parametrize("stage", ["crawl", *STAGES])
def test_kill_9_at_a_random_moment_then_a_rerun_equals_a_clean_run(
    stage: str, clean: tuple[str, int, int], mirror: str, tmp_path: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    from flows.nightly import nightly

    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    print(f"fault matrix: stage {stage}, seed {seed}")
    db = tmp_path / "digest.db"
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    proc, lines, reader = start_run(db, mirror, env)
    seen: list[str] = []
    try:
        if stage == "crawl":
            after = rng.randint(1, 30)
            wait_for(proc, lines, f"{SOURCE}: crawling", seen)
            while pages_kept(db) < after:
                assert proc.poll() is None, f"seed {seed}: the run ended before {after} pages:\n{''.join(seen)}"
                time.sleep(0.01)
        else:
            marker, within = STAGES[stage]
            wait_for(proc, lines, marker, seen)
            time.sleep(rng.uniform(0, within))
        assert proc.poll() is None, f"seed {seed}: the run ended before the kill"
        os.kill(proc.pid, signal.SIGKILL)  # the flow's process only: its children must go by themselves
        proc.wait(timeout=30)
        assert_nothing_left(proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=30)  # the pipe ends with the processes that held it
        assert proc.stdout is not None
        proc.stdout.close()
    (row,) = nightly(sources=[SOURCE], db_path=db, base_urls={SOURCE: mirror})
    assert row["status"] == "ok", (seed, row)
    assert digest_hash(db) == clean, f"seed {seed}: after a kill -9 in {stage} and a rerun, the digest differs"
    with Digest(db) as digest:
        statuses = [r["status"] for r in digest.last_runs()]
    # This night's run is ok; the killed one was found 'running' with its process gone, and closed.
    assert statuses[0] == "ok"
    assert set(statuses[1:]) <= {"interrupted", "ok"}, statuses


def test_the_clean_run_has_pdf_text(clean: tuple[str, int, int]) -> None:
    from mirrors import SITES

    _, documents, with_pdf = clean
    publications = SITES[SOURCE].publications()
    assert documents == len(publications)
    assert with_pdf == sum(1 for p in publications if p.pdf_path) > 0
