"""Crawl a source through another origin (a mirror, a `--base-url` override) while everything sees its real URLs.

Connections for the source's real site (its base URL's host, with and without "www.", over http and https) are
opened to the override origin instead, and each request sent on them carries `X-Forwarded-Proto: <real scheme>`
beside the `Host: <real host>` it has anyway, as behind a reverse proxy: the server builds its links, canonicals and
redirect `Location`s from the real site's URLs. Nothing else changes: Scrapy builds, sends and answers the request
under the URL that was asked for, so the spider, robots.txt, redirects, retries, failures, the run directory,
extraction and storage only ever see real URLs.

Why in the downloader and not a downloader middleware: a middleware can only change a request's URL by returning
a new Request, which Scrapy schedules again as a request of its own. Tried on the mpi mirror (a middleware at 950
sending https://www.migrationpolicy.org/... to 127.0.0.1 and mapping responses back), the errback's
`failure.request` of a 500 was the mirror URL, a redirect's `redirect_urls` held the mirror URL, the response's
`request` was the mirror request, retries logged mirror URLs, and robots.txt was fetched twice (once per host).

Why at the connection and not per request: the handler first copied each request to the origin's URL and each
response back to the real one (`Request.replace`, `Response.replace`, the URL split and matched each time); the
connection pool does the mapping once per connection, and a persistent connection serves many requests
(bench/README.md, issue 20).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
)
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.web._newclient import HTTP11ClientProtocol
from twisted.web.client import HTTPConnectionPool
from twisted.web.iweb import IPolicyForHTTPS, IResponse
from zope.interface import implementer

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


class OriginOverrideHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler whose connections to overridden sites go to their origin."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        from twisted.internet import reactor

        routes = {
            key: route
            for real, origin in crawler.settings.getdict(SETTING).items()
            for key, route in _routes(OriginOverride(real, origin)).items()
        }
        pool = _OriginPool(reactor, routes, self._contextFactory, crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        pool.maxPersistentPerHost = self._pool.maxPersistentPerHost
        self._pool = pool  # Scrapy's own, unused yet: nothing was downloaded before the handler was built
        # Twisted's agent makes an https URL's TLS settings with its endpoint, for every request (a new OpenSSL
        # context and cipher list in Scrapy's policy); for the real site's connections the pool connects to the
        # origin instead and never uses them, so none are made.
        routed = {(host, port) for scheme, host, port in routes if scheme == b"https"}
        self._contextFactory = _RoutedTLS(self._contextFactory, routed)  # type: ignore[assignment]


@dataclass(frozen=True)
class _Route:
    """Where connections for one (scheme, host, port) of a real site go, and the scheme their requests carry."""

    host: str
    port: int
    tls: bool
    forwarded_proto: bytes


def _routes(override: OriginOverride) -> dict[tuple[bytes, bytes, int], _Route]:
    """The connection keys of the real site (Twisted's: scheme, host, port) and the origin each one goes to."""
    real, origin = urlsplit(override.real), urlsplit(override.origin)
    if origin.path.strip("/") or origin.query or not origin.hostname or origin.scheme not in _PORTS:
        raise ValueError(f"an origin is http(s)://host[:port], without a path: {override.origin!r}")
    host = real.hostname or ""
    to = _Route(origin.hostname, origin.port or _PORTS[origin.scheme], origin.scheme == "https", b"")
    return {
        (scheme.encode(), name.encode(), real.port or default): replace(to, forwarded_proto=scheme.encode())
        for name in {host, host.removeprefix("www.")}
        for scheme, default in _PORTS.items()
    }


_PORTS = {"http": 80, "https": 443}


class _OriginPool(HTTPConnectionPool):
    """Twisted's connection pool, opening the connections of routed keys to their origin."""

    def __init__(
        self,
        reactor: Any,
        routes: dict[tuple[bytes, bytes, int], _Route],
        tls: Any,  # IPolicyForHTTPS
        timeout: float,
    ) -> None:
        super().__init__(reactor, persistent=True)  # type: ignore[no-untyped-call]
        self._factory = _LenientHTTP11ClientFactory  # as Scrapy's handler sets it
        self.routes, self.tls, self.timeout = routes, tls, timeout

    def _newConnection(self, key: Any, endpoint: IStreamClientEndpoint) -> Deferred[HTTP11ClientProtocol]:
        route = self.routes.get((key[0], key[1].lower(), key[2])) if isinstance(key, tuple) else None
        if route is None:
            return super()._newConnection(key, endpoint)

        def quiescent(protocol: HTTP11ClientProtocol) -> None:
            self._putConnection(key, protocol)  # type: ignore[no-untyped-call]

        # Typed as Any: zope interfaces (IStreamClientEndpoint, IPolicyForHTTPS) read as classes confuse mypy.
        origin: Any = HostnameEndpoint(self._reactor, route.host, route.port, timeout=self.timeout)
        if route.tls:
            origin = wrapClientTLS(self.tls.creatorForNetloc(route.host.encode(), route.port), origin)
        factory = _ForwardedFactory(quiescent, f"{route.host}:{route.port} for {key!r}", route.forwarded_proto)
        connected: Deferred[HTTP11ClientProtocol] = origin.connect(factory)
        return connected


@implementer(IPolicyForHTTPS)
class _RoutedTLS:
    """The handler's TLS policy, asked nothing for the real site's https connections (they go to the origin)."""

    def __init__(self, inner: Any, routed: set[tuple[bytes, int]]) -> None:
        self.inner, self.routed = inner, routed

    def creatorForNetloc(self, hostname: bytes, port: int) -> Any:
        """Scrapy's TLS settings for the host, except for a routed one: its endpoint is replaced, never used."""
        if (hostname.lower(), port) in self.routed:
            return _NEVER_USED
        return self.inner.creatorForNetloc(hostname, port)


_NEVER_USED = object()  # the TLS settings of a connection _OriginPool opens to the origin instead


class _ForwardedFactory(_LenientHTTP11ClientFactory):
    """Builds Scrapy's lenient HTTP/1.1 client protocol, saying the real scheme on each request."""

    def __init__(self, quiescent: Any, metadata: str, forwarded_proto: bytes) -> None:
        super().__init__(quiescent, metadata)  # type: ignore[no-untyped-call]
        self.forwarded_proto = forwarded_proto

    def buildProtocol(self, addr: Any) -> HTTP11ClientProtocol:
        """A protocol whose requests carry X-Forwarded-Proto."""
        return _ForwardedProtocol(self._quiescentCallback, self.forwarded_proto)


class _ForwardedProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's lenient HTTP/1.1 client protocol, adding `X-Forwarded-Proto` to each request it sends."""

    def __init__(self, quiescent: Any, forwarded_proto: bytes) -> None:
        super().__init__(quiescent)  # type: ignore[no-untyped-call]
        self.forwarded_proto = forwarded_proto

    def request(self, request: Any) -> Deferred[IResponse]:
        """Send `request` (Twisted's, with headers of its own: Scrapy's request is not touched)."""
        request.headers.setRawHeaders(b"X-Forwarded-Proto", [self.forwarded_proto])
        return super().request(request)


def override_settings(real: str, origin: str | None) -> dict[str, object]:
    """Scrapy settings that send requests for `real` to `origin` (none when there is no override)."""
    if not origin or origin.rstrip("/") == real.rstrip("/"):
        return {}
    _routes(OriginOverride(real, origin))  # an origin the handler cannot use is refused here, before the crawl
    handler = f"{__name__}.{OriginOverrideHandler.__name__}"
    return {SETTING: {real.rstrip("/"): origin.rstrip("/")}, "DOWNLOAD_HANDLERS": {"http": handler, "https": handler}}
