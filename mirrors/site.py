"""What a mirrored site is to the server: a set of rendered pages per base URL, plus routing rules."""

from __future__ import annotations

import abc
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import parse_qs, unquote, urlsplit

HTML = "text/html; charset=utf-8"
XML = "application/xml"
RSS = "application/rss+xml"
PDF = "application/pdf"
TEXT = "text/plain; charset=utf-8"
CSS = "text/css"
PNG = "image/png"
JPEG = "image/jpeg"


@dataclass(frozen=True, slots=True)
class Page:
    """One response body with what the server needs to answer for it."""

    body: bytes
    content_type: str
    last_modified: datetime  # timezone-aware
    status: int = 200
    etag: str = field(default="", compare=False)
    # Headers of this response only (a redirect's Location, a CDN's ray id); a name here replaces a common one.
    headers: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not self.etag:
            # A strong validator: it changes with any byte of the body.
            object.__setattr__(self, "etag", '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"')

    @property
    def http_last_modified(self) -> str:
        """Last-Modified as an HTTP date."""
        return format_datetime(self.last_modified.astimezone(UTC), usegmt=True)


@dataclass(slots=True)
class Rendering:
    """Every page of a site rendered for one base URL, keyed by path (plus `?page=N` for pages after the first)."""

    pages: dict[str, Page]
    not_found: Page
    # Paths of paginated listings -> number of pages; `?page=N` (0-based) selects one.
    paginated: dict[str, int] = field(default_factory=dict)
    # Other paths that serve the same page as their target (e.g. Drupal's /node/N for an aliased node).
    aliases: dict[str, str] = field(default_factory=dict)


class Site(abc.ABC):
    """A mirrored site: renders all its pages for a base URL; the server only looks them up."""

    name: str = ""
    # The Server header the real site sends (its web server or CDN).
    server_header: str = "Apache"
    # Sent with every response, after the standard ones (e.g. the CMS's own headers).
    extra_headers: tuple[tuple[str, str], ...] = ()

    def __init__(self) -> None:
        self._renderings: dict[str, Rendering] = {}
        self._lock = threading.Lock()

    @abc.abstractmethod
    def render(self, base_url: str) -> Rendering:
        """Render every page for `base_url` (absolute URLs in feeds, sitemaps and canonicals use it)."""

    def rendering(self, base_url: str) -> Rendering:
        """The rendering for `base_url`, built once and cached."""
        with self._lock:
            found = self._renderings.get(base_url)
            if found is None:
                found = self._renderings[base_url] = self.render(base_url)
            return found

    def route(self, rendering: Rendering, path: str, query: dict[str, list[str]]) -> str:
        """Map a request path and query to a page key; only `page` matters, and only on paginated paths."""
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        path = rendering.aliases.get(path, path)
        pages = rendering.paginated.get(path)
        if pages is None:
            return path
        raw = (query.get("page") or ["0"])[0]
        number = int(raw) if raw.isdigit() else 0
        # Like Drupal's pager: a page past the end shows the last page.
        number = min(number, pages - 1)
        return path if number == 0 else f"{path}?page={number}"

    def get(self, base_url: str, target: str) -> Page:
        """The page answering a request target such as `/programs/x?page=2`, or the 404 page."""
        rendering = self.rendering(base_url)
        parts = urlsplit(target)
        key = self.route(rendering, unquote(parts.path) or "/", parse_qs(parts.query))
        return rendering.pages.get(key, rendering.not_found)
