"""Crawl a source through another origin (a mirror, a `--base-url` override) while everything sees its real URLs.

Requests for the source's real base URL (and its www-less and http:// variants) are sent to the override origin
with `Host: <real host>` and `X-Forwarded-Proto: <real scheme>`, as a reverse proxy would, so the server builds
its links, canonicals and redirect `Location`s from the real site's URLs; the response comes back under the URL
that was asked for. The spider, robots.txt, redirects, retries, failures, the run directory, extraction and
storage therefore only ever see real URLs.

Why a download handler and not a downloader middleware: a middleware can only change a request's URL by
returning a new Request, which Scrapy schedules again as a request of its own. Tried on the mpi mirror (a
middleware at 950 sending https://www.migrationpolicy.org/... to 127.0.0.1 and mapping responses back), the
errback's `failure.request` of a 500 was the mirror URL, a redirect's `redirect_urls` held the mirror URL, the
response's `request` was the mirror request, retries logged mirror URLs, and robots.txt was fetched twice (once
per host). A handler sits below every middleware, so none of them ever holds a mirror URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import build_from_crawler

# Scrapy setting: {real base URL: origin base URL}; set by spiders.crawl from `--base-url`.
SETTING = "MIGDIGEST_ORIGIN_OVERRIDE"


@dataclass(frozen=True)
class OriginOverride:
    """Where to send requests for a real site: `real` is the source's base URL, `origin` what serves it."""

    real: str
    origin: str

    def hosts(self) -> set[str]:
        """The real site's host names (netloc): as configured and without "www."."""
        netloc = urlsplit(self.real).netloc.lower()
        return {netloc, netloc.removeprefix("www.")}

    def target(self, url: str) -> tuple[str, str, str] | None:
        """(URL at the origin, Host header, scheme) for a URL of the real site, or None for any other URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() not in self.hosts():
            return None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return self.origin.rstrip("/") + path, parts.netloc, parts.scheme

    def outbound(self, request: Request) -> Request | None:
        """The request to send to the origin in place of `request`, or None when it is not for the real site."""
        found = self.target(request.url)
        if found is None:
            return None
        url, host, scheme = found
        sent = request.replace(url=url)  # a copy: the caller's request keeps its real URL
        sent.headers["Host"] = host
        sent.headers["X-Forwarded-Proto"] = scheme
        return sent


class OriginOverrideHandler(BaseDownloadHandler):
    """Scrapy's HTTP/1.1 download handler, sending requests for overridden sites to their origin."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.inner = build_from_crawler(HTTP11DownloadHandler, crawler)
        self.overrides = [OriginOverride(real, origin) for real, origin in crawler.settings.getdict(SETTING).items()]

    async def download_request(self, request: Request) -> Response:
        """Download `request`, from its site's origin if overridden; the response carries the real URL."""
        sent = next((s for o in self.overrides if (s := o.outbound(request)) is not None), None)
        if sent is None:
            return await self.inner.download_request(request)
        try:
            response = await self.inner.download_request(sent)
        except Exception as exc:
            # Errors name the URL they fetched ("Getting <url> took longer than..."); failures.jsonl keeps the message.
            exc.args = tuple(a.replace(sent.url, request.url) if isinstance(a, str) else a for a in exc.args)
            raise
        finally:
            request.meta.update(sent.meta)  # what the handler noted (download_latency) is read by AutoThrottle
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        """Close the wrapped handler's connection pool."""
        await self.inner.close()


def override_settings(real: str, origin: str | None) -> dict[str, object]:
    """Scrapy settings that send requests for `real` to `origin` (none when there is no override)."""
    if not origin or origin.rstrip("/") == real.rstrip("/"):
        return {}
    handler = f"{__name__}.{OriginOverrideHandler.__name__}"
    return {SETTING: {real.rstrip("/"): origin.rstrip("/")}, "DOWNLOAD_HANDLERS": {"http": handler, "https": handler}}
