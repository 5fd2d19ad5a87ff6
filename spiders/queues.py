"""The crawl's on-disk request queue: Scrapy's pickled LIFO queue, with the spider's method names found cheaply.

Scrapy's queue names a request's callback by searching `inspect.getmembers(spider)`, which reads every attribute
of the spider, properties included, twice per request: 0.7 ms each in the crawl's profile (bench/README.md).
The search here runs over an object that holds the spider's methods and nothing else; the names and the rest of
the stored request are Scrapy's own (`Request.to_dict`, read back by `request_from_dict` with the real spider).
"""

from __future__ import annotations

import inspect
from typing import Any

from scrapy import Request, Spider
from scrapy.squeues import PickleLifoDiskQueue


class _Methods:
    """The spider's bound methods as attributes, and nothing else: what `Request.to_dict` searches for a name."""

    def __init__(self, spider: Spider) -> None:
        for cls in reversed(type(spider).__mro__):
            for name, value in vars(cls).items():
                if inspect.isfunction(value) and not name.startswith("__"):
                    setattr(self, name, getattr(spider, name))

    def __bool__(self) -> bool:
        return True  # Request.to_dict searches only a truthy spider


class SpiderLifoDiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's PickleLifoDiskQueue (the default with JOBDIR), each request's dict made without the costly search."""

    _methods: _Methods | None = None

    def push(self, request: Request) -> None:
        """Store one request on disk."""
        spider: Any = self.spider
        if self._methods is None:
            self._methods = _Methods(spider)
        # Past Scrapy's own push (the same dict, made with the spider's full attribute search) to the pickling one.
        super(PickleLifoDiskQueue, self).push(request.to_dict(spider=self._methods))  # type: ignore[arg-type,misc]
