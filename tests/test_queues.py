"""The crawl's disk queue (spiders/queues.py): what it stores is Scrapy's own dict, and what it gives back the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.squeues import PickleLifoDiskQueue as _ScrapysQueue
from scrapy.utils.test import get_crawler

from migdigest.config import load_config
from spiders.incremental import KnownPages
from spiders.queues import SpiderLifoDiskQueue, request_dict
from spiders.site_spider import SiteSpider

# Scrapy's own queue (the default with JOBDIR); typed loosely, as Scrapy builds its queue classes at run time.
PickleLifoDiskQueue: Any = _ScrapysQueue


def _spider() -> SiteSpider:
    crawler = get_crawler(SiteSpider, {})
    known = KnownPages({"/research/a": {"etag": '"v1"'}})
    spider: SiteSpider = SiteSpider.from_crawler(crawler, source=load_config().source("mpi"), known=known)
    crawler.spider = spider
    return spider


def _requests(spider: SiteSpider) -> list[scrapy.Request]:
    listing = spider.source.discovery.listings[0]
    return [
        spider.fetch(spider.base + "/research/a", {"lastmod": "2024-01-02"}),  # conditional headers, hints in meta
        spider.fetch(spider.base + "/research/b?page=2", {}),
        scrapy.Request(spider.base + "/sitemap.xml", callback=spider.parse_sitemap, errback=spider.failed),
        scrapy.Request(
            spider.base + "/research?page=3",
            callback=spider.parse_listing,
            errback=spider.failed,
            cb_kwargs={"listing": listing, "depth": 3},
            priority=-2,
        ),
        scrapy.Request(spider.base + "/files/a.pdf", callback=spider.parse_pdf, meta={"download_maxsize": 5}),
        scrapy.Request(spider.base + "/robots.txt"),  # no callback at all
    ]


def test_the_stored_dict_is_scrapys_own() -> None:
    spider = _spider()
    for request in _requests(spider):
        assert request_dict(request, spider) == request.to_dict(spider=spider)


def test_a_request_comes_back_from_disk_as_it_went_in(tmp_path: Path) -> None:
    spider = _spider()
    queue = SpiderLifoDiskQueue.from_crawler(spider.crawler, str(tmp_path / "q"))
    sent = _requests(spider)
    for request in sent:
        queue.push(request)
    back = [queue.pop() for _ in sent][::-1]
    queue.close()
    for went, came in zip(sent, back, strict=True):
        assert came is not None
        assert came.to_dict(spider=spider) == went.to_dict(spider=spider)
        assert came.callback == went.callback
        assert came.errback == went.errback


def _not_a_method(response: scrapy.http.Response) -> None:
    """A plain function: no spider method, so no name to store."""


def test_a_callback_that_is_not_the_spiders_method_stays_in_memory() -> None:
    spider, other = _spider(), _spider()
    # ValueError is what Scrapy's scheduler takes as "keep this one in the memory queue".
    with pytest.raises(ValueError, match="not an instance method"):
        request_dict(scrapy.Request("https://example.org/", callback=_not_a_method), spider)
    with pytest.raises(ValueError, match="not an instance method"):
        request_dict(scrapy.Request("https://example.org/", callback=other.parse_publication), spider)


def _odd_requests(spider: SiteSpider) -> list[scrapy.Request]:
    """URLs that Request escapes when made (a space, non-ASCII, a fragment), and one the caller wants verbatim."""
    return [
        spider.fetch(spider.base + "/research/a report é?x=1 2#part", {}),
        scrapy.Request(spider.base + "/files/rapport été.pdf", callback=spider.parse_pdf, meta={"hints": {"a": "b"}}),
        scrapy.Request(spider.base + "/raw path", meta={"verbatim_url": True}),
    ]


def test_a_request_read_back_is_the_one_scrapys_own_queue_gives(tmp_path: Path) -> None:
    spider = _spider()
    ours = SpiderLifoDiskQueue.from_crawler(spider.crawler, str(tmp_path / "ours"))
    scrapys = PickleLifoDiskQueue.from_crawler(spider.crawler, str(tmp_path / "scrapys"))
    sent = _requests(spider) + _odd_requests(spider)
    for request in sent:
        ours.push(request)
        scrapys.push(request)
    for _ in sent:
        mine, theirs = ours.pop(), scrapys.pop()
        assert mine is not None
        assert theirs is not None
        assert mine.url == theirs.url
        assert mine.meta == theirs.meta  # the verbatim flag used to read it back is not left behind
        assert mine.to_dict(spider=spider) == theirs.to_dict(spider=spider)
        assert (mine.callback, mine.errback) == (theirs.callback, theirs.errback)
    assert "verbatim_url" not in spider.fetch(spider.base + "/x", {}).meta
    ours.close()
    scrapys.close()


def test_a_queue_closed_with_requests_pending_is_resumed_by_either_queue(tmp_path: Path) -> None:
    """What a stopped crawl leaves in its JOBDIR is read back by the next, in the same order; same file as Scrapy's."""
    spider = _spider()
    sent = _requests(spider) + _odd_requests(spider)
    pairs: list[tuple[Any, Any]] = [
        (SpiderLifoDiskQueue, PickleLifoDiskQueue),
        (PickleLifoDiskQueue, SpiderLifoDiskQueue),
    ]
    for writer, reader in pairs:
        path = str(tmp_path / f"{writer.__name__}-q")
        queue = writer.from_crawler(spider.crawler, path)
        for request in sent:
            queue.push(request)
        assert queue.pop() is not None  # one was fetched before the stop
        queue.close()
        resumed = reader.from_crawler(spider.crawler, path)
        assert len(resumed) == len(sent) - 1
        back = [resumed.pop() for _ in sent[:-1]][::-1]
        assert [r.url for r in back if r] == [r.url for r in sent[:-1]]
        assert [r.to_dict(spider=spider) for r in back if r] == [r.to_dict(spider=spider) for r in sent[:-1]]
        assert resumed.pop() is None
        resumed.close()
