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
