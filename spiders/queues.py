"""The crawl's on-disk request queue: Scrapy's pickled LIFO queue, with the spider's method names found cheaply.

Scrapy's queue names a request's callback by searching `inspect.getmembers(spider)`, which reads every attribute
of the spider, properties included, twice per request: 0.7 ms each in the crawl's profile (bench/README.md).
Here a callback is named by its own `__name__`, checked to be that method of this spider; the rest of the stored
dict is `Request.to_dict`'s, the same file format as Scrapy's queue (either reads the other's).

Read back, a request is made without escaping its URL again: the stored URL is the request's own, already made
safe when the request was made, and escaping it again (w3lib's `safe_url_string`, idempotent) was most of a pop's
28 us (bench/README.md, issue 20, tenth session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Request, Spider
from scrapy.squeues import PickleLifoDiskQueue
from scrapy.utils.request import request_from_dict

# Request meta that makes Request take its URL as is (Scrapy's own key).
_VERBATIM = "verbatim_url"


def _method_name(spider: Spider, func: Callable[..., Any] | str | None) -> str | None:
    """The name under which `func` is a method of `spider` (what request_from_dict looks up), else ValueError."""
    if func is None or isinstance(func, str):
        return func
    name = getattr(func, "__name__", "")
    mine = getattr(spider, name, None) if getattr(func, "__self__", None) is spider else None
    if mine is None or getattr(mine, "__func__", None) is not getattr(func, "__func__", func):
        # Scrapy's scheduler keeps a request it cannot store on disk in memory instead.
        raise ValueError(f"Function {func} is not an instance method in: {spider}")
    return name


def request_dict(request: Request, spider: Spider) -> dict[str, Any]:
    """`Request.to_dict(spider=spider)`, the callback and errback named without searching the spider."""
    stored: dict[str, Any] = {
        "url": request.url,
        "callback": _method_name(spider, request.callback),
        "errback": _method_name(spider, request.errback),
        "headers": dict(request.headers),
    }
    for attr in request.attributes:
        stored.setdefault(attr, getattr(request, attr))
    if type(request) is not Request:
        stored["_class"] = f"{type(request).__module__}.{type(request).__name__}"
    return stored


def stored_request(stored: dict[str, Any], spider: Spider) -> Request:
    """`request_from_dict(stored, spider=spider)`, the request's URL taken as stored (it was made safe once)."""
    if "_class" in stored:
        return request_from_dict(stored, spider=spider)  # a Request subclass: its own constructor, as Scrapy does
    meta = stored.get("meta") or {}
    verbatim = _VERBATIM in meta
    kwargs = {**stored, "meta": {**meta, _VERBATIM: True}}
    for name in ("callback", "errback"):
        if stored.get(name):
            kwargs[name] = getattr(spider, stored[name])
    request = Request(**kwargs)
    if not verbatim:
        del request.meta[_VERBATIM]  # a redirect or retry of it is escaped as before (Request.replace copies meta)
    return request


class SpiderLifoDiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's PickleLifoDiskQueue (the default with JOBDIR), each request's dict made without the costly search."""

    def push(self, request: Request) -> None:
        """Store one request on disk."""
        # Past Scrapy's own push (the same dict, made with the spider's full attribute search) to the pickling one.
        super(PickleLifoDiskQueue, self).push(request_dict(request, self.spider))  # type: ignore[misc]

    def pop(self) -> Request | None:
        """Take the last request pushed off the disk."""
        stored = super(PickleLifoDiskQueue, self).pop()  # type: ignore[misc]
        return stored_request(stored, self.spider) if stored else None

    def peek(self) -> Request | None:
        """The request `pop` would return, left on the disk."""
        stored = super(PickleLifoDiskQueue, self).peek()  # type: ignore[misc]
        return stored_request(stored, self.spider) if stored else None
