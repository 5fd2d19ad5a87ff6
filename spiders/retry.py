"""Scrapy's retry middleware, made patient: waits out `Retry-After` on 429/503 and backs off exponentially."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteRetryMiddleware(RetryMiddleware):
    """Retries like Scrapy's, but sleeps first: the server's Retry-After, else base × 2^attempt seconds.

    A Retry-After longer than MIGDIGEST_RETRY_AFTER_MAX is not waited for: the URL is recorded as failed and
    the next run picks it up, rather than holding the whole crawl.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PoliteRetryMiddleware:
        """Read the backoff settings too."""
        mw = super().from_crawler(crawler)
        mw.backoff_base = crawler.settings.getfloat("MIGDIGEST_BACKOFF_BASE", 1.0)
        mw.retry_after_max = crawler.settings.getfloat("MIGDIGEST_RETRY_AFTER_MAX", 120.0)
        return mw

    backoff_base: float = 1.0
    retry_after_max: float = 120.0

    def _backoff(self, retry: Request) -> float:
        return float(self.backoff_base * 2 ** (int(retry.meta.get("retry_times", 1)) - 1))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        """Retry a retryable status after the wait the server asked for (or a backoff)."""
        if (response.headers.get(b"cf-mitigated") or b"").lower() == b"challenge":
            return response  # a bot challenge does not go away by asking again
        header = response.headers.get(b"Retry-After")
        wait = retry_after_seconds(header.decode("latin-1")) if header else None
        if wait is not None and wait > self.retry_after_max:
            self.crawler.stats.inc_value("migdigest/retry_after_too_long")
            return response
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await asyncio.sleep(wait if wait is not None else self._backoff(result))
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        """Retry a network error after an exponential backoff."""
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await asyncio.sleep(self._backoff(result))
        return result
