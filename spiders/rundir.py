"""The run directory, one crawl's output: its file names, record types, the writer the crawl uses and the reader.

    run.json          RunInfo: which source, when the crawl started
    pages.warc.gz     every kept response, one gzip member per WARC record
    pages.jsonl       FetchedPage: a kept response, where its bytes are, and the fetch state for the next crawl
    seen.jsonl        SeenRecord: a known page confirmed without a download (unchanged, 304, gone)
    failures.jsonl    FailureRecord: a URL that could not be fetched, and why
    discovered.jsonl  DiscoveredRecord: what discovery said about a publication URL
    stats.json        Scrapy's counters; known.json: what the digest knew before the crawl
    crawl.log         the crawl process's stderr

Every URL in these files is the real site's: a mirror is mapped away in the downloader (spiders/mirror.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

from isal import isal_zlib

from spiders.incremental import CHANGE_SIGNS
from spiders.items import CrawlFailure, Discovered, RawPage, Records, Seen, SeenState

RUN_INFO = "run.json"
WARC_NAME = "pages.warc.gz"
PAGES = "pages.jsonl"
SEEN = "seen.jsonl"
FAILURES = "failures.jsonl"
DISCOVERED = "discovered.jsonl"
STATS = "stats.json"
KNOWN = "known.json"
CRAWL_SPEC = "crawl.json"  # the source and crawler settings the crawl process runs with
CRAWL_LOG = "crawl.log"  # the crawl process's stderr

_REASONS = {200: "OK", 203: "Non-Authoritative Information"}
# gzip level of each WARC record: warcio's own is 9 (zlib), which cost the crawl ~0.35 ms more per page than 3.
# Written by ISA-L (isal) at its level 1: 65 against zlib level 3's 290 us for an HTML page, for 3% more bytes
# (bench/README.md, issue 20); the members are plain gzip, read back by warcio as before.
_GZIP_LEVEL = 1


# -- records -------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class FetchedPage:
    """One response the spider kept (a line of pages.jsonl): where it came from and where its raw bytes are."""

    source: str
    url: str
    status: int
    fetched_at: str  # ISO 8601, UTC
    body_path: str  # the run's WARC file, relative to the run directory
    offset: int = 0  # where this response's record starts in it
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # What discovery said about the page before it was fetched (listing label, listing date, lastmod).
    hints: dict[str, str] = field(default_factory=dict)
    # What the next crawl needs to skip or revalidate the page: HTTP validators and discovery's change signs.
    fetch_state: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SeenRecord:
    """A known page confirmed without downloading it (a line of seen.jsonl)."""

    at: str
    url: str
    state: SeenState
    new_url: str | None = None
    status: int | None = None


@dataclass(slots=True)
class FailureRecord:
    """A URL the crawl could not fetch (a line of failures.jsonl)."""

    source: str
    at: str
    url: str
    kind: str  # http_500, timeout, dns, connection_refused, robots_disallowed, blocked, ...
    message: str
    status: int | None = None


@dataclass(slots=True)
class DiscoveredRecord:
    """What discovery learnt about a publication URL (a line of discovered.jsonl)."""

    url: str
    hints: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RunInfo:
    """Which source a run crawled and when it started (run.json)."""

    source: str
    started: float  # seconds since the epoch


def fetch_state(headers: Mapping[str, str], hints: Mapping[str, str]) -> dict[str, str]:
    """What the next crawl needs to skip or revalidate a page: HTTP validators and discovery's change signs."""
    lowered = {k.lower(): v for k, v in headers.items()}
    state = {"etag": lowered.get("etag", ""), "last_modified": lowered.get("last-modified", "")}
    state.update({k: v for k, v in hints.items() if k in CHANGE_SIGNS})
    return {k: v for k, v in state.items() if v}


# -- writer --------------------------------------------------------------------------------------------------
def warc_response(url: str, status: int, headers: Mapping[str, str], body: bytes, record_id: str, date: str) -> bytes:
    """One WARC/1.0 response record, uncompressed, byte for byte as warcio's WARCWriter wrote it without a block digest.

    Built here rather than by warcio (record objects, header lists searched per header, the body copied through
    streams): 112-122 us a record with its gzip member before, 78-85 us now, of which the gzip member is ~40 and the
    payload's SHA-1 ~10 (the mirror's pages and PDFs; bench/README.md, issue 20, tenth session). The
    block digest (SHA-1 of the HTTP headers and body, optional in WARC 1.0 and 1.1) is left out: each record is a
    gzip member of its own, whose CRC-32 already checks its bytes. The payload digest, by which WARC tools know the
    same content, stays. `record_id` is a UUID, `date` the WARC-Date (seconds, UTC, "Z").
    """
    http = f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    try:
        http_block = (http + "\r\n").encode("ascii")
    except UnicodeEncodeError:
        http_block = _non_ascii_http_block(status, headers)
    digest = base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{record_id}>\r\nWARC-Target-URI: {url}\r\n"
        f"WARC-Date: {date}\r\nWARC-Payload-Digest: sha1:{digest}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http_block) + len(body)}\r\n\r\n"
    )
    return b"".join((head.encode("utf-8"), http_block, body, b"\r\n\r\n"))


def _non_ascii_http_block(status: int, headers: Mapping[str, str]) -> bytes:
    """The HTTP headers with a non-ASCII character: percent-encoded as warcio does, else the bytes the site sent."""
    from warcio.statusandheaders import StatusAndHeaders  # here: warcio brings fsspec (~0.1 s), rarely needed

    status_line = f"{status} {_REASONS.get(status, 'OK')}"
    try:
        block: bytes = StatusAndHeaders(status_line, list(headers.items()), protocol="HTTP/1.1").to_ascii_bytes()
    except UnicodeError:
        # warcio cannot encode every header (a non-ASCII name, or a value with ";" around non-ASCII text). Headers
        # were decoded as Latin-1 from the response's bytes (spiders.site_spider._headers): encoded back, they are
        # what the site sent, and the page is kept rather than lost.
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        block = f"HTTP/1.1 {status_line}\r\n{lines}\r\n".encode("latin-1", "replace")
    return block


def write_run_info(run_dir: Path, info: RunInfo) -> None:
    """Write run.json (before the crawl starts, so even a crawl that dies early is dated)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_INFO).write_text(json.dumps(asdict(info)), encoding="utf-8")


class RunWriter:
    """Appends responses to the WARC archive and records to the JSON-lines manifests.

    Each WARC record is its own gzip member and each manifest line is flushed as written, so a crawl killed
    at any point leaves every earlier page readable.
    """

    def __init__(self, run_dir: Path, source: str) -> None:
        self.out = run_dir
        self.source = source
        self.files: dict[str, IO[str]] = {}
        self.warc: IO[bytes] | None = None

    def open(self) -> None:
        """Create the run directory and open the archive and manifests for appending."""
        self.out.mkdir(parents=True, exist_ok=True)
        for name in (PAGES, SEEN, FAILURES, DISCOVERED):
            self.files[name] = open(self.out / name, "a", encoding="utf-8")  # noqa: SIM115
        self.warc = open(self.out / WARC_NAME, "ab")  # noqa: SIM115

    def close(self) -> None:
        """Close the archive and manifests."""
        for handle in self.files.values():
            handle.close()
        if self.warc:
            self.warc.close()

    def _line(self, name: str, record: Any, flush: bool = True) -> None:
        handle = self.files[name]
        # A shallow dict: dataclasses.asdict deep-copies every header and hint, a cost per page for nothing.
        row = {f: getattr(record, f) for f in record.__slots__}
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        if flush:
            handle.flush()

    def _archive(self, item: RawPage) -> int:
        """Append one response record, a gzip member of its own; returns its offset in the WARC file."""
        assert self.warc is not None
        self.warc.seek(0, 2)
        offset = self.warc.tell()
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        record = warc_response(item.url, item.status, item.headers, item.body, str(uuid.uuid4()), date)
        self.warc.write(isal_zlib.compress(record, _GZIP_LEVEL, isal_zlib.MAX_WBITS + 16))
        self.warc.flush()
        return offset

    def write(self, item: RawPage | Seen | CrawlFailure | Discovered | Records) -> None:
        """Persist one spider item; a page's manifest line is written only after its body is in the archive."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if isinstance(item, Records):
            # One write and flush per manifest for the lot: a kill cuts at most the last line, which readers skip.
            for record in item.records:
                self._record(record, now, flush=False)
            for handle in self.files.values():
                handle.flush()
        else:
            self._record(item, now)

    def _record(self, item: RawPage | Seen | CrawlFailure | Discovered, now: str, flush: bool = True) -> None:
        if isinstance(item, RawPage):
            page = FetchedPage(
                source=self.source,
                url=item.url,
                status=item.status,
                fetched_at=now,
                body_path=WARC_NAME,
                offset=self._archive(item),
                content_type=item.headers.get("Content-Type", ""),
                headers=item.headers,
                hints=item.hints,
                fetch_state=fetch_state(item.headers, item.hints),
            )
            self._line(PAGES, page)
        elif isinstance(item, Seen):
            self._line(SEEN, SeenRecord(at=now, url=item.url, state=item.state, new_url=item.new_url,
                                        status=item.status), flush)  # fmt: skip
        elif isinstance(item, CrawlFailure):
            self._line(FAILURES, FailureRecord(source=self.source, at=now, url=item.url, kind=item.kind,
                                               message=item.message, status=item.status), flush)  # fmt: skip
        elif isinstance(item, Discovered):
            self._line(DISCOVERED, DiscoveredRecord(url=item.url, hints=item.hints), flush)


class RunDirectoryPipeline:
    """Scrapy's item pipeline over RunWriter: settings MIGDIGEST_OUT_DIR and MIGDIGEST_SOURCE say where and who."""

    def __init__(self, out_dir: str, source: str) -> None:
        self.writer = RunWriter(Path(out_dir), source)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDirectoryPipeline:
        """Build from the crawler settings MIGDIGEST_OUT_DIR and MIGDIGEST_SOURCE."""
        return cls(crawler.settings["MIGDIGEST_OUT_DIR"], crawler.settings["MIGDIGEST_SOURCE"])

    def open_spider(self, spider: Any = None) -> None:
        """Open the run directory's files."""
        self.writer.open()

    def close_spider(self, spider: Any = None) -> None:
        """Close the run directory's files."""
        self.writer.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Persist one item."""
        if isinstance(item, RawPage | Seen | CrawlFailure | Discovered | Records):
            self.writer.write(item)
        return item


# -- reader --------------------------------------------------------------------------------------------------
_R = TypeVar("_R")


def _decoded(lines: Iterable[str | bytes]) -> Iterator[dict[str, Any]]:
    for line in lines:
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line of a killed crawl may be cut short (a retry appends after it)


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        yield from _decoded(handle)


def _as_records(lines: Iterable[dict[str, Any]], cls: type[_R]) -> list[_R]:
    """Manifest lines as `cls`; keys it does not know (a newer writer's) are left out."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return [cls(**{k: v for k, v in rec.items() if k in known}) for rec in lines]


def _records(path: Path, cls: type[_R]) -> list[_R]:
    """The lines of a manifest file as `cls`."""
    return _as_records(_lines(path), cls)


def read_run_info(run_dir: Path) -> RunInfo | None:
    """run.json, or None for a run directory without one."""
    path = run_dir / RUN_INFO
    if not path.exists():
        return None
    info = json.loads(path.read_text(encoding="utf-8"))
    return RunInfo(source=info.get("source", ""), started=float(info.get("started", path.stat().st_mtime)))


def read_discovered(run_dir: Path) -> list[DiscoveredRecord]:
    """What the crawl discovered: URLs with the hints of the listing, sitemap or feed that named them."""
    return _records(run_dir / DISCOVERED, DiscoveredRecord)


def read_pages(run_dir: Path) -> list[FetchedPage]:
    """The fetched pages of a run, with every hint discovery recorded for their URLs merged in."""
    fetched = _records(run_dir / PAGES, FetchedPage)
    if not fetched:
        return []  # a quiet night: discovery's records (one per page of the site) have no page to add hints to
    hints: dict[str, dict[str, str]] = {}
    for found in read_discovered(run_dir):
        _merge_hints(hints, found)
    pages: dict[str, FetchedPage] = {}
    archived: dict[str, bool] = {}
    for page in fetched:
        if archived.setdefault(page.body_path, (run_dir / page.body_path).exists()):
            pages[page.url] = _with_hints(page, hints)  # a page fetched twice (redirect target) is kept once
    return list(pages.values())


def _merge_hints(hints: dict[str, dict[str, str]], found: DiscoveredRecord) -> None:
    merged = hints.setdefault(found.url, {})
    for key, value in found.hints.items():
        merged.setdefault(key, value)


def _with_hints(page: FetchedPage, hints: dict[str, dict[str, str]]) -> FetchedPage:
    page.hints = {**hints.get(page.url, {}), **page.hints}
    # A page written before its fetch state was (an older run) gets its validators here. A sign that
    # discovery reported only after the page was archived (the sitemap and a listing race) is added too.
    state = page.fetch_state or fetch_state(page.headers, {})
    for sign, value in fetch_state({}, page.hints).items():
        state.setdefault(sign, value)
    page.fetch_state = state
    return page


class PageTail:
    """The pages of a run as a running crawl appends them: each `new_pages()` gives those written since the last.

    Only whole lines are read, and the writer flushes a page's line after its WARC record: a page is never seen
    before its body is in the archive. Hints are merged as discovery knew them at that moment; one it records
    later is in `read_pages` once the crawl has ended.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.offsets = {PAGES: 0, DISCOVERED: 0}
        self.hints: dict[str, dict[str, str]] = {}

    def _new_records(self, name: str, cls: type[_R]) -> list[_R]:
        try:
            with (self.run_dir / name).open("rb") as handle:
                handle.seek(self.offsets[name])
                data = handle.read()
        except FileNotFoundError:
            return []  # the crawl has not opened its files yet
        whole = data.rfind(b"\n") + 1  # a last line still being written is read whole next time
        self.offsets[name] += whole
        return _as_records(_decoded(data[:whole].splitlines()), cls)

    def new_pages(self) -> list[FetchedPage]:
        """Pages written since the last call, with the hints discovery recorded so far."""
        for found in self._new_records(DISCOVERED, DiscoveredRecord):
            _merge_hints(self.hints, found)
        return [_with_hints(page, self.hints) for page in self._new_records(PAGES, FetchedPage)]


def follow_pages(run_dir: Path, wait_end: Callable[[float], bool], poll: float = 0.5) -> Iterator[list[FetchedPage]]:
    """The pages of a run in batches as its crawl writes them, until the crawl has ended and all are given.

    `wait_end(seconds)` waits up to that long for the crawl to end and says whether it has (`Event.wait`): the
    last batch comes as soon as it ends, not a poll later.
    """
    tail = PageTail(run_dir)
    while True:
        ended = wait_end(poll)  # asked before reading: what the crawl wrote before it ended is in this read
        if pages := tail.new_pages():
            yield pages
        if ended:
            return


def read_body(run_dir: Path, page: FetchedPage) -> bytes:
    """The raw body of a fetched page, read from the run's WARC archive."""
    from warcio.archiveiterator import ArchiveIterator  # here: warcio brings fsspec (~0.1 s); the crawl needs none

    with (run_dir / page.body_path).open("rb") as handle:
        handle.seek(page.offset)
        for record in ArchiveIterator(handle):
            return bytes(record.content_stream().read())
    raise ValueError(f"{page.url}: no WARC record at offset {page.offset} of {page.body_path}")


def read_seen(run_dir: Path) -> list[SeenRecord]:
    """Known pages the run confirmed without a download: unchanged, not modified (304) or gone."""
    return _records(run_dir / SEEN, SeenRecord)


def count_discovered(run_dir: Path) -> int:
    """How many distinct publication URLs discovery listed in a run."""
    # The URLs only: no record objects for what is, on a quiet night, one line per page of the site.
    return len({str(line.get("url", "")) for line in _lines(run_dir / DISCOVERED)})


def count_pages(run_dir: Path) -> int:
    """How many responses a run kept (lines of pages.jsonl; also for a crawl that died before its stats)."""
    path = run_dir / PAGES
    if not path.exists():
        return 0
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.endswith(b"\n"))


def read_failures(run_dir: Path) -> list[FailureRecord]:
    """The failed URLs of a run."""
    return _records(run_dir / FAILURES, FailureRecord)


def started_at(run_dir: Path) -> float:
    """When a run started: run.json's time, else the directory's modification time."""
    info = read_run_info(run_dir)
    return info.started if info else run_dir.stat().st_mtime
