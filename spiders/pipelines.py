"""Write every fetched page to the run directory: raw body files plus JSON-lines manifests."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Spider

from spiders.items import CrawlFailure, Discovered, RawPage


def body_name(url: str) -> str:
    """A stable file name for the raw body of `url`."""
    return "raw/" + hashlib.sha1(url.encode("utf-8")).hexdigest() + ".html"


class RunDirectoryPipeline:
    """Appends pages.jsonl, failures.jsonl and discovered.jsonl, flushing each line so a crash loses little."""

    def __init__(self, out_dir: str, source: str) -> None:
        self.out = Path(out_dir)
        self.source = source
        self.files: dict[str, IO[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDirectoryPipeline:
        """Build from the crawler settings MIGDIGEST_OUT_DIR and MIGDIGEST_SOURCE."""
        return cls(crawler.settings["MIGDIGEST_OUT_DIR"], crawler.settings["MIGDIGEST_SOURCE"])

    def open_spider(self, spider: Spider | None = None) -> None:
        """Create the run directory and open the manifests for appending."""
        (self.out / "raw").mkdir(parents=True, exist_ok=True)
        for name in ("pages", "failures", "discovered"):
            self.files[name] = open(self.out / f"{name}.jsonl", "a", encoding="utf-8")  # noqa: SIM115

    def close_spider(self, spider: Spider | None = None) -> None:
        """Close the manifests."""
        for handle in self.files.values():
            handle.close()

    def _write(self, name: str, record: dict[str, Any]) -> None:
        handle = self.files[name]
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        """Persist one item; the body goes to its own file so the manifest stays small."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if isinstance(item, RawPage):
            rel = body_name(item.url)
            tmp = self.out / (rel + ".part")
            tmp.write_bytes(item.body)
            tmp.replace(self.out / rel)  # atomic: a killed crawl never leaves half a body behind
            self._write(
                "pages",
                {
                    "source": self.source,
                    "url": item.url,
                    "status": item.status,
                    "fetched_at": now,
                    "body_path": rel,
                    "content_type": item.headers.get("Content-Type", ""),
                    "headers": item.headers,
                    "hints": item.hints,
                },
            )
        elif isinstance(item, CrawlFailure):
            self._write("failures", {"source": self.source, "at": now, **item.__dict__})
        elif isinstance(item, Discovered):
            self._write("discovered", {"url": item.url, "hints": item.hints})
        return item
