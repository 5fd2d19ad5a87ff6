"""Apply one run's extraction result to the digest; the single writer that stores finished runs from the store."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from extract.result_io import load_result
from extract.stage import ExtractResult
from migdigest.config import Config
from migdigest.models import Publication, RunStats
from migdigest.objectstore import ObjectStore
from spiders.runstore import (
    EXTRACTED,
    RunRef,
    indexed_runs,
    is_finished,
    key_time,
    read_finished,
    run_key_started,
)
from storage import Digest
from storage.digest import PDF_MAX_ATTEMPTS, REVISIT_MAX_DAYS


def apply_result(
    db: Digest,
    result: ExtractResult,
    seen_at: str,
    *,
    pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
    revisit_max_days: int = REVISIT_MAX_DAYS,
    early: Mapping[str, Publication] | None = None,
) -> dict[str, int]:
    """Store a run's publications and what it confirmed; returns new/changed/unchanged/gone counts.

    `early`: the new publications of this run already stored while its crawl fetched (EarlyStore.stored), by
    canonical URL. One the result holds as it is stays and counts as new; one it does not (the page was
    extracted again, the run was void) is deleted first, and the result's own is stored in its place.
    """
    # Every step is limited to the run's own source: a page of one source never moves, confirms or retires
    # another source's publication.
    source = result.source or None
    early = early or {}
    final = {pub.canonical_url: pub for pub in result.publications}
    kept = {url for url, pub in early.items() if final.get(url) is pub}
    stale = [url for url in early if url not in kept]
    if stale:
        db.forget(stale, source=result.source or next(iter(early.values())).source)
    for pub in result.publications:
        if pub.moved_from and pub.moved_from != pub.canonical_url:
            db.move(pub.moved_from, pub.canonical_url, source=pub.source)  # before storing: the move keeps history
    rest = [pub for pub in result.publications if pub.canonical_url not in kept]
    counts = db.store(rest, seen_at=seen_at, pdf_max_attempts=pdf_max_attempts, revisit_max_days=revisit_max_days)
    counts["new"] += len(kept)
    counts["unchanged"] += db.touch(
        result.unchanged, seen_at=seen_at, source=source, page_urls=result.unchanged_urls or None
    )
    counts["gone"] = db.mark_gone(result.gone, source=source, page_urls=result.gone_urls or None)
    return counts


class EarlyStore:
    """A run's new publications stored in batches while its crawl still fetches, so little is left at its end.

    Only publications no document holds yet are stored early (Digest.store_new); whatever else the run brings
    (changes, confirmations, gone pages, the run record) is stored at its end by apply_result, given `stored`.
    A night killed meanwhile leaves the publications stored so far (the next night confirms them); a run that
    fails or turns out void has them deleted (`forget`). A batch that cannot be stored ends early storing for
    the run: the end stores it all, as before.
    """

    def __init__(
        self,
        db_path: Path,
        seen_at: str,
        *,
        batch: int = 250,
        pdf_max_attempts: int = PDF_MAX_ATTEMPTS,
        revisit_max_days: int = REVISIT_MAX_DAYS,
    ) -> None:
        self.db_path, self.seen_at, self.batch = db_path, seen_at, batch
        self.limits = {"pdf_max_attempts": pdf_max_attempts, "revisit_max_days": revisit_max_days}
        self.stored: dict[str, Publication] = {}  # canonical URL -> the publication stored early
        self.error: Exception | None = None  # why early storing stopped, if it did
        self._pending: list[Publication] = []
        self._db: Digest | None = None
        self._asked = False  # the dedupe is asked for (before the first batch)
        self._behind: threading.Thread | None = None  # a last batch being stored (flush(behind=True))

    def add(self, pubs: list[Publication]) -> None:
        """Queue publications; a full batch is stored now."""
        if self.error is None:
            self._pending += pubs
            if len(self._pending) >= self.batch:
                self.flush()

    def flush(self, *, behind: bool = False) -> None:
        """Store what is queued; `behind`: in a thread, on a connection of its own, while the caller goes on.

        The crawl's end flushes behind: its last batch is stored while the workers extract the pages the crawl
        wrote last, instead of before they get them (bench/README.md, issue 20). `wait()` before reading `stored`.
        """
        self.wait()
        pubs, self._pending = self._pending, []
        if not pubs or self.error is not None:
            return
        if behind:
            self._behind = threading.Thread(target=self._store, args=(pubs, True), name="early store", daemon=True)
            self._behind.start()
        else:
            self._store(pubs, own=False)

    def wait(self) -> None:
        """Until a batch stored behind (flush(behind=True)) is in, or has failed (`error`)."""
        if self._behind is not None:
            self._behind.join()
            self._behind = None

    def _store(self, pubs: list[Publication], own: bool) -> None:
        try:
            # A thread of its own opens a connection of its own: sqlite3's belong to the thread that made them.
            db = Digest(self.db_path) if own else self._db or Digest(self.db_path)
            try:
                if not own:
                    self._db = db
                if not self._asked:
                    db.request_work(DEDUPE)  # before storing: a night killed after this still leaves it asked for
                    self._asked = True
                by_url = {pub.canonical_url: pub for pub in reversed(pubs)}  # the first of a URL, as the result keeps
                for url in db.store_new([by_url[url] for url in dict.fromkeys(p.canonical_url for p in pubs)],
                                        self.seen_at, **self.limits):  # fmt: skip
                    self.stored[url] = by_url[url]
            finally:
                if own:
                    db.close()
        except Exception as exc:
            self.error = exc

    def undo(self) -> None:
        """Delete what was stored early (the run failed); best effort: on failure they stay, as after a kill."""
        self.wait()
        self._pending = []
        if self.stored:
            try:
                with Digest(self.db_path) as db:
                    db.forget(self.stored, source=next(iter(self.stored.values())).source)
                self.stored = {}
            except Exception as exc:
                self.error = exc

    def close(self) -> None:
        """Close the digest opened for early storing (once a batch stored behind is in)."""
        self.wait()
        if self._db is not None:
            self._db.close()
            self._db = None


# -- the single writer: runs from the object store (issue 21) ------------------------------------------------
DEDUPE = "dedupe"  # the pending-work name of clustering and the search index merge (as flows/nightly.py's)
_COUNTS = ("new", "changed", "unchanged", "gone")


# A run is stored when it finishes, at most this long after it started (the crawl's, extraction's and store's time
# limits, 7.5 h by default, with room to spare): runs that started longer before the newest stored one are not
# listed again on every call.
PENDING_WINDOW = timedelta(hours=48)


def pending_window(config: Config) -> timedelta:
    """How far before the newest stored run to look: the default, or twice a run's time limits when set longer."""
    settings = config.settings
    longest = settings.crawl_time_limit + settings.extract_time_limit + settings.store_time_limit
    return max(PENDING_WINDOW, timedelta(seconds=2 * longest))


def pending_runs(db: Digest, store: ObjectStore, *, window: timedelta | None = PENDING_WINDOW) -> list[RunRef]:
    """Finished runs of the store the digest has not stored yet, in start order.

    Only runs that started at most `window` before the newest stored run are looked at (the store lists from there
    on, so a poll costs the same after a year of nights); `window=None` looks at every run the store holds.
    """
    done = db.ingested_runs()
    since = ""
    starts = [started for _, key in done if (started := run_key_started(key)) is not None]
    if window is not None and starts:
        since = key_time(max(starts) - window)
    todo = [ref for ref in indexed_runs(store, since) if (ref.source, ref.run_key) not in done]
    return [ref for ref in todo if is_finished(store, ref)]


def _run_stats(ref: RunRef, marker: dict[str, Any]) -> RunStats:
    """The worker's RunStats from the marker (keys this version does not know are left out)."""
    known = {f.name for f in fields(RunStats)} - {"source", "started"}
    given = marker.get("stats") or {}
    started = given.get("started") or (run_key_started(ref.run_key) or datetime.now(UTC)).isoformat(timespec="seconds")
    stats = RunStats(source=ref.source, started=str(started), **{k: v for k, v in given.items() if k in known})
    stats.finished = stats.finished or marker.get("finished_at")
    return stats


def ingest_run(
    db: Digest, store: ObjectStore, ref: RunRef, work_dir: Path, *, config: Config | None = None
) -> dict[str, int]:
    """Store one finished run from the store: its publications, its run record and the mark that it is stored.

    All in one transaction: a writer killed half-way stores nothing of the run, and the next one stores it whole.
    A run already stored changes nothing (`ingested` is 0 in the counts). With `config`, the source's title and
    the PDF and revisit settings are the configuration's.
    """
    counts = dict.fromkeys(_COUNTS, 0) | {"publications": 0, "ingested": 0}
    if db.is_ingested(ref.source, ref.run_key):
        return counts
    marker = read_finished(store, ref)
    stats = _run_stats(ref, marker)
    result = ExtractResult(source=ref.source)
    if marker.get("extracted", True):
        work_dir.mkdir(parents=True, exist_ok=True)
        path = store.get_file(ref.prefix + EXTRACTED, work_dir / f"{ref.source}-{ref.run_key}-{EXTRACTED}")
        try:
            result = load_result(path.read_bytes())
        finally:
            path.unlink()
        if result.source not in ("", ref.source):  # storing it would confirm and retire the wrong source's rows
            raise ValueError(f"{store.url}: run {ref} holds the extraction result of source {result.source!r}")
    settings = config.settings if config else None
    source = config.sources.get(ref.source) if config else None
    revisit = (source.revisit_max_days if source else None) or (settings.revisit_max_days if settings else None)
    with db.transaction():
        # Asked again under the write lock: another writer (a second deployment run, by mistake) may have won.
        if db.is_ingested(ref.source, ref.run_key):
            return counts
        if source is not None:
            db.upsert_source(source.name, source.title, source.base_url, source.homepage)
        run_id = db.start_run(ref.source, stats.started)  # never seen 'running': finished in this transaction
        if result.publications or result.gone:
            db.request_work(DEDUPE)
        stored = apply_result(
            db,
            result,
            stats.started,
            pdf_max_attempts=settings.pdf_max_attempts if settings else PDF_MAX_ATTEMPTS,
            revisit_max_days=revisit or REVISIT_MAX_DAYS,
        )
        db.record_failures(run_id, ref.source, result.failures)
        db.record_skips(run_id, ref.source, result.skips)
        stats.new, stats.changed, stats.unchanged, stats.gone = (stored[k] for k in _COUNTS)
        db.finish_run(run_id, stats)
        counts.update({k: stored[k] for k in _COUNTS}, publications=len(result.publications), ingested=1)
        db.record_ingested(ref.source, ref.run_key, {k: counts[k] for k in (*_COUNTS, "publications")})
    return counts
