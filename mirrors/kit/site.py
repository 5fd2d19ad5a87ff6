"""What a mirrored site is: rendered pages per base URL and routing rules for the server, ground truth for tests."""

from __future__ import annotations

import abc
import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from mirrors.kit.markup import Block, paragraphs, sentences

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


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class Publishable(Protocol):
    """What `PublicationTruth.of` reads from a site's own publication record."""

    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def authors(self) -> Sequence[_Named]: ...
    @property
    def published(self) -> date: ...
    @property
    def modified(self) -> date: ...
    @property
    def summary(self) -> str: ...
    @property
    def body(self) -> Sequence[Block]: ...
    @property
    def pdf_path(self) -> str | None: ...
    @property
    def pdf_snippet(self) -> str | None: ...


def _day(moment: date) -> date:
    """The calendar day of a date, or of a datetime in its own time zone."""
    return moment.date() if isinstance(moment, datetime) else moment


@dataclass(frozen=True, slots=True)
class PublicationTruth:
    """What a perfect crawl and extraction must find for one publication page of a mirror."""

    path: str  # root-relative URL of the page
    title: str
    authors: tuple[str, ...]  # personal authors only (an institution's account is none)
    published: date
    modified: date  # sitemap lastmod, Last-Modified
    doc_type: str  # the digest's type: "report", "policy brief", "commentary", "article", ...
    type_label: str  # as the site labels it: "Reports", "Policy Papers"
    summary: str
    first_sentence: str  # of the body's first paragraph
    last_sentence: str  # of the body's last paragraph
    pdf_path: str | None  # root-relative URL of the PDF, if the publication has one
    pdf_text_snippet: str | None  # a sentence found only in the PDF's text
    language: str = "en"

    @classmethod
    def of(cls, pub: Publishable, doc_type: str, type_label: str, language: str = "en") -> PublicationTruth:
        """The truth of a site's publication record; the first and last sentences come from its paragraphs."""
        paras = paragraphs(tuple(pub.body))
        return cls(
            path=pub.path,
            title=pub.title,
            authors=tuple(a.name for a in pub.authors),
            published=_day(pub.published),
            modified=_day(pub.modified),
            doc_type=doc_type,
            type_label=type_label,
            summary=pub.summary,
            first_sentence=sentences(paras[0])[0],
            last_sentence=sentences(paras[-1])[-1],
            pdf_path=pub.pdf_path,
            pdf_text_snippet=pub.pdf_snippet,
            language=language,
        )

    def record(self) -> dict[str, Any]:
        """The JSON shape the digest stores (authors a list, dates ISO strings)."""
        return {
            "path": self.path,
            "title": self.title,
            "authors": list(self.authors),
            "published": self.published.isoformat(),
            "doc_type": self.doc_type,
            "type_label": self.type_label,
            "summary": self.summary,
            "first_sentence": self.first_sentence,
            "last_sentence": self.last_sentence,
            "pdf_path": self.pdf_path,
            "pdf_text_snippet": self.pdf_text_snippet,
            "language": self.language,
        }


@dataclass(frozen=True, slots=True)
class EditionChanges:
    """What one edition (night) of a mirror changed from the one before."""

    new: tuple[str, ...]  # paths of new publications, newest first
    changed: str  # path of the edited publication
    changed_sentence: str  # the sentence the edit added
    removed: str  # path that now answers 410 Gone
    moved_from: str  # old path, now a 301
    moved_to: str  # new path of the same publication


class Site(abc.ABC):
    """A mirrored site: renders all its pages for a base URL; the server only looks them up."""

    name: str = ""
    # The Server header the real site sends (its web server or CDN).
    server_header: str = "Apache"
    # Sent with every response, after the standard ones (e.g. the CMS's own headers).
    extra_headers: tuple[tuple[str, str], ...] = ()

    # True: a CDN's bot challenge answers every path but robots.txt (the publications exist behind it).
    challenged: bool = False
    # Where the site's PDFs are written (by mirrors.kit.pdf); None when it serves another site's files.
    pdf_folder: Path | None = None

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

    # Ground truth for tests: what a perfect crawl of the site finds.

    def publications(self) -> list[PublicationTruth]:
        """Every publication page, newest first."""
        return []

    def golden_pages(self) -> Mapping[str, str]:
        """Pages saved as golden fixtures (tests/fixtures/<source>/): fixture stem -> path."""
        return {}

    def modified_dates(self) -> dict[str, str]:
        """Publication path -> ISO date of its last modification (sitemap lastmod, Last-Modified)."""
        return {p.path: p.modified.isoformat() for p in self.publications()}

    def edition_changes(self) -> EditionChanges:
        """What this edition changed from the one before; a LookupError for a site with one edition."""
        raise LookupError(f"mirror {self.name!r} has no earlier edition")

    def pdf_files(self) -> dict[Path, bytes]:
        """File under `pdf_folder` -> the PDF bytes the site's content makes (see mirrors.kit.pdf)."""
        return {}
