"""The crawl's on-disk request queue: Scrapy's pickled LIFO queue, with the spider's method names found cheaply.

Scrapy's queue names a request's callback by searching `inspect.getmembers(spider)`, which reads every attribute
of the spider, properties included, twice per request: 0.7 ms each in the crawl's profile (bench/README.md).
Here a callback is named by its own `__name__`, checked to be that method of this spider; the rest of the stored
dict is `Request.to_dict`'s, read back by Scrapy's `request_from_dict` with the real spider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrapy import Request, Spider
from scrapy.squeues import PickleLifoDiskQueue


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


class SpiderLifoDiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's PickleLifoDiskQueue (the default with JOBDIR), each request's dict made without the costly search."""

    def push(self, request: Request) -> None:
        """Store one request on disk."""
        # Past Scrapy's own push (the same dict, made with the spider's full attribute search) to the pickling one.
        super(PickleLifoDiskQueue, self).push(request_dict(request, self.spider))  # type: ignore[misc]
