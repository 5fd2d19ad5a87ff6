"""From saved pages to normalised publications: the extract stage of a run, without Prefect or SQL."""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from extract.dedupe import fingerprint, pack_print
from extract.normalise import canonical_url, trusted_canonical, word_count
from extract.page import Extracted, ExtractionError, extract_page
from extract.pdf_limits import DEFAULT_LIMITS, LIFELINE_THREAD, PdfLimits, PdfReading, start_reading
from extract.taxonomy import Taxonomy, tag
from migdigest.config import Source
from migdigest.models import Publication
from spiders.challenge import is_challenge
from spiders.pdf_link import GONE_PDF
from spiders.rundir import FetchedPage, read_body, read_failures, read_pages, read_seen


class Skip(StrEnum):
    """Why a fetched page is not a publication (counted, never stored); besides `http_<status>`, `page_type_<kind>`."""

    NOT_HTML = "not_html"
    DUPLICATE_URL = "duplicate_url"
    CHALLENGE = "challenge"
    PDF_GONE = "pdf_gone"  # the publication is kept; the PDF it links answered 404 or 410 (not an error)


class Failure(StrEnum):
    """Why a page that should have been a publication gave none (counted with the run's errors)."""

    EXTRACTION_FAILED = "extraction_failed"
    EMPTY_EXTRACTION = "empty_extraction"
    WORKER_DIED = "worker_died"


# What a page gives instead of a publication: skipped (not one) or error (should have been one), and why.
Miss = tuple[Literal["skipped"], str] | tuple[Literal["error"], Failure]


@dataclass
class ExtractResult:
    """Publications of one run, and what was skipped or failed on the way."""

    publications: list[Publication] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    unchanged: list[str] = field(default_factory=list)  # canonical URLs confirmed without a download
    gone: list[str] = field(default_factory=list)  # canonical URLs that answered 404 or 410
    failures: list[dict[str, Any]] = field(default_factory=list)  # the crawl's failed URLs, as recorded
    source: str = ""  # whose run this is: storage confirms and retires only this source's rows
    unchanged_urls: list[str] = field(default_factory=list)  # the page URLs of `unchanged`, as fetched
    gone_urls: list[str] = field(default_factory=list)  # the page URLs of `gone`, as fetched

    pdfs_gone: list[str] = field(default_factory=list)  # PDF links that answered 404 or 410, each once
    skips: list[tuple[str, str]] = field(default_factory=list)  # (URL, reason) of every skipped page and dead PDF


def page_identity(url: str, source: Source) -> str:
    """The digest's key for a URL of this source: canonical, in the scheme the site is configured with."""
    return canonical_url(url, scheme=urlsplit(source.base_url).scheme or "https")


def to_publication(page: FetchedPage, ex: Extracted, source: Source) -> Publication:
    """Combine a fetched page and its extraction into the record the digest stores."""
    # rel=canonical is trusted only on the page's own site: a foreign canonical is a syndication or an attack.
    own = trusted_canonical(ex.canonical, page.url, [urlsplit(source.base_url).hostname or "", *source.aliases])
    key = page_identity(own or page.url, source)
    return Publication(
        source=source.name,
        url=page.url,
        canonical_url=key,
        title=ex.title,
        body=ex.body,
        authors=ex.authors,
        published=ex.published,
        modified=ex.modified,
        summary=ex.summary,
        language=ex.language,
        doc_type=ex.doc_type,
        pdf_url=ex.pdf_url or None,
        word_count=word_count(ex.body),
        fetched_at=page.fetched_at,
        fetch_state=dict(page.fetch_state),  # worked out by the crawl (spiders/rundir.py), kept for the next one
        moved_from=page_identity(page.hints["moved_from"], source) if page.hints.get("moved_from") else None,
    )


# What one report PDF may cost (extract/pdf_limits.py): a hostile file is stopped there, with its status.
PDF_LIMITS: PdfLimits = DEFAULT_LIMITS

# Below this many pages a process pool costs more (start-up, imports) than it saves.
POOL_MIN_PAGES = 64

# Workers fork from a forkserver that imported the extractor once, so a pool starts warm instead of paying
# ~1.3 s of imports per worker, as it did under "spawn". The server is a fresh single-threaded process, so
# forking it is safe even though the flow's own process runs threads (Prefect, Twisted).
_POOL_CONTEXT = get_context("forkserver")
_POOL_CONTEXT.set_forkserver_preload(["extract.pool_preload"])


class WorkersCannotStart(RuntimeError):
    """The extraction workers' forkserver cannot start (its socket path, under the temporary folder, is too long)."""


def start_workers() -> None:
    """Start the forkserver now (it imports the extractor once), e.g. while a crawl runs, so pools start warm."""
    from multiprocessing import forkserver

    try:
        forkserver.ensure_running()
    except OSError as exc:
        # multiprocessing binds the forkserver's Unix socket in a new folder under the temporary folder; a Unix
        # socket path has at most 107 bytes, and Python's own message names neither the folder nor the remedy.
        if "AF_UNIX path too long" not in str(exc):
            raise
        folder = tempfile.gettempdir()
        raise WorkersCannotStart(
            f"the extraction workers cannot start: their socket goes under the temporary folder {folder!r} "
            f"({len(folder)} characters), too long for a Unix socket path; set TMPDIR to a shorter folder, "
            "such as /tmp"
        ) from exc


def _process(
    run_dir: Path, source: Source, taxonomy: Taxonomy, page: FetchedPage, pdf: FetchedPage | None
) -> Publication | Miss:
    """One page to a publication, or ("skipped" | "error", reason). Runs in a worker process."""
    if not 200 <= page.status < 300:
        return "skipped", f"http_{page.status}"
    if "html" not in page.content_type.lower() and page.content_type:
        return "skipped", Skip.NOT_HTML
    body = read_body(run_dir, page)
    if is_challenge(page.status, page.headers, body):  # the crawl keeps none; an archive of an older one might
        return "skipped", Skip.CHALLENGE
    gone = pdf is not None and pdf.status in GONE_PDF
    # The PDF is read by a child process of its own, under limits, while this one extracts the HTML: a slow
    # or hostile PDF costs its child, never the page's extraction or the worker.
    reading = start_reading(read_body(run_dir, pdf), PDF_LIMITS) if pdf is not None and not gone else None
    try:
        return _finish(source, taxonomy, page, body, reading, pdf_gone=gone)
    finally:
        if reading is not None:
            reading.cancel()  # a page that is no publication: its PDF is not waited for


def _finish(
    source: Source, taxonomy: Taxonomy, page: FetchedPage, body: bytes, reading: PdfReading | None, *, pdf_gone: bool
) -> Publication | Miss:
    try:
        ex = extract_page(body, page.url, source=source, hints=page.hints)
    except (ExtractionError, ValueError):
        return "error", Failure.EXTRACTION_FAILED
    if ex.page_type != "article":
        return "skipped", f"page_type_{ex.page_type}"
    if not ex.title or not ex.body:
        return "error", Failure.EMPTY_EXTRACTION
    pub = to_publication(page, ex, source)
    if pdf_gone:
        # A dead link is not the publication's PDF: extract_run records it once, storage keeps it as gone.
        pub.pdf_url, pub.pdf_status = None, "gone"
    elif reading is not None:
        text = reading.result()
        pub.pdf_text, pub.pdf_pages, pub.pdf_status = text.text, text.pages or None, "ok"
        if text.status != "ok":
            # scanned, broken, encrypted, timeout, memory...: recorded, never fatal
            pub.notes.append(f"pdf_{text.status}")
    # The PDF's opening pages count as body for tagging: a report's landing page is often only a teaser.
    tags = tag(pub.title, pub.summary, f"{pub.body}\n{pub.pdf_text[:20_000]}", taxonomy)
    pub.topics = tags.topics
    # Countries are kept with their regions, so one facet filters by "West Africa" or by "Senegal".
    pub.regions = [*tags.regions, *(c for c in tags.countries if c not in tags.regions)]
    # Made here, beside the crawl, so the night's dedupe after it only groups (bench/README.md, issue 20).
    pub.dedupe_print = pack_print(fingerprint(pub.title, pub.body))
    return pub


_Job = tuple[FetchedPage, FetchedPage | None]  # a page and the PDF it links, if any
_T = TypeVar("_T")


def _die_with(lifeline: Connection) -> None:
    """Pool worker initializer: end this worker when the process that made the pool is gone, however it ended."""

    def watch() -> None:
        # The pool's creator holds the only write end: EOF means it has died. Its queues cannot say so, since a
        # worker (and the PDF reader it forks) holds their write ends too, and the forkserver outlives it.
        with suppress(EOFError, OSError):
            lifeline.recv()
        os._exit(1)

    threading.Thread(target=watch, name=LIFELINE_THREAD, daemon=True).start()


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of extraction workers that die with this process, even on kill -9 (no orphan keeps reading PDFs)."""
    start_workers()  # at once when already running; else its clear error rather than the pool's first submit's
    lifeline, alive = _POOL_CONTEXT.Pipe(duplex=False)
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_POOL_CONTEXT, initializer=_die_with, initargs=(lifeline,)
    )
    try:
        yield pool
    except BrokenProcessPool:
        pool.shutdown(wait=True)  # its workers are dead or killed: joining them is quick, and reaps them
        raise
    except BaseException:
        # Prefect's time limit arrives as a signal, so it can land anywhere, even inside submit() while the
        # pool's manager thread starts; waiting then fails on a half-started thread ("cannot join thread before
        # it is started") and would replace the reason. Nor is a stopped run's rest of work worth waiting for:
        # closing the lifeline below ends the workers.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        alive.close()
        lifeline.close()


def _submit(pool: ProcessPoolExecutor, fn: Callable[..., _T], *args: Any) -> Future[_T]:
    """`pool.submit`, where a worker dying while the next one starts is the broken pool it is."""
    try:
        return pool.submit(fn, *args)
    except OSError as exc:
        # CPython 3.11 starts workers inside submit(); when one dies meanwhile, the pool's own thread closes the
        # call queue, and starting the next fails on its closed pipe ("handle is closed", "Bad file descriptor").
        if getattr(pool, "_broken", False):
            raise BrokenProcessPool(f"a worker died while another started: {exc}") from exc
        raise


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a broken pool's workers, so that leaving it cannot hang."""
    # CPython 3.11 terminates only the workers registered when the pool broke: one still starting then is
    # joined while it blocks writing a result nobody reads, and leaving the pool hangs forever.
    for worker in list((getattr(pool, "_processes", None) or {}).values()):
        worker.kill()


def _process_batch(run_dir: Path, source: Source, taxonomy: Taxonomy, batch: list[_Job]) -> list[Publication | Miss]:
    return [_process(run_dir, source, taxonomy, page, pdf) for page, pdf in batch]


def _pooled(
    run_dir: Path, source: Source, taxonomy: Taxonomy, batches: list[list[_Job]], workers: int
) -> list[Publication | Miss]:
    """Every batch on a pool of workers, in order; a worker that dies costs only the page that killed it."""
    done: dict[int, list[Publication | Miss]] = {}
    try:
        with _pool(workers) as pool:
            try:
                # The taxonomy travels as its path (see Taxonomy.__reduce__): workers compile it at most once.
                submitted = (_submit(pool, _process_batch, run_dir, source, taxonomy, b) for b in batches)
                futures = {future: i for i, future in enumerate(submitted)}
                for future in as_completed(futures):
                    done[futures[future]] = future.result()
            except BrokenProcessPool:
                _kill_workers(pool)
                raise
    except BrokenProcessPool:
        pass  # a worker was killed (out of memory, a crash in a C library): the batches it left are redone below
    # Unfinished pages go one by one, so the one that kills a worker is found and lost alone.
    redone = iter(
        _one_by_one(run_dir, source, taxonomy, [job for i, b in enumerate(batches) if i not in done for job in b])
    )
    outputs: list[Publication | Miss] = []
    for i, batch in enumerate(batches):
        outputs += done[i] if i in done else [next(redone) for _ in batch]
    return outputs


def _one_by_one(run_dir: Path, source: Source, taxonomy: Taxonomy, jobs: list[_Job]) -> list[Publication | Miss]:
    """Each page alone on one worker, in order: a page whose worker dies is lost alone, the next gets a new worker.

    A worker is started again only after a death, not for every page (a pool start per page cost seconds each).
    """
    outputs: list[Publication | Miss] = []
    while len(outputs) < len(jobs):
        try:
            with _pool(1) as solo:
                for job in jobs[len(outputs) :]:
                    outputs.append(_submit(solo, _process, run_dir, source, taxonomy, *job).result())
        except BrokenProcessPool:
            outputs.append(("error", Failure.WORKER_DIED))
    return outputs


def jobs_of(pages: list[FetchedPage]) -> list[_Job]:
    """A run's pages to extract, in order, each with the PDF it links (PDFs are read with their publication)."""
    pdfs = {page.hints["pdf_of"]: page for page in pages if page.hints.get("pdf_of")}
    return [(page, pdfs.get(page.url)) for page in pages if not page.hints.get("pdf_of")]


def extract_run(run_dir: Path, source: Source, *, taxonomy: Taxonomy, workers: int | None = None) -> ExtractResult:
    """Extract and tag every page a run fetched (on every core for big runs); non-publications are counted."""
    pages = read_pages(run_dir)
    jobs = jobs_of(pages)
    workers = workers or os.cpu_count() or 1
    # PDF readers are forked from the extracting process, which is only safe where it has no other thread: a
    # threaded caller (the flow, a test with a server) extracts on a worker, even a single one.
    threaded = threading.active_count() > 1 and any(pdf for _, pdf in jobs)
    if (workers > 1 and len(jobs) >= POOL_MIN_PAGES) or (threaded and jobs):
        workers = workers if len(jobs) >= POOL_MIN_PAGES else 1
        size = max(8, len(jobs) // (workers * 4))  # a few batches per worker: balance without chatter
        batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        outputs = _pooled(run_dir, source, taxonomy, batches, workers)
    else:
        outputs = _process_batch(run_dir, source, taxonomy, jobs)
    return _result(run_dir, source, pages, jobs, outputs)


def _result(
    run_dir: Path, source: Source, pages: list[FetchedPage], jobs: list[_Job], outputs: list[Publication | Miss]
) -> ExtractResult:
    """A run's result from its jobs' outputs (in job order), its dead PDFs, failures and confirmed pages."""
    result = ExtractResult(source=source.name)
    seen: set[str] = set()
    pdfs = {page.hints["pdf_of"]: page for page in pages if page.hints.get("pdf_of")}
    for pdf_url in dict.fromkeys(pdf.url for pdf in pdfs.values() if pdf.status in GONE_PDF):
        result.pdfs_gone.append(pdf_url)
        result.skipped[Skip.PDF_GONE] += 1
        result.skips.append((pdf_url, Skip.PDF_GONE))
    pdf_wanted = {page.url: page.hints["pdf_url"] for page in pages if page.hints.get("pdf_url")}
    failed = {f.url: f.kind for f in read_failures(run_dir)}
    for (page, _), out in zip(jobs, outputs, strict=True):
        if isinstance(out, tuple):
            (result.errors if out[0] == "error" else result.skipped)[out[1]] += 1
            if out[0] == "skipped":
                result.skips.append((page.url, str(out[1])))
            if out[0] == "error":  # a page that should have been a publication: kept against its URL
                result.failures.append(
                    {"url": page.url, "kind": str(out[1]), "status": page.status, "at": page.fetched_at,
                     "message": f"{page.content_type or 'no content type'}, fetched with status {page.status}"}
                )  # fmt: skip
            continue
        if out.pdf_status not in ("ok", "gone") and out.url in pdf_wanted:
            # The page was fetched, its PDF was not (a 5xx, a reset, a crawl killed in between): pending, so
            # the next nights fetch it again (storage counts the attempts and gives up after the configured few).
            out.pdf_status, out.pdf_error = "pending", failed.get(pdf_wanted[out.url], "not_fetched")
            out.notes.append("pdf_pending")
        for note in out.notes:
            result.errors[note] += 1
        if out.canonical_url in seen:
            result.skipped[Skip.DUPLICATE_URL] += 1
            result.skips.append((out.url, Skip.DUPLICATE_URL))
            continue
        seen.add(out.canonical_url)
        result.publications.append(out)
    confirmed: set[str] = set()
    for rec in read_seen(run_dir):
        # The page URL goes along: a page stored under its (relative) rel=canonical is found by the URL fetched.
        key = page_identity(rec.url, source)
        if rec.state == "gone":
            result.gone.append(key)
            result.gone_urls.append(rec.url)
        elif key not in seen and key not in confirmed:
            confirmed.add(key)
            result.unchanged.append(key)
            result.unchanged_urls.append(rec.url)
    return result


# Pages per task while following a crawl: few, so a page waits little for the rest of its batch; more (up to the
# maximum) when pages come faster than the workers take them.
FOLLOW_BATCH = 8
FOLLOW_MAX_BATCH = 32
# The workers that follow a crawl run at the crawl's priority: niced (+5, tried in issue 20), they got almost no
# CPU on a machine busy with other work, and the pages they left waited for the crawl's end (bench/README.md).


@dataclass
class _Started:
    """A page started on the pool, with the PDF it was started with, and where its output will be."""

    page: FetchedPage
    pdf: FetchedPage | None
    future: Future[list[Publication | Miss]]
    index: int  # its place in the future's batch


class Following:
    """The extract stage of a run while its crawl still writes it; `finish()` gives `extract_run`'s result exactly.

    `feed()` takes pages as the crawl writes them (spiders.rundir.follow_pages) and starts each on the worker pool,
    a page that links a PDF once that PDF is archived too. Once the crawl has ended, `finish()` reads the run whole,
    as `extract_run` does, and takes each page's output from what was started only if the page's record and its
    PDF's are the ones read now (discovery may have added a hint since, a page may have been fetched again); the
    rest is extracted then. Use it as a context manager: leaving it ends the workers.

    While the crawl fetches, one core is left to it (and its site, when that is a mirror on this machine): pages
    go to `workers - 1` workers (at least one), a few batches at a time; when it ends, the pages not yet handed
    to them go to all `workers`.
    """

    def __init__(self, run_dir: Path, source: Source, *, taxonomy: Taxonomy, workers: int | None = None) -> None:
        self.run_dir, self.source, self.taxonomy = run_dir, source, taxonomy
        self.workers = workers or os.cpu_count() or 1
        self.following_workers = max(1, self.workers - 1)
        self.started: dict[str, _Started] = {}  # by page URL: the last record started for it
        self.reused = 0  # pages whose output `finish()` took from what was started while the crawl fetched
        self._pdfs: dict[str, FetchedPage] = {}  # page URL -> its archived PDF, as fed
        self._waiting: dict[str, FetchedPage] = {}  # pages whose PDF is still to come
        self._stack = ExitStack()
        self._pools: list[ProcessPoolExecutor] = []  # every pool started and not yet ended
        self._pool: ProcessPoolExecutor | None = None  # the one new pages go to; none before the first page
        self._size = self.following_workers
        self._backlog: list[_Job] = []  # ready while the crawl fetches, not yet handed to the following workers
        self._in_flight: list[Future[list[Publication | Miss]]] = []
        self._unreported: list[_Started] = []  # started, not yet looked at by ready()

    def __enter__(self) -> Following:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.__exit__(*exc)

    def feed(self, pages: Iterable[FetchedPage]) -> None:
        """Start the pages a crawl has written since the last call; one waiting for its PDF starts with it."""
        ready: list[FetchedPage] = []
        for page in pages:
            if of := page.hints.get("pdf_of"):
                self._pdfs[of] = page
                if of in self._waiting:
                    ready.append(self._waiting.pop(of))
            elif page.hints.get("pdf_url") and page.url not in self._pdfs:
                self._waiting[page.url] = page
            else:
                self._waiting.pop(page.url, None)  # fetched again: this record is the one
                ready.append(page)
        self._backlog += [(page, self._pdfs.get(page.url)) for page in ready]
        # A few batches at a time: the workers are never idle between two feeds, and what they have not been given
        # when the crawl ends goes to every worker, not to a queue of the following ones (cancelling queued work
        # races with a pool that breaks; CPython 3.11 then fails in its own thread).
        self._in_flight = [future for future in self._in_flight if not future.done()]
        slots = 2 * self._size - len(self._in_flight)
        if slots > 0 and self._backlog:
            size = min(FOLLOW_MAX_BATCH, max(FOLLOW_BATCH, -(-len(self._backlog) // slots)))
            jobs, self._backlog = self._backlog[: size * slots], self._backlog[size * slots :]
            self._in_flight += self._start(jobs, size)

    def ready(self) -> list[Publication]:
        """Publications finished since the last call that the run's result will hold as they are, unless the crawl
        fetches their page again (or changes its hints) before it ends: for storing while the crawl fetches.

        Left out: a page moved from another URL, and one whose linked PDF did not come (its state is decided by
        `finish()`, from the crawl's failures). `finish()` gives the very objects returned here for the pages it
        takes from what was started: `is` tells which were kept.
        """
        found: list[Publication] = []
        waiting: list[_Started] = []
        for started in self._unreported:
            if not started.future.done():
                waiting.append(started)
                continue
            if started.future.exception() is not None:
                continue  # a worker died: finish() redoes its pages
            out = started.future.result()[started.index]
            if not isinstance(out, Publication) or out.moved_from:
                continue
            if out.pdf_status not in ("ok", "gone") and started.page.hints.get("pdf_url"):
                continue
            found.append(out)
        self._unreported = waiting
        return found

    def finish(self) -> ExtractResult:
        """Once the crawl has ended: the run's result, the same as `extract_run(run_dir, ...)` gives."""
        if self._size < self.workers:
            # What the following workers were not given goes, with the rest, to a pool of every worker; the few
            # batches they have are finished there.
            self._size, self._pool, self._backlog = self.workers, None, []
        pages = read_pages(self.run_dir)
        jobs = jobs_of(pages)
        late = [job for job in jobs if not self._same(job)]
        self.reused = len(jobs) - len(late)
        self._start(late, max(FOLLOW_BATCH, len(late) // (self.workers * 4)))
        outputs: list[Publication | Miss] = []
        undone: list[int] = []
        for i, (page, _) in enumerate(jobs):
            started = self.started[page.url]
            try:
                outputs.append(started.future.result()[started.index])
            except BrokenProcessPool:
                # A worker was killed (out of memory, a crash in a C library): its pages are redone below.
                outputs.append(("error", Failure.WORKER_DIED))
                undone.append(i)
        if undone:
            self._close()
            # One by one, as extract_run does: the page that kills a worker is found and lost alone.
            redone = _one_by_one(self.run_dir, self.source, self.taxonomy, [jobs[i] for i in undone])
            for i, out in zip(undone, redone, strict=True):
                outputs[i] = out
        return _result(self.run_dir, self.source, pages, jobs, outputs)

    def _same(self, job: _Job) -> bool:
        started = self.started.get(job[0].url)
        return started is not None and (started.page, started.pdf) == job

    def _start(self, jobs: list[_Job], size: int) -> list[Future[list[Publication | Miss]]]:
        jobs = [job for job in jobs if not self._same(job)]
        futures = []
        for i in range(0, len(jobs), size):
            batch = jobs[i : i + size]
            futures.append(self._submit(batch))
            for n, (page, pdf) in enumerate(batch):
                self.started[page.url] = _Started(page, pdf, futures[-1], n)
                self._unreported.append(self.started[page.url])
        return futures

    def _submit(self, batch: list[_Job]) -> Future[list[Publication | Miss]]:
        if self._pool is None:
            self._pool = self._stack.enter_context(_pool(self._size))
            self._pools.append(self._pool)
        try:
            # The taxonomy travels as its path (see Taxonomy.__reduce__): workers compile it at most once.
            return _submit(self._pool, _process_batch, self.run_dir, self.source, self.taxonomy, batch)
        except BrokenProcessPool:
            # A worker died: the pages it had are redone by finish(); the next ones go to a new pool.
            self._close()
            return self._submit(batch)

    def _close(self) -> None:
        """End every pool (killing the workers of a broken one first); the next page starts a new one."""
        for pool in self._pools:
            if getattr(pool, "_broken", False):
                _kill_workers(pool)
        self._stack.close()
        self._stack, self._pools, self._pool = ExitStack(), [], None
