"""Scrapy items the site spider yields: fetched pages, failures, and what discovery or revalidation learnt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What a known page turned out to be without a new download: listed with the same signs, 304, 404/410, or 301.
SeenState = Literal["unchanged", "not_modified", "gone", "moved"]


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
    kind: str  # http_500, timeout, dns, connection, robots_disallowed, blocked, ...
    message: str
    status: int | None = None


@dataclass
class Discovered:
    """What discovery learnt about a publication URL (listing label and date, sitemap lastmod, feed date)."""

    url: str
    hints: dict[str, str]


@dataclass
class Seen:
    """A known page confirmed without downloading it: unchanged by its hints, 304, gone (404/410) or moved."""

    url: str
    state: SeenState
    new_url: str | None = None
    status: int | None = None


@dataclass
class Records:
    """Discovery's records of one listing, sitemap or feed, handed to the pipeline together.

    A sitemap of 10,000 URLs makes 10,000 Discovered (and, on a quiet night, 10,000 Seen) records; one item
    per record cost Scrapy's item machinery (middlewares, signals, log formatting) for each of them.
    """

    records: list[Discovered | Seen]
