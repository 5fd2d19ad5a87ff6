"""What the crawl process loads at its start: Scrapy's components it never uses are not even imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# In a fresh interpreter: the crawler as spiders.crawl builds it, its settings applied (extensions built) as
# `process.crawl` does before the reactor starts.
_CHECK = """
import sys
from pathlib import Path
from scrapy.crawler import CrawlerProcess
from migdigest.config import load_config
from spiders.crawl import crawl_settings
from spiders.site_spider import SiteSpider

config = load_config()
process = CrawlerProcess(crawl_settings(config.settings, config.source("mpi"), Path(sys.argv[1]), True))
crawler = process.create_crawler(SiteSpider)
crawler._apply_settings()
print(",".join(type(e).__name__ for e in crawler.extensions.middlewares))
unused = ("aiohttp", "scrapy.extensions.remote_control", "scrapy.extensions.telnet")
print(",".join(m for m in unused if m in sys.modules))
"""


def test_the_crawls_extensions_do_not_import_the_remote_control_or_aiohttp(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _CHECK, str(tmp_path)], capture_output=True, text=True, check=True)
    enabled, imported = out.stdout.splitlines()
    assert {"CoreStats", "SpiderState"} <= set(enabled.split(","))  # counters; resume after a kill (JOBDIR)
    assert imported == ""  # aiohttp alone was ~20% of the crawl process's imports
