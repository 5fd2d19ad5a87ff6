"""Run one source's crawl in its own process (Scrapy's reactor cannot restart) and report what it did."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migdigest.config import Settings, Source
from spiders.rundir import CRAWL_SPEC, KNOWN, STATS, RunInfo, write_run_info


@dataclass(frozen=True)
class CrawlOutcome:
    """Where a finished crawl left its files and what Scrapy counted."""

    source: str
    run_dir: Path
    returncode: int
    seconds: float
    stats: dict[str, Any]
    stderr_tail: str

    @property
    def ok(self) -> bool:
        """True when the crawl process ended normally."""
        return self.returncode == 0


def is_local(base_url: str | None) -> bool:
    """A mirror on this machine: no politeness delay is owed to it."""
    return base_url is not None and base_url.startswith(("http://127.", "http://localhost"))


def crawl_settings(
    settings: Settings, source: Source, out_dir: Path, local: bool, origin: str | None = None
) -> dict[str, Any]:
    """Scrapy settings for one source: robots, politeness from config, retries, limits, our pipeline.

    `origin` serves the source in place of its base URL (a mirror); the downloader maps it (spiders/mirror.py).
    """
    from spiders.mirror import override_settings  # imports Scrapy: only the crawl process needs it

    polite = source.politeness
    # A loopback mirror has no one to be polite to; the real site gets the configured delay.
    delay = 0.0 if local else polite.delay
    concurrency = 8 if local else polite.concurrency
    return {
        "BOT_NAME": "migdigest",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "spiders.robots.SharedRobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "spiders.retry.PoliteRetryMiddleware": 550,
        },
        # Loopback mirrors answer at once; real sites get real pauses between attempts.
        "MIGDIGEST_BACKOFF_BASE": 0.05 if local else 2.0,
        "MIGDIGEST_RETRY_AFTER_MAX": 120.0,
        "DOWNLOAD_DELAY": delay,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(concurrency),
        "DOWNLOAD_TIMEOUT": polite.timeout,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "DOWNLOAD_MAXSIZE": 16 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 4 * 1024 * 1024,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "ITEM_PIPELINES": {"spiders.rundir.RunDirectoryPipeline": 100},
        # Pending requests wait on disk, not in memory: a 10,000-URL sitemap must not grow the crawl's peak.
        "JOBDIR": str(out_dir / "job"),
        "SCHEDULER_DISK_QUEUE": "spiders.queues.SpiderLifoDiskQueue",  # Scrapy's, without a costly search per request
        "MIGDIGEST_OUT_DIR": str(out_dir),
        "MIGDIGEST_SOURCE": source.name,
        **override_settings(source.base_url, origin),
    }


def write_spec(out_dir: Path, source: Source, settings: Settings) -> Path:
    """Hand the crawl process the objects the flow loaded, so it does not read the configuration again."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CRAWL_SPEC
    spec = {"source": source.model_dump(mode="json"), "settings": settings.model_dump(mode="json")}
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _crawl_here(
    spec_path: Path, out_dir: Path, base_url: str | None, known_path: Path | None, max_pages: int | None = None
) -> None:
    """Run the crawl in this process; only ever called in a fresh subprocess."""
    from scrapy.crawler import CrawlerProcess

    from spiders.incremental import KnownPages
    from spiders.site_spider import SiteSpider

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    source, settings = Source.model_validate(spec["source"]), Settings.model_validate(spec["settings"])
    scrapy_settings = crawl_settings(settings, source, out_dir, is_local(base_url), base_url)
    if max_pages:
        scrapy_settings["CLOSESPIDER_PAGECOUNT"] = max_pages
    process = CrawlerProcess(settings=scrapy_settings)
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, source=source, known=KnownPages.load(known_path))
    process.start()
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    (out_dir / STATS).write_text(json.dumps(stats, indent=1, default=str), encoding="utf-8")


def run_crawl(
    source: Source,
    out_dir: Path,
    *,
    settings: Settings | None = None,
    base_url: str | None = None,
    known: dict[str, dict[str, str]] | None = None,
    max_pages: int | None = None,
) -> CrawlOutcome:
    """Crawl `source` into `out_dir` in a subprocess; `known` pages are fetched again only if changed."""
    write_run_info(out_dir, RunInfo(source=source.name, started=time.time()))
    spec = write_spec(out_dir, source, settings or Settings())
    cmd = [sys.executable, "-m", "spiders.crawl", "--spec", str(spec), "--out", str(out_dir)]
    if known:
        known_path = out_dir / KNOWN
        known_path.write_text(json.dumps(known), encoding="utf-8")
        cmd += ["--known", str(known_path)]
    if base_url:
        cmd += ["--base-url", base_url]
    if max_pages:
        cmd += ["--max-pages", str(max_pages)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    stats_path = out_dir / STATS
    stats = json.loads(stats_path.read_text(encoding="utf-8")) if stats_path.exists() else {}
    return CrawlOutcome(
        source=source.name,
        run_dir=out_dir,
        returncode=proc.returncode,
        seconds=time.perf_counter() - started,
        stats=stats,
        stderr_tail=proc.stderr[-4000:],
    )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: `python -m spiders.crawl --spec FILE --out DIR [--base-url URL]` (see run_crawl)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spec", type=Path, required=True, help="JSON of the source and crawler settings")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url")
    parser.add_argument("--known", type=Path, help="JSON of known pages: path -> validators and hints")
    parser.add_argument("--max-pages", type=int, help="stop after this many responses (a quick check)")
    args = parser.parse_args(argv)
    _crawl_here(args.spec, args.out, args.base_url, args.known, args.max_pages)


if __name__ == "__main__":
    main()
