"""The extract stage while the crawl still fetches: pages are extracted as the crawl writes the run directory.

The crawl stays one process per source and writes its run directory as before; this only reads it as it grows
(`spiders.rundir.PageTail`). A page is started on the worker pool as soon as its line is written, or, when the
spider said it links a PDF (hint `pdf_url`), once that PDF is archived too. When the crawl has ended, the run
directory is read whole (`read_pages`) and every page is taken from what was started only if its record (hints
discovery added later, fetch state) and its PDF are the same; anything else is extracted then. So the result
is `extract_run`'s, exactly, and nothing is stored before the crawl ends: a night killed half-way loses only time.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

from extract.stage import _POOL_CONTEXT, ExtractResult, Miss, _isolated, _Job, _process_batch, jobs_of, result_of
from extract.taxonomy import Taxonomy
from migdigest.config import Source
from migdigest.models import Publication
from spiders.rundir import FetchedPage, PageTail, read_pages

# Workers run at a lower priority than the crawl: while it fetches, extraction should take what the crawl leaves
# of the cores, not slow the crawl, which is the night's critical path (bench/README.md, issue 20).
_NICE = 5
# Pages per task while following: small, so a page waits little for its batch; big enough to spare the chatter.
_BATCH = 8
_Output = Publication | Miss


def _key(job: _Job) -> str:
    page, pdf = job
    return json.dumps([asdict(page), asdict(pdf) if pdf else None], sort_keys=True)


class _Pool:
    """A worker pool whose jobs are started as they come and collected by key; a broken pool is replaced."""

    def __init__(self, run_dir: Path, source: Source, taxonomy: Taxonomy, workers: int) -> None:
        self.args = (run_dir, source, taxonomy)
        self.workers = workers
        self.pool = self._new_pool()
        self.started: dict[str, tuple[Future[list[_Output]], int]] = {}

    def start(self, jobs: list[_Job], size: int = _BATCH) -> None:
        jobs = [job for job in jobs if _key(job) not in self.started]
        for i in range(0, len(jobs), size):
            batch = jobs[i : i + size]
            try:
                future = self.pool.submit(_process_batch, *self.args, batch)
            except BrokenProcessPool:
                self._replace()
                future = self.pool.submit(_process_batch, *self.args, batch)
            for n, job in enumerate(batch):
                self.started[_key(job)] = (future, n)

    def output(self, job: _Job) -> _Output:
        future, n = self.started[_key(job)]
        try:
            return future.result()[n]
        except BrokenProcessPool:
            # A worker was killed (out of memory, a crash in a C library): its pages go one by one, each in a
            # worker of its own, so the one that kills it is found and lost alone.
            return _isolated(*self.args, job)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=_POOL_CONTEXT, initializer=os.nice, initargs=(_NICE,))

    def _replace(self) -> None:
        self.close()
        self.pool = self._new_pool()

    def close(self) -> None:
        # CPython 3.11 terminates only the workers registered when a pool broke: kill them all, or leaving may hang.
        if getattr(self.pool, "_broken", False):
            for worker in list((getattr(self.pool, "_processes", None) or {}).values()):
                worker.kill()
        self.pool.shutdown(wait=True, cancel_futures=True)


def extract_following(
    run_dir: Path,
    source: Source,
    *,
    taxonomy: Taxonomy,
    crawl_done: Callable[[], bool],
    workers: int | None = None,
    poll: float = 0.5,
) -> ExtractResult:
    """Extract a run's pages while its crawl writes them; once `crawl_done()`, the same result as `extract_run`."""
    tail = PageTail(run_dir)
    pdfs: dict[str, FetchedPage] = {}  # page URL -> its archived PDF
    waiting: dict[str, FetchedPage] = {}  # pages whose PDF is still to come
    pool = _Pool(run_dir, source, taxonomy, workers or os.cpu_count() or 1)
    try:
        while True:
            ended = crawl_done()  # asked before reading: what the crawl wrote before it ended is read below
            for page in tail.new_pages():
                if of := page.hints.get("pdf_of"):
                    pdfs[of] = page
                else:
                    waiting[page.url] = page
            ready: list[_Job] = []
            for url, page in list(waiting.items()):
                if url in pdfs or not page.hints.get("pdf_url"):
                    ready.append((page, pdfs.get(url)))
                    del waiting[url]
            if ended:
                break
            pool.start(ready)
            time.sleep(poll)
        early = len(pool.started)
        jobs = jobs_of(read_pages(run_dir))
        # Whatever was not started with the same record (later hints, a PDF that never came) is extracted now.
        late = [job for job in jobs if _key(job) not in pool.started]
        pool.start(late, size=max(_BATCH, len(late) // (pool.workers * 4)))
        outputs = [pool.output(job) for job in jobs]
    finally:
        pool.close()
    result = result_of(run_dir, outputs)
    result.early = early
    return result
