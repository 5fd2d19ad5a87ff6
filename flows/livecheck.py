"""The layout-change alarm: fetch a handful of pages of each site and check they still yield publications."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from extract.stage import extract_run
from migdigest.config import load_config
from spiders.crawl import run_crawl
from spiders.rundir import count_discovered, read_failures


@dataclass(frozen=True)
class LiveCheck:
    """What a short crawl of one source found."""

    source: str
    status: str  # ok, empty (nothing extracted), blocked, failed
    discovered: int
    fetched: int
    publications: int
    example: str
    problems: str


def check_source(
    name: str, *, base_url: str | None = None, config_dir: Path | None = None, max_pages: int = 12
) -> LiveCheck:
    """Crawl at most `max_pages` responses of a source and extract what came back."""
    source = load_config(config_dir).source(name)
    with tempfile.TemporaryDirectory(prefix=f"migdigest-check-{name}-") as tmp:
        run_dir = Path(tmp)
        outcome = run_crawl(name, run_dir, base_url=base_url, config_dir=config_dir, max_pages=max_pages)
        failures = read_failures(run_dir)
        result = extract_run(run_dir, source)
        discovered = count_discovered(run_dir)
    kinds = sorted({f.kind for f in failures})
    if "blocked" in kinds:
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
