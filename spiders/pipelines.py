"""Write what a crawl fetched to its run directory: a WARC archive of the responses plus JSON-lines manifests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spiders.items import CrawlFailure, Discovered, RawPage, Seen

WARC_NAME = "pages.warc.gz"
_REASONS = {200: "OK", 203: "Non-Authoritative Information"}


class RunDirectoryPipeline:
    """Appends responses to pages.warc.gz and records to pages/seen/failures/discovered.jsonl.

    Each WARC record is its own gzip member and each manifest line is flushed as written, so a crawl
    killed at any point leaves every earlier page readable.
    """

    def __init__(self, out_dir: str, source: str) -> None:
        self.out = Path(out_dir)
        self.source = source
        self.files: dict[str, IO[str]] = {}
        self.warc: IO[bytes] | None = None
        self.writer: WARCWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDirectoryPipeline:
        """Build from the crawler settings MIGDIGEST_OUT_DIR and MIGDIGEST_SOURCE."""
        return cls(crawler.settings["MIGDIGEST_OUT_DIR"], crawler.settings["MIGDIGEST_SOURCE"])

    def open_spider(self, spider: Spider | None = None) -> None:
        """Create the run directory and open the archive and manifests for appending."""
        self.out.mkdir(parents=True, exist_ok=True)
        for name in ("pages", "seen", "failures", "discovered"):
            self.files[name] = open(self.out / f"{name}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self.warc = open(self.out / WARC_NAME, "ab")  # noqa: SIM115
        self.writer = WARCWriter(self.warc, gzip=True)

    def close_spider(self, spider: Spider | None = None) -> None:
        """Close the archive and manifests."""
        for handle in self.files.values():
            handle.close()
        if self.warc:
            self.warc.close()

    def _write(self, name: str, record: dict[str, Any]) -> None:
        handle = self.files[name]
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()

    def _archive(self, item: RawPage) -> int:
        """Append one response record; returns its offset in the WARC file."""
        assert self.warc is not None and self.writer is not None
        self.warc.seek(0, 2)
        offset = self.warc.tell()
        status = f"{item.status} {_REASONS.get(item.status, 'OK')}"
        http_headers = StatusAndHeaders(status, list(item.headers.items()), protocol="HTTP/1.1")
        record = self.writer.create_warc_record(
            item.url, "response", payload=BytesIO(item.body), length=len(item.body), http_headers=http_headers
        )
        self.writer.write_record(record)
        self.warc.flush()
        return offset

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Persist one item; the manifest line is written only after its body is in the archive."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if isinstance(item, RawPage):
            offset = self._archive(item)
            self._write(
                "pages",
                {
                    "source": self.source,
                    "url": item.url,
                    "status": item.status,
                    "fetched_at": now,
                    "body_path": WARC_NAME,
                    "offset": offset,
                    "content_type": item.headers.get("Content-Type", ""),
                    "headers": item.headers,
                    "hints": item.hints,
                },
            )
        elif isinstance(item, Seen):
            self._write("seen", {"at": now, **item.__dict__})
        elif isinstance(item, CrawlFailure):
            self._write("failures", {"source": self.source, "at": now, **item.__dict__})
        elif isinstance(item, Discovered):
            self._write("discovered", {"url": item.url, "hints": item.hints})
        return item
