"""The spider middleware that judges every response for a bot challenge before the spider (or an error) sees it."""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from spiders.challenge import CHALLENGES_STAT, RESPONSES_STAT, is_challenge


class Challenged(IgnoreRequest):
    """A response that is a bot challenge: the request's errback records it for its URL."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"bot challenge page (e.g. Cloudflare) for {response.url}")
        self.response = response


class ChallengeMiddleware:
    """Counts the responses that reach the spider and turns challenge pages into Challenged errors, never items."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Built with the crawl's stats."""
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_spider_input(self, response: Response, spider: Any = None) -> None:
        """Before HttpErrorMiddleware (a challenge often comes as a 403 or 503), so every status is judged."""
        self.stats.inc_value(RESPONSES_STAT)
        # Only the header the judgement reads: decoding every header of every response cost more than the judgement.
        mitigated = response.headers.getlist(b"cf-mitigated")
        headers = {"cf-mitigated": b", ".join(mitigated).decode("latin-1")} if mitigated else {}
        if is_challenge(response.status, headers, response.body):
            self.stats.inc_value(CHALLENGES_STAT)
            raise Challenged(response)
