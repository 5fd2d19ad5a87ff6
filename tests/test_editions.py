"""Night 1 on the site as it was, night 2 on its next state: new, changed, removed and moved publications."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mirrors.server import MirrorServer
from storage import Digest

REPO = Path(__file__).resolve().parents[1]
KEY = "https://migrationpolicy.org"


@pytest.fixture(scope="module")
def two_editions(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    from flows.nightly import nightly

    db_path = tmp_path_factory.mktemp("editions") / "digest.db"
    reports = []
    for site in ("mpi", "mpi-night2"):
        with MirrorServer(site) as server:
            reports.append(nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": server.base_url})[0])
    return db_path, reports


def test_night_two_counts(two_editions: Any) -> None:
    _, (night1, night2) = two_editions
    assert night1["new"] == 47
    assert (night2["new"], night2["changed"], night2["gone"]) == (2, 1, 1)
    assert night2["errors"] == {}


def test_new_publications_are_stored(two_editions: Any) -> None:
    from mirrors import SITES

    db_path, _ = two_editions
    with Digest(db_path) as db:
        for path in SITES["mpi-night2"].edition_changes().new:
            assert db.document(KEY + path) is not None


def test_a_changed_publication_keeps_its_old_text_and_shows_a_word_diff(two_editions: Any) -> None:
    from mirrors import SITES

    db_path, _ = two_editions
    changes = SITES["mpi-night2"].edition_changes()
    with Digest(db_path) as db:
        doc = db.document(KEY + changes.changed)
        versions = db.versions(KEY + changes.changed)
    assert doc is not None
    assert changes.changed_sentence in doc["body"]
    assert len(versions) == 1
    assert changes.changed_sentence not in versions[0]["body"]
    out = subprocess.run(
        [sys.executable, "-m", "cli.app", "history", KEY + changes.changed, "--db", str(db_path)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    assert "{+" in out.stdout
    assert changes.changed_sentence.split()[0] in out.stdout


def test_a_removed_publication_is_marked_gone_not_deleted(two_editions: Any) -> None:
    from mirrors import SITES

    db_path, _ = two_editions
    with Digest(db_path) as db:
        doc = db.document(KEY + SITES["mpi-night2"].edition_changes().removed)
    assert doc is not None
    assert doc["status"] == "gone"
    assert doc["gone_since"]


def test_a_moved_publication_keeps_its_identity(two_editions: Any) -> None:
    from mirrors import SITES

    db_path, _ = two_editions
    moved = SITES["mpi-night2"].edition_changes()
    with Digest(db_path) as db:
        assert db.document(KEY + moved.moved_from) is None
        doc = db.document(KEY + moved.moved_to)
        assert doc is not None
        assert doc["status"] == "live"
        assert doc["url"] == "https://www.migrationpolicy.org" + moved.moved_to
        assert doc["first_seen"] < doc["last_seen"]  # the same row as night 1, not a new one
        assert len(db.documents("mpi")) == 47 + 2
        assert db.integrity_check() == []
