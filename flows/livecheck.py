"""The layout-change alarm: fetch a handful of pages of each site and check they still yield publications."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from extract.stage import extract_run
from extract.taxonomy import Taxonomy
from migdigest.config import Settings, Source
from spiders.challenge import source_blocked
from spiders.crawl import run_crawl
from spiders.rundir import count_discovered, read_failures

# empty: pages came back, but nothing in them was a publication (the layout changed?).
LiveStatus = Literal["ok", "empty", "blocked", "failed"]


@dataclass(frozen=True)
class LiveCheck:
    """What a short crawl of one source found."""

    source: str
    status: LiveStatus
    discovered: int
    fetched: int
    publications: int
    example: str
    problems: str


def check_source(
    source: Source,
    taxonomy: Taxonomy,
    *,
    settings: Settings | None = None,
    base_url: str | None = None,
    max_pages: int = 12,
) -> LiveCheck:
    """Crawl at most `max_pages` responses of a source and extract what came back."""
    name = source.name
    with tempfile.TemporaryDirectory(prefix=f"migdigest-check-{name}-") as tmp:
        run_dir = Path(tmp)
        outcome = run_crawl(source, run_dir, settings=settings, base_url=base_url, max_pages=max_pages)
        failures = read_failures(run_dir)
        result = extract_run(run_dir, source, taxonomy=taxonomy)
        discovered = count_discovered(run_dir)
    kinds = sorted({f.kind for f in failures})
    status: LiveStatus
    if source_blocked(outcome.stats, Counter(f.kind for f in failures)):
        status = "blocked"
    elif not outcome.ok:
        status = "failed"
    elif not result.publications:
        status = "empty"
    else:
        status = "ok"
    problems = ", ".join(kinds) if kinds else ("" if outcome.ok else outcome.stderr_tail.strip()[-200:])
    return LiveCheck(
        source=name,
        status=status,
        discovered=discovered,
        fetched=int(outcome.stats.get("downloader/response_count", 0)),
        publications=len(result.publications),
        example=result.publications[0].title if result.publications else "",
        problems=problems,
    )


# What a dry run shows of a page: a publication is stored; an index page (listing, tag, author, search) and
# anything else (not HTML, an error) is not.
SampleKind = Literal["publication", "index", "other"]


@dataclass(frozen=True)
class SampledPage:
    """One page of a dry run and what extraction judged it to be."""

    url: str
    kind: SampleKind
    detail: str  # the extractor's page kind, the HTTP status or the content type


def dry_run(
    source: Source, *, settings: Settings | None = None, base_url: str | None = None, max_pages: int = 30
) -> list[SampledPage]:
    """Crawl at most `max_pages` responses of a source not yet configured and say what each page would be."""
    from extract.page import ExtractionError, extract_page
    from spiders.rundir import read_body, read_pages

    sampled: list[SampledPage] = []
    with tempfile.TemporaryDirectory(prefix=f"migdigest-dry-{source.name}-") as tmp:
        run_dir = Path(tmp)
        run_crawl(source, run_dir, settings=settings, base_url=base_url, max_pages=max_pages)
        for page in read_pages(run_dir):
            if page.hints.get("pdf_of"):
                continue  # a publication's PDF travels with it
            if not 200 <= page.status < 300:
                sampled.append(SampledPage(page.url, "other", f"HTTP {page.status}"))
                continue
            if "html" not in page.content_type.lower():
                sampled.append(SampledPage(page.url, "other", page.content_type or "no content type"))
                continue
            try:
                kind = extract_page(read_body(run_dir, page), page.url, source=source, hints=page.hints).page_type
            except ExtractionError:
                sampled.append(SampledPage(page.url, "other", "unreadable HTML"))
                continue
            shown: SampleKind = "publication" if kind == "article" else "index"
            if kind not in ("article", "listing", "author", "tag", "search"):
                shown = "other"  # a service page, a product...: a kind extraction may add, never stored
            sampled.append(SampledPage(page.url, shown, str(kind)))
    return sampled
