"""Extraction that follows a crawl (extract.stage.Following fed by spiders.rundir.follow_pages) gives exactly what
extraction after the crawl (extract_run) gives: same publications in the same order, same skips and errors."""

from __future__ import annotations

import json
import os
import signal
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

import mirrors.scaled as scaled
from extract.stage import ExtractResult, Following, extract_run, start_workers
from extract.taxonomy import load_taxonomy
from migdigest.config import load_config
from mirrors import SITES
from mirrors.server import MirrorServer
from spiders.crawl import run_crawl
from spiders.items import Discovered, RawPage
from spiders.rundir import PAGES, PageTail, RunWriter, follow_pages

FIXTURES = Path(__file__).parent / "fixtures" / "mpi"
HTML = {"Content-Type": "text/html; charset=utf-8"}


def _everything(result: ExtractResult) -> dict[str, Any]:
    """Every field of a result, publications as dicts, in order."""
    return {**asdict(result), "publications": [asdict(p) for p in result.publications]}


def _fixture(name: str) -> tuple[str, bytes]:
    url = json.loads((FIXTURES / f"{name}.meta.json").read_text())["url"]
    return url, (FIXTURES / f"{name}.html").read_bytes()


def test_the_tail_gives_whole_records_once_each(tmp_path: Path) -> None:
    run = tmp_path / "run"
    tail = PageTail(run)
    assert tail.new_pages() == []  # the crawl has not opened its files yet
    writer = RunWriter(run, "mpi")
    writer.open()
    url, html = _fixture("article")
    writer.write(Discovered(url=url, hints={"listing_date": "2026-11-02"}))
    writer.write(RawPage(url=url, status=200, headers=HTML, body=html))
    # A line the crawl is still writing is not read: it comes whole, with the next call.
    with (run / PAGES).open("a", encoding="utf-8") as handle:
        handle.write('{"source": "mpi", "url": "https://www.migrationpolicy.org/half"')
        handle.flush()
        (first,) = tail.new_pages()
        assert (first.url, first.hints, first.status) == (url, {"listing_date": "2026-11-02"}, 200)
        assert tail.new_pages() == []
        handle.write(', "status": 404, "fetched_at": "2026-12-07T00:00:00+00:00", "body_path": "pages.warc.gz"}\n')
    (second,) = tail.new_pages()
    assert (second.url, second.status) == ("https://www.migrationpolicy.org/half", 404)
    assert tail.new_pages() == []
    writer.close()


def test_following_ends_with_the_crawl_having_given_every_page(tmp_path: Path) -> None:
    run = tmp_path / "run"
    writer = RunWriter(run, "mpi")
    writer.open()
    url, html = _fixture("article")
    asked: list[float] = []

    def wait_end(seconds: float) -> bool:
        asked.append(seconds)
        if len(asked) == 2:  # the crawl writes a page between two looks, then ends
            writer.write(RawPage(url=url, status=200, headers=HTML, body=html))
            writer.write(RawPage(url=f"{url}?again", status=200, headers=HTML, body=html))
        return len(asked) >= 2

    batches = list(follow_pages(run, wait_end, poll=0.25))
    writer.close()
    assert asked == [0.25, 0.25]
    assert [[p.url for p in batch] for batch in batches] == [[url, f"{url}?again"]]


def _run(writer: RunWriter, steps: list[list[Any]], following: Following, tail: PageTail) -> None:
    """Write each step's items as the crawl would, feeding what the tail gives after each."""
    for items in steps:
        for item in items:
            writer.write(item)
        following.feed(tail.new_pages())


def test_following_equals_extraction_after_the_crawl_whatever_came_late(tmp_path: Path) -> None:
    run = tmp_path / "run"
    source, taxonomy = load_config().source("mpi"), load_taxonomy()
    (article, article_html), (report, report_html) = _fixture("article"), _fixture("report")
    (commentary, commentary_html), (brief, brief_html) = _fixture("commentary"), _fixture("policy_brief")
    from tests.test_pdftext import SENTENCES, text_pdf

    pdf = text_pdf(SENTENCES)
    steps: list[list[Any]] = [
        # A page without a PDF starts at once; the report waits for the PDF it links.
        [RawPage(url=article, status=200, headers=HTML, body=article_html),
         RawPage(url=report, status=200, headers=HTML, body=report_html, hints={"pdf_url": f"{report}.pdf"})],
        # Its PDF arrives; discovery then says something about the article it did not know when it started.
        [RawPage(url=f"{report}.pdf", status=200, headers={"Content-Type": "application/pdf"}, body=pdf,
                 hints={"pdf_of": report}),
         Discovered(url=article, hints={"listing_date": "2026-10-01"})],
        # A page fetched twice (a redirect's target): the second record is the one.
        [RawPage(url=commentary, status=200, headers=HTML, body=b"<html><body>gone soon</body></html>"),
         RawPage(url=commentary, status=200, headers=HTML, body=commentary_html)],
        # A page whose PDF never comes (the crawl ends first), and one that is not a publication at all.
        [RawPage(url=brief, status=200, headers=HTML, body=brief_html, hints={"pdf_url": f"{brief}.pdf"}),
         RawPage(url=f"{article}/missing", status=404, headers=HTML, body=b"not here")],
    ]  # fmt: skip
    start_workers()
    writer = RunWriter(run, "mpi")
    writer.open()
    with Following(run, source, taxonomy=taxonomy, workers=2) as following:
        _run(writer, steps, following, PageTail(run))
        writer.close()
        # Started while "crawling" (as far as the following worker took them): the report only with its PDF; the
        # brief, whose PDF never came, waits for the end.
        assert article in following.started
        assert report not in following.started or following.started[report].pdf is not None
        assert brief not in following.started
        followed = following.finish()
    after = extract_run(run, source, taxonomy=taxonomy, workers=1)
    assert _everything(followed) == _everything(after)
    # The late hint made the article's early record stale, and the brief waited for a PDF that never came: neither
    # output is taken from what was started while "crawling".
    assert following.reused <= 3
    assert [p.url for p in after.publications] == [article, report, commentary, brief]
    by_url = {p.url: p for p in after.publications}
    assert SENTENCES[0] in by_url[report].pdf_text
    assert by_url[brief].pdf_status == "pending"
    assert after.skipped == {"http_404": 1}


def test_extraction_following_a_mirror_crawl_equals_extraction_after_it(tmp_path: Path) -> None:
    name = scaled.register(120, seed=12)
    source, taxonomy = load_config().source("mpi"), load_taxonomy()
    run = tmp_path / "run"
    ended = threading.Event()
    fed: list[tuple[bool, int]] = []  # (crawl ended before this batch was read, pages in it)
    try:
        with MirrorServer(name) as server:
            start_workers()
            outcome: list[Any] = []

            def crawl() -> None:
                try:
                    outcome.append(run_crawl(source, run, base_url=server.base_url))
                finally:
                    ended.set()

            crawler = threading.Thread(target=crawl)
            with Following(run, source, taxonomy=taxonomy, workers=2) as following:
                crawler.start()

                def wait_end(seconds: float) -> bool:
                    done = ended.wait(seconds)
                    fed.append((done, 0))
                    return done

                for pages in follow_pages(run, wait_end, poll=0.05):
                    fed[-1] = (fed[-1][0], len(pages))
                    following.feed(pages)
                crawler.join()
                followed = following.finish()
    finally:
        SITES.pop(name, None)
    assert outcome[0].ok, outcome[0].describe()
    after = extract_run(run, source, taxonomy=taxonomy, workers=2)
    assert len(after.publications) == 120
    assert sum(bool(p.pdf_text) for p in after.publications) > 0
    assert _everything(followed) == _everything(after)
    # Pages were started while the crawl still fetched, and their outputs were kept.
    assert sum(n for done, n in fed if not done) > 0
    assert following.reused > 0


@pytest.mark.slow
def test_a_worker_killed_while_following_loses_no_page(tmp_path: Path) -> None:
    import multiprocessing.forkserver as forkserver

    from tests.test_extract_pool import _children

    name = scaled.register(72, seed=13)
    source, taxonomy = load_config().source("mpi"), load_taxonomy()
    run = tmp_path / "run"
    try:
        with MirrorServer(name) as server:
            assert run_crawl(source, run, base_url=server.base_url).ok
    finally:
        SITES.pop(name, None)
    start_workers()
    server_pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
    assert _children(server_pid) == []  # no other pool's worker to mistake for this one's
    tail = PageTail(run)
    pages = tail.new_pages()
    with Following(run, source, taxonomy=taxonomy, workers=2) as following:
        following.feed(pages[: len(pages) // 2])
        # As the kernel's OOM killer would, while the crawl would still be writing the rest.
        (first, *_) = _children(server_pid)
        os.kill(first, signal.SIGKILL)
        following.feed(pages[len(pages) // 2 :])
        followed = following.finish()
    alone = extract_run(run, source, taxonomy=taxonomy, workers=1)
    assert len(alone.publications) == 72
    assert _everything(followed) == _everything(alone)


@pytest.mark.slow
def test_a_night_that_extracts_after_the_crawl_stores_what_a_following_night_stores(
    prefect_harness: None, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.nightly import nightly
    from tests.test_fault_matrix import digest_hash
    from tests.test_faults_process import _config

    digests = {}
    with MirrorServer("cgd") as server:
        for following in (True, False):
            config = _config(tmp_path / f"config-{following}", "cgd", {"extract_while_crawling": following})
            db = tmp_path / f"night-{following}" / "digest.db"
            state = nightly(
                sources=["cgd"], db_path=db, base_urls={"cgd": server.base_url}, config_dir=config, return_state=True
            )
            (row,) = state.result()
            assert row["status"] == "ok", row
            digests[following] = digest_hash(db)
            assert state.state_details.flow_run_id is not None
            flow_run = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
            with get_client(sync_client=True) as client:
                tasks = {run.name.rsplit("-", 1)[0] for run in client.read_task_runs(flow_run_filter=flow_run)}
            assert ("follow crawl" in tasks) is following, tasks
    assert digests[True] == digests[False]
    assert digests[True][1] == len(SITES["cgd"].publications())
