"""New publications stored while the crawl fetches (flows.storing.EarlyStore, Following.ready): the digest ends as
storing the whole result at the run's end leaves it, whatever came late, a void run, a failed one."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from extract.stage import ExtractResult, Following, extract_run, start_workers
from extract.taxonomy import load_taxonomy
from flows.storing import EarlyStore, apply_result
from migdigest.config import load_config
from migdigest.models import Publication
from spiders.items import Discovered, RawPage
from spiders.rundir import PageTail, RunWriter
from storage import Digest
from tests.test_fault_matrix import digest_hash
from tests.test_following import HTML, _fixture

SEEN = "2026-12-07T01:00:00+00:00"


def _settle(following: Following) -> None:
    """Wait for every page started so far: what ready() gives is then the same on any machine."""
    for started in list(following.started.values()):
        started.future.result()


def _crawl_with_late_arrivals(
    run: Path, early: EarlyStore, behind: bool = False
) -> tuple[ExtractResult, dict[str, str]]:
    """The late-arrivals run of test_following, stored early as the night does; the followed result, and URLs.

    `behind`: the last batch is stored in a thread while the run's extraction finishes, as the night does.
    """
    source, taxonomy = load_config().source("mpi"), load_taxonomy()
    (article, article_html), (report, report_html) = _fixture("article"), _fixture("report")
    (commentary, commentary_html), (brief, brief_html) = _fixture("commentary"), _fixture("policy_brief")
    from tests.test_pdftext import SENTENCES, text_pdf

    steps: list[list[Any]] = [
        [RawPage(url=article, status=200, headers=HTML, body=article_html),
         RawPage(url=report, status=200, headers=HTML, body=report_html, hints={"pdf_url": f"{report}.pdf"})],
        [RawPage(url=f"{report}.pdf", status=200, headers={"Content-Type": "application/pdf"},
                 body=text_pdf(SENTENCES), hints={"pdf_of": report})],
        # Discovery learns something of the article after it was extracted (and stored): it is extracted again.
        [Discovered(url=article, hints={"listing_date": "2026-10-01"}),
         RawPage(url=commentary, status=200, headers=HTML, body=commentary_html)],
        # The commentary fetched again (a redirect's target) after it was stored: the second record is the one.
        [RawPage(url=commentary, status=200, headers=HTML, body=commentary_html.replace(b"quietly", b"steadily"))],
        [RawPage(url=brief, status=200, headers=HTML, body=brief_html, hints={"pdf_url": f"{brief}.pdf"}),
         RawPage(url=f"{article}/missing", status=404, headers=HTML, body=b"not here")],
    ]  # fmt: skip
    start_workers()
    writer = RunWriter(run, "mpi")
    writer.open()
    tail = PageTail(run)
    with Following(run, source, taxonomy=taxonomy, workers=2) as following:
        for items in steps:
            for item in items:
                writer.write(item)
            following.feed(tail.new_pages())
            _settle(following)
            early.add(following.ready())
        writer.close()
        early.add(following.ready())
        early.flush(behind=behind)
        followed = following.finish()
        early.wait()
    return followed, {"article": article, "report": report, "commentary": commentary, "brief": brief}


@pytest.mark.parametrize(("batch", "behind"), [(1, False), (100, True)])  # each at once; all at the end, behind
def test_stored_while_crawling_then_at_the_end_equals_stored_at_the_end(
    tmp_path: Path, batch: int, behind: bool
) -> None:
    db_early, db_end = tmp_path / "early.db", tmp_path / "end.db"
    early = EarlyStore(db_early, SEEN, batch=batch)
    followed, urls = _crawl_with_late_arrivals(tmp_path / "run", early, behind)
    early.close()
    assert early.error is None
    # Stored while "crawling": the article, the report (once its PDF came) and the commentary's first record; the
    # brief waited for its PDF, which never came (pending is decided at the end).
    stored = {p.url: p for p in early.stored.values()}
    assert set(stored) == {urls["article"], urls["report"], urls["commentary"]}
    final = {p.url: p for p in followed.publications}
    assert final[urls["report"]] is stored[urls["report"]]
    assert final[urls["article"]] is not stored[urls["article"]]  # the late hint: extracted again
    assert final[urls["commentary"]] is not stored[urls["commentary"]]  # fetched again
    assert final[urls["brief"]].pdf_status == "pending"
    with Digest(db_early) as db:
        counts = apply_result(db, followed, SEEN, early=early.stored)
    after = extract_run(tmp_path / "run", load_config().source("mpi"), taxonomy=load_taxonomy(), workers=1)
    with Digest(db_end) as db:
        expected = apply_result(db, after, SEEN)
    assert counts == expected == {"new": 4, "changed": 0, "unchanged": 0, "gone": 0}
    assert digest_hash(db_early) == digest_hash(db_end)
    with Digest(db_early) as db:
        docs = {d["url"]: d for d in db.documents()}
        # Replaced within the run: no version of the early record.
        assert db.versions(final[urls["commentary"]].canonical_url) == []
    assert "steadily become" in docs[urls["commentary"]]["body"]
    assert docs[urls["article"]]["published"] == final[urls["article"]].published


def pub(key: str, body: str, title: str = "T") -> Publication:
    return Publication(source="mpi", url=key, canonical_url=key, title=title, body=body)


def test_only_new_publications_go_in_early_and_a_known_one_changes_at_the_end(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path) as db:
        db.store([pub("https://a.org/1", "old text")], seen_at="2026-12-01T00:00:00+00:00")
    early = EarlyStore(db_path, SEEN, batch=2)
    changed, new, again = pub("https://a.org/1", "new text"), pub("https://a.org/2", "x"), pub("https://a.org/2", "y")
    early.add([changed])
    assert early.stored == {}  # queued: under a batch
    early.add([new, again])  # a full batch: stored now; the first of a URL, as the run's result keeps it
    early.close()
    assert early.stored == {"https://a.org/2": new}
    with Digest(db_path) as db:
        assert db.document("https://a.org/1")["body"] == "old text"  # type: ignore[index]
        result = ExtractResult(publications=[changed, new], source="mpi")
        assert apply_result(db, result, SEEN, early=early.stored) == {"new": 1, "changed": 1, "unchanged": 0,
                                                                      "gone": 0}  # fmt: skip
        assert [v["body"] for v in db.versions("https://a.org/1")] == ["old text"]
        assert db.document("https://a.org/2")["body"] == "x"  # type: ignore[index]


def test_a_void_run_and_a_failed_one_keep_nothing_stored_early(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    early = EarlyStore(db_path, SEEN, batch=1)
    early.add([pub("https://a.org/1", "one"), pub("https://a.org/2", "two")])
    early.close()
    assert len(early.stored) == 2
    with Digest(db_path) as db:
        # Blocked (run_stats clears the publications): what went in early goes out again.
        counts = apply_result(db, ExtractResult(source="mpi"), SEEN, early=early.stored)
        assert counts["new"] == 0
        assert db.documents() == []
    early = EarlyStore(db_path, SEEN, batch=1)
    early.add([pub("https://a.org/3", "three")])
    early.undo()  # the source failed before its store
    early.close()
    with Digest(db_path) as db:
        assert db.documents() == []
        assert "dedupe" in db.pending_work()  # asked for with the first early batch, before it was stored


def test_a_batch_that_cannot_be_stored_leaves_it_all_to_the_end(tmp_path: Path) -> None:
    db_path = tmp_path / "digest.db"
    with Digest(db_path):
        pass
    conn = sqlite3.connect(db_path)
    conn.execute("BEGIN IMMEDIATE")  # another writer holds the digest past the busy timeout
    try:
        early = EarlyStore(db_path, SEEN, batch=1)
        import storage.digest as digest_module

        timeout = digest_module._BUSY_TIMEOUT_MS
        digest_module._BUSY_TIMEOUT_MS = 50
        try:
            early.add([pub("https://a.org/1", "one")])
        finally:
            digest_module._BUSY_TIMEOUT_MS = timeout
        early.add([pub("https://a.org/2", "two")])  # not tried: early storing has stopped
    finally:
        conn.rollback()
        conn.close()
    early.close()
    assert isinstance(early.error, sqlite3.OperationalError)
    assert early.stored == {}
    with Digest(db_path) as db:
        result = ExtractResult(publications=[pub("https://a.org/1", "one"), pub("https://a.org/2", "two")])
        assert apply_result(db, result, SEEN, early=early.stored)["new"] == 2


@pytest.mark.slow
def test_a_night_keeps_what_it_stored_while_crawling(prefect_harness: None, tmp_path: Path) -> None:
    from flows.nightly import nightly
    from mirrors import SITES
    from mirrors.server import MirrorServer

    db_path = tmp_path / "digest.db"
    with MirrorServer("cgd") as server:
        (row,) = nightly(sources=["cgd"], db_path=db_path, base_urls={"cgd": server.base_url})
    assert row["status"] == "ok"
    assert row["new"] == len(SITES["cgd"].publications())
    conn = sqlite3.connect(db_path)
    try:
        # Stored early and kept (not deleted and stored again at the end): ids run 1..n without a gap.
        (count, top) = conn.execute("SELECT count(*), max(id) FROM documents").fetchone()
    finally:
        conn.close()
    assert count == top == row["new"]
