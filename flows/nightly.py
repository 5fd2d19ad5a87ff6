"""The `nightly` Prefect flow: crawl each source in its own process, extract, store; one batch per source."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectConcurrentFuture, PrefectFuture
from prefect.utilities.annotations import quote

from extract.dedupe import pack_print
from extract.digest_clusters import cluster_changes, missing_prints
from extract.stage import ExtractResult, Following, extract_run, start_workers
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.progress import report
from flows.storing import EarlyStore, apply_result
from migdigest.config import Settings, Source, load_config
from migdigest.models import Publication, RunStats, RunStatus
from migdigest.paths import DEFAULT_DB
from migdigest.taxonomy import taxonomy_path
from spiders.challenge import source_blocked
from spiders.crawl import CrawlOutcome, allow_crawls, prestart_crawls, release_spares, run_crawl, stop_crawls
from spiders.incremental import page_key
from spiders.rundir import count_discovered, count_pages, follow_pages, read_failures
from storage import Digest
from storage.digest import PDF_MAX_ATTEMPTS, REVISIT_MAX_DAYS
from storage.lock import digest_lock

DEDUPE = "dedupe"  # the pending-work name of clustering and the search index merge
# How often the pages a crawl wrote are handed to the extraction workers: what the crawl wrote since the last look
# is what they still have to extract once it ends (0.5 s: ~50 pages at 2,000 pages in 20 s; bench/README.md).
FOLLOW_POLL_S = 0.1


_T = TypeVar("_T")


def whole(value: _T) -> _T:
    """A task argument Prefect hands over as it is, without visiting each element for futures (quote)."""
    # Unquoted, Prefect walks a parameter element by element twice per task run: with one entry per page of a
    # site (known pages, a run's confirmed URLs) that was most of a quiet night's Prefect time (bench/README.md).
    return cast(_T, quote(value))


def now_iso() -> str:
    """Now, in UTC, as the digest writes times (ISO 8601, whole seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def known_pages(db_path: Path, name: str) -> dict[str, dict[str, str]]:
    """What the digest knows of a source's pages, keyed by path, for an incremental crawl.

    Not a task: a task's result is walked element by element by Prefect (bench/README.md, issue 20).
    """
    if not Path(db_path).exists():
        return {}
    with Digest(db_path) as db:
        return {page_key(url): state for url, state in db.known_pages(name, now=now_iso()).items()}


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_source(
    source: Source, settings: Settings, run_dir: Path, base_url: str | None, known: dict[str, dict[str, str]]
) -> CrawlOutcome:
    """Fetch one source into `run_dir` (Scrapy in a subprocess, handed the source the flow loaded)."""
    report(source.name, "crawling", 0)
    return run_crawl(
        source,
        run_dir,
        settings=settings,
        base_url=base_url,
        known=known,
        on_progress=lambda pages: report(source.name, "crawling", pages),
    )


@task(name="extract", cache_policy=NO_CACHE)
def extract_source(source: Source, run_dir: Path, taxonomy: Taxonomy) -> ExtractResult:
    """Extract the publications a crawl fetched, tagged with the run's taxonomy."""
    report(source.name, "extracting")
    result = extract_run(run_dir, source, taxonomy=taxonomy)
    report(source.name, "extracted", len(result.publications))
    return result


@task(name="follow crawl", cache_policy=NO_CACHE)
def follow_crawl(
    following: Following, run_dir: Path, ended: Callable[[float], bool], early: EarlyStore | None = None
) -> int:
    """Start extracting a source's pages as its crawl writes them, until it has ended; how many pages were fed.

    With `early`, the new publications extracted meanwhile are stored in batches as they come.
    """
    fed = 0
    for pages in follow_pages(run_dir, ended, poll=FOLLOW_POLL_S):
        following.feed(pages)
        fed += len(pages)
        if early is not None:
            early.add(following.ready())
    if early is not None:
        early.add(following.ready())
        early.flush(behind=True)  # while the workers extract what the crawl wrote last (extract_followed)
    return fed


@task(name="extract", cache_policy=NO_CACHE)
def extract_followed(source: Source, following: Following) -> ExtractResult:
    """Extract what a crawl fetched and `follow_crawl` has not yet (once the crawl has ended): the run's result."""
    report(source.name, "extracting")
    result = following.finish()
    report(source.name, "extracted", len(result.publications))
    get_run_logger().info(
        "source %s: %d of the run's pages extracted while the crawl fetched", source.name, following.reused
    )
    return result


def _ended(future: PrefectFuture[Any]) -> Callable[[float], bool]:
    """Wait up to the seconds given for the task behind `future` to end (its retries included); True once it has."""
    ended = threading.Event()
    future.add_done_callback(lambda _: ended.set())
    return ended.wait


@task(name="store", cache_policy=NO_CACHE)
def store_source(
    db_path: Path,
    source: Source,
    stats: RunStats,
    result: ExtractResult,
    run_id: int | None,
    pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
    revisit_max_days: int = REVISIT_MAX_DAYS,
    early: dict[str, Publication] | None = None,
) -> RunStats:
    """Store one source's batch and its run record in one go (`early`: its new publications stored already)."""
    report(source.name, "storing", len(result.publications))
    db = Digest(db_path)
    try:
        db.upsert_source(source.name, source.title, source.base_url, source.homepage)
        if run_id is None:  # the digest could not record the run when the night began
            run_id = db.start_run(source.name, stats.started, pid=os.getpid(), host=socket.gethostname())
        if result.publications or result.gone:
            db.request_work(DEDUPE)  # before storing: a night killed after the store still leaves it asked for
        counts = apply_result(
            db, result, stats.started, pdf_max_attempts=pdf_max_attempts, revisit_max_days=revisit_max_days,
            early=early,
        )  # fmt: skip
        if early:
            get_run_logger().info("source %s: %d new publications stored while the crawl fetched", source.name,
                                  sum(result_pub is early.get(result_pub.canonical_url)
                                      for result_pub in result.publications))  # fmt: skip
        db.record_failures(run_id, source.name, result.failures)
        db.record_skips(run_id, source.name, result.skips)
        stats.new, stats.changed, stats.unchanged, stats.gone = (
            counts["new"], counts["changed"], counts["unchanged"], counts["gone"]
        )  # fmt: skip
        stats.finished = now_iso()
        db.finish_run(run_id, stats)
    finally:
        db.close()
    report(source.name, "stored", len(result.publications))
    return stats


def run_stats(name: str, started: str, outcome: CrawlOutcome, result: ExtractResult) -> RunStats:
    """The record of a source's crawl and extraction: counts, errors by kind, what was skipped."""
    crawl_failures = [asdict(f) for f in read_failures(outcome.run_dir)]
    errors: Counter[str] = Counter(f["kind"] for f in crawl_failures)
    errors.update(result.errors)  # extraction's counts; its per-URL records are already in result.failures
    result.failures = crawl_failures + result.failures
    status: RunStatus = "ok"
    message = ""
    responses = int(outcome.stats.get("downloader/response_count", 0))
    if source_blocked(outcome.stats, errors):  # challenges dominate (spiders/challenge.py); one is only a failure
        # A challenge page is not content: the whole run of this source is void, and operators must know.
        status, message = "blocked", "the site answered with a bot challenge; nothing from this run was stored"
        result.publications.clear()
    elif not outcome.ok:
        status, message = "failed", outcome.describe()
        errors["crawl_process"] += 1
    elif responses == 0:
        # Not even robots.txt answered: the site (or the mirror/origin it was mapped to) is unreachable.
        kinds = Counter(f["kind"] for f in result.failures)
        seen = ", ".join(f"{k} ×{n}" for k, n in kinds.most_common(3)) or "no failure recorded"
        status, message = "failed", f"no response from the site at all ({seen})"
        if outcome.last_words():
            message += f"; crawl stderr: {outcome.last_words()}"
        errors["unreachable"] += 1
    return RunStats(
        source=name,
        started=started,
        status=status,
        pages_fetched=responses or count_pages(outcome.run_dir),
        discovered=count_discovered(outcome.run_dir),
        not_modified=int(outcome.stats.get("downloader/response_status_count/304", 0)),
        errors=dict(errors),
        skipped=dict(result.skipped),
        message=str(message),
    )


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe_digest(db_path: Path) -> int:
    """Group exact and near-duplicate publications across sources; returns how many are in a cluster."""
    with Digest(db_path) as db:
        rows = db.dedupe_rows()
        made = missing_prints(rows, db.texts)
        if made:
            db.set_prints({doc_id: pack_print(made_print) for doc_id, made_print in made.items()})
        changed, clustered = cluster_changes(rows, made, db.texts)
        db.set_clusters(changed)
        return clustered


@task(name="optimize search", cache_policy=NO_CACHE)
def optimize_search(db_path: Path) -> None:
    """Merge the search index after new text went in."""
    with Digest(db_path) as db:
        db.optimize_search()


def failed_stats(name: str, started: str, step: str, exc: BaseException) -> RunStats:
    """The record of a source whose `step` raised: failed, with the exception's type and message."""
    text = " ".join(str(exc).split())[:500] or "no message"
    return RunStats(
        source=name,
        started=started,
        status="failed",
        finished=now_iso(),
        errors={f"{step}_error": 1},
        message=f"{step} failed: {type(exc).__name__}: {text}",
    )


def _record_failed(db_path: Path, source: Source, run_id: int | None, stats: RunStats) -> None:
    """Write a failed source's run record; when even that fails (a full disk), the summary still has it."""
    try:
        with Digest(db_path) as db:
            db.upsert_source(source.name, source.title, source.base_url, source.homepage)
            if run_id is None:
                run_id = db.start_run(source.name, stats.started, pid=os.getpid(), host=socket.gethostname())
            db.finish_run(run_id, stats)
    except Exception as exc:
        get_run_logger().error("source %s: could not record its failure in the digest: %s", source.name, exc)


def _begin(db_path: Path, names: list[str], started: dict[str, tuple[str, float]]) -> tuple[dict[str, int], bool]:
    """Close the runs of nights that died (interrupted) and record this night's: run ids, and a dedupe left undone.

    Called with the locks of these sources held, so a run of theirs still 'running' belongs to no live night.
    """
    with Digest(db_path) as db:
        for ghost in (run for run in db.running_runs() if run["source"] in names):
            who = f"pid {ghost['pid']} on {ghost['host']}" if ghost["pid"] else "a process"
            db.interrupt_run(ghost["id"], f"{who} started it at {ghost['started']} and ended before finishing it")
        pending = DEDUPE in db.pending_work()
        pid, host = os.getpid(), socket.gethostname()
        return {name: db.start_run(name, started[name][0], pid=pid, host=host) for name in names}, pending


def _source_night(
    name: str,
    source: Source,
    future: PrefectFuture[CrawlOutcome],
    run_dir: Path,
    db_path: Path,
    taxonomy: Taxonomy,
    settings: Settings,
    started: tuple[str, float],
    run_id: int | None,
) -> dict[str, Any]:
    """Extract (while it is crawled) and store one source; any exception fails this source only, with its step."""
    step, stored, skipped = "crawl", 0, {}
    revisit = source.revisit_max_days or settings.revisit_max_days
    early = (
        EarlyStore(db_path, started[0], pdf_max_attempts=settings.pdf_max_attempts, revisit_max_days=revisit)
        if settings.extract_while_crawling
        else None
    )
    try:
        # The crawl stays a process of its own; its pages go to the extraction workers as it writes them, and
        # its new publications to the digest as they are extracted.
        with Following(run_dir, source, taxonomy=taxonomy) as following:
            failed: Exception | None = None
            try:
                if settings.extract_while_crawling:
                    follow_crawl(whole(following), run_dir, _ended(future), whole(early))
            except Exception as exc:  # the crawl goes on to its end all the same, as when extraction followed it
                failed = exc
            outcome = future.result()
            step = "extract"
            if failed is not None:
                raise failed
            result = extract_followed.with_options(timeout_seconds=settings.extract_time_limit)(
                source, whole(following)
            )
        if early is not None:
            early.wait()
            if early.error is not None:
                get_run_logger().warning("storing while crawling stopped, the rest is stored at the end: %s",
                                         early.error)  # fmt: skip
        stats = run_stats(name, started[0], outcome, result)
        stats.duration_s = round(time.perf_counter() - started[1], 2)
        step = "store"
        stats = store_source.with_options(timeout_seconds=settings.store_time_limit)(
            db_path, source, stats, whole(result), run_id, settings.pdf_max_attempts, revisit,
            whole(early.stored if early else None),
        )  # fmt: skip
        stored, skipped = len(result.publications), dict(result.skipped)
    except Exception as exc:
        stats = failed_stats(name, started[0], step, exc)
        stats.duration_s = round(time.perf_counter() - started[1], 2)
        if early is not None and step != "store":  # a source failed before its store stores nothing: what
            early.undo()  # went in early goes out again (a failed store leaves what it committed, as before)
        _record_failed(db_path, source, run_id, stats)
    finally:
        if early is not None:
            early.close()
    if stats.status != "ok":
        get_run_logger().warning("source %s: %s %s", name, stats.status, stats.message)
        report(name, "failed", note=f"{stats.status}: {stats.message}")
    return {**asdict(stats), "stored": stored, "skipped": skipped}


@flow(name="nightly")
def nightly(
    sources: list[str] | None = None,
    db_path: Path = DEFAULT_DB,
    base_urls: dict[str, str] | None = None,
    config_dir: Path | None = None,
    runs_dir: Path | None = None,
    wait_for_lock: bool = False,
) -> list[dict[str, Any]]:
    """Crawl, extract and store every configured source (or `sources`); returns one stats dict per source.

    One night at a time per source of a digest (lock files; `wait_for_lock` waits instead of raising LockHeld).
    A source that fails, at any step, is recorded failed and the night goes on with the next.
    """
    # The configuration is read once, here: tasks get its objects, so every stage sees the same files.
    config = load_config(config_dir)
    names = sources or list(config.sources)
    chosen = {name: config.source(name) for name in names}  # fail on an unknown name before any crawl starts
    allow_crawls()  # a night stopped earlier in this process (tests run several) barred new crawls
    # The crawl processes import Scrapy meanwhile; they crawl nothing before the night hands them a source.
    ahead = prestart_crawls(len(chosen))
    try:
        taxonomy = load_taxonomy(taxonomy_path(config_dir))  # fail on a broken taxonomy before any crawl starts
        with digest_lock(Path(db_path), names, wait=wait_for_lock):
            return _night(config.settings, chosen, Path(db_path), base_urls or {}, taxonomy, runs_dir)
    finally:
        release_spares(ahead)


def _night(
    settings: Settings,
    chosen: dict[str, Source],
    db_path: Path,
    base_urls: dict[str, str],
    taxonomy: Taxonomy,
    runs_dir: Path | None,
) -> list[dict[str, Any]]:
    names = list(chosen)
    runs_dir = runs_dir or db_path.parent / "runs"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    started = {name: (now_iso(), time.perf_counter()) for name in names}
    try:
        run_ids, dedupe_pending = _begin(db_path, names, started)
    except Exception as exc:  # each source meets the same trouble when it stores, and is recorded failed then
        get_run_logger().error("the digest could not record the start of the night: %s", exc)
        run_ids, dedupe_pending = {}, False
    start_workers()  # the extraction workers' server imports its modules while the crawls below fetch
    # The crawl's time limit is kept by run_crawl itself (SIGTERM, then SIGKILL to its process group): a Prefect
    # timeout cannot interrupt a task in a worker thread, and would only warn about it every night.
    crawl = crawl_source
    report_rows: list[dict[str, Any]] = []
    finished: set[str] = set()
    futures: dict[str, PrefectFuture[CrawlOutcome]] = {}
    try:
        # Crawls are separate processes, so they can overlap; storing stays one source at a time.
        for name in names:
            try:
                known = known_pages(db_path, name)
            except Exception as exc:  # the digest cannot say what it knows: crawling in full would be wrong
                stats = failed_stats(name, started[name][0], "known_pages", exc)
                _record_failed(db_path, chosen[name], run_ids.get(name), stats)
                report(name, "failed", note=stats.message)
                report_rows.append({**asdict(stats), "stored": 0, "skipped": {}})
                finished.add(name)
                continue
            futures[name] = crawl.submit(
                chosen[name], settings, runs_dir / name / stamp, base_urls.get(name), whole(known)
            )
        for name, future in futures.items():
            row = _source_night(
                name, chosen[name], future, runs_dir / name / stamp, db_path, taxonomy, settings, started[name],
                run_ids.get(name),
            )  # fmt: skip
            report_rows.append(row)
            finished.add(name)
    except BaseException:
        # Stopped (a signal, a flow timeout): crawls not started are not started, running ones are stopped;
        # else leaving the flow would wait for them to crawl to the end.
        for future in futures.values():
            if isinstance(future, PrefectConcurrentFuture):
                future.wrapped_future.cancel()
        stop_crawls(settings.stop_grace)
        raise
    finally:
        # Stopped before the end (a signal, a flow timeout): this night's unfinished runs say so now.
        unfinished = [run_ids[n] for n in names if n not in finished and n in run_ids]
        if unfinished:
            try:
                with Digest(db_path) as db:
                    for run_id in unfinished:
                        db.interrupt_run(run_id, "the night was stopped before this source was stored")
            except Exception as exc:  # the next night closes them instead (they are 'running' with no process)
                get_run_logger().error("could not close this night's unfinished runs: %s", exc)
    report_rows.sort(key=lambda r: names.index(r["source"]))
    # Clusters and the search index change only when documents do: a quiet night skips both, unless a night
    # killed before this step left it asked for (pending_work).
    try:
        began = Digest.work_began()
        if dedupe_pending or any(r["new"] or r["changed"] or r["gone"] for r in report_rows):
            report("*", "dedupe")
            dedupe_digest(db_path)
            optimize_search(db_path)
        with Digest(db_path) as db:
            db.work_done(DEDUPE, began)  # a night storing beside this one may have asked again meanwhile
    except Exception as exc:  # stays asked for: the next night does it; the sources' rows are stored already
        get_run_logger().error("dedupe and search index merge failed, left for the next night: %s", exc)
    return report_rows
