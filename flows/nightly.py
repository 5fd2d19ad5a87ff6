"""The `nightly` Prefect flow: crawl each source in its own process, extract, store; one batch per source."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from extract.dedupe import DocText, cluster
from extract.follow import extract_following
from extract.stage import ExtractResult, start_workers
from extract.taxonomy import Taxonomy, load_taxonomy
from flows.storing import apply_result
from migdigest.config import Settings, Source, load_config
from migdigest.models import RunStats, RunStatus
from migdigest.paths import DEFAULT_DB
from migdigest.taxonomy import taxonomy_path
from spiders.crawl import CrawlOutcome, run_crawl
from spiders.incremental import page_key
from spiders.rundir import count_discovered, read_failures
from storage import Digest


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@task(name="known pages", cache_policy=NO_CACHE)
def known_pages(db_path: Path, name: str) -> dict[str, dict[str, str]]:
    """What the digest knows of a source's pages, keyed by path, for an incremental crawl."""
    if not Path(db_path).exists():
        return {}
    with Digest(db_path) as db:
        return {page_key(url): state for url, state in db.known_pages(name).items()}


@task(name="crawl", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def crawl_source(
    source: Source, settings: Settings, run_dir: Path, base_url: str | None, known: dict[str, dict[str, str]]
) -> CrawlOutcome:
    """Fetch one source into `run_dir` (Scrapy in a subprocess, handed the source the flow loaded)."""
    return run_crawl(source, run_dir, settings=settings, base_url=base_url, known=known)


@task(name="extract", cache_policy=NO_CACHE)
def extract_source(source: Source, run_dir: Path, taxonomy: Taxonomy, crawl_done: Callable[[], bool]) -> ExtractResult:
    """Extract the publications a crawl fetches, as it fetches them, tagged with the run's taxonomy."""
    return extract_following(run_dir, source, taxonomy=taxonomy, crawl_done=crawl_done)


def _ended(future: PrefectFuture[Any]) -> Callable[[], bool]:
    """A probe that turns true once the crawl task behind `future` has ended (retries included)."""
    ended = threading.Event()
    future.add_done_callback(lambda _: ended.set())
    return ended.is_set


@task(name="store", cache_policy=NO_CACHE)
def store_source(db_path: Path, source: Source, stats: RunStats, result: ExtractResult) -> RunStats:
    """Store one source's batch and its run record in one go."""
    db = Digest(db_path)
    try:
        db.upsert_source(source.name, source.title, source.base_url, source.homepage)
        run_id = db.start_run(source.name, stats.started)
        counts = apply_result(db, result, stats.started)
        db.record_failures(run_id, source.name, result.failures)
        stats.new, stats.changed, stats.unchanged, stats.gone = (
            counts["new"], counts["changed"], counts["unchanged"], counts["gone"]
        )  # fmt: skip
        stats.finished = _now()
        db.finish_run(run_id, stats)
    finally:
        db.close()
    return stats


def _stats(name: str, started: str, outcome: CrawlOutcome, result: ExtractResult) -> RunStats:
    result.failures = [asdict(f) for f in read_failures(outcome.run_dir)]
    errors: Counter[str] = Counter(f["kind"] for f in result.failures)
    errors.update(result.errors)
    status: RunStatus = "ok"
    message = ""
    if errors.get("blocked"):
        # A challenge page is not content: the whole run of this source is void, and operators must know.
        status, message = "blocked", "the site answered with a bot challenge; nothing from this run was stored"
        result.publications.clear()
    elif not outcome.ok:
        status, message = "failed", outcome.stderr_tail.strip()[-300:]
        errors["crawl_process"] += 1
    return RunStats(
        source=name,
        started=started,
        status=status,
        pages_fetched=int(outcome.stats.get("downloader/response_count", 0)),
        discovered=count_discovered(outcome.run_dir),
        not_modified=int(outcome.stats.get("downloader/response_status_count/304", 0)),
        errors=dict(errors),
        message=str(message),
    )


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe_digest(db_path: Path) -> int:
    """Group exact and near-duplicate publications across sources; returns how many are in a cluster."""
    with Digest(db_path) as db:
        docs = db.documents()
        texts = [
            DocText(d["canonical_url"], d["source"], d["title"] or "", d["body"] or "", d["published"], d["word_count"])
            for d in docs
        ]
        canonical = cluster(texts)
        ids = {d["canonical_url"]: d["id"] for d in docs}
        # A cluster is named after its canonical member's id; rows whose cluster did not change are left alone.
        changed = {}
        for d in docs:
            key = d["canonical_url"]
            wanted = ids[canonical[key]] if key in canonical else None
            if wanted != d["cluster_id"]:
                changed[key] = wanted
        db.set_clusters(changed)
    return len(canonical)


@task(name="optimize search", cache_policy=NO_CACHE)
def optimize_search(db_path: Path) -> None:
    """Merge the search index after new text went in."""
    with Digest(db_path) as db:
        db.optimize_search()


@flow(name="nightly")
def nightly(
    sources: list[str] | None = None,
    db_path: Path = DEFAULT_DB,
    base_urls: dict[str, str] | None = None,
    config_dir: Path | None = None,
    runs_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """Crawl, extract and store every configured source (or `sources`); returns one stats dict per source."""
    # The configuration is read once, here: tasks get its objects, so every stage sees the same files.
    config = load_config(config_dir)
    names = sources or list(config.sources)
    chosen = {name: config.source(name) for name in names}  # fail on an unknown name before any crawl starts
    taxonomy = load_taxonomy(taxonomy_path(config_dir))  # and on a broken taxonomy
    base_urls = base_urls or {}
    runs_dir = runs_dir or Path(db_path).parent / "runs"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    started = {name: (_now(), time.perf_counter()) for name in names}
    start_workers()  # the extraction workers' server imports its modules while the crawls below fetch
    # Crawls are separate processes, so they can overlap; storing stays one source at a time.
    futures = {
        name: crawl_source.submit(
            chosen[name],
            config.settings,
            runs_dir / name / stamp,
            base_urls.get(name),
            known_pages(Path(db_path), name),
        )
        for name in names
    }
    report = []
    for name, future in futures.items():
        # Extraction follows the crawl's run directory while the crawl still fetches (extract/follow.py).
        result = extract_source(chosen[name], runs_dir / name / stamp, taxonomy, _ended(future))
        outcome = future.result()
        stats = _stats(name, started[name][0], outcome, result)
        stats.duration_s = round(time.perf_counter() - started[name][1], 2)
        stats = store_source(Path(db_path), chosen[name], stats, result)
        if stats.status != "ok":
            get_run_logger().warning("source %s: %s %s", name, stats.status, stats.message)
        report.append({**asdict(stats), "stored": len(result.publications), "skipped": dict(result.skipped)})
    # Clusters and the search index change only when documents do: a quiet night skips both. Clustering
    # always reads the whole digest, so a night killed before this step is caught up by the next busy one.
    if any(r["new"] or r["changed"] or r["gone"] for r in report):
        dedupe_digest(Path(db_path))
        optimize_search(Path(db_path))
    return report
