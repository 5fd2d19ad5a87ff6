"""Incremental nights: unchanged pages cost nothing, and the archives rebuild the digest without the network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage import Digest

FIELDS = ("canonical_url", "url", "title", "summary", "body", "published", "authors", "doc_type", "content_hash")


@pytest.fixture(scope="module")
def two_nights(
    prefect_harness: None, mpi_mirror: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[dict[str, Any]]]:
    from flows.nightly import nightly

    db_path = tmp_path_factory.mktemp("incremental") / "digest.db"
    night1 = nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror})[0]
    with Digest(db_path) as db:
        # A cluster that clustering would undo (a lone page is in no cluster): it survives only a night that
        # does not re-cluster.
        doc = db.documents("mpi")[0]
        db.set_clusters({doc["canonical_url"]: doc["id"]})
    night2 = nightly(sources=["mpi"], db_path=db_path, base_urls={"mpi": mpi_mirror})[0]
    return db_path, [night1, night2]


def _runs(db_path: Path) -> list[Path]:
    return sorted((db_path.parent / "runs" / "mpi").iterdir())


def test_night_two_downloads_no_publication(two_nights: tuple[Path, list[dict[str, Any]]]) -> None:
    db_path, (night1, night2) = two_nights
    assert night1["new"] == night1["stored"] == 47
    night2_run = _runs(db_path)[1]
    assert (night2_run / "pages.jsonl").read_text() == "", "a publication page was downloaded again"
    stats = json.loads((night2_run / "stats.json").read_text())
    # robots.txt, the sitemap and the first listing page (which stops paging: all its items are known).
    assert stats["downloader/response_count"] <= 3
    assert stats["migdigest/listing_stopped_early"] == 1
    assert night2["unchanged"] == 47
    assert night2["new"] == night2["changed"] == night2["gone"] == 0


def test_a_quiet_night_does_not_recluster(two_nights: tuple[Path, list[dict[str, Any]]]) -> None:
    from flows.nightly import dedupe_digest

    db_path, _ = two_nights
    with Digest(db_path) as db:
        marked = [d for d in db.documents("mpi") if d["cluster_id"] is not None]
    assert len(marked) == 1
    assert marked[0]["cluster_id"] == marked[0]["id"]
    dedupe_digest.fn(db_path)  # what a night with changes runs: the lone page leaves its cluster
    with Digest(db_path) as db:
        assert all(d["cluster_id"] is None for d in db.documents("mpi"))


def test_known_pages_carry_validators(two_nights: tuple[Path, list[dict[str, Any]]]) -> None:
    db_path, _ = two_nights
    with Digest(db_path) as db:
        states = db.known_pages("mpi")
    assert len(states) == 47
    assert all(s.get("etag") and s.get("last_modified") and s.get("lastmod") for s in states.values())


def test_reextract_rebuilds_the_same_digest(two_nights: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    from flows.reextract import reextract

    db_path, _ = two_nights
    rebuilt = tmp_path / "rebuilt.db"
    report = reextract(rebuilt, db_path.parent / "runs", sources=["mpi"])
    assert report["mpi"]["runs"] == 2
    assert report["mpi"]["new"] == 47
    with Digest(db_path) as a, Digest(rebuilt) as b:
        before = sorted([{k: d[k] for k in FIELDS} for d in a.documents()], key=lambda d: d["canonical_url"])
        after = sorted([{k: d[k] for k in FIELDS} for d in b.documents()], key=lambda d: d["canonical_url"])
        segments = b.search_segments()
    assert before == after
    assert segments == 1  # the replay's index is merged, as a night's is


def test_reextract_shows_its_progress_per_source(two_nights: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    db_path, _ = two_nights
    args = ["reextract", "-s", "mpi", "--runs-dir", str(db_path.parent / "runs"), "--db", str(tmp_path / "again.db")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Plain lines off a terminal: each archived run, then what it gave, before the final table.
    assert "reextract: mpi: replaying: run 1" in lines
    assert "reextract: mpi: stored: run 1, 47 extracted, 47 stored" in lines
    assert "reextract: mpi: replaying: run 2" in lines
    assert lines.index("reextract: mpi: replaying: run 2") < next(
        i for i, ln in enumerate(lines) if "re-extracted" in ln
    )
