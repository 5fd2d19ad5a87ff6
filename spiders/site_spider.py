"""One configuration-driven spider for every source: discovery by sitemaps, feeds and listing pages."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from migdigest.config import Listing, Source
from spiders.challenge import is_challenge
from spiders.incremental import KnownPages, page_key
from spiders.items import CrawlFailure, Discovered, RawPage, Seen

Item = RawPage | CrawlFailure | Discovered | Seen | scrapy.Request
# Answers a known page may give that are news rather than errors: unchanged, gone.
_KNOWN_ANSWERS = [304, 404, 410]


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
        parts = urlsplit(url)
        if parts.hostname != urlsplit(self.base).hostname:
            return False
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if self.include and not any(p.search(path) for p in self.include):
            return False
        return not any(p.search(path) for p in self.exclude)

    def publication(self, url: str, hints: dict[str, str]) -> Iterator[Item]:
        """Record what discovery learnt about `url` and schedule it (the dupefilter drops repeats)."""
        if not self.is_publication(url):
            return
        clean = {k: v.strip() for k, v in hints.items() if v and v.strip()}
        key = page_key(url)
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
        for key in missing:
            self.crawler.engine.crawl(self.fetch(self.base + key, {}))
        if missing:
            raise DontCloseSpider

    # -- discovery -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """Seed requests for every configured sitemap, feed and listing."""
        found = self.source.discovery
        for url in found.sitemaps:
            yield scrapy.Request(self.absolute(url), callback=self.parse_sitemap, errback=self.failed)
        for url in found.feeds:
            yield scrapy.Request(self.absolute(url), callback=self.parse_feed, errback=self.failed)
        for listing in found.listings:
            yield scrapy.Request(
                self.absolute(listing.url),
                callback=self.parse_listing,
                errback=self.failed,
                cb_kwargs={"listing": listing, "depth": 1},
            )

    def parse_sitemap(self, response: Response) -> Iterator[Item]:
        """Follow sitemap indexes; schedule publication URLs with their lastmod."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=50 * 1024 * 1024)
        sitemap = Sitemap(body)
        for entry in sitemap:
            loc = self.absolute(entry.get("loc", ""))
            if sitemap.type == "sitemapindex":
                yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.failed)
            else:
                yield from self.publication(loc, {"lastmod": entry.get("lastmod", "")})

    def parse_feed(self, response: Response) -> Iterator[Item]:
        """Schedule the items of an RSS or Atom feed with their dates."""
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
        keys = []
        for item in response.css(listing.item):
            href = item.css(listing.link).xpath("@href").get()
            if not href:
                continue
            keys.append(page_key(self.absolute(href, response.url)))
            hints = {"listing_url": response.url}
            if listing.type_label:
                hints["type_label"] = " ".join(item.css(listing.type_label).css("::text").getall())
            if listing.date:
                hints["listing_date"] = " ".join(item.css(listing.date).css("::text").getall())
            yield from self.publication(self.absolute(href, response.url), hints)
        if listing.stop_when_known and depth >= listing.min_pages and keys and all(k in self.known for k in keys):
            # Listings run newest first: a page of nothing but known items means the rest is known too.
            self.crawler.stats.inc_value("migdigest/listing_stopped_early")
            return
        if listing.next and depth < listing.max_pages:
            href = response.css(listing.next).xpath("@href").get()
            if href:
                yield response.follow(
                    self.absolute(href, response.url),
                    callback=self.parse_listing,
                    errback=self.failed,
                    cb_kwargs={"listing": listing, "depth": depth + 1},
                )

    # -- fetching ------------------------------------------------------------------------------
    def blocked(self, response: Response) -> Iterator[Item]:
        """Record a bot challenge and stop: hammering a site that blocks us helps no one."""
        self.crawler.stats.set_value("migdigest/blocked", response.url)
        yield CrawlFailure(
            url=response.url, kind="blocked", message="bot challenge page (e.g. Cloudflare)", status=response.status
        )
        raise CloseSpider("blocked")

    def parse_publication(self, response: Response) -> Iterator[Item]:
        """Hand the raw response to the pipeline."""
        headers = _headers(response)
        if is_challenge(response.status, headers, response.body):
            yield from self.blocked(response)
            return
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
            hints["pdf_url"] = pdf  # extraction that follows the crawl waits for it (extract/follow.py)
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
                meta={"hints": {"pdf_of": response.url}, "download_maxsize": 64 * 1024 * 1024},
            )

    def pdf_link(self, response: Response) -> str | None:
        """The publication's own PDF: the configured selector, else the first link to a .pdf file."""
        if not isinstance(response, TextResponse):
            return None
        css = self.source.selectors.pdf
        if not css and not _PDF_MENTION.search(response.body):
            return None  # no ".pdf" anywhere in the bytes: no href can hold one
        # lxml on the bytes, not Scrapy's selector: that one decodes the page to text and encodes it back first,
        # about 0.4 ms a page the crawl spent for nothing (bench/README.md, crawl profile).
        xpath = _css_hrefs(css) if css else _ANY_PDF
        try:
            root = etree.fromstring(response.body, parser=_html_parser(response.encoding), base_url=response.url)
            hrefs = [str(href) for href in root.xpath(xpath)] if root is not None else []
        except (LookupError, ValueError, etree.LxmlError):  # an encoding lxml does not know, an empty body
            hrefs = response.xpath(xpath).getall()
        # A configured selector is authoritative: no match means the publication has no PDF.
        return self.absolute(hrefs[0], response.url) if hrefs else None

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
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            if is_challenge(response.status, _headers(response), response.body):
                yield from self.blocked(response)
                return
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


_PDF_MENTION = re.compile(rb"\.pdf", re.IGNORECASE)
_ANY_PDF = "//a[contains(translate(@href, 'PDF', 'pdf'), '.pdf')]/@href"


@functools.cache
def _css_hrefs(css: str) -> str:
    """The XPath of a CSS selector's links (parsel's translation, as `response.css` would use)."""
    return f"({css2xpath(css)})/@href"  # the brackets keep a union ("a.x, a.y") whole


@functools.cache
def _html_parser(encoding: str) -> etree.HTMLParser:
    return etree.HTMLParser(encoding=encoding, recover=True, huge_tree=True)


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
