"""Scrapy items the site spider yields: a fetched page with its raw body, or a failed URL."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawPage:
    """A publication response, kept whole so extraction can re-run without the network."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    hints: dict[str, str] = field(default_factory=dict)


@dataclass
class CrawlFailure:
    """A URL that could not be fetched, and why."""

    url: str
    kind: str  # http_404, http_500, timeout, dns, connection, robots, blocked, too_big, other
    message: str
    status: int | None = None


@dataclass
class Discovered:
    """What discovery learnt about a publication URL (listing label and date, sitemap lastmod, feed date)."""

    url: str
    hints: dict[str, str]
