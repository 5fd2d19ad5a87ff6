"""One configuration-driven spider for every source: discovery by sitemaps, feeds and listing pages."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest, NotSupported
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from migdigest.compiled import css, xpath
from migdigest.config import Listing, Source
from spiders.challenge import CHALLENGES_STAT, RESPONSES_STAT, dominated
from spiders.challenge_middleware import Challenged
from spiders.first_match import first_href
from spiders.incremental import KnownPages, page_key
from spiders.items import CrawlFailure, Discovered, RawPage, Records, Seen
from spiders.pdf_link import GONE_PDF, may_name_pdf, pdf_link, selected_pdf

Item = RawPage | CrawlFailure | Discovered | Seen | Records | scrapy.Request
# Discovery's records go to the pipeline this many at a time (spiders.items.Records).
_BATCH = 1000
# Answers a known page may give that are news rather than errors: unchanged, gone.
_KNOWN_ANSWERS = [304, 404, 410]
# Discovery (sitemaps, feeds, listing pages) before the publications it found: a listing's pages follow one another,
# and behind a LIFO queue of thousands of publications they were fetched one at a time at the end of the crawl, with
# the other download slots idle (bench/README.md, issue 20).
_DISCOVERY_PRIORITY = 1


class SiteSpider(scrapy.Spider):
    """Discovers a source's publications and fetches each once; hands raw responses to the pipeline."""

    name = "site"

    def __init__(self, source: Source, known: KnownPages | None = None, **kwargs: Any) -> None:
        super().__init__(name=f"site-{source.name}", **kwargs)
        self.source = source
        self.known = known or KnownPages()
        self.discovered: set[str] = set()  # every publication key discovery listed
        self.requested: set[str] = set()  # keys asked for in this run
        self.confirmed: set[str] = set()  # keys judged unchanged without a request
        self.revalidated = False
        # Always the real site: a mirror is reached through the downloader (spiders/mirror.py), never seen here.
        self.base = source.base_url.rstrip("/")
        self.host = urlsplit(self.base).hostname
        self.allowed_domains = [urlsplit(self.base).hostname or ""]
        self.include = [re.compile(p) for p in source.include]
        self.exclude = [re.compile(p) for p in source.exclude]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        """Also listen for the idle signal, to revalidate known pages discovery no longer lists."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.revalidate_missing, signal=signals.spider_idle)
        return spider

    # -- helpers -------------------------------------------------------------------------------
    def absolute(self, url: str, base: str | None = None) -> str:
        """Resolve `url` against `base` (a page's URL) or the site's base URL."""
        # Only the bare base gets a slash: a page URL is joined as is, so "?page=2" stays on its page.
        return urljoin(base or self.base + "/", url.strip())

    def is_publication(self, url: str) -> bool:
        """True when the URL is on this site and its path matches include and no exclude pattern."""
        return self.publication_key(url) is not None

    def publication_key(self, url: str) -> str | None:
        """The page key (spiders.incremental.page_key) of a publication URL of this site, else None."""
        # One split of the URL for both questions: discovery asks them for every URL of a sitemap, every night.
        parts = urlsplit(url)
        if parts.hostname != self.host:
            return None
        query = f"?{parts.query}" if parts.query else ""
        path = parts.path + query
        if self.include and not any(p.search(path) for p in self.include):
            return None
        if any(p.search(path) for p in self.exclude):
            return None
        return (parts.path or "/") + query

    def publication(self, url: str, hints: dict[str, str]) -> Iterator[Item]:
        """Record what discovery learnt about `url` and schedule it (the dupefilter drops repeats)."""
        key = self.publication_key(url)
        if key is None:
            return
        clean = {k: v.strip() for k, v in hints.items() if v and v.strip()}
        yield Discovered(url=url, hints=clean)
        self.discovered.add(key)
        if key in self.requested:
            return  # listed twice (sitemap and listing): one request
        if self.known.unchanged(key, clean):
            # Each listing of a page is judged on its own signs: a month-precise listing date may say
            # "unchanged" where the sitemap's lastmod, seen later, says otherwise.
            if key not in self.confirmed:
                self.confirmed.add(key)
                self.crawler.stats.inc_value("migdigest/skipped_unchanged")
                yield Seen(url=url, state="unchanged")
            return
        self.requested.add(key)
        yield self.fetch(url, clean)

    def fetch(self, url: str, hints: dict[str, str]) -> scrapy.Request:
        """A publication request, conditional when the page is known."""
        return scrapy.Request(
            url,
            callback=self.parse_publication,
            errback=self.failed,
            headers=self.known.conditional_headers(page_key(url)),
            # Each publication is asked for once (see `publication`); bypassing the dupefilter lets a redirect
            # loop run into REDIRECT_MAX_TIMES and be reported, instead of vanishing as a "duplicate".
            dont_filter=True,
            meta={"hints": hints, "handle_httpstatus_list": _KNOWN_ANSWERS},
        )

    def revalidate_missing(self, spider: scrapy.Spider) -> None:
        """Once discovery is done, ask again for known pages it did not list: they may be gone or moved."""
        if self.revalidated:
            return
        self.revalidated = True
        missing = [key for key in self.known.pages if key not in self.discovered]
        if self.crawler.stats.get_value("migdigest/listing_stopped_early"):
            # Discovery did not list everything, so missing is not gone: a page not due for a revisit waits.
            missing = [key for key in missing if not self.known.not_due(key)]
        for key in missing:
            self.crawler.engine.crawl(self.fetch(self.base + key, {}))
        if missing:
            raise DontCloseSpider

    # -- discovery -----------------------------------------------------------------------------
    @staticmethod
    def batched(items: Iterable[Item]) -> Iterator[Item]:
        """Discovery's Discovered and Seen records gathered into Records; requests and the rest pass at once."""
        kept: list[Discovered | Seen] = []
        for item in items:
            if isinstance(item, Discovered | Seen):
                kept.append(item)
                if len(kept) >= _BATCH:
                    yield Records(kept)
                    kept = []
            else:
                yield item
        if kept:
            yield Records(kept)

    async def start(self) -> AsyncIterator[Any]:
        """Seed requests for every configured sitemap, feed and listing."""
        found = self.source.discovery
        for url in found.sitemaps:
            yield scrapy.Request(
                self.absolute(url), callback=self.parse_sitemap, errback=self.failed, priority=_DISCOVERY_PRIORITY
            )
        for url in found.feeds:
            yield scrapy.Request(
                self.absolute(url), callback=self.parse_feed, errback=self.failed, priority=_DISCOVERY_PRIORITY
            )
        for listing in found.listings:
            yield scrapy.Request(
                self.absolute(listing.url),
                callback=self.parse_listing,
                errback=self.failed,
                cb_kwargs={"listing": listing, "depth": 1},
                priority=_DISCOVERY_PRIORITY,
            )

    def parse_sitemap(self, response: Response) -> Iterator[Item]:
        """Follow sitemap indexes; schedule publication URLs with their lastmod."""
        return self.batched(self._sitemap_entries(response))

    def _sitemap_entries(self, response: Response) -> Iterator[Item]:
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=50 * 1024 * 1024)
        sitemap = Sitemap(body)
        for entry in sitemap:
            loc = self.absolute(entry.get("loc", ""))
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(
                    loc, callback=self.parse_sitemap, errback=self.failed, priority=_DISCOVERY_PRIORITY
                )
            else:
                yield from self.publication(loc, {"lastmod": entry.get("lastmod", "")})

    def parse_feed(self, response: Response) -> Iterator[Item]:
        """Schedule the items of an RSS or Atom feed with their dates."""
        return self.batched(self._feed_entries(response))

    def _feed_entries(self, response: Response) -> Iterator[Item]:
        sel = Selector(body=response.body, type="xml")
        sel.remove_namespaces()
        for item in sel.xpath("//item"):
            link = item.xpath("link/text()").get() or item.xpath("guid/text()").get() or ""
            yield from self.publication(self.absolute(link), {"feed_date": item.xpath("pubDate/text()").get("")})
        for entry in sel.xpath("//entry"):
            link = entry.xpath("link[not(@rel) or @rel='alternate']/@href").get("")
            date = entry.xpath("published/text()").get() or entry.xpath("updated/text()").get("")
            yield from self.publication(self.absolute(link), {"feed_date": date})

    def parse_listing(self, response: Response, listing: Listing, depth: int) -> Iterator[Item]:
        """Schedule the teasers of a listing page with their labels, then follow its next page."""
        return self.batched(self._listing_entries(response, listing, depth))

    def _listing_entries(self, response: Response, listing: Listing, depth: int) -> Iterator[Item]:
        # lxml with the selectors compiled once (migdigest/compiled.py), as parsel would run them: parsel made a
        # selector object per match and translated each CSS query again, ~3 ms a listing page (bench/README.md).
        if not isinstance(response, TextResponse):
            raise NotSupported(f"listing page {response.url} is not text")  # as response.css() said before
        root = _html_root(response)
        keys = []
        for item in css(listing.item, "html")(root):
            href = _first_href(item, listing.link)
            if not href:
                continue
            keys.append(page_key(self.absolute(href, response.url)))
            hints = {"listing_url": response.url}
            if listing.type_label:
                hints["type_label"] = _text(item, listing.type_label)
            if listing.date:
                hints["listing_date"] = _text(item, listing.date)
            yield from self.publication(self.absolute(href, response.url), hints)
        if listing.stop_when_known and depth >= listing.min_pages and keys and all(k in self.known for k in keys):
            # Listings run newest first: a page of nothing but known items means the rest is known too.
            self.crawler.stats.inc_value("migdigest/listing_stopped_early")
            return
        if listing.next and depth < listing.max_pages:
            href = _first_href(root, listing.next)
            if href:
                yield response.follow(
                    self.absolute(href, response.url),
                    callback=self.parse_listing,
                    errback=self.failed,
                    cb_kwargs={"listing": listing, "depth": depth + 1},
                    priority=_DISCOVERY_PRIORITY,
                )

    # -- fetching ------------------------------------------------------------------------------
    def challenged(self, response: Response) -> Iterator[Item]:
        """Record a bot challenge against its URL and go on; stop once challenges dominate (spiders/challenge.py)."""
        yield CrawlFailure(
            url=response.url, kind="challenge", message="bot challenge page (e.g. Cloudflare)", status=response.status
        )
        stats = self.crawler.stats
        challenges, responses = stats.get_value(CHALLENGES_STAT, 0), stats.get_value(RESPONSES_STAT, 0)
        if dominated(challenges, responses) and not stats.get_value("migdigest/blocked"):  # once: others in flight
            # Hammering a site that blocks us helps no one.
            stats.set_value("migdigest/blocked", response.url)
            message = f"bot challenges on {challenges} of {responses} responses"
            yield CrawlFailure(url=response.url, kind="blocked", message=message, status=response.status)
            raise CloseSpider("blocked")

    def parse_publication(self, response: Response) -> Iterator[Item]:
        """Hand the raw response to the pipeline."""
        headers = _headers(response)
        if response.status == 304:
            yield Seen(url=response.url, state="not_modified", status=304)
            return
        if response.status in (404, 410):
            yield Seen(url=response.url, state="gone", status=response.status)
            return
        hints = dict(response.meta.get("hints", {}))
        redirects = response.meta.get("redirect_urls") or []
        if redirects and set(response.meta.get("redirect_reasons") or []) & {301, 308}:
            hints["moved_from"] = redirects[0]  # a permanent move keeps the publication's identity
        pdf = self.pdf_link(response)
        if pdf:
            hints["pdf_url"] = pdf  # the page says which PDF it waits for: one that never came is retried later
        yield RawPage(
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            hints=hints,
        )
        if pdf:
            # The report's PDF travels with its page: fetched now, archived, read by the extract stage.
            yield scrapy.Request(
                pdf,
                callback=self.parse_pdf,
                errback=self.failed,
                meta={
                    "hints": {"pdf_of": response.url},
                    "download_maxsize": 64 * 1024 * 1024,
                    # A PDF that is gone is kept as a record (its page answered), not an error every night.
                    "handle_httpstatus_list": list(GONE_PDF),
                },
            )

    def pdf_link(self, response: Response) -> str | None:
        """The publication's own PDF (spiders/pdf_link.py); a configured selector is authoritative."""
        if not isinstance(response, TextResponse):
            return None
        selector = self.source.selectors.pdf
        if not may_name_pdf(response.body, response.encoding, selector):
            return None  # no parse for a page that cannot name one (bench/README.md, issue 20)
        if selector:
            # The page parsed only as far as the selector's first match, when that is enough (spiders/first_match.py).
            return selected_pdf(response.url, first_href(response.body, response.encoding, selector))
        return pdf_link(_html_root(response), response.url, selector)

    def parse_pdf(self, response: Response) -> Iterator[Item]:
        """Hand a publication's PDF to the pipeline."""
        yield RawPage(
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
            hints=dict(response.meta.get("hints", {})),
        )

    def failed(self, failure: Failure) -> Iterator[Item]:
        """Record a failed request with the kind of failure, so the run report and the next run see it."""
        request = failure.request  # type: ignore[attr-defined]
        status = None
        if isinstance(failure.value, Challenged):  # judged by spiders.challenge_middleware, on any status
            yield from self.challenged(failure.value.response)
            return
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            status = response.status
            kind = f"http_{status}"
        else:
            kind = failure_kind(failure)
        # Report the URL we asked for, not where its redirects ended.
        asked = (request.meta.get("redirect_urls") or [request.url])[0]
        yield CrawlFailure(url=asked, kind=kind, message=str(failure.value)[:500], status=status)


def failure_kind(failure: Failure) -> str:
    """A short, stable name for a network-level failure (the exception classes vary with the transport)."""
    error = failure.value
    name = type(error).__name__
    text = f"{name} {error}".lower()
    if isinstance(error, TimeoutError | TCPTimedOutError) or "timeout" in text or "timed out" in text:
        return "timeout"
    if isinstance(error, IgnoreRequest) and "robots.txt" in text:
        return "robots_disallowed"
    if "redirect" in text:
        return "redirect_loop"
    if "max size" in text or "maxsize" in text or "larger than" in text or "cancel" in text:
        return "too_big"
    if "dataloss" in text or "data loss" in text:
        return "truncated"
    if isinstance(error, DNSLookupError):
        return "dns"
    if isinstance(error, ConnectionRefusedError) or "refused" in text:
        return "connection_refused"
    if any(word in text for word in ("connectionlost", "connection lost", "neverreceived", "reset", "connectiondone")):
        return "connection_lost"
    return name


def _html_root(response: TextResponse) -> Any:
    """The page's lxml tree, parsed from its bytes (parsel hands UTF-8 to lxml as is).

    `response.selector` decodes the page to text and encodes it back first, a cost per page for nothing.
    """
    return Selector(body=response.body, encoding=response.encoding, type="html").root


def _first_href(element: Any, selector: str) -> str | None:
    """The href of the first element under `element` that matches `selector` and has one (parsel's `.get()`)."""
    return next((str(el.get("href")) for el in css(selector, "html")(element) if el.get("href") is not None), None)


def _text(element: Any, selector: str) -> str:
    """Every text node under the elements `selector` matches, joined by spaces (parsel's `::text` getall)."""
    return " ".join(str(t) for el in css(selector, "html")(element) for t in xpath("descendant-or-self::text()")(el))


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
