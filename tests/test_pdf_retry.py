"""A publication's PDF that fails is fetched again on later nights until it is read or given up (issue 18,
finding 2): real crawls of the MPI mirror, with the PDF's faults ordered on the server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app
from extract.stage import extract_run
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.storing import apply_result
from migdigest.config import Source, load_config
from migdigest.taxonomy import taxonomy_path
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl
from spiders.incremental import page_key
from spiders.items import RawPage
from spiders.rundir import RunWriter
from storage import Digest

REAL = "https://www.migrationpolicy.org"


@pytest.fixture(scope="module")
def server() -> Iterator[MirrorServer]:
    with MirrorServer("mpi") as running:
        yield running


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(taxonomy_path(None))


def with_pdf(n: int) -> tuple[Source, str, str]:
    """The MPI source narrowed to `n` publications that link a PDF; the first one's page and PDF paths."""
    from mirrors import SITES

    pubs = [p for p in SITES["mpi"].publications() if p.pdf_path][:n]
    source = load_config().source("mpi")
    include = [f"^{re.escape(p.path)}$" for p in pubs]
    return source.model_copy(update={"include": include}), pubs[0].path, str(pubs[0].pdf_path)


def night(db_path: Path, source: Source, server: MirrorServer, taxonomy: Taxonomy, n: int, attempts: int = 3) -> None:
    """What the nightly flow does for one source (crawl, extract, store), without Prefect."""
    with Digest(db_path) as db:
        known = {page_key(url): state for url, state in db.known_pages(source.name).items()}
    outcome = run_crawl(source, db_path.parent / "runs" / f"night{n}", base_url=server.base_url, known=known)
    assert outcome.ok, outcome.stderr_tail
    result = extract_run(outcome.run_dir, source, taxonomy=taxonomy, workers=1)
    with Digest(db_path) as db:
        apply_result(db, result, f"2026-12-{n:02d}", pdf_max_attempts=attempts)


def test_a_pdf_that_failed_is_fetched_on_the_next_night(
    tmp_path: Path, server: MirrorServer, taxonomy: Taxonomy
) -> None:
    source, page, pdf = with_pdf(2)
    db_path = tmp_path / "digest.db"
    server.faults.add(pdf, "status", status=503)
    try:
        night(db_path, source, server, taxonomy, 1)
    finally:
        server.faults.clear()
    with Digest(db_path) as db:
        doc = db.document(f"https://migrationpolicy.org{page}")
        assert doc is not None
        assert (doc["pdf_text"], doc["pdf_status"], doc["pdf_attempts"], doc["pdf_error"]) == (
            "",
            "pending",
            1,
            "http_503",
        )
        [problem] = db.pdf_problems()
        assert problem["pdf_url"] == REAL + pdf
    night(db_path, source, server, taxonomy, 2)  # the page is unchanged (same validators): fetched anyway
    with Digest(db_path) as db:
        doc = db.document(f"https://migrationpolicy.org{page}")
        assert doc is not None
        assert doc["pdf_status"] == "ok"
        assert len(doc["pdf_text"]) > 200
        assert db.pdf_problems() == []
        others = [d for d in db.documents() if d["canonical_url"] != doc["canonical_url"]]
        assert others
        assert all(d["pdf_status"] == "ok" and d["pdf_text"] for d in others)
    # Night 3: nothing pending, nothing fetched in full again.
    night(db_path, source, server, taxonomy, 3)
    assert (db_path.parent / "runs" / "night3" / "pages.jsonl").read_text() == ""


def test_a_pdf_that_keeps_failing_is_given_up_with_its_reason(
    tmp_path: Path, server: MirrorServer, taxonomy: Taxonomy
) -> None:
    source, _, pdf = with_pdf(1)
    db_path = tmp_path / "digest.db"
    server.faults.add(pdf, "reset")
    try:
        for n in (1, 2):
            night(db_path, source, server, taxonomy, n, attempts=2)
        with Digest(db_path) as db:
            [problem] = db.pdf_problems()
        assert (problem["pdf_status"], problem["pdf_attempts"], problem["pdf_error"]) == (
            "given_up",
            2,
            "connection_lost",
        )
        hits = server.faults.hits(pdf)
        night(db_path, source, server, taxonomy, 3, attempts=2)
        assert server.faults.hits(pdf) == hits, "a given-up PDF was fetched again"
    finally:
        server.faults.clear()
    shown = CliRunner().invoke(app, ["health", "--db", str(db_path)])
    assert "1 PDF(s) given up" in shown.output
    assert "connection_lost, 2 attempt(s)" in shown.output
    assert "no anomalies" not in shown.output


def test_a_crawl_that_ended_before_the_pdf_leaves_it_pending(tmp_path: Path, taxonomy: Taxonomy) -> None:
    source, page, pdf = with_pdf(1)
    run_dir = tmp_path / "run"
    writer = RunWriter(run_dir, "mpi")
    writer.open()
    from mirrors import SITES

    body = SITES["mpi"].get(REAL, page).body
    writer.write(
        RawPage(
            url=REAL + page,
            status=200,
            headers={"Content-Type": "text/html; charset=utf-8"},
            body=body,
            hints={"pdf_url": REAL + pdf},
        )
    )
    writer.close()  # and the crawl was killed here, before the PDF's response
    [pub] = extract_run(run_dir, source, taxonomy=taxonomy, workers=1).publications
    assert (pub.pdf_status, pub.pdf_error) == ("pending", "not_fetched")


def test_a_pdf_read_before_is_kept_while_it_fails() -> None:
    from migdigest.models import Publication

    with Digest(":memory:") as db:
        pub = Publication(
            source="mpi", url="https://a.org/x", canonical_url="https://a.org/x", title="T", body="b",
            pdf_url="https://a.org/x.pdf", pdf_text="the report's text", pdf_status="ok",
        )  # fmt: skip
        db.store([pub], "d1")
        failing = Publication(
            source="mpi", url="https://a.org/x", canonical_url="https://a.org/x", title="T", body="b",
            pdf_url="https://a.org/x.pdf", pdf_status="pending", pdf_error="http_503",
        )  # fmt: skip
        assert db.store([failing], "d2") == {"new": 0, "changed": 0, "unchanged": 1}
        doc = db.document("https://a.org/x")
        assert doc is not None
        assert (doc["pdf_text"], doc["pdf_status"], doc["pdf_attempts"]) == ("the report's text", "pending", 1)
