"""Read what a crawl left in its run directory (manifests written by the spider pipeline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from migdigest.models import FetchedPage


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed crawl may be cut short


def read_pages(run_dir: Path) -> list[FetchedPage]:
    """The fetched pages of a run, with every hint discovery recorded for their URLs merged in."""
    hints: dict[str, dict[str, str]] = {}
    for rec in _lines(run_dir / "discovered.jsonl"):
        merged = hints.setdefault(rec["url"], {})
        for key, value in rec.get("hints", {}).items():
            merged.setdefault(key, value)
    pages: dict[str, FetchedPage] = {}
    for rec in _lines(run_dir / "pages.jsonl"):
        if not (run_dir / rec["body_path"]).exists():
            continue
        page = FetchedPage(**{k: v for k, v in rec.items() if k in FetchedPage.__dataclass_fields__})
        page.hints = {**hints.get(page.url, {}), **page.hints}
        pages[page.url] = page  # a page fetched twice (redirect target) is kept once
    return list(pages.values())


def read_body(run_dir: Path, page: FetchedPage) -> bytes:
    """The raw body of a fetched page, read from the run's WARC archive."""
    with (run_dir / page.body_path).open("rb") as handle:
        handle.seek(page.offset)
        for record in ArchiveIterator(handle):
            return bytes(record.content_stream().read())
    raise ValueError(f"{page.url}: no WARC record at offset {page.offset} of {page.body_path}")


def read_seen(run_dir: Path) -> list[dict[str, Any]]:
    """Known pages the run confirmed without a download: unchanged, not modified (304) or gone."""
    return list(_lines(run_dir / "seen.jsonl"))


def read_discovered(run_dir: Path) -> list[dict[str, Any]]:
    """What the crawl discovered: URLs with the hints of the listing, sitemap or feed that named them."""
    return list(_lines(run_dir / "discovered.jsonl"))


def count_discovered(run_dir: Path) -> int:
    """How many distinct publication URLs discovery listed in a run."""
    return len({rec["url"] for rec in _lines(run_dir / "discovered.jsonl")})


def read_failures(run_dir: Path) -> list[dict[str, Any]]:
    """The failed URLs of a run."""
    return list(_lines(run_dir / "failures.jsonl"))
