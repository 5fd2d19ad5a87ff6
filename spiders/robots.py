"""Scrapy's robots.txt middleware, with concurrent first requests to a host all seeing the parsed rules.

In Scrapy 2.19, requests that arrive while robots.txt is still downloading all await one Deferred; Twisted's
`asFuture` callback returns None, so only the first of them gets the parser and the rest are let through
unchecked (seen here: a disallowed start URL fetched when it was the third start request). Each waiter here
gets its own Deferred chained with a pass-through callback, so all of them get the rules.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware whose pending robots.txt result reaches every waiting request."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """The host's parsed robots.txt, waiting for its download if another request started it."""
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            mine: Deferred[RobotParser | None] = Deferred()

            def relay(result: Any) -> Any:
                mine.callback(result)
                return result  # keep the shared chain's value for the next waiter

            pending.addBoth(relay)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
