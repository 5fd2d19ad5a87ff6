"""What the digest already knows about a source's pages, and the rules for not fetching them again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Discovery hints that change when a page changes; if any shared one differs, the page is fetched again.
CHANGE_SIGNS = ("lastmod", "feed_date", "listing_date")


def page_key(url: str) -> str:
    """Host-independent identity of a page within its site (path and query), so mirrors and live agree."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class KnownPages:
    """Known publication pages of one source: validators (ETag, Last-Modified) and last discovery hints."""

    pages: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> KnownPages:
        """Read the JSON file the flow wrote (missing file: nothing known, a first crawl)."""
        if path is None or not path.exists():
            return cls()
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def __contains__(self, key: str) -> bool:
        return key in self.pages

    def unchanged(self, key: str, hints: dict[str, str]) -> bool:
        """True when discovery gives a sign of change we can compare and none of them changed."""
        state = self.pages.get(key)
        if state is None or state.get("pdf_retry"):
            return False  # unknown, or its PDF is still to be fetched
        shared = [sign for sign in CHANGE_SIGNS if sign in hints and state.get(sign)]
        if shared:
            return all(hints[sign] == state[sign] for sign in shared)
        # No sign to compare: a page whose revisit is not due (the digest's revisit policy) counts as unchanged.
        return bool(state.get("not_due"))

    def not_due(self, key: str) -> bool:
        """The digest's revisit policy says this page (no validators, no dates) need not be checked tonight."""
        return bool(self.pages.get(key, {}).get("not_due"))

    def conditional_headers(self, key: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a known page, so an unchanged page costs a 304."""
        state = self.pages.get(key, {})
        headers: dict[str, str] = {}
        if state.get("pdf_retry"):
            return headers  # a 304 would not lead to the PDF the page links
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers
