"""Plain records passed between the stages; no stage logic lives here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# The document types the digest knows (DESIGN.md); anything else is "other".
DOC_TYPES = (
    "report",
    "policy brief",
    "commentary",
    "article",
    "working paper",
    "event",
    "podcast",
    "video",
    "dataset",
    "other",
)


# What a page is, as extraction judges it (extract/page_kind.py): only articles become publications.
PageKind = Literal[
    "article",
    # index pages: links to other pages
    "listing", "collection", "archive", "tag", "author", "search",
    # other pages: neither a publication nor an index
    "service", "product", "forum", "documentation",
]  # fmt: skip
INDEX_KINDS: tuple[PageKind, ...] = ("listing", "collection", "archive", "tag", "author", "search")
OTHER_KINDS: tuple[PageKind, ...] = ("service", "product", "forum", "documentation")
# How a crawl run of one source ended (running while it has not; interrupted when its process died first).
RunStatus = Literal["running", "ok", "failed", "blocked", "interrupted"]


@dataclass(slots=True)
class Publication:
    """One extracted publication, normalised and ready to store."""

    source: str
    url: str  # as fetched
    canonical_url: str  # identity in the digest
    title: str
    body: str
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # ISO 8601 date
    modified: str | None = None
    summary: str = ""
    language: str | None = None
    doc_type: str = "other"
    pdf_url: str | None = None
    pdf_text: str = ""
    pdf_pages: int | None = None
    # The PDF's fetch: "" (none linked), "ok", "pending" (failed for now: fetched again later), "gone" (404/410).
    pdf_status: str = ""
    pdf_error: str = ""  # why the PDF is pending: the crawl's failure kind, or "not_fetched" (the crawl ended first)
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    word_count: int = 0
    content_hash: str = ""
    fetched_at: str = ""
    # Validators and discovery hints of the response, so the next crawl can skip or revalidate the page.
    fetch_state: dict[str, str] = field(default_factory=dict)
    moved_from: str | None = None  # canonical URL this publication had before a permanent redirect
    notes: list[str] = field(default_factory=list)  # problems met on the way (e.g. a scanned PDF), for run stats
    # The title and body's dedupe fingerprint (extract.dedupe.pack_print), made by the extraction worker; b"": none
    # (the nightly dedupe makes it, once).
    dedupe_print: bytes = b""


@dataclass(slots=True)
class RunStats:
    """What one crawl run of one source did."""

    source: str
    started: str
    finished: str | None = None
    status: RunStatus = "running"
    pages_fetched: int = 0
    not_modified: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    discovered: int = 0  # distinct publication URLs discovery listed (for coverage)
    errors: dict[str, int] = field(default_factory=dict)
    # Pages that are not publications, and dead PDF links, by reason (page_type_listing, pdf_gone...): no errors.
    skipped: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0
    message: str = ""
